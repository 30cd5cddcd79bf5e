"""Helpers shared by the fuzz harnesses and the parser differential tests.

Used by ``tests/test_fuzz.py``, ``tests/test_trace_differential.py`` and the
atheris scripts in ``tests/fuzz/`` (which put this directory on ``sys.path``).

* bounded loops: :func:`run_rounds` (a hypothesis test, again and again, until
  a time budget or a round count is spent);
* the log parsers: :func:`parse_native` (``ChunkParser`` fed chunk by chunk),
  :func:`parse_reference` (``runiso_core._parse_py``), :func:`check_parse` (the
  two agree and every line is counted once), :func:`mutate` (byte edits of a
  line, drawn by hypothesis), and the seed corpus (:func:`read_corpus`);
* strategies shared by the reference tests and the harnesses: cache bounds,
  token-bucket rates and bursts, SessionGate configurations, topologies;
* the trace reader: :class:`Trickle` (a stream that returns a few bytes per
  read), :func:`read_outcome` (what ``iter_trace`` made of a stream: columns
  and counters, or the documented error it raised).
"""
from __future__ import annotations

import io
import math
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from hypothesis import strategies as st

from runiso_core import Topology
from runiso_core import _parse_py as ref
from runiso_core._parse import ROLE_CODES, ChunkParser
from runiso_core._trace_detect import DEFAULT_TZ
from runiso_core._tz import resolve_tz
from runiso_core.trace import ParamError, TraceFormatError, iter_trace

CORPUS = Path(__file__).resolve().parent / "fuzz" / "corpus"

# Zones of zone-less timestamps: fixed offsets and IANA zones with DST (the
# reference converts with zoneinfo, fold=0; the native parser with its table).
ZONE_NAMES = (None, "UTC", "+08:00", "-03:30", "Europe/Paris", "America/New_York",
              "Australia/Lord_Howe", "Asia/Shanghai")
# Bytes that matter to some tokenizer (separators, quotes, escapes, digits, NUL, CR, non-ASCII).
SPECIAL = ' "\\[]/:.-+{}|,\t\r\x00\xe9\xff0123456789'
# Numbers at the edges of the parsers' integer fields (digit counts, int64, uint64).
EDGE_NUMBERS = (b"0", b"-1", b"+5", b"999", b"1000", b"2147483648", b"4294967296",
                b"999999999999999999", b"1000000000000000000", b"9223372036854775808",
                b"18446744073709551615", b"18446744073709551616", b"99999999999999999999",
                b"9200000000", b"9200000001.5", b".", b"-", b"1e3")
TEXT_FORMATS = ("clf", "haproxy", "plain", "csv", "tsv", "tencent", "keys")
BASIC_EDITS = ("del", "ins", "rep", "cut")
ALL_EDITS = BASIC_EDITS + ("flip", "dup", "num", "bytes")


# ---------------------------------------------------------------- bounded loops

def run_rounds(test: Callable[[], None], seconds: float, max_rounds: int) -> int:
    """Call ``test`` (a ``@given`` function: one hypothesis run per call)
    until ``seconds`` have passed or ``max_rounds`` calls were made; at least
    one call. Returns the number of calls (each is ``max_examples`` examples
    unless hypothesis ran out of distinct ones)."""
    stop = time.monotonic() + seconds
    rounds = 0
    while rounds < max_rounds:
        test()
        rounds += 1
        if time.monotonic() >= stop:
            break
    return rounds


# ---------------------------------------------------------------- shared strategies

#: Cache bounds: entries, bytes, or both (small, so that evictions happen).
CACHE_BOUNDS = st.one_of(
    st.fixed_dictionaries({"max_entries": st.integers(1, 30)}),
    st.fixed_dictionaries({"capacity_bytes": st.integers(1, 200)}),
    st.fixed_dictionaries({"max_entries": st.integers(1, 30), "capacity_bytes": st.integers(1, 200)}),
)
#: Token-bucket rates (tokens/s) and bursts (tokens).
RATES = st.sampled_from([0.5, 1, 3, 7.25, 10, 1000, 1e-3, 123456.789])
BURSTS = st.sampled_from([1, 2, 2.5, 5, 20, 1000])
#: SessionGate configurations small enough for every path (cap, rate, table full).
GATE_CONFIGS = st.fixed_dictionaries(dict(
    new_sessions_rate=st.sampled_from([0.5, 2, 10]), new_sessions_burst=st.sampled_from([1, 3]),
    max_active_sessions=st.sampled_from([1, 3, 8]), idle_timeout=st.sampled_from([0.2, 1.0]),
    shed_ttl=st.sampled_from([0.0, 0.3, 2.0]), max_tracked=st.sampled_from([8, 10, 40])))


