"""Telling a trace's format from its first bytes, and saying why when it cannot.

Order: ``.npy`` magic; known non-trace files (PNG, ZIP, LZ4, UTF-16... named and
refused); binary input is an id stream whose record width is read from its
byte statistics; a header-like first line makes CSV/TSV; otherwise the text
format that parses the most of the first 20 lines. Every failure names its
reason: the line limit, or what each format found wrong in the first lines.
"""
from __future__ import annotations

import re
from typing import Mapping

import numpy as np

from ._parse import ROLE_CODES, ChunkParser
from ._trace_io import Input, known_binary
from ._trace_types import ParamError, TraceFormatError, format_hint, option_hint
from ._tz import resolve_tz
from .units import format_bytes

__all__ = ["detect", "detect_formats", "csv_roles", "csv_delimiter", "binary_width",
           "looks_binary", "is_header", "MAX_LINE_BYTES", "NPY_MAGIC", "BOM", "DEFAULT_TZ"]

#: Default line limit: longer lines are skipped as malformed ("line too long").
MAX_LINE_BYTES = 1 << 20
NPY_MAGIC = b"\x93NUMPY"
BOM = b"\xef\xbb\xbf"
# Zone of zone-less timestamps when tz is None.
DEFAULT_TZ = {"tencent": "+08:00"}
# Text formats tried after CSV/TSV, in tie-break order.
_ORDER = ("clf", "haproxy", "tencent", "plain", "keys")

# Header names recognised for each CSV role (lower-cased).
_CSV_NAMES = {
    "time": ("time", "timestamp", "ts", "epoch", "datetime", "date", "time_ns"),
    "key": ("key", "id", "obj_id", "object_id", "objid", "lbn", "key_id"),
    "url": ("url", "uri", "path", "request_uri", "target", "request"),
    "size": ("size", "bytes", "obj_size", "body_bytes_sent", "content_length", "length"),
    "client": ("client", "ip", "client_ip", "remote_addr", "clientip", "addr"),
    "session": ("session", "session_id", "sessionid", "cookie", "sid"),
    "status": ("status", "status_code", "code"),
    "method": ("method", "verb", "request_method"),
    "site": ("site", "region", "pop", "dc", "datacenter"),
}
_HEADER_FIELD = re.compile(rb'^"?[A-Za-z_][A-Za-z0-9_ .()/-]*"?$')
_TEXT_BYTES = bytes(b for b in range(256) if b >= 32 or b in (0, 9, 10, 13))
# CSV delimiters tried (TSV is its own format name).
_CSV_DELIMS = (b",", b";", b"|")


def _short(v, n: int = 200) -> str:
    r = repr(v)
    return r if len(r) <= n else r[:n] + "..."


def looks_binary(head: bytes) -> bool:
    """Binary rather than text: more than 10 % control bytes other than NUL
    in the first 4 KiB, or NUL bytes in most of its lines. A text log with a
    few NUL-damaged lines (a crash leaves runs of NULs) stays text: those
    lines are malformed ("NUL byte in line")."""
    sample = head[:4096]
    if not sample:
        return False
    if len(sample.translate(None, _TEXT_BYTES)) > 0.1 * len(sample):
        return True
    if b"\x00" in sample:
        lines = sample.split(b"\n")
        return sum(1 for ln in lines if b"\x00" in ln) > 0.3 * len(lines)
    return False


def _sample_lines(head: bytes, max_line: int, n: int = 20) -> list[tuple[int, bytes]]:
    """Up to n (line_number, line) pairs of the complete, non-empty lines of
    ``head`` that fit the line limit (a head without newline is one line)."""
    out = []
    lines = head.split(b"\n")
    if len(lines) > 1:
        lines.pop()   # the partial last line
    for i, ln in enumerate(lines, 1):
        if len(ln) > max_line or not ln.strip():
            continue
        out.append((i, ln.rstrip(b"\r")))
        if len(out) >= n:
            break
    return out


