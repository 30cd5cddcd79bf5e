"""The input contract of every command that reads a trace (``trace stats``,
``cache sim``, and ``replay`` once it lands).

* One set of options: ``--format``, ``--columns``, ``--tz``, ``--strict``,
  ``--allow-truncated``, ``--chunk-size``, ``--max-line-bytes``, ``-v``.
* Files are read as one stream, in order; ``-`` is standard input.
* Errors speak CLI (``--format int32be``, not ``format='int32be'``) and exit 1
  for an input problem (unreadable, unrecognised, nothing parsed, truncated),
  2 for a bad option value. No traceback, no Python warning text.
* Empty input is not an error: the command says so in one line and exits 0.
* At the end, one warning line per file whose input was truncated (with
  ``--allow-truncated``) or more than 10 % malformed; at most three malformed
  lines are shown (one line each), all of them with ``-v``.
"""
from __future__ import annotations

import functools
import os
import sys
from dataclasses import dataclass, field
from typing import Iterable, Iterator

import click

from ._trace_types import TraceFormatError, ParamError
from .trace import FORMATS, MAX_CHUNK_SIZE, MAX_LINE_BYTES, Trace, iter_trace
from .cli_util import printable, value_callback
from .units import parse_size

__all__ = ["trace_options", "ReadOptions", "InputReport", "FileReport", "read_chunks", "warn",
           "finish", "malformed_lines", "empty_message", "MALFORMED_WARN_SHARE"]

#: Above this share of malformed lines, a command warns at the end.
MALFORMED_WARN_SHARE = 0.10
_SHOWN = 3      # malformed-line examples shown without -v


@dataclass(frozen=True)
class ReadOptions:
    """The reader options of one command invocation."""

    format: str | None = None
    columns: dict | None = None
    tz: str | None = None
    strict: bool = False
    allow_truncated: bool = False
    chunk_size: int = 1_000_000
    max_line_bytes: int = MAX_LINE_BYTES
    verbose: bool = False


def _parse_columns(ctx, param, spec: str | None):
    if not spec:
        return None
    out = {}
    for part in spec.split(","):
        role, sep, col = part.partition("=")
        role, col = role.strip(), col.strip()
        if not sep or not role or not col:
            raise click.BadParameter(f"expected role=column[,role=column...], got {spec!r}")
        if role in out:
            raise click.BadParameter(f"role {role!r} given twice in {spec!r}")
        out[role] = int(col) if col.isdigit() else col
    return out


def _line_limit(text: str) -> int:
    n = parse_size(text, what="line limit")
    if not 1024 <= n <= 1 << 30:
        raise ValueError(f"{text!r}: the line limit must be between 1KiB and 1GiB")
    return n


def trace_options(f):
    """Add the reader options to a click command; the command receives them
    as one ``read: ReadOptions`` argument."""
    opts = [
        click.option("--format", "fmt", type=click.Choice(FORMATS, case_sensitive=False),
                     default=None, help="Input format (default: detected from the first bytes)."),
        click.option("--columns", callback=_parse_columns, default=None, metavar="ROLE=COL,...",
                     help="CSV/TSV column mapping by header name or index, e.g. "
                          "time=ts,key=lbn,size=bytes."),
        click.option("--tz", default=None, metavar="ZONE",
                     help="Zone of timestamps that carry none: UTC, +08:00 or an IANA name "
                          "like Europe/Paris (default: +08:00 for tencent, else UTC)."),
        click.option("--strict", is_flag=True, help="Stop at the first malformed line (exit 1)."),
        click.option("--allow-truncated", is_flag=True,
                     help="Keep what was read before a truncated or corrupt compressed input "
                          "(a warning says where it broke) instead of failing."),
        click.option("--chunk-size", default=1_000_000, show_default=True,
                     type=click.IntRange(1, MAX_CHUNK_SIZE),
                     help="Requests per parsed chunk (bounds memory)."),
        click.option("--max-line-bytes", "max_line", default="1MiB",
                     callback=value_callback(_line_limit),
                     metavar="SIZE", show_default=True,
                     help="Longer lines are skipped as malformed."),
        click.option("-v", "--verbose", is_flag=True,
                     help="Show every malformed line kept (up to 10 per file), not just 3."),
    ]

    @functools.wraps(f)
    def wrapper(*args, fmt, columns, tz, strict, allow_truncated, chunk_size, max_line, verbose,
                **kwargs):
        read = ReadOptions(format=fmt, columns=columns, tz=tz, strict=strict,
                           allow_truncated=allow_truncated, chunk_size=chunk_size,
                           max_line_bytes=max_line, verbose=verbose)
        return f(*args, read=read, **kwargs)

    for o in reversed(opts):
        wrapper = o(wrapper)
    return wrapper


@dataclass
class FileReport:
    """What one input file gave."""

    path: str
    format: str | None = None
    requests: int = 0
    malformed: int = 0
    blank: int = 0
    examples: list = field(default_factory=list)
    truncated: str | None = None
    warnings: list = field(default_factory=list)