@st.composite
def topologies(draw):
    """1-3 sites of 1-4 backends (weights 1-5, finite or unbounded capacity), shares 0-2."""
    n_sites = draw(st.integers(1, 3))
    sites = []
    k = 0
    for s in range(n_sites):
        nb = draw(st.integers(1, 4))
        bks = []
        for _ in range(nb):
            bks.append({"name": f"b{k:02d}", "weight": draw(st.integers(1, 5)),
                        "capacity_rps": draw(st.sampled_from([2, 3, 5, math.inf]))})
            k += 1
        sites.append({"name": f"s{s}", "share": draw(st.sampled_from([0, 1, 2])), "backends": bks})
    if all(s["share"] == 0 for s in sites):
        sites[0]["share"] = 1
    return Topology.from_dict({"sites": sites})


# ---------------------------------------------------------------- parsers

@dataclass
class Parsed:
    """What the native parser made of a buffer (rows as ``parse_line`` tuples)."""

    rows: list
    example_lines: list   # line numbers of the (first 10) malformed-line examples
    malformed: int
    blank: int
    backwards: int
    line_no: int


def physical_lines(data: bytes) -> int:
    """Lines of a buffer: one per ``\\n``, plus an unterminated last one."""
    return data.count(b"\n") + (1 if data and not data.endswith(b"\n") else 0)


def _chunk_rows(c: dict) -> list:
    ub, uo = c["url"]
    ab, ao = c["ua"]
    return [(int(c["time_ns"][i]), int(c["key"][i]), int(c["size"][i]), int(c["status"][i]),
             int(c["method"][i]), int(c["client"][i]), int(c["session"][i]), int(c["site"][i]),
             ub[uo[i]:uo[i + 1]], ab[ao[i]:ao[i + 1]]) for i in range(len(c["key"]))]


def parse_native(fmt: str, data: bytes, *, roles=None, delim: str = ",", tz=None,
                 capacity: int = 1024, max_line: int = 0) -> Parsed:
    """Parse ``data`` with ``ChunkParser`` in chunks of ``capacity`` rows
    (a small capacity runs the chunk-boundary logic on every few lines)."""
    p = ChunkParser(fmt, capacity, with_strings=True, roles=roles, delimiter=delim,
                    max_line_bytes=max_line, tz=resolve_tz(tz, DEFAULT_TZ.get(fmt, 0)))
    rows, pos = [], 0
    for _ in range(len(data) + 2):    # every call consumes a line or fills a chunk
        pos = p.feed(data, pos, True)
        rows += _chunk_rows(p.take())
        if pos >= len(data):
            break
    else:
        raise AssertionError(f"ChunkParser.feed made no progress at byte {pos}")
    return Parsed(rows, [e[0] for e in p.examples], p.malformed, p.blank, p.backwards,
                  p.line_no)


def _too_long_as_nul(line: bytes, max_line: int) -> bytes:
    # The native driver calls a line over the limit (a '\r' before the newline
    # counted) malformed, blank or not; a NUL makes the reference say so too.
    return b"\x00" if max_line and len(line) > max_line else line


def parse_reference(fmt: str, data: bytes, *, roles=None, delim: str = ",", tz=None,
                    max_line: int = 0):
    """``_parse_py.parse_lines`` of ``data``, with the native line limit applied:
    ``(rows, malformed_line_numbers, blank, backwards)``."""
    if max_line:
        data = b"\n".join(_too_long_as_nul(ln, max_line) for ln in data.split(b"\n"))
    return ref.parse_lines(data, fmt, roles=roles, delim=delim.encode(), tz=tz)