def is_header(line: bytes, delim: bytes) -> bool:
    """A CSV/TSV header: two or more identifier-like fields."""
    fields = line.split(delim)
    return len(fields) >= 2 and all(_HEADER_FIELD.match(f.strip()) for f in fields)


def csv_delimiter(first: bytes) -> bytes:
    """The delimiter of a CSV from its first line: the one (``,`` ``;`` ``|``)
    that makes it a header of the most fields, else the most frequent one."""
    heads = [(len(first.split(d)), d) for d in _CSV_DELIMS if is_header(first, d)]
    if heads:
        return max(heads)[1]
    counts = [(first.count(d), -i, d) for i, d in enumerate(_CSV_DELIMS)]
    return max(counts)[2] if max(counts)[0] else b","


def _parse_count(fmt: str, lines: list[bytes], tz) -> tuple[int, str]:
    """(lines of ``lines`` that parse as ``fmt``, reason the first failure gave)."""
    p = ChunkParser(fmt, len(lines) + 1, max_examples=1, tz=tz)
    p.feed(b"\n".join(lines) + b"\n", 0, True)
    ex = p.examples
    return p.n, (ex[0][1] if ex else "")


def _csv_parses(lines: list[bytes], delim: bytes | None) -> bool:
    """A header line with a key/url column and data lines that parse under it
    (``delim`` None: the CSV delimiter of the header)."""
    if delim is None and lines:
        delim = csv_delimiter(lines[0])
    if len(lines) < 2 or not is_header(lines[0], delim):
        return False
    header = [f.strip().strip('"') for f in lines[0].decode("utf-8", "replace").split(delim.decode())]
    try:
        roles = csv_roles(header, None, len(header), "")
    except (TraceFormatError, ParamError):
        return False
    p = ChunkParser("csv", len(lines), roles=roles, delimiter=delim.decode())
    p.feed(b"\n".join(lines[1:]) + b"\n", 0, True)
    return p.n * 2 >= len(lines) - 1


def _delimited(lines: list[bytes]) -> bytes | None:
    """The delimiter of headerless CSV/TSV data (every line with the same
    number of fields, two or more), or None."""
    for d in (b"\t",) + _CSV_DELIMS:
        counts = {ln.count(d) for ln in lines}
        if len(counts) == 1 and counts.pop() >= 1:
            return d
    return None


