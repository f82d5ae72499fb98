"""KoboToolbox connector for coprod-connectors."""

from coprod_kobotoolbox.connector import KoboToolboxConnector

__all__ = ["KoboToolboxConnector"]