def check_parse(fmt: str, data: bytes, *, roles=None, delim: str = ",", tz=None,
                capacity: int = 1024, max_line: int = 0) -> Parsed:
    """Native == reference on ``data`` (columns of every valid line, the
    malformed-line numbers, blank and backwards counts), and every physical
    line counted once as parsed, malformed or blank."""
    got = parse_native(fmt, data, roles=roles, delim=delim, tz=tz, capacity=capacity,
                       max_line=max_line)
    rows, bad, blank, back = parse_reference(fmt, data, roles=roles, delim=delim, tz=tz,
                                             max_line=max_line)
    assert got.rows == rows
    assert got.malformed == len(bad) and got.example_lines == bad[:10]
    assert got.blank == blank and got.backwards == back
    assert len(got.rows) + got.malformed + got.blank == physical_lines(data) == got.line_no
    return got


def check_lines(fmt: str, lines: list[bytes], **kw) -> Parsed:
    """:func:`check_parse` of ``lines`` joined by newlines (one after the last)."""
    return check_parse(fmt, b"\n".join(lines) + b"\n", **kw)


def mutate(draw, line: bytes, max_edits: int = 3, edits=BASIC_EDITS) -> bytes:
    """Up to ``max_edits`` byte edits of ``line`` at drawn places (newlines
    removed after: the caller decides where lines end).

    ``del``/``ins``/``rep`` a byte (from :data:`SPECIAL`), ``cut`` (truncate);
    with :data:`ALL_EDITS` also ``flip`` a bit, ``dup`` a range, ``num``
    (replace a digit run by an edge number) and ``bytes`` (insert raw bytes).
    """
    for _ in range(draw(st.integers(0, max_edits))):
        if not line:
            break
        i = draw(st.integers(0, len(line) - 1))
        op = draw(st.sampled_from(edits))
        if op in ("del", "ins", "rep", "cut"):
            ch = draw(st.sampled_from(SPECIAL)).encode("latin-1")
        if op == "del":
            line = line[:i] + line[i + 1:]
        elif op == "ins":
            line = line[:i] + ch + line[i:]
        elif op == "rep":
            line = line[:i] + ch + line[i + 1:]
        elif op == "cut":
            line = line[:i]
        elif op == "flip":
            line = line[:i] + bytes([line[i] ^ (1 << draw(st.integers(0, 7)))]) + line[i + 1:]
        elif op == "dup":
            j = draw(st.integers(i, min(len(line), i + 64)))
            line = line[:j] + line[i:j] * draw(st.integers(1, 40)) + line[j:]
        elif op == "num":
            j = i
            while j < len(line) and line[j:j + 1].isdigit():
                j += 1
            line = line[:i] + draw(st.sampled_from(EDGE_NUMBERS)) + line[max(j, i + 1):]
        else:
            line = line[:i] + draw(st.binary(min_size=1, max_size=8)) + line[i:]
    return line.replace(b"\n", b"")


# ---------------------------------------------------------------- corpus

@dataclass(frozen=True)
class Seed:
    """One seed file: the parser format, its CSV roles and delimiter, its lines."""

    name: str
    fmt: str               # ChunkParser format (tsv is csv with a tab)
    trace_format: str      # iter_trace format name
    roles: list | None
    delim: str
    lines: tuple


def parse_header(first: bytes) -> tuple[str, str, list | None, str] | None:
    """``clf`` / ``csv ignore,time,key`` / ``tsv ...`` (a seed's first line) ->
    (parser format, iter_trace format, roles, delimiter), or None."""
    parts = first.decode("ascii", "replace").split()
    if not parts or parts[0] not in TEXT_FORMATS:
        return None
    name = parts[0]
    roles = parts[1].split(",") if len(parts) > 1 and name in ("csv", "tsv") else None
    if name in ("csv", "tsv") and not (roles and set(roles) <= set(ROLE_CODES)
                                       and {"key", "url"} & set(roles)):
        return None
    return ("csv" if name == "tsv" else name, name, roles, "\t" if name == "tsv" else ",")


