"""ODK Central connector for coprod-connectors.

The connector (found by the core through the ``coprod_connectors.platforms``
entry point ``odk``), its API v1 client, the submission cursor, the ODK Collect
settings QR code and the reader of Central's CSV export zip.
"""

from coprod_odk.client import CentralClient, server_url
from coprod_odk.connector import OdkCentralConnector, OdkPushOptions
from coprod_odk.errors import FormWarningsError

__all__ = [
    "CentralClient",
    "FormWarningsError",
    "OdkCentralConnector",
    "OdkPushOptions",
    "server_url",
]
