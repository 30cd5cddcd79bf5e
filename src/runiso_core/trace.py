"""Captured traffic -> numpy columns, streamed in bounded memory.

:func:`iter_trace` reads a log file (or ``-`` for stdin) block by block,
carrying the partial last line over, and yields :class:`Trace` chunks of at
most ``chunk_size`` requests; :func:`read_trace` concatenates them for small
files. The text formats are tokenized in C (:mod:`runiso_core._parse`, one
nogil pass per block); compressed input (gzip, bz2, xz, and zstd when the
``zstandard`` package is installed) is recognised by its magic bytes.

Formats (``format=``; auto-detected from the first bytes when None)
-------------------------------------------------------------------
``"clf"`` (aliases ``"common"``, ``"combined"``, ``"nginx"``, ``"apache"``)
    ``host ident user [10/Oct/2000:13:55:36 -0700] "GET /x HTTP/1.1" status bytes``
    optionally followed by ``"referer" "user-agent"`` and any trailing fields.
    The zone is applied, so ``time_ns`` is UTC.
``"haproxy"``
    ``option httplog`` default format, syslog prefix optional. The accept date
    has no zone: it is in ``tz`` (default UTC).
``"plain"`` (alias ``"webcachesim"``)
    ``time key size [ignored...]``: time in decimal seconds; a decimal key in
    [0, 2**64) is used as-is as the uint64 key, any other key is hashed.
``"keys"`` (alias ``"txt"``)
    ``key [size]``, one request per line (libCacheSim's txt traces); keys as
    in ``plain``; no time.
``"csv"`` / ``"tsv"``
    A header row plus a column mapping (``columns={"time": "ts", "url": 2}``;
    by default header names such as ``time``, ``key``/``url``, ``size``,
    ``client``, ``session``, ``status``, ``method``, ``site`` are recognised).
    Time is epoch seconds (decimal) or ISO-8601 (zone-less: in ``tz``, default
    UTC). Integer keys are used as-is, other keys hashed.
``"tencent"``
    SNIA IOTTA Tencent Photo CDN: ``YYYYMMDDhhmmss photo_id format spec size
    ...``; the key is one stored rendition, ``hash64("photo_id/format/spec")``;
    times are China time unless ``tz`` says otherwise.
``"int32be"`` (alias ``"cache2k"``) / ``"int64be"`` (alias ``"scarab"``)
    Binary streams of big-endian signed integers, one id per request (the
    cache2k ``.trc.bin`` and Scarab traces). The id, as a two's-complement
    int64, is the key; there is no time. Detected by the ``.trc.bin`` suffix,
    else by the byte statistics of the first 4 MiB (8-byte records repeat as
    often as their 4-byte halves; 4-byte records do not pair up).
``"npy"``
    A NumPy ``.npy`` file of a 1-D integer array of keys (signed ids are
    taken as two's-complement uint64).

Columns and hashes (XXH64, ``runiso_core.hash64``, over the raw logged bytes)
----------------------------------------------------------------------------
``key = hash64(request target)`` (path + query as logged, escapes kept), so
``trace.key[i] == hash64(trace.url[i])``; ``client = hash64(client address)``
(HAProxy: without the port); ``session`` = ``hash64(cookie)`` when the format
carries one (HAProxy captured request cookie, CSV ``session`` column), else
``hash64(user_agent_bytes, seed=client)`` -- the classic client + user-agent
sessionization, with an empty user agent when the format has none.
``Trace.columns`` names the columns the format carries; the others are zeros.

Input contract (every reader and command follows it)
----------------------------------------------------
* A compressed stream that ends early or is corrupt raises
  :class:`TruncatedInputError` naming the file, the decoded bytes and the
  line where it broke; ``allow_truncated=True`` keeps the rows before it
  (``Trace.truncated`` holds the message). A binary trace whose size is not a
  whole number of records is truncated the same way.
* A non-empty input of which no line parses raises :class:`TraceFormatError`
  (``reason="nothing parsed"``) with the first reasons and the formats that
  would parse it. Empty input yields nothing (no error).
* A text log given a binary format (``format="int64be"``) is refused.
* Detection failures name why (the line limit, each format's reason).

Opening and decompression live in :mod:`runiso_core._trace_io`, format
detection in :mod:`runiso_core._trace_detect`; this module reads.
"""
from __future__ import annotations

