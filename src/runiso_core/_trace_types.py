"""Small shared types of the trace readers: the method codes and the errors.

Kept apart from :mod:`runiso_core.trace` so that the native parser
(:mod:`runiso_core._parse`) and the pure-Python reference
(:mod:`runiso_core._parse_py`) can both import them without a cycle.

The errors carry what the user should change as *hints* with two spellings,
one for the Python API (``format='int32be'``) and one for the command line
(``--format int32be``): ``str(err)`` speaks Python, :meth:`TraceFormatError.cli_message`
speaks CLI, so each interface tells its users what to type.
"""
from __future__ import annotations

from enum import IntEnum

__all__ = ["Method", "TraceFormatError", "TruncatedInputError", "ParamError", "Hint",
           "format_hint", "option_hint"]


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


#: A fix the user can make: (Python API spelling, command-line spelling).
Hint = tuple[str, str]

# Parameter -> command-line option, for the CLI spelling of hints and errors.
_OPTIONS = {"format": "--format", "columns": "--columns", "tz": "--tz",
            "chunk_size": "--chunk-size", "max_line_bytes": "--max-line-bytes",
            "allow_truncated": "--allow-truncated", "csv_header": "--no-csv-header",
            "strict": "--strict", "n": "--lines"}


def option_hint(param: str, api_value: str, cli_value: str | None) -> Hint:
    """A hint to set ``param``: ``param=api_value`` in Python, ``--param cli_value`` in the CLI
    (``cli_value`` None: a flag)."""
    opt = _OPTIONS.get(param, "--" + param.replace("_", "-"))
    return (f"{param}={api_value}", opt if cli_value is None else f"{opt} {cli_value}")


def format_hint(fmt: str) -> Hint:
    """The hint to read the input as format ``fmt``."""
    return option_hint("format", repr(fmt), fmt)


def _join(words: list[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " or " + words[-1]


class TraceFormatError(ValueError):
    """A trace could not be read: unknown/binary format, nothing parsed, a
    truncated compressed stream, or (``strict=True``) the first malformed line.

    Attributes
    ----------
    message : str
        What is wrong, without the hints.
    line_number : int or None
        1-based physical line number of the offending line (None when the
        problem is not tied to a line, e.g. an unrecognised format).
    reason : str
        Short reason, one of ``runiso_core._parse.REASONS`` or a format-detection message
        ("unrecognised format", "nothing parsed", "binary input", ...).
    line : str
        The first 200 characters of the offending line ("" when none).
    hints : tuple of (str, str)
        What would fix it, as (Python spelling, command-line spelling).
    """

    def __init__(self, message: str, *, line_number: int | None = None,
                 reason: str = "", line: str = "", hints: tuple[Hint, ...] | list[Hint] = ()
                 ) -> None:
        self.message = message
        self.line_number = line_number
        self.reason = reason
        self.line = line
        self.hints = tuple(hints)
        super().__init__(self._render(0))

    def _render(self, which: int) -> str:
        if not self.hints:
            return self.message
        verb = "pass" if which == 0 else "use"
        return f"{self.message}; {verb} {_join([h[which] for h in self.hints])}"

    def cli_message(self) -> str:
        """The message with its hints spelled as command-line options."""
        return self._render(1)


class TruncatedInputError(TraceFormatError):
    """A compressed stream (or a binary trace) ends in the middle: the file is
    truncated or corrupt. ``decoded_bytes`` is how much was decoded before it."""

    def __init__(self, message: str, *, decoded_bytes: int, line_number: int | None,
                 hints: tuple[Hint, ...] | list[Hint] = ()) -> None:
        super().__init__(message, line_number=line_number, reason="truncated input", hints=hints)
        self.decoded_bytes = decoded_bytes


class ParamError(ValueError):
    """A parameter has a bad value (a reader's ``columns``, ``tz``, ``format``,
    a generator's ``days``...).

    ``str(err)`` names the parameter (``columns: unknown role 'x'``);
    :meth:`cli_message` names the option (``--columns: unknown role 'x'``).
    """

    def __init__(self, param: str, detail: str) -> None:
        self.param = param
        self.detail = detail
        super().__init__(f"{param}: {detail}")

    @property
    def option(self) -> str:
        """The command-line option of the parameter."""
        return _OPTIONS.get(self.param, "--" + self.param.replace("_", "-"))

    def cli_message(self) -> str:
        return f"{self.option}: {self.detail}"
