"""Captured traffic -> numpy columns, streamed in bounded memory.

:func:`iter_trace` reads a log file (or ``-`` for stdin) block by block,
carrying the partial last line over, and yields :class:`Trace` chunks of at
most ``chunk_size`` requests; :func:`read_trace` concatenates them for small
files. The text formats are tokenized in C (:mod:`runiso_core._parse`, one
nogil pass per block); compressed input (gzip, bz2, xz, and zstd when the
``zstandard`` package is installed) is recognised by its magic bytes.

Formats (``format=``; auto-detected from the first non-empty lines when None)
----------------------------------------------------------------------------
``"clf"`` (aliases ``"common"``, ``"combined"``, ``"nginx"``, ``"apache"``)
    ``host ident user [10/Oct/2000:13:55:36 -0700] "GET /x HTTP/1.1" status bytes``
    optionally followed by ``"referer" "user-agent"`` and any trailing fields.
    The zone is applied, so ``time_ns`` is UTC.
``"haproxy"``
    ``option httplog`` default format, syslog prefix optional. The accept date
    has no zone and is taken as UTC.
``"plain"``
    ``time key size [ignored...]`` (webcachesim): time in decimal seconds; a
    decimal key in [0, 2**64) is used as-is as the uint64 key, any other key
    is hashed.
``"csv"`` / ``"tsv"``
    A header row plus a column mapping (``columns={"time": "ts", "url": 2}``;
    by default header names such as ``time``, ``key``/``url``, ``size``,
    ``client``, ``session``, ``status``, ``method``, ``site`` are recognised).
    Time is epoch seconds (decimal) or ISO-8601 (zone-less = UTC). Integer keys
    are used as-is, other keys hashed.
``"int32be"`` (alias ``"cache2k"``) / ``"int64be"`` (alias ``"scarab"``)
    Binary streams of big-endian signed integers, one id per request (the
    cache2k ``.trc.bin`` traces; auto-detected by that suffix). The id, as a
    two's-complement int64, is the key; there is no time (``has_time`` False).

Columns and hashes (XXH64, ``runiso_core.hash64``, over the raw logged bytes)
----------------------------------------------------------------------------
``key = hash64(request target)`` (path + query as logged, escapes kept), so
``trace.key[i] == hash64(trace.url[i])``; ``client = hash64(client address)``
(HAProxy: without the port); ``session`` = ``hash64(cookie)`` when the format
carries one (HAProxy captured request cookie, CSV ``session`` column), else
``hash64(user_agent_bytes, seed=client)`` -- the classic client + user-agent
sessionization, with an empty user agent when the format has none.
"""
from __future__ import annotations

import bz2
import gzip
import io
import lzma
import os
import re
import sys
import warnings
import zlib
from dataclasses import dataclass, field
from typing import BinaryIO, Callable, Iterator, Mapping

import numpy as np

from ._parse import ROLE_CODES, ChunkParser
from ._parse import REASONS
from ._trace_types import Method, TraceFormatError

__all__ = ["Trace", "StringColumn", "iter_trace", "read_trace", "parse_bytes", "Method",
           "TraceFormatError", "FORMATS"]

_ALIASES = {
    "clf": "clf", "common": "clf", "combined": "clf", "nginx": "clf", "apache": "clf",
    "haproxy": "haproxy", "plain": "plain", "webcachesim": "plain",
    "csv": "csv", "tsv": "tsv",
    "int32be": "int32be", "cache2k": "int32be", "int64be": "int64be", "scarab": "int64be",
}
#: Accepted ``format=`` names (aliases included).
FORMATS = tuple(sorted(_ALIASES))

_BLOCK = 1 << 22            # bytes read per block
#: Largest chunk_size: each chunk's columns (~51 B/row) are allocated up front, so an
#: absurd chunk_size would ask for terabytes before reading a byte.
MAX_CHUNK_SIZE = 1 << 27
_MAX_LINE = 1 << 23         # longer lines are skipped as malformed ("line too long")
_BOM = b"\xef\xbb\xbf"
_TOO_LONG = REASONS.index("line too long")
_TRUNCATED = REASONS.index("truncated input")

