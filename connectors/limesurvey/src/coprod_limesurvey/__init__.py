"""LimeSurvey connector for coprod-connectors.

- :class:`LimeSurveyConnector`: render (.lss), push, participants, pull, status,
  describe, and reading a CSV export downloaded by hand;
- :class:`LimeSurveyPushOptions`: its push options (``coprod push --option``);
- :class:`RemoteControl`: the JSON-RPC client it uses.
"""

from coprod_limesurvey.connector import LimeSurveyConnector, LimeSurveyPushOptions
from coprod_limesurvey.participants import ParticipantList, ParticipantsReport, read_participants
from coprod_limesurvey.rows import read_export
from coprod_limesurvey.rpc import RemoteControl

__all__ = [
    "LimeSurveyConnector",
    "LimeSurveyPushOptions",
    "ParticipantList",
    "ParticipantsReport",
    "RemoteControl",
    "read_export",
    "read_participants",
]
