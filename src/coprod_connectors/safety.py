"""Text and paths from outside (servers, files, arguments), made safe to show or to use.

- :func:`printable`: the ONE way text from outside reaches a terminal. Control
  characters (C0, DEL, C1: so ESC sequences that clear the screen or set the
  title), bidirectional overrides and line separators become visible escapes
  such as ``\\x1b`` or ``\\u202e``; :func:`markup_safe` also escapes rich markup.
- :func:`one_line`: free text as one line of a file people open (a spreadsheet's cell),
  escaped as :func:`printable` escapes it.
- :func:`control_characters`: what a value holds that a file or form must not
  (used to refuse such values with the field's name).
- :func:`safe_name` and :func:`confined`: a file-name component built from
  outside data (a server id, an attachment name, a version) checked, and a
  path resolved and checked to stay under its root.
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

from coprod_connectors.errors import CoprodError, PlatformError

#: Bidirectional controls and separators that reorder or break what is shown.
_BIDI = "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u2028\u2029\ufeff"


#: Whitespace that would break the line: shown as one space.
_BREAKS = "\t\n\v\f\r\x85\u2028\u2029"


def escape_char(char: str) -> str:
    """``char`` written as an escape: ``\\x1b``, ``\\u202e``."""
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


_TABLE: dict[int, str] = {
    code: escape_char(chr(code)) for code in (*range(0x20), 0x7F, *range(0x80, 0xA0))
}
_TABLE.update({ord(c): escape_char(c) for c in _BIDI})
_TABLE.update({ord(c): " " for c in _BREAKS})
# lone surrogates (from "\\ud800" in a server's JSON) cannot be written as UTF-8 at all
_TABLE.update({code: f"\\u{code:04x}" for code in range(0xD800, 0xE000)})


#: For JSON text: what JSON itself leaves raw (DEL, C1, bidi) as ``\\uXXXX`` escapes.
JSON_ESCAPES: dict[int, str] = {
    code: f"\\u{code:04x}" for code in (0x7F, *range(0x80, 0xA0), *(ord(c) for c in _BIDI))
}


def printable(text: object, limit: int | None = None) -> str:
    """``text`` from outside, made safe for a terminal: THE one function everything shown
    goes through (the CLI's ``say``, connectors' platform messages, error pages).

    Line breaks and tabs become spaces (it stays one line); every other control
    character (C0, DEL, C1: so ESC sequences that clear the screen or set the title)
    and every bidi override is shown as an escape (``\\x1b``, ``\\u202e``), so it
    cannot move the cursor, recolour the terminal or reorder what follows. Cut to
    ``limit`` characters first, when given."""
    shown = str(text)
    if limit is not None:
        shown = shown[:limit]
    return shown.translate(_TABLE)


def one_line(text: object) -> str:
    """Free text from outside (a respondent's answer) as one line of a file that people
    open, such as a spreadsheet's cell: every run of whitespace, line breaks included,
    one space and none at either end; every other control character and bidi override
    an escape, as :func:`printable` shows it (``\\x1b``, ``\\u202e``). Letters,
    punctuation and quotes stay as they are."""
    shown = str(text)
    # most text has nothing to change (isprintable: no control, bidi or other space)
    if shown.isprintable() and "  " not in shown and shown[:1] != " " and shown[-1:] != " ":
        return shown
    return printable(" ".join(shown.split()))


def markup_safe(text: object, limit: int | None = None) -> str:
    """:func:`printable`, and rich markup (``[bold]``...) escaped: for text from outside
    inside a string that rich reads as markup."""
    from rich.markup import escape

    return escape(printable(text, limit))


#: Characters XML 1.0 cannot hold and no form label needs: C0 except tab, newline and
#: carriage return, DEL, C1, bidi overrides, unpaired surrogates, and U+FFFE/U+FFFF.
_FORBIDDEN = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f" + _BIDI[:-3] + "\ud800-\udfff\ufffe\uffff]"
)


def control_characters(text: str, *, newlines: bool = True) -> list[str]:
    """The characters of ``text`` that must not go into a file, form or terminal, as
    escapes (``\\x1b``); empty when there are none. ``newlines=False`` also refuses tab,
    newline and carriage return (for one-line values such as names and URLs)."""
    found = [m.group() for m in _FORBIDDEN.finditer(text)]
    if not newlines:
        found.extend(c for c in text if c in "\t\n\r")
    return sorted({escape_char(c) for c in found})


# --- paths -----------------------------------------------------------------------------

_UNSAFE_NAME = re.compile(r"[^A-Za-z0-9._+@=-]")
_RESERVED_NAMES = {
    "con",
    "prn",
    "aux",
    "nul",
    *(f"com{i}" for i in range(10)),
    *(f"lpt{i}" for i in range(10)),
}


def safe_name(value: object, *, what: str, max_length: int = 120) -> str:
    """``value`` as ONE file-name component: letters, digits and ``. _ + @ = -``; anything
    else (``/``, ``\\``, spaces, control characters...) becomes ``_``. A value that is
    empty, only dots (``.``, ``..``) or a reserved device name raises
    :class:`PlatformError` naming ``what`` (e.g. "the form id from the server")."""
    text = unicodedata.normalize("NFC", str(value))
    name = _UNSAFE_NAME.sub("_", text)[:max_length]
    if not name.strip("._") or name.split(".")[0].lower() in _RESERVED_NAMES:
        msg = f"{what} {printable(text, 60)!r} cannot name a file"
        raise PlatformError(msg)
    return name


def confined(root: Path, *parts: str, what: str = "a path") -> Path:
    """``root / parts...`` resolved, or a :class:`CoprodError` if it would leave ``root``
    (through ``..``, an absolute part or a symbolic link)."""
    base = root.resolve()
    target = base.joinpath(*parts).resolve()
    if target != base and base not in target.parents:
        msg = f"{what} {printable('/'.join(parts), 80)!r} would be written outside {base}"
        raise CoprodError(msg)
    return target


# --- files from outside --------------------------------------------------------------

#: Bounds on an archive (an .xlsx is a zip) before any reader opens it.
ARCHIVE_MAX_BYTES = 256 * 1024 * 1024
ARCHIVE_MAX_MEMBERS = 10_000
ARCHIVE_MAX_RATIO = 200
#: The largest CSV cell read (Python's csv module stops at 128 KiB by default).
CSV_MAX_FIELD = 16 * 1024 * 1024


def check_archive(path: Path) -> None:
    """Refuse, with a :class:`ResponseDataError`, a zip file (an .xlsx...) that would
    unpack to more than 256 MiB, holds over 10,000 files, or packs one file more than
    200 times over (a zip bomb); checked from its directory, before anything is unpacked.
    A file that is not a zip passes."""
    import zipfile

    from coprod_connectors.errors import ResponseDataError

    if not zipfile.is_zipfile(path):
        return
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        msg = f"{path.name}: a damaged zip file ({printable(exc, 80)})"
        raise ResponseDataError(msg) from None
    total = sum(m.file_size for m in members)
    if len(members) > ARCHIVE_MAX_MEMBERS or total > ARCHIVE_MAX_BYTES:
        msg = (
            f"{path.name}: unpacks to {total:,} bytes in {len(members):,} files, more than "
            f"an export holds (at most {ARCHIVE_MAX_BYTES:,} bytes, {ARCHIVE_MAX_MEMBERS:,} files)"
        )
        raise ResponseDataError(msg, hint="is it really the platform's export?")
    for member in members:
        packed = max(member.compress_size, 1)
        if member.file_size > 1024 * 1024 and member.file_size / packed > ARCHIVE_MAX_RATIO:
            msg = (
                f"{path.name}: {printable(member.filename, 60)} is packed "
                f"{member.file_size // packed:,} times over (a zip bomb?)"
            )
            raise ResponseDataError(msg, hint="is it really the platform's export?")


__all__ = [
    "ARCHIVE_MAX_BYTES",
    "CSV_MAX_FIELD",
    "JSON_ESCAPES",
    "check_archive",
    "confined",
    "control_characters",
    "escape_char",
    "markup_safe",
    "one_line",
    "printable",
    "safe_name",
]