_COLUMN_NAMES = ("time_ns", "key", "size", "status", "method", "client", "session", "site")
_DTYPES = {"time_ns": np.int64, "key": np.uint64, "size": np.int64, "status": np.int16,
           "method": np.uint8, "client": np.uint64, "session": np.uint64, "site": np.uint64}

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


class StringColumn:
    """Strings of one chunk (request targets or user agents) stored as one
    bytes blob plus ``n + 1`` offsets; ``col[i]`` decodes row ``i``.

    Decoding is UTF-8 with ``surrogateescape``, so ``col[i].encode("utf-8",
    "surrogateescape")`` gives back the logged bytes, and for valid UTF-8
    ``hash64(col[i]) == trace.key[i]``.
    """

    __slots__ = ("blob", "offsets")

    def __init__(self, blob: bytes, offsets: np.ndarray) -> None:
        self.blob = blob
        self.offsets = offsets

    def __len__(self) -> int:
        return len(self.offsets) - 1

    def bytes_at(self, i: int) -> bytes:
        """Raw bytes of row ``i``."""
        n = len(self)
        if not -n <= i < n:
            raise IndexError(f"row {i} out of range for {n} rows")
        i %= n
        return self.blob[self.offsets[i]:self.offsets[i + 1]]

    def __getitem__(self, i: int) -> str:
        return self.bytes_at(i).decode("utf-8", "surrogateescape")

    def __iter__(self) -> Iterator[str]:
        b, o = self.blob, self.offsets.tolist()
        for i in range(len(o) - 1):
            yield b[o[i]:o[i + 1]].decode("utf-8", "surrogateescape")

    def to_numpy(self) -> np.ndarray:
        """All rows as a numpy object array of str."""
        out = np.empty(len(self), dtype=object)
        out[:] = list(self)
        return out

    @staticmethod
    def concat(cols: list[StringColumn]) -> StringColumn:
        """Concatenate columns in order."""
        if not cols:
            return StringColumn(b"", np.zeros(1, np.int64))
        offs, base = [np.zeros(1, np.int64)], 0
        for c in cols:
            offs.append(c.offsets[1:] + base)
            base += len(c.blob)
        return StringColumn(b"".join(c.blob for c in cols), np.concatenate(offs))

    def __repr__(self) -> str:
        return f"StringColumn({len(self)} rows, {len(self.blob)} bytes)"


