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
"""
from __future__ import annotations

import bz2
import functools
import gzip
import io
import lzma
import os
import re
import sys
import zlib
from dataclasses import dataclass, field
from typing import Callable, Iterator, Mapping

import numpy as np

from ._parse import REASONS, ROLE_CODES, ChunkParser
from ._trace_types import (Method, TraceFormatError, ParamError, TruncatedInputError,
                           format_hint, option_hint)
from ._tz import TzSpecError, resolve_tz
from .units import format_bytes

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
# Text formats tried by detection after CSV/TSV, in tie-break order.
_DETECT_ORDER = ("clf", "haproxy", "tencent", "plain", "keys")

_BLOCK = 1 << 22            # bytes read per block
#: Largest chunk_size: each chunk's columns (~51 B/row) are allocated up front, so an
#: absurd chunk_size would ask for terabytes before reading a byte.
MAX_CHUNK_SIZE = 1 << 27
#: Default line limit: longer lines are skipped as malformed ("line too long").
MAX_LINE_BYTES = 1 << 20
_BOM = b"\xef\xbb\xbf"
_NPY_MAGIC = b"\x93NUMPY"
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
# Zone of zone-less timestamps when tz is None.
_DEFAULT_TZ = {"tencent": "+08:00"}

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
                truncated=next((c.truncated for c in chunks if c.truncated), None))
        if all(c.url is not None for c in chunks):
            t.url = StringColumn.concat([c.url for c in chunks])
        if all(c.user_agent is not None for c in chunks):
            t.user_agent = StringColumn.concat([c.user_agent for c in chunks])
        return t

    def __repr__(self) -> str:
        return (f"Trace({len(self)} requests, format={self.format!r}, "
                f"malformed={self.malformed}, backwards_time={self.backwards_time})")


# ---------------------------------------------------------------- input

class _ZstdReader:
    """zstd frames -> bytes, with truncation detected (python-zstandard's
    stream_reader ends silently inside a cut frame) and memory bounded: input
    goes to the decoder 1 KiB at a time, so even RLE blocks (32768:1) produce
    at most 32 MiB per step."""

    _STEP = 1 << 10

    def __init__(self, raw, zstandard) -> None:
        self._raw = raw
        self._dctx = zstandard.ZstdDecompressor()
        self._obj = self._dctx.decompressobj()
        self._in = b""            # compressed bytes not yet decoded
        self._out: list[bytes] = []
        self._nout = 0
        self._in_frame = False    # inside a frame that has not ended
        self._eof = False
        self._err: Exception | None = None

    def _step(self) -> None:
        if not self._in:
            self._in = self._raw.read(1 << 18)
            if not self._in:
                self._eof = True
                if self._in_frame:
                    raise EOFError("zstd stream ended before the end of its frame")
                return
        data, self._in = self._in[:self._STEP], self._in[self._STEP:]
        while data:
            if self._obj.eof:
                self._obj = self._dctx.decompressobj()
            out = self._obj.decompress(data)
            if out:
                self._out.append(out)
                self._nout += len(out)
            self._in_frame = not self._obj.eof
            data = self._obj.unused_data if self._obj.eof else b""
            if data and self._obj.eof:
                self._in = data + self._in   # the next frame starts here
                data = b""

    def read1(self, n: int) -> bytes:
        if self._err is not None and not self._nout:
            raise self._err
        try:
            while self._nout < n and not self._eof:
                self._step()
        except Exception as e:        # hand out what was decoded before it, raise next time
            self._err, self._eof = e, True
            if not self._nout:
                raise
        buf = b"".join(self._out)
        out, rest = buf[:n], buf[n:]
        self._out = [rest] if rest else []
        self._nout = len(rest)
        return out

    def close(self) -> None:
        self._out = []


@functools.lru_cache(maxsize=1)
def _decompress_errors() -> tuple:
    errs = [EOFError, OSError, lzma.LZMAError, zlib.error]
    try:
        import zstandard
        errs.append(zstandard.ZstdError)
    except ImportError:
        pass
    return tuple(errs)


class _Input:
    """One opened trace: the decompressed stream over the raw one, reading
    blocks and remembering a decompression error (kept, not raised, so the
    rows decoded before it are parsed first)."""

    def __init__(self, path, progress: Callable[[int, int | None], None] | None) -> None:
        self.progress = progress
        self.own_raw = False
        if hasattr(path, "read"):
            if isinstance(path, io.TextIOBase):   # its read() gives str: the parsers need bytes
                raise TypeError(f"path: expected a binary file object (open(..., 'rb')), got a "
                                f"text stream {type(path).__name__}")
            raw = path if hasattr(path, "peek") else io.BufferedReader(path)  # type: ignore[arg-type]
            self.name = str(getattr(path, "name", "<stream>"))
            self.raw_size = None
        elif path == "-" or path == b"-":
            raw = sys.stdin.buffer
            self.name, self.raw_size = "<stdin>", None
        else:
            name = os.fspath(path)
            if isinstance(name, bytes):
                name = os.fsdecode(name)
            if os.path.isdir(name):
                raise IsADirectoryError(f"path: {name!r} is a directory, expected a trace file")
            raw = open(name, "rb")
            self.own_raw = True
            self.name = name
            self.raw_size = os.fstat(raw.fileno()).st_size
        self.raw = raw
        magic = raw.peek(6)[:6] if hasattr(raw, "peek") else b""
        self.codec: str | None = None
        if magic[:2] == b"\x1f\x8b":
            self.codec, stream = "gzip", gzip.GzipFile(fileobj=raw, mode="rb")
        elif magic[:3] == b"BZh":
            self.codec, stream = "bzip2", bz2.BZ2File(raw)
        elif magic[:6] == b"\xfd7zXZ\x00":
            self.codec, stream = "xz", lzma.LZMAFile(raw)
        elif magic[:4] == b"\x28\xb5\x2f\xfd":
            try:
                import zstandard
            except ImportError:
                self.close()
                raise TraceFormatError(
                    f"{self.name}: zstd-compressed input needs the 'zstandard' package "
                    f"(pip install zstandard), or decompress it first", reason="zstd") from None
            self.codec, stream = "zstd", _ZstdReader(raw, zstandard)
        else:
            stream = raw
        self.stream = stream
        self.decoded = 0          # decompressed bytes returned so far
        self.err: Exception | None = None

    def read(self, n: int = _BLOCK) -> bytes:
        """Up to ``n`` bytes; b"" at the end or after a decompression error
        (then ``err`` is set and the bytes decoded before it were returned)."""
        if self.err is not None:
            return b""
        parts, got = [], 0
        if self.codec is None:
            b = self.stream.read(n)       # a read error of the file itself propagates
            parts.append(b)
        else:
            try:
                # read1 steps keep what was decoded before an error (read(n) would drop it)
                while got < n:
                    b = self.stream.read1(n - got)
                    if not b:
                        break
                    parts.append(b)
                    got += len(b)
            except _decompress_errors() as e:
                self.err = e
        data = b"".join(parts)
        self.decoded += len(data)
        if self.progress is not None:
            self.progress(self.tell_raw(), self.raw_size)
        return data

    def tell_raw(self) -> int:
        try:
            return self.raw.tell()
        except (OSError, ValueError, AttributeError):
            return 0

    def close(self) -> None:
        stream = getattr(self, "stream", None)
        if stream is not None and stream is not self.raw:
            stream.close()
        if self.own_raw:
            self.raw.close()

    def truncated(self, line_number: int | None, allow: bool, what: str = "",
                  unit: str = "line", suffix: str = "; the file is incomplete") -> str:
        """The truncation message; raises TruncatedInputError unless ``allow``."""
        err = self.err
        where = f"after {self.decoded:,} decoded bytes"
        if line_number is not None:
            where += f", at {unit} {line_number:,}"
        if err is not None:
            msg = (f"{self.name}: the {self.codec} stream is truncated or corrupt {where} "
                   f"({err})")
        else:
            msg = f"{self.name}: {what} {where}"
        if not allow:
            raise TruncatedInputError(
                msg + suffix, decoded_bytes=self.decoded,
                line_number=line_number,
                hints=[option_hint("allow_truncated", "True", None)]) from err
        return msg


# ------------------------------------------------------------ detection

# Binary files that are not id streams: refused by name instead of being read
# as 4-byte ids (any binary file "parses" as a stream of integers).
_NOT_TRACES = ((b"\x89PNG\r\n\x1a\n", "a PNG image"), (b"\xff\xd8\xff", "a JPEG image"),
               (b"GIF8", "a GIF image"), (b"PK\x03\x04", "a ZIP archive"),
               (b"\x7fELF", "an ELF executable"), (b"SQLite format 3\x00", "an SQLite database"),
               (b"PAR1", "a Parquet file"), (b"ARROW1", "an Arrow IPC file"),
               (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive"), (b"Rar!\x1a\x07", "a RAR archive"),
               (b"%PDF-", "a PDF document"), (b"\xd4\xc3\xb2\xa1", "a pcap capture"),
               (b"\xa1\xb2\xc3\xd4", "a pcap capture"), (b"\x0a\x0d\x0d\x0a", "a pcapng capture"))


def _known_binary(head: bytes) -> str | None:
    for magic, what in _NOT_TRACES:
        if head.startswith(magic):
            return what
    if head[257:262] == b"ustar":
        return "a tar archive"
    return None


def _looks_binary(head: bytes) -> bool:
    sample = head[:4096]
    if not sample:
        return False
    if b"\x00" in sample:
        return True
    text = sum(1 for b in sample if b >= 32 or b in (9, 10, 13))
    return text < 0.9 * len(sample)


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


def _is_header(line: bytes, delim: bytes) -> bool:
    fields = line.split(delim)
    return len(fields) >= 2 and all(_HEADER_FIELD.match(f.strip()) for f in fields)


def _parse_count(fmt: str, lines: list[bytes], tz) -> tuple[int, str]:
    """(lines of ``lines`` that parse as ``fmt``, reason the first failure gave)."""
    p = ChunkParser(fmt, len(lines) + 1, max_examples=1, tz=tz)
    p.feed(b"\n".join(lines) + b"\n", 0, True)
    ex = p.examples
    return p.n, (ex[0][1] if ex else "")


def _csv_parses(lines: list[bytes], delim: bytes) -> bool:
    """A header line with a key/url column and data lines that parse under it."""
    if len(lines) < 2 or not _is_header(lines[0], delim):
        return False
    header = [f.strip().strip('"') for f in lines[0].decode("utf-8", "replace").split(delim.decode())]
    try:
        roles = _csv_roles(header, None, len(header), "")
    except (TraceFormatError, ParamError):
        return False
    p = ChunkParser("csv", len(lines), roles=roles, delimiter=delim.decode())
    p.feed(b"\n".join(lines[1:]) + b"\n", 0, True)
    return p.n * 2 >= len(lines) - 1


def _binary_format(head: bytes, raw_size: int | None) -> str | None:
    """int32be or int64be for a binary id stream, None when its bytes cannot tell."""
    n8 = len(head) // 8
    if n8 < 64:
        return None
    if raw_size is not None and raw_size % 4:
        return None
    if raw_size is not None and raw_size % 8:
        return "int32be"
    w32 = np.frombuffer(head[:n8 * 8], ">u4")
    hi, lo = np.unique(w32[0::2]).size, np.unique(w32[1::2]).size
    if hi <= max(2, n8 // 100) and lo > 4 * hi:
        return "int64be"      # 8-byte ids with constant high halves (small ids)
    # 8-byte records repeat far more at their own alignment than shifted by 4
    # bytes (a shifted "record" glues two neighbours); 4-byte ids look the
    # same at both alignments, and repeat as 4-byte values.
    aligned = np.unique(np.frombuffer(head[:n8 * 8], ">u8")).size / n8
    shifted = np.unique(np.frombuffer(head[4:4 + (n8 - 1) * 8], ">u8")).size / (n8 - 1)
    if aligned < 0.8 * shifted:
        return "int64be"
    if np.unique(w32).size / w32.size < 0.9:
        return "int32be"
    return None


def detect_formats(head: bytes, *, max_line_bytes: int = MAX_LINE_BYTES, tz=None,
                   raw_size: int | None = None) -> list[str]:
    """The formats that parse at least half of the first lines of ``head``
    (the first bytes of a decompressed trace), best first.

    Binary input gives the binary id format its byte statistics point to (or
    both ``int32be`` and ``int64be`` when they cannot tell), ``.npy`` data
    gives ``npy``. Used by detection and by the "nothing parsed" error.
    """
    if head.startswith(_NPY_MAGIC):
        return ["npy"]
    if _known_binary(head):
        return []
    if _looks_binary(head):
        b = _binary_format(head, raw_size)
        return [b] if b else ["int32be", "int64be"]
    if head.startswith(_BOM):
        head = head[3:]
    lines = [ln for _, ln in _sample_lines(head, max_line_bytes)]
    if not lines:
        return []
    out = []
    if _csv_parses(lines, b"\t"):
        out.append("tsv")
    elif _csv_parses(lines, b","):
        out.append("csv")
    scored = []
    for fmt in _DETECT_ORDER:
        ok, _ = _parse_count(fmt, lines, resolve_tz(tz, _DEFAULT_TZ.get(fmt, 0)))
        need = 0.9 if fmt == "keys" else 0.5     # a word per line is no proof of a key trace
        if ok and ok >= need * len(lines):
            scored.append((-ok, _DETECT_ORDER.index(fmt), fmt))
    return out + [f for _, _, f in sorted(scored)]


def _detect(inp: _Input, head: bytes, max_line: int, tz) -> str:
    """Guess the format from the first bytes of the (decompressed) input."""
    name = inp.name
    if head.startswith(_NPY_MAGIC):
        return "npy"
    if name.endswith(".trc.bin"):
        return "int32be"
    what = _known_binary(head)
    if what:
        raise TraceFormatError(f"{name}: this is {what}, not a trace", reason="binary input")
    if _looks_binary(head):
        b = _binary_format(head, inp.raw_size if inp.codec is None else None)
        if b is None:
            raise TraceFormatError(
                f"{name}: binary input, but its first {format_bytes(len(head))} cannot tell "
                f"4-byte from 8-byte ids (too short, no repeated id, or a size that is not a "
                f"whole number of records)", reason="binary input",
                hints=[format_hint("int32be"), format_hint("int64be")])
        return b
    body = head[3:] if head.startswith(_BOM) else head
    sample = _sample_lines(body, max_line)
    if not sample:
        first = body.split(b"\n", 1)[0]
        if len(first) > max_line or b"\n" not in body:
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
    # A header-like first line makes it a CSV/TSV, even when its mapping fails
    # (the error then says which column is missing).
    if _is_header(sample[0][1], b"\t"):
        return "tsv"
    if _is_header(sample[0][1], b","):
        return "csv"
    cands = detect_formats(body, max_line_bytes=max_line, tz=tz)
    if cands:
        return cands[0]
    lines = [ln for _, ln in sample]
    why = []
    for fmt in _DETECT_ORDER:
        ok, reason = _parse_count(fmt, lines, resolve_tz(tz, _DEFAULT_TZ.get(fmt, 0)))
        why.append(f"{fmt}: {reason}" if not ok else
                   f"{fmt}: {ok} of {len(lines)} lines ({reason} in the others)")
    ln, first = sample[0]
    raise TraceFormatError(
        f"{name}: unrecognised log format; its first lines (line {ln}: "
        f"{first[:120].decode('utf-8', 'backslashreplace')!r}) do not parse as "
        f"{'; '.join(why)}; nor as csv/tsv (no header with a key or url column)",
        reason="unrecognised format", line_number=ln,
        line=first[:200].decode("utf-8", "backslashreplace"),
        hints=[option_hint("format", "...", "FORMAT")])


def _csv_roles(header: list[str] | None, columns: Mapping[str, str | int] | None,
               ncols: int, name: str) -> list[str]:
    roles = ["ignore"] * ncols
    if columns:
        for role, col in columns.items():
            if role not in ROLE_CODES or role == "ignore":
                raise ParamError("columns", f"unknown role {role!r}; expected one of "
                                      f"{', '.join(sorted(set(ROLE_CODES) - {'ignore'}))}")
            if isinstance(col, str):
                if header is None or col not in header:
                    raise ParamError("columns", f"{role}={col}: no column named {col!r} in "
                                          f"the header {header!r}")
                idx = header.index(col)
            elif isinstance(col, int) and not isinstance(col, bool) and 0 <= col < max(ncols, 256):
                idx = col
            else:
                raise ParamError("columns", f"{role}={col!r}: expected a header name or a "
                                      f"column index in [0, {ncols})")
            if idx >= 256:
                raise ParamError("columns", f"{role}={col}: at most 256 columns")
            if idx >= len(roles):
                roles += ["ignore"] * (idx + 1 - len(roles))
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
            f"{name}: CSV header {header!r} has no key or url column", reason="no key column",
            hints=[option_hint("columns", "{'key': <name or index>, ...}",
                               "key=<name or index>,...")])
    return roles


# -------------------------------------------------------------- reading

@dataclass
class _Opts:
    chunk_size: int
    strict: bool
    with_strings: bool | str
    columns: Mapping[str, str | int] | None
    csv_header: bool
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
               csv_header: bool = True, max_line_bytes: int = MAX_LINE_BYTES,
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
        size, client, session, status, method, site).
    csv_header : bool, optional
        CSV/TSV: whether the first line is a header (default True).
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
    opts = _Opts(chunk_size, bool(strict), with_strings, columns, bool(csv_header),
                 max_line_bytes, tz, bool(allow_truncated))
    inp = _Input(path, progress)
    try:
        head = inp.read()
        if not head:
            if inp.err is None:
                return
            # nothing decodable at all: an error even with allow_truncated (there is no
            # partial result to keep)
            inp.truncated(1, False, suffix="; nothing could be read before it")
        if fmt is None:
            fmt = _detect(inp, head, max_line_bytes, tz)
        elif fmt == "npy" and not head.startswith(_NPY_MAGIC):
            raise TraceFormatError(f"{inp.name}: not a .npy file (no \\x93NUMPY magic bytes)",
                                   reason="not npy", hints=_other_formats(head, opts, "npy"))
        elif fmt in ("int32be", "int64be") and not _looks_binary(head):
            raise TraceFormatError(
                f"{inp.name}: looks like text (no NUL byte, printable), not a stream of "
                f"{4 if fmt == 'int32be' else 8}-byte binary ids as {fmt} reads",
                reason="text input", hints=_other_formats(head, opts, fmt))
        if fmt == "npy":
            yield from _iter_npy(inp, head, opts)
        elif fmt in _BINARY:
            yield from _iter_binary(inp, head, fmt, opts)
        else:
            yield from _iter_text(inp, head[3:] if head.startswith(_BOM) else head, fmt, opts)
    finally:
        inp.close()


def _other_formats(head: bytes, opts: _Opts, not_this: str) -> list:
    fmts = [f for f in detect_formats(head, max_line_bytes=opts.max_line, tz=opts.tz)
            if f != not_this]
    return [format_hint(f) for f in fmts] or [option_hint("format", "None", "(none, to detect it)")]


def _chunk(parser: ChunkParser, fmt: str, counters: list[int], present: tuple) -> Trace:
    cols = parser.take()
    mal, back, blank, sized = parser.malformed, parser.backwards, parser.blank, parser.sized
    if fmt == "keys" and sized > counters[3]:
        present = present + ("size",)
    t = Trace(**{n: cols[n] for n in _COLUMN_NAMES}, format=fmt,
              malformed=mal - counters[0], malformed_examples=parser.take_examples(),
              backwards_time=back - counters[1], blank_lines=blank - counters[2],
              has_time="time_ns" in present, columns=present)
    counters[:] = [mal, back, blank, sized]
    if "url" in cols:
        t.url = StringColumn(*cols["url"])
    if "ua" in cols:
        t.user_agent = StringColumn(*cols["ua"])
    return t


def _nothing_parsed(name: str, fmt: str, lines: int, examples: list, head: bytes,
                    opts: _Opts) -> TraceFormatError:
    first = "; ".join(f"line {ln}: {reason}" for ln, reason, _ in examples[:3])
    hints = [format_hint(f) for f in detect_formats(head, max_line_bytes=opts.max_line,
                                                    tz=opts.tz) if f != fmt]
    msg = (f"{name}: none of its {lines:,} non-blank lines parses as {fmt} "
           f"(first reasons: {first})")
    if not hints:
        msg += "; no other format parses its first lines either"
    return TraceFormatError(msg, reason="nothing parsed", hints=hints)


def _iter_text(inp: _Input, buf: bytes, fmt: str, opts: _Opts) -> Iterator[Trace]:
    head = buf[:1 << 16]
    pos, first_line, roles, delim = 0, 0, None, ","
    pfmt = fmt
    present = _PRESENT.get(fmt, ())
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
        if opts.csv_header:
            header = [f.strip().strip('"') for f in
                      first.decode("utf-8", "replace").split(delim)]
            pos = nl + 1 if nl >= 0 else len(buf)
            first_line += 1
        roles = _csv_roles(header, opts.columns, ncols, inp.name)
        mapped = {_ROLE_COLUMN[r] for r in roles if r != "ignore"}
        if "client" in mapped:
            mapped.add("session")
        present = tuple(n for n in _COLUMN_NAMES if n in mapped)
    tz = resolve_tz(opts.tz, _DEFAULT_TZ.get(fmt, 0))
    parser = ChunkParser(pfmt, opts.chunk_size, with_strings=opts.with_strings,
                         strict=opts.strict, roles=roles, delimiter=delim,
                         first_line=first_line, max_line_bytes=opts.max_line, tz=tz)
    counters = [0, 0, 0, 0]
    rows = 0
    examples: list = []
    eof = inp.err is not None
    yielded = False
    while True:
        while True:
            # After a decompression error the last partial line stays unparsed:
            # it is reported as the truncated line below.
            pos = parser.feed(buf, pos, eof and inp.err is None)
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
            parser.note_malformed(_TOO_LONG, buf[pos:pos + 200])
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
    if parser.n or not yielded or parser.malformed != counters[0]:
        ch = _chunk(parser, fmt, counters, present)
        rows += len(ch)
        examples += ch.malformed_examples
        ch.truncated = msg
        if rows == 0 and parser.malformed and msg is None:
            raise _nothing_parsed(inp.name, fmt, parser.malformed, examples, head, opts)
        yield ch


def _binary_chunk(ids: np.ndarray, fmt: str, mal: int = 0, ex=(), truncated=None) -> Trace:
    n = len(ids)
    z = np.zeros(n, np.uint64)
    if ids.dtype.kind == "u":
        key = np.ascontiguousarray(ids, dtype=np.uint64)
    else:
        key = ids.astype(np.int64).view(np.uint64)
    return Trace(time_ns=np.zeros(n, np.int64), key=key,
                 size=np.zeros(n, np.int64), status=np.zeros(n, np.int16),
                 method=np.full(n, int(Method.NONE), np.uint8), client=z,
                 session=z.copy(), site=z.copy(), format=fmt, malformed=mal,
                 malformed_examples=list(ex), has_time=False, columns=_PRESENT[fmt],
                 truncated=truncated)


def _iter_records(inp: _Input, buf: bytes, fmt: str, dt: np.dtype, opts: _Opts,
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
            yield _binary_chunk(allids[:opts.chunk_size], fmt)
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
        yield _binary_chunk(ids, fmt, malformed, examples, msg)


def _iter_binary(inp: _Input, buf: bytes, fmt: str, opts: _Opts) -> Iterator[Trace]:
    return _iter_records(inp, buf, fmt, np.dtype(">i4" if fmt == "int32be" else ">i8"), opts)


def _iter_npy(inp: _Input, buf: bytes, opts: _Opts) -> Iterator[Trace]:
    f = io.BytesIO(buf)
    try:
        version = np.lib.format.read_magic(f)
        if version == (1, 0):
            shape, fortran, dt = np.lib.format.read_array_header_1_0(f)
        else:
            shape, fortran, dt = np.lib.format.read_array_header_2_0(f)
    except (ValueError, EOFError, SyntaxError) as e:
        raise TraceFormatError(f"{inp.name}: unreadable .npy header ({e})",
                               reason="bad npy header") from None
    if dt.kind not in "iu" or len(shape) != 1 or dt.itemsize > 8:
        raise TraceFormatError(
            f"{inp.name}: expected a 1-D integer .npy array of keys, got dtype {dt} shape "
            f"{shape}", reason="bad npy array")
    return _iter_records(inp, buf[f.tell():], "npy", dt, opts, expect=int(shape[0]))


def read_trace(path, *, format: str | None = None, strict: bool = False,
               with_strings: bool | str = False, columns: Mapping[str, str | int] | None = None,
               csv_header: bool = True, max_line_bytes: int = MAX_LINE_BYTES,
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
                csv_header: bool = True, tz: str | int | None = None) -> Trace:
    """Parse an in-memory log (same rules as :func:`read_trace`)."""
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise TypeError(f"data must be bytes, got {type(data).__name__}")
    return read_trace(io.BufferedReader(io.BytesIO(bytes(data))), format=format, strict=strict,
                      with_strings=with_strings, columns=columns, csv_header=csv_header, tz=tz)