def read_corpus(harness: str = "parse") -> list[Seed]:
    """The seed files of ``tests/fuzz/corpus/<harness>/`` (text: a format line, then log lines)."""
    seeds = []
    for path in sorted((CORPUS / harness).iterdir()):
        first, _, body = path.read_bytes().partition(b"\n")
        head = parse_header(first)
        if head is None:
            raise ValueError(f"{path}: first line must name the format, got {first[:40]!r}")
        lines = tuple(body.split(b"\n")[:-1] if body.endswith(b"\n") else body.split(b"\n"))
        seeds.append(Seed(path.name, *head, lines))
    return seeds


# ---------------------------------------------------------------- the trace reader

class Trickle:
    """A binary stream over ``data``: the first read(s) return its first
    ``first`` bytes, then every read at most ``steps[i % len(steps)]`` bytes,
    so ``iter_trace`` carries partial lines and records across many reads.
    It has ``peek`` so that the reader uses it as it is (no buffering layer)."""

    def __init__(self, data: bytes, first: int, steps: tuple[int, ...]) -> None:
        self._data, self._pos, self._first, self._steps, self._i = data, 0, first, steps, 0
        self.name = "<trickle>"

    def read(self, n: int = -1) -> bytes:
        if self._pos < self._first:
            end = self._first
        else:
            end = self._pos + self._steps[self._i % len(self._steps)]
            self._i += 1
        if n is not None and n >= 0:
            end = min(end, self._pos + n)
        out = self._data[self._pos:end]
        self._pos += len(out)
        return out

    def peek(self, n: int = 0) -> bytes:
        return self._data[self._pos:self._pos + max(n, 1)]

    def readable(self) -> bool:
        return True

    def close(self) -> None:
        pass


@dataclass
class Outcome:
    """What ``iter_trace`` gave: the rows (columns concatenated over the
    chunks, as lists), the counters and examples, the chunk sizes -- or the
    error (type name and reason) it raised instead."""

    error: tuple | None = None
    columns: dict | None = None
    urls: list | None = None
    malformed: int = 0
    blank: int = 0
    backwards: int = 0
    examples: list | None = None
    truncated: str | None = None
    chunk_rows: list | None = None
    format: str | None = None

    @property
    def rows(self) -> int:
        return len(self.columns["key"]) if self.columns else 0

    def same_result(self, other: "Outcome") -> bool:
        """Equal but for the chunking (and the wording of error messages)."""
        keys = ("error", "columns", "urls", "malformed", "blank", "backwards", "format")
        return all(getattr(self, k) == getattr(other, k) for k in keys) and \
            [e[:2] for e in self.examples or []] == [e[:2] for e in other.examples or []] and \
            (self.truncated is None) == (other.truncated is None)


# Exceptions iter_trace documents for bad input; anything else is a defect.
DOCUMENTED_ERRORS = (TraceFormatError, ParamError)


def read_outcome(stream, *, chunk_size: int = 1_000_000, **kw) -> Outcome:
    """``iter_trace(stream, chunk_size=..., with_strings="url", **kw)`` read to
    the end (or to the documented error it raises)."""
    cols: dict = {}
    out = Outcome(columns=cols, urls=[], examples=[], chunk_rows=[])
    try:
        for ch in iter_trace(stream, chunk_size=chunk_size, with_strings="url", **kw):
            out.chunk_rows.append(len(ch))
            for name in ("time_ns", "key", "size", "status", "method", "client", "session"):
                cols.setdefault(name, []).extend(getattr(ch, name).tolist())
            out.urls += [ch.url.bytes_at(i) for i in range(len(ch))]
            out.malformed += ch.malformed
            out.blank += ch.blank_lines
            out.backwards += ch.backwards_time
            out.examples += ch.malformed_examples
            out.truncated = out.truncated or ch.truncated
            out.format = ch.format
    except DOCUMENTED_ERRORS as e:
        return Outcome(error=(type(e).__name__, getattr(e, "reason", "")))
    # chunks of at most chunk_size rows; only the last one may be empty
    assert all(0 < n <= chunk_size for n in out.chunk_rows[:-1]), out.chunk_rows
    assert not out.chunk_rows or out.chunk_rows[-1] <= chunk_size, out.chunk_rows
    out.examples = out.examples[:10]
    return out


def whole(data: bytes) -> io.BufferedReader:
    """``data`` as a stream read in one block."""
    return io.BufferedReader(io.BytesIO(data))