@dataclass(eq=False)
class Trace:
    """A chunk (or the whole) of a parsed trace: one numpy column per field.

    Attributes
    ----------
    time_ns : ndarray[int64]
        Request time, ns since the epoch, UTC (0 when ``has_time`` is False).
    key : ndarray[uint64]
        ``hash64`` of the request target (or the integer id).
    size : ndarray[int64]
        Response bytes (0 for ``-`` or when the format has none).
    status : ndarray[int16]
        HTTP status (0 when absent, -1 for HAProxy aborted requests).
    method : ndarray[uint8]
        :class:`Method` codes.
    client, session, site : ndarray[uint64]
        Hashes, see the module docstring (0 when absent).
    format : str
        Canonical format name (``"clf"``, ``"haproxy"``, ...).
    malformed : int
        Lines skipped as malformed in the span of this chunk.
    malformed_examples : list of (line_number, reason, text)
        The first (at most 10 per file) malformed lines; ``text`` is the
        first 200 characters.
    backwards_time : int
        Rows whose time is before the previous row's (kept in file order).
    blank_lines : int
        Empty lines, ignored.
    has_time : bool
        False for traces without timestamps (binary id streams).
    url, user_agent : StringColumn or None
        Only with ``with_strings=True``.
    """

    time_ns: np.ndarray
    key: np.ndarray
    size: np.ndarray
    status: np.ndarray
    method: np.ndarray
    client: np.ndarray
    session: np.ndarray
    site: np.ndarray
    format: str = "clf"
    malformed: int = 0
    malformed_examples: list = field(default_factory=list)
    backwards_time: int = 0
    blank_lines: int = 0
    has_time: bool = True
    url: StringColumn | None = None
    user_agent: StringColumn | None = None

    def __len__(self) -> int:
        return len(self.key)

    @classmethod
    def empty(cls, format: str = "empty", *, with_strings: bool | str = False) -> Trace:
        """A trace with no rows."""
        cols = {n: np.empty(0, _DTYPES[n]) for n in _COLUMN_NAMES}
        t = cls(**cols, format=format)
        if with_strings:
            t.url = StringColumn.concat([])
        if with_strings is True:
            t.user_agent = StringColumn.concat([])
        return t

    @classmethod
    def concat(cls, chunks: list[Trace], *, format: str | None = None) -> Trace:
        """Concatenate chunks in order (counters summed, first 10 examples kept)."""
        if not chunks:
            return cls.empty(format or "empty")
        cols = {n: np.concatenate([getattr(c, n) for c in chunks]) for n in _COLUMN_NAMES}
        ex = [e for c in chunks for e in c.malformed_examples][:10]
        t = cls(**cols, format=format or chunks[0].format,
                malformed=sum(c.malformed for c in chunks), malformed_examples=ex,
                backwards_time=sum(c.backwards_time for c in chunks),
                blank_lines=sum(c.blank_lines for c in chunks),
                has_time=all(c.has_time for c in chunks))
        if all(c.url is not None for c in chunks):
            t.url = StringColumn.concat([c.url for c in chunks])
        if all(c.user_agent is not None for c in chunks):
            t.user_agent = StringColumn.concat([c.user_agent for c in chunks])
        return t

    def __repr__(self) -> str:
        return (f"Trace({len(self)} requests, format={self.format!r}, "
                f"malformed={self.malformed}, backwards_time={self.backwards_time})")


# ---------------------------------------------------------------- input

def _open_input(path) -> tuple[BinaryIO, BinaryIO, int | None, str]:
    """Return (decompressed stream, raw stream, raw size or None, display name)."""
    if hasattr(path, "read"):
        if isinstance(path, io.TextIOBase):   # its read() gives str: the parsers need bytes
            raise TypeError(f"path: expected a binary file object (open(..., 'rb')), got a text "
                            f"stream {type(path).__name__}")
        raw = path if hasattr(path, "peek") else io.BufferedReader(path)  # type: ignore[arg-type]
        name = getattr(path, "name", "<stream>")
        size = None
    elif path == "-" or path == b"-":
        raw = sys.stdin.buffer
        name, size = "<stdin>", None
    else:
        name = os.fspath(path)
        if isinstance(name, bytes):
            name = os.fsdecode(name)
        if os.path.isdir(name):
            raise IsADirectoryError(f"path: {name!r} is a directory, expected a trace file")
        raw = open(name, "rb")
        size = os.fstat(raw.fileno()).st_size
    magic = raw.peek(6)[:6] if hasattr(raw, "peek") else b""
    if magic[:2] == b"\x1f\x8b":
        stream: BinaryIO = gzip.GzipFile(fileobj=raw, mode="rb")  # type: ignore[assignment]
    elif magic[:3] == b"BZh":
        stream = bz2.BZ2File(raw)  # type: ignore[assignment]
    elif magic[:6] == b"\xfd7zXZ\x00":
        stream = lzma.LZMAFile(raw)  # type: ignore[assignment]
    elif magic[:4] == b"\x28\xb5\x2f\xfd":
        try:
            import zstandard
        except ImportError:
            raise TraceFormatError(
                f"{name}: zstd-compressed input needs the 'zstandard' package "
                f"(pip install zstandard), or decompress it first", reason="zstd") from None
        stream = zstandard.ZstdDecompressor().stream_reader(raw, read_across_frames=True)
    else:
        stream = raw
    return stream, raw, size, name


