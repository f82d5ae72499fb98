"""What connectors share: the HTTP policy every connector uses, and paging helpers."""

from coprod_connectors.connectors.http import (
    DEFAULT_TIMEOUT,
    RETRY_STATUSES,
    SAFE_METHODS,
    HttpPolicy,
    Retry,
    error_page_text,
    printable,
    retry_after,
    strip_markup,
    user_agent,
)
from coprod_connectors.connectors.paging import integer_cursor, prefetch

__all__ = [
    "DEFAULT_TIMEOUT",
    "RETRY_STATUSES",
    "SAFE_METHODS",
    "HttpPolicy",
    "Retry",
    "error_page_text",
    "integer_cursor",
    "prefetch",
    "printable",
    "retry_after",
    "strip_markup",
    "user_agent",
]
