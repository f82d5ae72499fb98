"""LimeSurvey connector for coprod-connectors."""

from coprod_limesurvey.connector import LimeSurveyConnector

__all__ = ["LimeSurveyConnector"]
