"""KoboToolbox connector for coprod-connectors.

The connector (found by the core through the ``coprod_connectors.platforms``
entry point), its KPI API v2 client and the XLSForm renderer.
"""

from coprod_connectors import XLSForm, build_xlsform
from coprod_kobotoolbox.client import KpiClient, TokenAuth, server_url
from coprod_kobotoolbox.connector import KoboPushOptions, KoboToolboxConnector

__all__ = [
    "KoboPushOptions",
    "KoboToolboxConnector",
    "KpiClient",
    "TokenAuth",
    "XLSForm",
    "build_xlsform",
    "server_url",
]