_DECOMPRESS_ERRORS = (EOFError, OSError, lzma.LZMAError, zlib.error)


def _read(stream: BinaryIO, n: int) -> tuple[bytes, Exception | None]:
    """Read up to n bytes; a corrupt or truncated compressed stream ends the
    input (the error is returned, the bytes decoded before it are kept)."""
    if not isinstance(stream, (gzip.GzipFile, bz2.BZ2File, lzma.LZMAFile)) \
            and not hasattr(stream, "read_across_frames"):
        if not hasattr(stream, "read1") or isinstance(stream, io.BufferedReader):
            try:
                return stream.read(n), None
            except _DECOMPRESS_ERRORS as e:
                return b"", e
    # Decompressors: read1 steps, so that the data decoded before a truncation
    # or corruption error is not lost with it (read(n) would drop it).
    parts, got = [], 0
    try:
        while got < n:
            b = stream.read1(n - got)
            if not b:
                break
            parts.append(b)
            got += len(b)
    except _DECOMPRESS_ERRORS as e:
        return b"".join(parts), e
    return b"".join(parts), None


def _looks_binary(head: bytes) -> bool:
    sample = head[:4096]
    if not sample:
        return False
    if b"\x00" in sample:
        return True
    text = sum(1 for b in sample if b >= 32 or b in (9, 10, 13))
    return text < 0.9 * len(sample)


def _sample_lines(head: bytes, n: int = 20) -> list[bytes]:
    out = []
    for ln in head.split(b"\n")[:-1] if b"\n" in head else [head]:
        if ln.strip():
            out.append(ln.rstrip(b"\r"))
            if len(out) >= n:
                break
    return out


def _is_header(line: bytes, delim: bytes) -> bool:
    fields = line.split(delim)
    return len(fields) >= 2 and all(_HEADER_FIELD.match(f.strip()) for f in fields)


def _detect(head: bytes, name: str) -> str:
    """Guess the format from the first bytes of the (decompressed) input."""
    if name.endswith(".trc.bin"):
        return "int32be"
    if _looks_binary(head):
        raise TraceFormatError(
            f"{name}: looks like a binary file, not a text log; for integer id traces pass "
            f"format='int32be' (cache2k .trc.bin) or format='int64be'",
            reason="binary input")
    lines = _sample_lines(head)
    if not lines:
        raise TraceFormatError(f"{name}: no non-empty line to detect the format from",
                               reason="empty input")
    if _is_header(lines[0], b"\t"):
        return "tsv"
    if _is_header(lines[0], b","):
        return "csv"
    sample = b"\n".join(lines) + b"\n"
    best, best_ok = None, 0
    for fmt in ("clf", "haproxy", "plain"):
        p = ChunkParser(fmt, len(lines) + 1)
        p.feed(sample, 0, True)
        if p.n > best_ok:
            best, best_ok = fmt, p.n
    if best is None or best_ok * 2 < len(lines):
        raise TraceFormatError(
            f"{name}: unrecognised log format (tried clf, haproxy, plain, csv); first line: "
            f"{lines[0][:200].decode('utf-8', 'backslashreplace')!r}; pass format=...",
            reason="unrecognised format")
    return best


def _csv_roles(header: list[str] | None, columns: Mapping[str, str | int] | None,
               ncols: int, name: str) -> list[str]:
    roles = ["ignore"] * ncols
    if columns:
        for role, col in columns.items():
            if role not in ROLE_CODES or role == "ignore":
                raise ValueError(f"columns: unknown role {role!r}; expected one of "
                                 f"{sorted(set(ROLE_CODES) - {'ignore'})}")
            if isinstance(col, str):
                if header is None or col not in header:
                    raise ValueError(f"columns[{role!r}]: no column named {col!r} in the "
                                     f"header {header!r}")
                idx = header.index(col)
            elif isinstance(col, int) and not isinstance(col, bool) and 0 <= col < ncols:
                idx = col
            else:
                raise ValueError(f"columns[{role!r}]: expected a header name or an index in "
                                 f"[0, {ncols}), got {col!r}")
            if idx >= len(roles):
                roles += ["ignore"] * (idx + 1 - len(roles))
            roles[idx] = role
    else:
        if header is None:
            raise ValueError("columns: a CSV without a header needs a column mapping")
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
            f"{name}: CSV header {header!r} has no key or url column; pass "
            f"columns={{'key': <name or index>, ...}}", reason="no key column")
    return roles


