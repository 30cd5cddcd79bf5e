"""Opening a trace: the raw file or stream, decompression by magic bytes, and
truncation detected the same way for every codec (gzip, bzip2, xz, zstd).

:class:`Input` reads blocks of the decompressed stream and *remembers* a
decompression error instead of raising it, so that the rows decoded before it
are parsed first; :meth:`Input.truncated` then turns it into the one error
(or, with ``allow_truncated``, the one warning message) of the input contract.
"""
from __future__ import annotations

import bz2
import functools
import gzip
import io
import lzma
import os
import stat
import sys
import zlib
from typing import Callable

from ._trace_types import TraceFormatError, TruncatedInputError, option_hint

__all__ = ["Input", "BLOCK", "known_binary"]

BLOCK = 1 << 22            # bytes read per block

# Compressed formats the reader decodes, by magic. A zstd stream may start with
# a skippable frame (pzstd writes one): magics 0x184D2A50..5F, little-endian.
_GZIP, _BZIP2, _XZ, _ZSTD = b"\x1f\x8b", b"BZh", b"\xfd7zXZ\x00", b"\x28\xb5\x2f\xfd"
_ZSTD_SKIPPABLE = tuple(bytes([0x50 + i, 0x2A, 0x4D, 0x18]) for i in range(16))
_CODEC_MAGICS = ((_GZIP, "gzip"), (_BZIP2, "bzip2"), (_XZ, "xz"), (_ZSTD, "zstd"))

