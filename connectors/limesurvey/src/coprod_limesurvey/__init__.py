"""LimeSurvey connector for coprod-connectors.

- :class:`LimeSurveyConnector`: render (.lss), push, participants, pull, status
- :class:`RemoteControl`: the JSON-RPC client it uses
- :mod:`coprod_limesurvey.commands`: plain functions behind the CLI commands
"""

from coprod_limesurvey.connector import LimeSurveyConnector
from coprod_limesurvey.participants import ParticipantList, ParticipantsReport, read_participants
from coprod_limesurvey.rows import read_export
from coprod_limesurvey.rpc import RemoteControl

__all__ = [
    "LimeSurveyConnector",
    "ParticipantList",
    "ParticipantsReport",
    "RemoteControl",
    "read_export",
    "read_participants",
]