import io
import tokenize
from dataclasses import dataclass, field
from typing import Callable, Iterator, Mapping

import numpy as np

from ._parse import REASONS, ChunkParser
from ._trace_detect import (BOM, DEFAULT_TZ, MAX_LINE_BYTES, NPY_MAGIC, binary_width,
                            csv_delimiter, csv_roles, detect, detect_formats, is_header,
                            looks_binary)
from ._trace_io import Input
from ._trace_types import (Method, ParamError, TraceFormatError, TruncatedInputError,
                           format_hint, option_hint)
from ._tz import TzSpecError, resolve_tz

__all__ = ["Trace", "StringColumn", "iter_trace", "read_trace", "parse_bytes", "Method",
           "TraceFormatError", "TruncatedInputError", "ParamError", "FORMATS",
           "MAX_LINE_BYTES", "detect_formats"]

_ALIASES = {
    "clf": "clf", "common": "clf", "combined": "clf", "nginx": "clf", "apache": "clf",
    "haproxy": "haproxy", "plain": "plain", "webcachesim": "plain",
    "keys": "keys", "txt": "keys",
    "csv": "csv", "tsv": "tsv", "tencent": "tencent",
    "int32be": "int32be", "cache2k": "int32be", "int64be": "int64be", "scarab": "int64be",
    "npy": "npy",
}
#: Accepted ``format=`` names (aliases included).
FORMATS = tuple(sorted(_ALIASES))
_BINARY = ("int32be", "int64be", "npy")

#: Largest chunk_size: each chunk's columns (~51 B/row) are allocated up front, so an
#: absurd chunk_size would ask for terabytes before reading a byte.
MAX_CHUNK_SIZE = 1 << 27
_TOO_LONG = REASONS.index("line too long")
_TRUNCATED = REASONS.index("truncated input")

_COLUMN_NAMES = ("time_ns", "key", "size", "status", "method", "client", "session", "site")
_DTYPES = {"time_ns": np.int64, "key": np.uint64, "size": np.int64, "status": np.int16,
           "method": np.uint8, "client": np.uint64, "session": np.uint64, "site": np.uint64}
_HTTP = ("time_ns", "key", "size", "status", "method", "client", "session")
# Columns each format carries (CSV: from its mapping; keys: size when lines have one).
_PRESENT = {"clf": _HTTP, "haproxy": _HTTP, "plain": ("time_ns", "key", "size"),
            "tencent": ("time_ns", "key", "size"), "keys": ("key",),
            "int32be": ("key",), "int64be": ("key",), "npy": ("key",)}
_ROLE_COLUMN = {"time": "time_ns", "key": "key", "url": "key", "size": "size",
                "client": "client", "session": "session", "status": "status",
                "method": "method", "site": "site"}