def iter_trace(path, *, format: str | None = None, chunk_size: int = 1_000_000,
               strict: bool = False, with_strings: bool | str = False,
               columns: Mapping[str, str | int] | None = None,
               csv_header: bool = True, max_line_bytes: int = _MAX_LINE,
               progress: Callable[[int, int | None], None] | None = None,
               ) -> Iterator[Trace]:
    """Stream a trace file as :class:`Trace` chunks of at most ``chunk_size`` rows.

    Parameters
    ----------
    path : str, os.PathLike, binary file object, or "-"
        The trace; ``-`` reads standard input. gzip/bz2/xz/zstd are
        decompressed transparently (recognised by magic bytes).
    format : str, optional
        One of :data:`FORMATS`; auto-detected from the first lines when None.
    chunk_size : int, optional
        Rows per chunk (memory is bounded by it, whatever the file size).
    strict : bool, optional
        Raise :class:`TraceFormatError` (with ``line_number``) at the first
        malformed line instead of skipping and counting it.
    with_strings : bool or "url", optional
        Also keep request targets and user agents (``Trace.url``,
        ``Trace.user_agent``); ``"url"`` keeps the request targets only.
    columns : mapping, optional
        CSV/TSV: role -> header name or column index (roles: time, key, url,
        size, client, session, status, method, site).
    csv_header : bool, optional
        CSV/TSV: whether the first line is a header (default True).
    max_line_bytes : int, optional
        Longer lines are skipped and counted as malformed ("line too long").
    progress : callable, optional
        Called as ``progress(raw_bytes_read, raw_size_or_None)`` after each block.

    Yields
    ------
    Trace
        Chunks in file order. Empty input yields nothing.

    Raises
    ------
    TraceFormatError
        Unrecognised or binary input, or (strict) a malformed line / a
        truncated compressed stream.
    """
    if isinstance(chunk_size, bool) or not isinstance(chunk_size, int) \
            or not 0 < chunk_size <= MAX_CHUNK_SIZE:
        raise ValueError(f"chunk_size must be an int in [1, {MAX_CHUNK_SIZE}], got {chunk_size!r}")
    if isinstance(max_line_bytes, bool) or not isinstance(max_line_bytes, int) \
            or max_line_bytes < 1024:
        raise ValueError(f"max_line_bytes must be an int >= 1024, got {max_line_bytes!r}")
    fmt = None
    if format is not None:
        if not isinstance(format, str) or format.lower() not in _ALIASES:
            raise ValueError(f"format must be one of {list(FORMATS)} or None, got {format!r}")
        fmt = _ALIASES[format.lower()]
    stream, raw, raw_size, name = _open_input(path)
    try:
        head, err = _read(stream, _BLOCK)
        if not head and err is None:
            return
        if fmt is None:
            if not head:
                raise TraceFormatError(f"{name}: unreadable compressed input: {err}",
                                       reason="truncated input")
            fmt = _detect(head[3:] if head.startswith(_BOM) else head, name)
        if fmt in ("int32be", "int64be"):
            yield from _iter_binary(stream, raw, raw_size, head, err, fmt, chunk_size, strict,
                                    progress, name)
            return
        if head.startswith(_BOM):  # UTF-8 byte order mark (CSV exports)
            head = head[3:]
        yield from _iter_text(stream, raw, raw_size, head, err, fmt, chunk_size, strict,
                              with_strings, columns, csv_header, max_line_bytes, progress, name)
    finally:
        if stream is not raw:
            stream.close()
        if raw is not sys.stdin.buffer and not hasattr(path, "read"):
            raw.close()


