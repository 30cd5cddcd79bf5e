"""Small shared types of the trace readers: the method codes and the error.

Kept apart from :mod:`runiso_core.trace` so that the native parser
(:mod:`runiso_core._parse`) and the pure-Python reference
(:mod:`runiso_core._parse_py`) can both import them without a cycle.
"""
from __future__ import annotations

from enum import IntEnum

__all__ = ["Method", "TraceFormatError"]


class Method(IntEnum):
    """HTTP method codes of the ``Trace.method`` uint8 column.

    ``OTHER`` is any other token (WebDAV verbs, junk); ``NONE`` means the trace
    has no method (plain/binary traces) or the request line was ``-``/empty.
    """

    GET = 0
    HEAD = 1
    POST = 2
    PUT = 3
    DELETE = 4
    PATCH = 5
    OPTIONS = 6
    CONNECT = 7
    TRACE = 8
    OTHER = 9
    NONE = 10




class TraceFormatError(ValueError):
    """A trace could not be read: unknown/binary format, or (``strict=True``)
    the first malformed line.

    Attributes
    ----------
    line_number : int or None
        1-based physical line number of the offending line (None when the
        problem is not tied to a line, e.g. an unrecognised format).
    reason : str
        Short reason, one of ``runiso_core._parse.REASONS`` or a format-detection message.
    line : str
        The first 200 characters of the offending line ("" when none).
    """

    def __init__(self, message: str, *, line_number: int | None = None,
                 reason: str = "", line: str = "") -> None:
        super().__init__(message)
        self.line_number = line_number
        self.reason = reason
        self.line = line