@dataclass
class InputReport:
    """Totals over the files of one command, for its summary and warnings."""

    files: list[FileReport] = field(default_factory=list)

    @property
    def requests(self) -> int:
        return sum(f.requests for f in self.files)

    @property
    def malformed(self) -> int:
        return sum(f.malformed for f in self.files)

    @property
    def formats(self) -> list[str]:
        out = []
        for f in self.files:
            if f.format and f.format not in out:
                out.append(f.format)
        return out

    @property
    def empty(self) -> bool:
        """No request and no malformed line: an empty (or blank) input."""
        return self.requests == 0 and self.malformed == 0

    def examples(self) -> list[tuple[str, int, str, str]]:
        return [(f.path, *e) for f in self.files for e in f.examples]


def _display(path: str) -> str:
    return "<stdin>" if path == "-" else path


def _progress_bar(files: list[str]):
    """A rich progress bar on stderr for big files on a terminal, else None."""
    sizes = {f: (os.path.getsize(f) if f != "-" and os.path.isfile(f) else None) for f in files}
    total = sum(s for s in sizes.values() if s) or None
    if not (sys.stderr.isatty() and total is not None and total > (32 << 20)):
        return None, None
    from rich.console import Console
    from rich.progress import (BarColumn, DownloadColumn, Progress, TextColumn,
                               TimeRemainingColumn, TransferSpeedColumn)
    bar = Progress(TextColumn("reading"), BarColumn(), DownloadColumn(), TransferSpeedColumn(),
                   TimeRemainingColumn(), transient=True, console=Console(stderr=True))
    task = bar.add_task("read", total=total)

    def make(path):
        base = sum(sizes[f] or 0 for f in files[:files.index(path)])
        return lambda done, _size: bar.update(task, completed=base + done)
    return bar, make


def read_chunks(files: Iterable[str], read: ReadOptions, report: InputReport, *,
                with_strings: bool | str = False) -> Iterator[tuple[str, Trace]]:
    """Yield ``(path, chunk)`` over every file in order, filling ``report``.

    Raises click exceptions for every input problem, in CLI words: exit 1 for
    the input, 2 for an option value.
    """
    files = list(files)
    bar, make = _progress_bar(files)
    try:
        if bar is not None:
            bar.start()
        for path in files:
            fr = FileReport(_display(path))
            report.files.append(fr)
            try:
                for ch in iter_trace(path, format=read.format, strict=read.strict,
                                     chunk_size=read.chunk_size, with_strings=with_strings,
                                     columns=read.columns, tz=read.tz,
                                     max_line_bytes=read.max_line_bytes,
                                     allow_truncated=read.allow_truncated,
                                     progress=make(path) if make else None):
                    fr.format = ch.format
                    fr.requests += len(ch)
                    fr.malformed += ch.malformed
                    fr.blank += ch.blank_lines
                    fr.examples += ch.malformed_examples[:10 - len(fr.examples)]
                    if ch.truncated:
                        fr.truncated = ch.truncated
                    fr.warnings += ch.warnings
                    yield path, ch
            except ParamError as e:
                raise click.BadParameter(e.detail, param_hint=f"'{e.option}'") from None
            except TraceFormatError as e:
                raise click.ClickException(e.cli_message()) from None
            except (FileNotFoundError, IsADirectoryError, PermissionError) as e:
                raise click.ClickException(f"cannot read {_display(path)}: "
                                           f"{e.strerror or e}") from None
            except OSError as e:
                raise click.ClickException(f"{_display(path)}: {e}") from None
    finally:
        if bar is not None:
            bar.stop()


def warn(message: str) -> None:
    """One warning line on stderr."""
    click.echo(f"warning: {message}", err=True)


def malformed_lines(report: InputReport, verbose: bool, width: int | None = None) -> list[str]:
    """The malformed-line examples to show: three (one line each, cut to the
    terminal width) or, with ``-v``, every one kept."""
    ex = report.examples()
    shown = ex if verbose else ex[:_SHOWN]
    many = len(report.files) > 1
    out = []
    for path, ln, reason, text in shown:
        where = f"{path}:{ln}" if many else f"line {ln}"
        line = f"  {where}: {reason}: {printable(text)}"
        if width and len(line) > width and not verbose:
            line = line[:max(20, width - 1)] + "…"
        out.append(line)
    if report.malformed > len(shown):
        more = "" if verbose else "; -v shows up to 10 per file"
        out.append(f"  ({report.malformed - len(shown):,} more malformed lines not shown{more})")
    return ["malformed lines:"] + out if out else []


def finish(report: InputReport, read: ReadOptions) -> None:
    """The closing warnings of the contract, on stderr."""
    for f in report.files:
        for w in f.warnings:
            warn(w)
        if f.truncated:
            warn(f"{f.truncated}; kept the {f.requests:,} requests read before it "
                 f"(--allow-truncated)")
        lines = f.requests + f.malformed
        if lines and f.malformed / lines > MALFORMED_WARN_SHARE:
            first = f.examples[0] if f.examples else None
            why = f" (first: line {first[0]:,}: {first[1]})" if first else ""
            warn(f"{f.path}: {f.malformed:,} of {lines:,} lines ({f.malformed / lines:.1%}) are "
                 f"malformed{why}; is --format {f.format} right?")


def empty_message(report: InputReport) -> str:
    names = ", ".join(f.path for f in report.files)
    blank = sum(f.blank for f in report.files)
    extra = f" ({blank:,} blank lines)" if blank else ""
    return f"{names}: empty input{extra}: no requests"