def _tell(raw) -> int:
    try:
        return raw.tell()
    except (OSError, ValueError, AttributeError):
        return 0


def _chunk(parser: ChunkParser, fmt: str, counters: list[int]) -> Trace:
    cols = parser.take()
    mal, back, blank = parser.malformed, parser.backwards, parser.blank
    t = Trace(**{n: cols[n] for n in _COLUMN_NAMES}, format=fmt,
              malformed=mal - counters[0], malformed_examples=parser.take_examples(),
              backwards_time=back - counters[1], blank_lines=blank - counters[2])
    counters[:] = [mal, back, blank]
    if "url" in cols:
        t.url = StringColumn(*cols["url"])
    if "ua" in cols:
        t.user_agent = StringColumn(*cols["ua"])
    return t


def _iter_text(stream, raw, raw_size, buf, err, fmt, chunk_size, strict, with_strings,
               columns, csv_header, max_line_bytes, progress, name) -> Iterator[Trace]:
    pos, first_line, roles, delim = 0, 0, None, ","
    pfmt = fmt
    if fmt in ("csv", "tsv"):
        pfmt, delim = "csv", ("\t" if fmt == "tsv" else ",")
        header = None
        # The header is the first non-empty line (it must fit in the first block).
        while pos < len(buf) and buf[pos:pos + 1] in (b"\n", b"\r"):
            first_line += buf[pos:pos + 1] == b"\n"
            pos += 1
        nl = buf.find(b"\n", pos)
        first = buf[pos:nl if nl >= 0 else len(buf)].rstrip(b"\r")
        ncols = len(first.split(delim.encode()))
        if csv_header:
            header = [f.strip().strip('"') for f in
                      first.decode("utf-8", "replace").split(delim)]
            pos = nl + 1 if nl >= 0 else len(buf)
            first_line += 1
        roles = _csv_roles(header, columns, ncols, name)
    parser = ChunkParser(pfmt, chunk_size, with_strings=with_strings, strict=strict,
                         roles=roles, delimiter=delim, first_line=first_line,
                         max_line_bytes=max_line_bytes)
    counters = [0, 0, 0]
    eof = err is not None
    yielded = False
    while True:
        while True:
            # After a decompression error the last partial line stays unparsed:
            # it is reported as the truncated line below.
            pos = parser.feed(buf, pos, eof and err is None)
            if parser.full:
                yield _chunk(parser, fmt, counters)
                yielded = True
                continue
            break
        if eof:
            break
        if len(buf) - pos > max_line_bytes:
            # No newline in the rest (the parser took every complete line):
            # skip the overlong line without buffering it.
            parser.note_malformed(_TOO_LONG, buf[pos:pos + 200])
            buf, pos = b"", 0
            while True:
                block, err = _read(stream, _BLOCK)
                i = block.find(b"\n")
                if i >= 0:
                    buf = block[i + 1:]
                if not block or err is not None:
                    eof = True
                if i >= 0 or eof:
                    break
            if progress is not None:
                progress(_tell(raw), raw_size)
            continue
        block, err = _read(stream, _BLOCK)
        if progress is not None:
            progress(_tell(raw), raw_size)
        if not block or err is not None:
            eof = True
        buf, pos = buf[pos:] + block, 0
    if err is not None:
        _truncated(parser.note_malformed, err, name, strict, buf[pos:pos + 200])
    if parser.n or not yielded or parser.malformed != counters[0]:
        yield _chunk(parser, fmt, counters)


def _truncated(note, err, name, strict, partial: bytes) -> None:
    msg = f"{name}: compressed input ended early or is corrupt ({type(err).__name__}: {err})"
    if strict:
        raise TraceFormatError(msg, reason="truncated input") from err
    warnings.warn(msg + "; the lines read before it were kept", RuntimeWarning, stacklevel=4)
    note(_TRUNCATED, partial)