def binary_width(head: bytes, raw_size: int | None = None) -> str | None:
    """int32be or int64be for a binary id stream, None when its bytes cannot tell."""
    n8 = len(head) // 8
    if n8 < 64 or (raw_size is not None and raw_size % 4):
        return None
    w32 = np.frombuffer(head[:n8 * 8], ">u4")
    may64 = raw_size is None or raw_size % 8 == 0
    hi, lo = np.unique(w32[0::2]).size, np.unique(w32[1::2]).size
    if may64 and hi <= max(2, n8 // 100) and lo > 4 * hi:
        return "int64be"      # 8-byte ids with constant high halves (small ids)
    # 8-byte records repeat far more at their own alignment than shifted by 4
    # bytes (a shifted "record" glues two neighbours); 4-byte ids look the
    # same at both alignments and repeat as 4-byte values much more than
    # pairs of them do. Anything else (compressed or encrypted data, too few
    # repeats to see) cannot be told, and is said so.
    aligned = np.unique(np.frombuffer(head[:n8 * 8], ">u8")).size / n8
    shifted = np.unique(np.frombuffer(head[4:4 + (n8 - 1) * 8], ">u8")).size / (n8 - 1)
    if may64 and aligned < 0.8 * shifted:
        return "int64be"
    d32 = np.unique(w32).size / w32.size
    if d32 < 0.9 and d32 < 0.8 * aligned:
        return "int32be"
    return None


def detect_formats(head: bytes, *, max_line_bytes: int = MAX_LINE_BYTES, tz=None,
                   raw_size: int | None = None) -> list[str]:
    """The formats that parse most of the first lines of ``head`` (the first
    bytes of a decompressed trace), best first.

    Binary input gives the binary id format its byte statistics point to (or
    both ``int32be`` and ``int64be`` when they cannot tell), ``.npy`` data
    gives ``npy``. Used by detection and by the "nothing parsed" error.
    """
    if head.startswith(NPY_MAGIC):
        return ["npy"]
    if known_binary(head):
        return []
    if looks_binary(head):
        b = binary_width(head, raw_size)
        return [b] if b else ["int32be", "int64be"]
    if head.startswith(BOM):
        head = head[3:]
    lines = [ln for _, ln in _sample_lines(head, max_line_bytes)]
    if not lines:
        return []
    out = []
    if _csv_parses(lines, b"\t"):
        out.append("tsv")
    elif _csv_parses(lines, None):
        out.append("csv")
    delim = _delimited(lines)
    scored = []
    for fmt in _ORDER:
        if fmt == "keys" and delim is not None:
            continue     # delimited fields are columns of a CSV, not one key each
        ok, _ = _parse_count(fmt, lines, resolve_tz(tz, DEFAULT_TZ.get(fmt, 0)))
        need = 0.9 if fmt == "keys" else 0.5     # a word per line is no proof of a key trace
        if ok and ok >= need * len(lines):
            scored.append((-ok, _ORDER.index(fmt), fmt))
    out += [f for _, _, f in sorted(scored)]
    if not out and delim is not None:
        out.append("tsv" if delim == b"\t" else "csv")   # headerless: needs --columns
    return out


def detect(inp: Input, head: bytes, max_line: int, tz, columns) -> str:
    """Guess the format from the first bytes of the (decompressed) input."""
    name = inp.name
    if head.startswith(NPY_MAGIC):
        return "npy"
    if name.endswith(".trc.bin") and looks_binary(head):
        return "int32be"                  # cache2k's own suffix
    what = known_binary(head)
    if what:
        raise TraceFormatError(f"{name}: this is {what}, not a trace", reason="binary input")
    if looks_binary(head):
        b = binary_width(head, inp.raw_size if inp.codec is None else None)
        if b is None:
            raise TraceFormatError(
                f"{name}: binary input, but its first {format_bytes(len(head))} do not tell "
                f"4-byte from 8-byte ids (too short, no repeated id, a size that is not a whole "
                f"number of records, or not an id stream at all: compressed or encrypted data)",
                reason="binary input", hints=[format_hint("int32be"), format_hint("int64be")])
        return b
    body = head[3:] if head.startswith(BOM) else head
    sample = _sample_lines(body, max_line)
    if not sample:
        first = body.split(b"\n", 1)[0]
        if len(first) > max_line:
            n = len(first)
            more = b"\n" not in body
            while more:     # measure line 1 (bounded memory: blocks are dropped)
                block = inp.read()
                if not block:
                    break
                i = block.find(b"\n")
                n += len(block) if i < 0 else i
                more = i < 0
            raise TraceFormatError(
                f"{name}: line 1 is {format_bytes(n)}{'+' if inp.err else ''}, over the "
                f"{format_bytes(max_line)} line limit, and no other line comes before it in "
                f"the first {format_bytes(len(body))}: nothing to detect the format from",
                reason="line too long", line_number=1,
                hints=[option_hint("format", "...", "FORMAT"),
                       option_hint("max_line_bytes", str(n + 1), str(n + 1))])
        return "clf"    # blank lines only: the parser counts them (and anything after)
    lines = [ln for _, ln in sample]
    # A header-like first line makes it a CSV/TSV, even when its mapping fails
    # (the error then says which column is missing); so does a column mapping
    # over delimited lines.
    if is_header(lines[0], b"\t"):
        return "tsv"
    if any(is_header(lines[0], d) for d in _CSV_DELIMS):
        return "csv"
    delim = _delimited(lines)
    cands = detect_formats(body, max_line_bytes=max_line, tz=tz)
    if columns and delim is not None and (not cands or cands[0] in ("plain", "keys", "csv",
                                                                     "tsv")):
        # a mapping over delimited lines is a headerless CSV/TSV, even where the
        # lines also read as a generic `time key size` trace
        return "tsv" if delim == b"\t" else "csv"
    if cands and cands[0] not in ("csv", "tsv"):
        return cands[0]       # (with a column mapping the caller refuses: fixed columns)
    if columns:
        return "csv"
    why = []
    for fmt in _ORDER:
        ok, reason = _parse_count(fmt, lines, resolve_tz(tz, DEFAULT_TZ.get(fmt, 0)))
        if not ok:
            why.append(f"{fmt}: {reason}")
        elif fmt == "keys" and delim is not None:
            why.append(f"keys: the lines hold {delim.decode()!r}-delimited fields, not one key")
        elif reason:
            why.append(f"{fmt}: {ok} of {len(lines)} lines ({reason} in the others)")
        else:
            why.append(f"{fmt}: {ok} of {len(lines)} lines")
    ln, first = sample[0]
    headerless = cands and cands[0] in ("csv", "tsv")
    raise TraceFormatError(
        f"{name}: unrecognised log format; its first lines (line {ln}: "
        f"{first[:120].decode('utf-8', 'backslashreplace')!r}) do not parse as "
        f"{'; '.join(why)}; " + (
            f"they look like {cands[0].upper()} without a header: map its columns"
            if headerless else "nor as csv/tsv (no header with a key or url column)"),
        reason="unrecognised format", line_number=ln,
        line=first[:200].decode("utf-8", "backslashreplace"),
        hints=[option_hint("columns", "{'time': 0, 'key': 1, ...}", "time=0,key=1,...")]
        if headerless else [option_hint("format", "...", "FORMAT")])


def csv_roles(header: list[str] | None, columns: Mapping[str, str | int] | None,
              ncols: int, name: str) -> list[str]:
    """The role of each CSV column, from ``columns`` or the header's names."""
    if columns is not None and not isinstance(columns, Mapping):
        raise ParamError("columns", f"expected a mapping role -> header name or column index, "
                         f"got {type(columns).__name__}")
    roles = ["ignore"] * ncols
    if columns:
        for role, col in columns.items():
            if role not in ROLE_CODES or role == "ignore":
                raise ParamError("columns", f"unknown role {_short(role, 40)}; expected one of "
                                 f"{', '.join(sorted(set(ROLE_CODES) - {'ignore'}))}")
            if isinstance(col, str):
                if header is None or col not in header:
                    where = (f"the header {_short(header)}" if header is not None else
                             "a file without a header (give column indices)")
                    raise ParamError("columns", f"{role}={col}: no column named "
                                     f"{_short(col, 60)} in {where}")
                idx = header.index(col)
            elif isinstance(col, int) and not isinstance(col, bool) and 0 <= col < ncols:
                idx = col
            else:
                raise ParamError("columns", f"{role}={_short(col, 40)}: expected a header name "
                                 f"or a column index in [0, {ncols}) (the first line has "
                                 f"{ncols} columns)")
            if idx >= 256:
                raise ParamError("columns", f"{role}={col}: at most 256 columns")
            if roles[idx] != "ignore":
                raise ParamError("columns", f"column {col!r} is given two roles: "
                                 f"{roles[idx]} and {role}")
            roles[idx] = role
    else:
        if header is None:
            raise ParamError("columns", "a CSV without a header needs a column mapping "
                             "(role=column index, e.g. time=0,key=1)")
        low = [h.strip().lower() for h in header]
        for role, names in _CSV_NAMES.items():
            for nm in names:
                if nm in low and roles[low.index(nm)] == "ignore":
                    roles[low.index(nm)] = role
                    break
    while len(roles) > 1 and roles[-1] == "ignore":  # unmapped trailing columns: not parsed
        roles.pop()
    if "key" not in roles and "url" not in roles:
        raise TraceFormatError(
            f"{name}: CSV header {_short(header)} has no key or url column",
            reason="no key column",
            hints=[option_hint("columns", "{'key': <name or index>, ...}",
                               "key=<name or index>,...")])
    return roles