class StringColumn:
    """Strings of one chunk (request targets or user agents) stored as one
    bytes blob plus ``n + 1`` offsets; ``col[i]`` decodes row ``i``, and
    ``col[a:b]``, ``col[index_array]`` or ``col[bool_mask]`` give a new
    :class:`StringColumn` of those rows.

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
        i = int(i)
        if not -n <= i < n:
            raise IndexError(f"row {i} out of range for {n} rows")
        i %= n
        return self.blob[self.offsets[i]:self.offsets[i + 1]]

    def __getitem__(self, i):
        if isinstance(i, slice):
            start, stop, step = i.indices(len(self))
            if step == 1:
                stop = max(start, stop)
                o = self.offsets[start:stop + 1]
                return StringColumn(self.blob[int(o[0]):int(o[-1])], o - o[0])
            return self._take(np.arange(start, stop, step, dtype=np.int64))
        if isinstance(i, (int, np.integer)) and not isinstance(i, bool):
            return self.bytes_at(i).decode("utf-8", "surrogateescape")
        idx = np.asarray(i)
        if idx.dtype == np.bool_:
            if idx.shape != (len(self),):
                raise IndexError(f"boolean index of shape {idx.shape} for {len(self)} rows")
            return self._take(np.flatnonzero(idx))
        if idx.dtype.kind not in "iu" or idx.ndim != 1:
            raise TypeError(f"StringColumn indices must be an int, a slice, or a 1-D integer or "
                            f"boolean array, got {type(i).__name__}")
        if idx.dtype.kind == "u" and idx.size and idx.max() >= len(self):
            raise IndexError(f"index {idx.max()} out of range for {len(self)} rows")
        return self._take(idx.astype(np.int64))

    def _take(self, idx: np.ndarray) -> StringColumn:
        n = len(self)
        if idx.size and (idx.min() < -n or idx.max() >= n):
            raise IndexError(f"index out of range for {n} rows")
        idx = np.where(idx < 0, idx + n, idx)
        starts = self.offsets[idx]
        lens = self.offsets[idx + 1] - starts
        out = np.zeros(len(idx) + 1, np.int64)
        np.cumsum(lens, out=out[1:])
        src = np.frombuffer(self.blob, np.uint8)
        # byte j of the result comes from starts[row] + (j - out[row])
        pos = np.repeat(starts - out[:-1], lens) + np.arange(out[-1], dtype=np.int64)
        return StringColumn(src[pos].tobytes(), out)

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
    columns : tuple of str
        The columns this trace carries (others are zeros and mean nothing):
        e.g. ``("key",)`` for a binary id stream.
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
        Whether ``time_ns`` is in ``columns``.
    truncated : str or None
        With ``allow_truncated=True``, on the last chunk of a truncated input:
        what broke and where.
    warnings : list of str
        On the first chunk: doubts about the input that did not stop it (a
        binary width forced against what the bytes show).
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
    columns: tuple = _COLUMN_NAMES
    truncated: str | None = None
    warnings: list = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.key)

    @classmethod
    def empty(cls, format: str = "empty", *, with_strings: bool | str = False) -> Trace:
        """A trace with no rows."""
        cols = {n: np.empty(0, _DTYPES[n]) for n in _COLUMN_NAMES}
        present = _PRESENT.get(format, _COLUMN_NAMES)
        t = cls(**cols, format=format, columns=present, has_time="time_ns" in present)
        if with_strings:
            t.url = StringColumn.concat([])
        if with_strings is True:
            t.user_agent = StringColumn.concat([])
        return t

    @classmethod
    def concat(cls, chunks: list[Trace], *, format: str | None = None) -> Trace:
        """Concatenate chunks in order (counters summed, first 10 examples kept,
        ``columns`` the union)."""
        if not chunks:
            return cls.empty(format or "empty")
        cols = {n: np.concatenate([getattr(c, n) for c in chunks]) for n in _COLUMN_NAMES}
        ex = [e for c in chunks for e in c.malformed_examples][:10]
        present = tuple(n for n in _COLUMN_NAMES if any(n in c.columns for c in chunks))
        t = cls(**cols, format=format or chunks[0].format,
                malformed=sum(c.malformed for c in chunks), malformed_examples=ex,
                backwards_time=sum(c.backwards_time for c in chunks),
                blank_lines=sum(c.blank_lines for c in chunks),
                has_time=all(c.has_time for c in chunks), columns=present,
                truncated=next((c.truncated for c in chunks if c.truncated), None),
                warnings=[w for c in chunks for w in c.warnings])
        if all(c.url is not None for c in chunks):
            t.url = StringColumn.concat([c.url for c in chunks])
        if all(c.user_agent is not None for c in chunks):
            t.user_agent = StringColumn.concat([c.user_agent for c in chunks])
        return t

    def __repr__(self) -> str:
        return (f"Trace({len(self)} requests, format={self.format!r}, "
                f"malformed={self.malformed}, backwards_time={self.backwards_time})")


# -------------------------------------------------------------- reading

@dataclass
class _Opts:
    chunk_size: int
    strict: bool
    with_strings: bool | str
    columns: Mapping[str, str | int] | None
    csv_header: bool | None
    max_line: int
    tz: object
    allow_truncated: bool


def _check_int(name: str, v, lo: int, hi: int | None = None) -> int:
    if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < lo \
            or (hi is not None and v > hi):
        rng = f"[{lo}, {hi}]" if hi is not None else f">= {lo}"
        raise ParamError(name, f"must be an int {rng}, got {v!r}")
    return int(v)


def iter_trace(path, *, format: str | None = None, chunk_size: int = 1_000_000,
               strict: bool = False, with_strings: bool | str = False,
               columns: Mapping[str, str | int] | None = None,
               csv_header: bool | None = None, max_line_bytes: int = MAX_LINE_BYTES,
               tz: str | int | None = None, allow_truncated: bool = False,
               progress: Callable[[int, int | None], None] | None = None,
               ) -> Iterator[Trace]:
    """Stream a trace file as :class:`Trace` chunks of at most ``chunk_size`` rows.

    Parameters
    ----------
    path : str, os.PathLike, binary file object, or "-"
        The trace; ``-`` reads standard input. gzip/bz2/xz/zstd are
        decompressed transparently (recognised by magic bytes).
    format : str, optional
        One of :data:`FORMATS`; auto-detected from the first bytes when None.
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
        size, client, session, status, method, site). Given without
        ``format``, the input is read as CSV/TSV; with another format it is an
        error (their columns are fixed).
    csv_header : bool, optional
        CSV/TSV: whether the first line is a header; default: when it looks
        like one (identifier-like fields), so headerless data with an index
        mapping keeps its first row.
    max_line_bytes : int, optional
        Longer lines are skipped and counted as malformed ("line too long");
        default :data:`MAX_LINE_BYTES` (1 MiB).
    tz : str or int, optional
        Zone of timestamps that carry none: ``"UTC"``, ``"+08:00"``, an IANA
        name (``"Europe/Paris"``, DST included) or seconds east of UTC.
        Default: ``+08:00`` (China time) for ``tencent``, UTC otherwise.
        Timestamps with a zone (CLF, ISO-8601 with an offset) keep theirs.
    allow_truncated : bool, optional
        Keep the rows read before a truncated or corrupt compressed stream
        (the last chunk's ``truncated`` says where it broke) instead of
        raising :class:`TruncatedInputError`.
    progress : callable, optional
        Called as ``progress(raw_bytes_read, raw_size_or_None)`` after each block.

    Yields
    ------
    Trace
        Chunks in file order. Empty input yields nothing.

    Raises
    ------
    TraceFormatError
        Unrecognised input, nothing parsed, a text log given a binary format,
        or (strict) a malformed line.
    TruncatedInputError
        The input ends early or is corrupt (unless ``allow_truncated``).
    ParamError
        A bad parameter value (``columns``, ``tz``, ``chunk_size``...).
    """
    chunk_size = _check_int("chunk_size", chunk_size, 1, MAX_CHUNK_SIZE)
    max_line_bytes = _check_int("max_line_bytes", max_line_bytes, 1024, 1 << 30)
    fmt = None
    if format is not None:
        if not isinstance(format, str) or format.lower() not in _ALIASES:
            raise ParamError("format", f"must be one of {', '.join(FORMATS)} or None, "
                                  f"got {format!r}")
        fmt = _ALIASES[format.lower()]
    try:
        resolve_tz(tz)
    except TzSpecError as e:
        raise ParamError("tz", str(e)) from None
    if columns is not None and not isinstance(columns, Mapping):
        raise ParamError("columns", f"expected a mapping role -> header name or column index, "
                         f"got {type(columns).__name__}")
    if columns and fmt is not None and fmt not in ("csv", "tsv"):
        raise ParamError("columns", f"only CSV/TSV input has a column mapping; {fmt} has fixed "
                         f"columns (drop --columns, or say --format csv)")
    if with_strings not in (False, True, "url"):
        raise ParamError("with_strings", f"must be False, True or 'url', got {with_strings!r}")
    opts = _Opts(chunk_size, bool(strict), with_strings, columns,
                 None if csv_header is None else bool(csv_header), max_line_bytes, tz,
                 bool(allow_truncated))
    inp = Input(path, progress)
    try:
        head = inp.read()
        if head == BOM:                 # a BOM alone is no content: look further
            head = inp.read()
        if not head:
            if inp.err is None:
                return
            # nothing decodable at all: an error even with allow_truncated (there is no
            # partial result to keep)
            inp.truncated(1, False, suffix="; nothing could be read before it")
        if fmt not in _BINARY and b"\n" not in head[:1 << 20] and b"\r" in head[:1 << 20] \
                and not head.startswith(NPY_MAGIC) and not looks_binary(head):
            inp.cr_only = True      # old Mac line ends: a \r alone ends a line
            head = head.replace(b"\r", b"\n")
        if fmt is None:
            try:
                fmt = detect(inp, head, max_line_bytes, tz, columns)
            except TraceFormatError:
                if inp.err is not None:     # a cut stream, not an unknown format
                    inp.truncated(None, False, suffix="; too little was read to tell its format")
                raise
            if columns and fmt not in ("csv", "tsv"):
                raise ParamError("columns", f"{inp.name} is {fmt}, which has fixed columns: "
                                 f"a column mapping is for CSV/TSV input")
        elif fmt == "npy" and not head.startswith(NPY_MAGIC):
            raise TraceFormatError(f"{inp.name}: not a .npy file (no \\x93NUMPY magic bytes)",
                                   reason="not npy", hints=_other_formats(head, opts, "npy"))
        elif fmt in ("int32be", "int64be") and not looks_binary(head):
            raise TraceFormatError(
                f"{inp.name}: looks like text (printable, lines), not a stream of "
                f"{4 if fmt == 'int32be' else 8}-byte binary ids as {fmt} reads",
                reason="text input", hints=_other_formats(head, opts, fmt))
        warns = []
        if fmt in ("int32be", "int64be"):
            seen = binary_width(head, inp.raw_size if inp.codec is None else None)
            if seen not in (None, fmt):
                # the user may know better (duplicated ids look paired), so not an error
                warns.append(f"{inp.name}: read as {fmt} as asked, but its bytes look like "
                             f"{'8' if seen == 'int64be' else '4'}-byte ids ({seen}); "
                             f"is --format {fmt} right?")

        if fmt == "npy":
            chunks = _iter_npy(inp, head, opts)
        elif fmt in _BINARY:
            chunks = _iter_binary(inp, head, fmt, opts)
        else:
            chunks = _iter_text(inp, head[3:] if head.startswith(BOM) else head, fmt, opts)
        for ch in chunks:
            if warns:
                ch.warnings, warns = warns, []
            yield ch
    finally:
        inp.close()


def _format_hints(head: bytes, opts: _Opts, not_this: str) -> list:
    """Hints for the formats other than ``not_this`` that parse ``head``."""
    return [format_hint(f) for f in detect_formats(head, max_line_bytes=opts.max_line,
                                                   tz=opts.tz) if f != not_this]


def _other_formats(head: bytes, opts: _Opts, not_this: str) -> list:
    return _format_hints(head, opts, not_this) or [option_hint("format", "None",
                                                               "(none, to detect it)")]


def _chunk(parser: ChunkParser, fmt: str, counters: list[int], present: tuple) -> Trace:
    cols = parser.take()
    mal, back, blank = parser.malformed, parser.backwards, parser.blank
    t = Trace(**{n: cols[n] for n in _COLUMN_NAMES}, format=fmt,
              malformed=mal - counters[0], malformed_examples=parser.take_examples(),
              backwards_time=back - counters[1], blank_lines=blank - counters[2],
              has_time="time_ns" in present, columns=present)
    counters[:] = [mal, back, blank]
    if "url" in cols:
        t.url = StringColumn(*cols["url"])
    if "ua" in cols:
        t.user_agent = StringColumn(*cols["ua"])
    return t


def _named(e: TraceFormatError, name: str) -> TraceFormatError:
    """The same error with the file's name in front (strict mode's line errors)."""
    return TraceFormatError(f"{name}: {e.message}", line_number=e.line_number, reason=e.reason,
                            line=e.line, hints=e.hints)


def _nothing_parsed(name: str, fmt: str, lines: int, examples: list, head: bytes,
                    opts: _Opts) -> TraceFormatError:
    first = "; ".join(f"line {ln}: {reason}" for ln, reason, _ in examples[:3])
    hints = _format_hints(head, opts, fmt)
    msg = (f"{name}: none of its {lines:,} non-blank lines parses as {fmt} "
           f"(first reasons: {first})")
    if not hints:
        msg += "; no other format parses its first lines either"
    return TraceFormatError(msg, reason="nothing parsed", hints=hints)


def _iter_text(inp: Input, buf: bytes, fmt: str, opts: _Opts) -> Iterator[Trace]:
    head = buf[:1 << 16]
    pos, first_line, roles, delim = 0, 0, None, ","
    pfmt = fmt
    present = _PRESENT.get(fmt, ())
    if fmt == "keys":
        # A keys trace has sizes when its first lines do (a line without one
        # then has size 0, unknown): decided once, whatever the chunk size.
        p = ChunkParser("keys", 64, max_line_bytes=opts.max_line)
        p.feed(buf[:buf.rfind(b"\n", 0, 1 << 16) + 1], 0, True)
        if p.sized:
            present = present + ("size",)
    if fmt in ("csv", "tsv"):
        header = None
        # The header is the first non-empty line (it must fit in the first block).
        while pos < len(buf) and buf[pos:pos + 1] in (b"\n", b"\r"):
            first_line += buf[pos:pos + 1] == b"\n"
            pos += 1
        nl = buf.find(b"\n", pos)
        first = buf[pos:nl if nl >= 0 else len(buf)].rstrip(b"\r")
        pfmt, delim = "csv", ("\t" if fmt == "tsv" else csv_delimiter(first).decode())
        ncols = len(first.split(delim.encode()))
        has_header = opts.csv_header
        if has_header is None:
            # headerless only when the mapping is by index and line 1 is no header
            has_header = not (opts.columns and all(isinstance(c, int) for c in
                                                   opts.columns.values())
                              and not is_header(first, delim.encode()))
        if has_header:
            header = [f.strip().strip('"') for f in
                      first.decode("utf-8", "replace").split(delim)]
            pos = nl + 1 if nl >= 0 else len(buf)
            first_line += 1
        roles = csv_roles(header, opts.columns, ncols, inp.name)
        mapped = {_ROLE_COLUMN[r] for r in roles if r != "ignore"}
        if "client" in mapped:
            mapped.add("session")
        present = tuple(n for n in _COLUMN_NAMES if n in mapped)
    tz = resolve_tz(opts.tz, DEFAULT_TZ.get(fmt, 0))
    parser = ChunkParser(pfmt, opts.chunk_size, with_strings=opts.with_strings,
                         strict=opts.strict, roles=roles, delimiter=delim,
                         first_line=first_line, max_line_bytes=opts.max_line, tz=tz)
    counters = [0, 0, 0]
    rows = 0
    examples: list = []
    eof = inp.err is not None
    yielded = False
    while True:
        while True:
            # After a decompression error the last partial line stays unparsed:
            # it is reported as the truncated line below.
            try:
                pos = parser.feed(buf, pos, eof and inp.err is None)
            except TraceFormatError as e:
                raise _named(e, inp.name) from None
            if parser.full:
                ch = _chunk(parser, fmt, counters, present)
                rows += len(ch)
                examples += ch.malformed_examples
                yield ch
                yielded = True
                continue
            break
        if eof:
            break
        if len(buf) - pos > opts.max_line:
            # No newline in the rest (the parser took every complete line):
            # skip the overlong line without buffering it.
            try:
                parser.note_malformed(_TOO_LONG, buf[pos:pos + 200])
            except TraceFormatError as e:
                raise _named(e, inp.name) from None
            buf, pos = b"", 0
            while True:
                block = inp.read()
                i = block.find(b"\n")
                if i >= 0:
                    buf = block[i + 1:]
                if not block:
                    eof = True
                if i >= 0 or eof:
                    break
            continue
        block = inp.read()
        if not block:
            eof = True
        buf, pos = buf[pos:] + block, 0
    msg = None
    if inp.err is not None:
        msg = inp.truncated(parser.line_no + 1, opts.allow_truncated and not opts.strict)
        if pos < len(buf):
            parser.note_malformed(_TRUNCATED, buf[pos:pos + 200])
    if parser.n or not yielded or parser.malformed != counters[0] or parser.blank != counters[2]:
        ch = _chunk(parser, fmt, counters, present)
        rows += len(ch)
        examples += ch.malformed_examples
        ch.truncated = msg
        if rows == 0 and parser.malformed and msg is None:
            raise _nothing_parsed(inp.name, fmt, parser.malformed, examples, head, opts)
        yield ch


def _binary_chunk(ids: np.ndarray, fmt: str, opts: _Opts, mal: int = 0, ex=(),
                  truncated=None) -> Trace:
    n = len(ids)
    z = np.zeros(n, np.uint64)
    if ids.dtype.kind == "u":
        key = np.ascontiguousarray(ids, dtype=np.uint64)
    else:
        key = ids.astype(np.int64).view(np.uint64)
    t = Trace(time_ns=np.zeros(n, np.int64), key=key,
              size=np.zeros(n, np.int64), status=np.zeros(n, np.int16),
              method=np.full(n, int(Method.NONE), np.uint8), client=z,
              session=z.copy(), site=z.copy(), format=fmt, malformed=mal,
              malformed_examples=list(ex), has_time=False, columns=_PRESENT[fmt],
              truncated=truncated)
    if opts.with_strings:
        # the id as the trace has it (decimal, signed as stored) is its string,
        # formatted by numpy in fixed 20-byte cells, then packed (no str per id)
        src = ids.astype(np.uint64 if ids.dtype.kind == "u" else np.int64)
        cells = np.frombuffer(src.astype("S20").tobytes(), np.uint8)
        cells = cells.reshape(n, 20) if n else cells.reshape(0, 20)
        used = cells != 0                      # digits and '-' never are NUL
        off = np.zeros(n + 1, np.int64)
        np.cumsum(used.sum(axis=1), out=off[1:])
        t.url = StringColumn(cells[used].tobytes(), off)
        if opts.with_strings is True:
            t.user_agent = StringColumn(b"", np.zeros(n + 1, np.int64))
    return t


def _iter_records(inp: Input, buf: bytes, fmt: str, dt: np.dtype, opts: _Opts,
                  expect: int | None = None) -> Iterator[Trace]:
    """Fixed-width records of dtype ``dt`` -> chunks of keys (``expect``: the
    record count a header announces)."""
    width = dt.itemsize
    pending: list[np.ndarray] = []
    npend = 0
    eof = inp.err is not None
    yielded = False
    nrec = 0   # records read so far (a record is a "line" of a binary trace)
    while True:
        if expect is not None and nrec + len(buf) // width > expect:
            raise TraceFormatError(f"{inp.name}: more data than the {expect:,} keys its "
                                   f".npy header announces", reason="bad npy array")
        n = len(buf) // width
        if n:
            pending.append(np.frombuffer(buf, dt, n))
            npend += n
            nrec += n
            buf = buf[n * width:]
        while npend >= opts.chunk_size:
            allids = np.concatenate(pending)
            yield _binary_chunk(allids[:opts.chunk_size], fmt, opts)
            yielded = True
            pending, npend = [allids[opts.chunk_size:]], npend - opts.chunk_size
        if eof:
            break
        block = inp.read()
        if not block:
            eof = True
        buf = buf + block
    malformed, examples, msg = 0, [], None
    short = expect is not None and nrec < expect
    if inp.err is not None or buf or short:
        if buf:
            what = (f"ends inside a record: {len(buf)} trailing bytes after {nrec:,} records "
                    f"of {width} bytes")
        else:
            what = f"ends after {nrec:,} of the {expect:,} keys its .npy header announces"
        msg = inp.truncated(nrec + 1, opts.allow_truncated and not opts.strict, what,
                            unit="record")
        malformed = 1
        examples.append((nrec + 1, "truncated input", buf[:100].hex()))
    if npend or malformed or not yielded:
        ids = np.concatenate(pending) if pending else np.empty(0, dt)
        yield _binary_chunk(ids, fmt, opts, malformed, examples, msg)


def _iter_binary(inp: Input, buf: bytes, fmt: str, opts: _Opts) -> Iterator[Trace]:
    return _iter_records(inp, buf, fmt, np.dtype(">i4" if fmt == "int32be" else ">i8"), opts)


def _iter_npy(inp: Input, buf: bytes, opts: _Opts) -> Iterator[Trace]:
    f = io.BytesIO(buf)
    try:
        version = np.lib.format.read_magic(f)
        if version == (1, 0):
            shape, fortran, dt = np.lib.format.read_array_header_1_0(f)
        else:
            shape, fortran, dt = np.lib.format.read_array_header_2_0(f)
    except (ValueError, EOFError, SyntaxError, tokenize.TokenError) as e:
        # (numpy re-reads a header it cannot parse as a Python 2 one, with tokenize)
        raise TraceFormatError(f"{inp.name}: unreadable .npy header ({e})",
                               reason="bad npy header") from None
    if dt.kind not in "iu" or len(shape) != 1 or dt.itemsize > 8:
        raise TraceFormatError(
            f"{inp.name}: expected a 1-D integer .npy array of keys, got dtype {dt} shape "
            f"{shape}", reason="bad npy array")
    return _iter_records(inp, buf[f.tell():], "npy", dt, opts, expect=int(shape[0]))


def read_trace(path, *, format: str | None = None, strict: bool = False,
               with_strings: bool | str = False, columns: Mapping[str, str | int] | None = None,
               csv_header: bool | None = None, max_line_bytes: int = MAX_LINE_BYTES,
               tz: str | int | None = None, allow_truncated: bool = False) -> Trace:
    """Read a whole trace into one :class:`Trace` (for files that fit in memory).

    Same parameters as :func:`iter_trace`. Empty input gives an empty trace
    whose ``format`` is the requested one or ``"empty"``.
    """
    chunks = list(iter_trace(path, format=format, strict=strict, with_strings=with_strings,
                             columns=columns, csv_header=csv_header,
                             max_line_bytes=max_line_bytes, tz=tz,
                             allow_truncated=allow_truncated))
    if not chunks:
        return Trace.empty(_ALIASES.get((format or "").lower(), "empty"), with_strings=with_strings)
    return Trace.concat(chunks)


def parse_bytes(data: bytes, *, format: str | None = None, strict: bool = False,
                with_strings: bool | str = False, columns: Mapping[str, str | int] | None = None,
                csv_header: bool | None = None, tz: str | int | None = None) -> Trace:
    """Parse an in-memory log (same rules as :func:`read_trace`)."""
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise TypeError(f"data must be bytes, got {type(data).__name__}")
    return read_trace(io.BufferedReader(io.BytesIO(bytes(data))), format=format, strict=strict,
                      with_strings=with_strings, columns=columns, csv_header=csv_header, tz=tz)