def _iter_binary(stream, raw, raw_size, buf, err, fmt, chunk_size, strict, progress,
                 name) -> Iterator[Trace]:
    width = 4 if fmt == "int32be" else 8
    dt = np.dtype(">i4" if width == 4 else ">i8")
    pending: list[np.ndarray] = []
    npend = 0
    eof = err is not None
    malformed, examples = 0, []

    def emit(ids: np.ndarray, mal: int = 0, ex=()) -> Trace:
        n = len(ids)
        z = np.zeros(n, np.uint64)
        return Trace(time_ns=np.zeros(n, np.int64), key=ids.astype(np.int64).view(np.uint64),
                     size=np.zeros(n, np.int64), status=np.zeros(n, np.int16),
                     method=np.full(n, int(Method.NONE), np.uint8), client=z,
                     session=z.copy(), site=z.copy(), format=fmt, malformed=mal,
                     malformed_examples=list(ex), has_time=False)

    yielded = False
    nrec = 0  # records read so far (a record is a "line" of a binary trace)
    while True:
        n = len(buf) // width
        if n:
            pending.append(np.frombuffer(buf, dt, n))
            npend += n
            nrec += n
            buf = buf[n * width:]
        while npend >= chunk_size:
            allids = np.concatenate(pending)
            yield emit(allids[:chunk_size])
            yielded = True
            pending, npend = [allids[chunk_size:]], npend - chunk_size
        if eof:
            break
        block, err = _read(stream, _BLOCK)
        if progress is not None:
            progress(_tell(raw), raw_size)
        if not block or err is not None:
            eof = True
        buf = buf + block
    if buf:
        reason = f"truncated record: {len(buf)} trailing bytes (records are {width} bytes)"
        if strict:
            raise TraceFormatError(f"{name}: {reason}", reason="truncated input",
                                   line_number=None)
        malformed += 1
        examples.append((nrec + 1, "truncated input", buf.hex()))
    if err is not None:
        msg = f"{name}: compressed input ended early or is corrupt ({type(err).__name__}: {err})"
        if strict:
            raise TraceFormatError(msg, reason="truncated input") from err
        warnings.warn(msg, RuntimeWarning, stacklevel=3)
        malformed += 1
        examples.append((None, "truncated input", str(err)[:200]))
    if npend or malformed or not yielded:
        ids = np.concatenate(pending) if pending else np.empty(0, dt)
        yield emit(ids, malformed, examples[:10])


def read_trace(path, *, format: str | None = None, strict: bool = False,
               with_strings: bool | str = False, columns: Mapping[str, str | int] | None = None,
               csv_header: bool = True, max_line_bytes: int = _MAX_LINE) -> Trace:
    """Read a whole trace into one :class:`Trace` (for files that fit in memory).

    Same parameters as :func:`iter_trace`. Empty input gives an empty trace
    whose ``format`` is the requested one or ``"empty"``.
    """
    chunks = list(iter_trace(path, format=format, strict=strict, with_strings=with_strings,
                             columns=columns, csv_header=csv_header,
                             max_line_bytes=max_line_bytes))
    if not chunks:
        t = Trace.empty(_ALIASES.get((format or "").lower(), "empty"), with_strings=with_strings)
        return t
    return Trace.concat(chunks)


def parse_bytes(data: bytes, *, format: str | None = None, strict: bool = False,
                with_strings: bool | str = False, columns: Mapping[str, str | int] | None = None,
                csv_header: bool = True) -> Trace:
    """Parse an in-memory log (same rules as :func:`read_trace`)."""
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise TypeError(f"data must be bytes, got {type(data).__name__}")
    return read_trace(io.BufferedReader(io.BytesIO(bytes(data))), format=format, strict=strict,
                      with_strings=with_strings, columns=columns, csv_header=csv_header)