# Binary files that are not id streams: refused by name instead of being read
# as 4-byte ids (any binary file "parses" as a stream of integers).
_NOT_TRACES = ((b"\x89PNG\r\n\x1a\n", "a PNG image"), (b"\xff\xd8\xff", "a JPEG image"),
               (b"GIF8", "a GIF image"), (b"PK\x03\x04", "a ZIP archive"),
               (b"\x7fELF", "an ELF executable"), (b"SQLite format 3\x00", "an SQLite database"),
               (b"PAR1", "a Parquet file"), (b"ARROW1", "an Arrow IPC file"),
               (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive"), (b"Rar!\x1a\x07", "a RAR archive"),
               (b"%PDF-", "a PDF document"), (b"\xd4\xc3\xb2\xa1", "a pcap capture"),
               (b"\xa1\xb2\xc3\xd4", "a pcap capture"), (b"\x0a\x0d\x0d\x0a", "a pcapng capture"),
               (b"\x04\x22\x4d\x18", "an LZ4 file (decompress it first: lz4 -d)"),
               (b"\x02\x21\x4c\x18", "an LZ4 legacy file (decompress it first: lz4 -d)"),
               (b"\x1f\x9d", "a compress (.Z) file (decompress it first: uncompress)"),
               (b"\xff\xfe", "UTF-16 text (convert it to UTF-8 first: iconv -f UTF-16 -t UTF-8)"),
               (b"\xfe\xff", "UTF-16 text (convert it to UTF-8 first: iconv -f UTF-16 -t UTF-8)"))


def known_binary(head: bytes) -> str | None:
    """What a non-trace binary file is (by its magic bytes), or None."""
    for magic, what in _NOT_TRACES:
        if head.startswith(magic):
            return what
    if head[257:262] == b"ustar":
        return "a tar archive"
    # UTF-16 without a byte order mark: ASCII text with a NUL after (LE) or
    # before (BE) every character, line ends included. Binary ids can have NULs
    # at every other byte too, but not printable text with newlines between.
    sample = head[:4096]
    for nul, txt in ((sample[1::2], sample[0::2]), (sample[0::2], sample[1::2])):
        if len(txt) >= 64 and nul.count(0) > 0.95 * len(nul) and b"\n" in txt \
                and sum(32 <= b < 127 or b in (9, 10, 13) for b in txt) > 0.95 * len(txt):
            return "UTF-16 text (convert it to UTF-8 first: iconv -f UTF-16 -t UTF-8)"
    return None


class _ZstdReader:
    """zstd frames -> bytes, with truncation detected (python-zstandard's
    stream_reader ends silently inside a cut frame) and memory bounded: input
    goes to the decoder 1 KiB at a time, so even RLE blocks (32768:1) produce
    at most 32 MiB per step. Skippable frames are skipped."""

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


class Input:
    """One opened trace: the decompressed stream over the raw one.

    Attributes
    ----------
    name : str
        For messages (the path, ``<stdin>`` or the stream's name).
    raw_size : int or None
        Size of a regular file, else None.
    codec : str or None
        ``"gzip"``, ``"bzip2"``, ``"xz"``, ``"zstd"`` or None (not compressed).
    decoded : int
        Decompressed bytes returned so far.
    err : Exception or None
        The decompression error that ended the input, if any.
    """

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
            st = os.fstat(raw.fileno())
            self.raw_size = st.st_size if stat.S_ISREG(st.st_mode) else None   # not a FIFO
        # The magic bytes are read whole (a pipe's peek may return fewer than
        # are coming) and put back in front of the stream.
        magic = raw.read(6)
        self.base = raw
        raw = _Prefixed(magic, raw)
        self.raw = raw
        self.decoded = 0
        self.err: Exception | None = None
        self.cr_only = False      # old Mac line ends: every \r read becomes \n
        self.codec: str | None = None
        if magic.startswith(_GZIP):
            self.codec, stream = "gzip", gzip.GzipFile(fileobj=raw, mode="rb")
        elif magic.startswith(_BZIP2):
            self.codec, stream = "bzip2", bz2.BZ2File(raw)
        elif magic.startswith(_XZ):
            self.codec, stream = "xz", lzma.LZMAFile(raw)
        elif magic.startswith(_ZSTD) or magic[:4] in _ZSTD_SKIPPABLE:
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
            # a compressed file cut inside its magic bytes is truncated, not a text line
            for m, codec in _CODEC_MAGICS:
                if 2 <= len(magic) < len(m) and m.startswith(magic):
                    self.codec = codec
                    self.err = EOFError(f"the file ends inside the {codec} magic bytes")
                    break
        self.stream = stream

    def read(self, n: int = BLOCK) -> bytes:
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
        if self.cr_only:
            data = data.replace(b"\r", b"\n")
        if self.progress is not None:
            self.progress(self.tell_raw(), self.raw_size)
        return data

    def tell_raw(self) -> int:
        try:
            return self.base.tell()
        except (OSError, ValueError, AttributeError):
            return 0

    def close(self) -> None:
        stream = getattr(self, "stream", None)
        if stream is not None and stream is not getattr(self, "raw", None):
            stream.close()
        if self.own_raw:
            self.base.close()

    def truncated(self, line_number: int | None, allow: bool, what: str = "",
                  unit: str = "line", suffix: str = "; the file is incomplete") -> str:
        """The truncation message; raises TruncatedInputError unless ``allow``."""
        err = self.err
        where = f"after {self.decoded:,} decoded bytes"
        if line_number is not None:
            where += f", at {unit} {line_number:,}"
        if err is not None:
            why = str(err)
            if "too much memory" in why or "window" in why.lower():
                why += ("; a zstd file written with --long needs a window larger than this "
                        "reader allows: decompress it first (zstd -d --long=31)")
            msg = f"{self.name}: the {self.codec} stream is truncated or corrupt {where} ({why})"
        else:
            msg = f"{self.name}: {what} {where}"
        if not allow:
            raise TruncatedInputError(
                msg + suffix, decoded_bytes=self.decoded,
                line_number=line_number,
                hints=[option_hint("allow_truncated", "True", None)]) from err
        return msg


class _Prefixed:
    """A binary stream with some bytes already read put back in front."""

    def __init__(self, head: bytes, raw) -> None:
        self._head, self._raw = head, raw

    def read(self, n: int = -1) -> bytes:
        if not self._head:
            return self._raw.read(n)
        if n is None or n < 0:
            out, self._head = self._head + self._raw.read(), b""
            return out
        out, self._head = self._head[:n], self._head[n:]
        if len(out) < n:
            out += self._raw.read(n - len(out))
        return out

    def read1(self, n: int = -1) -> bytes:
        if self._head:
            return self.read(min(n, len(self._head)) if n and n > 0 else len(self._head))
        return self._raw.read1(n) if hasattr(self._raw, "read1") else self._raw.read(n)

    def readable(self) -> bool:
        return True

    def close(self) -> None:
        self._raw.close()
