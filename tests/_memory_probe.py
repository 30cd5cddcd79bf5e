"""Peak memory of one bounded table under 10M distinct adversarial keys.

Run by ``tests/test_memory_bounds.py``, one case per fresh process (so that
the peak is this case's alone): ``python tests/_memory_probe.py CASE`` prints
one JSON line. The engines allocate with malloc / PyMem_Malloc, so memory is
measured as the process sees it: resident set size (``/proc/self/statm``)
sampled after every batch, and the kernel's high-water mark (``VmHWM``,
reset with ``/proc/self/clear_refs`` once the inputs are allocated), which
also catches a peak inside a batch.

Keys come in batches of 1M, all distinct over the run: even batches are
multiples of 2**32 (the low 32 bits all zero), odd ones consecutive small
ints (the high 32 bits all zero).
"""
from __future__ import annotations

import collections
import ctypes
import gc
import itertools
import json
import os
import sys
import time

import numpy as np

from runiso_core import KeyedTokenBuckets, LRUCache, S3FIFOCache, SessionGate, SieveCache
from runiso_core.trace import iter_trace

BATCH = 1_000_000
N_KEYS = 10_000_000
BOUND = 250_000             # entries / keys / sessions each table may hold
OBJ_SIZE = 1000             # bytes per object in the byte-bounded caches (1000..1999)
LIST_BATCH = 250_000        # proxy mode has no batch API: keys go in as lists this long
CHUNK = 50_000              # trace reader: rows per chunk
CACHES = {"lru": LRUCache, "sieve": SieveCache, "s3fifo": S3FIFOCache}
_PAGE = os.sysconf("SC_PAGE_SIZE")


def rss() -> int:
    """Resident set size now, in bytes."""
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * _PAGE


def reset_peak() -> bool:
    """Restart the kernel's high-water mark at the current RSS (False if not allowed)."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def peak() -> int:
    """The kernel's RSS high-water mark (``VmHWM``), in bytes."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError("no VmHWM in /proc/self/status")


def trim() -> bool:
    """Give the memory malloc keeps free back to the system (glibc), so that
    RSS is what is live; False where there is no malloc_trim."""
    try:
        return bool(ctypes.CDLL("libc.so.6").malloc_trim(0)) or True
    except (OSError, AttributeError):
        return False


def adversarial_keys(j: int, base: np.ndarray, out: np.ndarray) -> np.ndarray:
    """Batch ``j`` of distinct keys, written into ``out``."""
    np.add(base, np.uint64(j * len(base) + 1), out=out)
    if j % 2 == 0:
        np.left_shift(out, np.uint64(32), out=out)
    return out


class Meter:
    """RSS from a baseline: sampled maximum, per-batch samples, kernel peak."""

    def __init__(self) -> None:
        gc.collect()
        self.baseline = rss()
        self.hwm_reset = reset_peak()
        self.samples: list[int] = []

    def sample(self) -> None:
        self.samples.append(rss() - self.baseline)

    def report(self) -> dict:
        """Peak growth, the samples, and what is left once malloc's free memory
        is returned (``live``; the peak also counts blocks freed on the way)."""
        sampled = max(self.samples)
        hwm = peak() - self.baseline if self.hwm_reset else sampled
        gc.collect()
        trimmed = trim()
        return dict(baseline=self.baseline, peak=max(sampled, hwm), sampled_peak=sampled,
                    samples=self.samples, hwm_reset=self.hwm_reset,
                    live=rss() - self.baseline if trimmed else None)


def table_case(name: str) -> dict:
    """One bounded table fed N_KEYS keys through its batch API."""
    base = np.arange(BATCH, dtype=np.uint64)
    keys = np.empty(BATCH, dtype=np.uint64)
    zeros = np.zeros(BATCH)
    sizes = (OBJ_SIZE + np.arange(BATCH) % OBJ_SIZE).astype(np.int64)
    for a in (keys, zeros):     # touch the pages: np.empty/np.zeros map them lazily
        a.fill(1)
    zeros.fill(0)
    meter = Meter()            # (before the table: its allocation counts)
    extra = 0                  # bytes the caller keeps per entry besides the engine's
    if name == "keyed_buckets":
        obj = KeyedTokenBuckets(1.0, 1.0, max_keys=BOUND)
        feed = lambda k: obj.try_acquire_many(k, zeros)              # noqa: E731
    elif name == "session_gate":
        obj = SessionGate(new_sessions_rate=1e9, new_sessions_burst=1e9,
                          max_active_sessions=BOUND // 2, idle_timeout=1e6, shed_ttl=1e6,
                          max_tracked=BOUND)
        feed = lambda k: obj.decide_many(k, zeros)                   # noqa: E731
    else:
        policy, mode = name.split("_", 1)
        cls = CACHES[policy]
        if mode == "entries":
            obj = cls(max_entries=BOUND)
            feed = lambda k: obj.access_many(k)                      # noqa: E731
        elif mode == "bytes":
            obj = cls(capacity_bytes=BOUND * OBJ_SIZE)
            feed = lambda k: obj.access_many(k, sizes)               # noqa: E731
        else:
            obj = cls(max_entries=BOUND)
            extra = sys.getsizeof(2**60)       # the int key object each entry keeps

            def feed(k):
                for i in range(0, len(k), LIST_BATCH):
                    collections.deque(map(obj.put, k[i:i + LIST_BATCH].tolist(),
                                          itertools.repeat(None)), 0)
    t0 = time.perf_counter()
    for j in range(N_KEYS // BATCH):
        feed(adversarial_keys(j, base, keys))
        meter.sample()
    mem = obj.memory_bytes
    entries = len(obj)
    out = meter.report()          # (after the last batch, with the table alive)
    out.update(seconds=time.perf_counter() - t0, keys=N_KEYS, bound=BOUND,
               memory_bytes=mem() if callable(mem) else mem, entries=entries,
               extra_per_entry=extra,
               transient=LIST_BATCH * (8 + extra) if name.endswith("_proxy")
               # a batch checks and reads a private copy of its typed column (times, sizes)
               else BATCH * 8 if name in ("keyed_buckets", "session_gate") or name.endswith("_bytes")
               else 0)
    return out


class KeyLines:
    """A binary stream of N_KEYS ``keys``-format lines, one distinct decimal
    key each (the adversarial keys, fixed-width cells padded with spaces),
    generated block by block (never all in memory)."""

    LINE = 21

    def __init__(self, n_keys: int, block: int = 25_000) -> None:
        self._n, self._block, self._next = n_keys, block, 0
        self._base = np.arange(BATCH, dtype=np.uint64)
        self._keys = np.ones(BATCH, dtype=np.uint64)      # (pages touched)
        self._buf, self._pos = b"", 0
        self.name = "<key lines>"
        self.block_bytes = block * self.LINE

    def _more(self) -> bytes:
        j, off = divmod(self._next, BATCH)
        if off == 0:
            adversarial_keys(j, self._base, self._keys)
        n = min(self._block, self._n - self._next)
        cells = np.frombuffer(self._keys[off:off + n].astype("S20").tobytes(), np.uint8)
        lines = np.full((n, self.LINE), ord(" "), dtype=np.uint8)
        lines[:, :20] = np.where(cells.reshape(n, 20) == 0, ord(" "), cells.reshape(n, 20))
        lines[:, 20] = ord("\n")
        self._next += n
        return lines.tobytes()

    def read(self, size: int = -1) -> bytes:
        if self._pos == len(self._buf):
            if self._next >= self._n:
                return b""
            self._buf, self._pos = self._more(), 0
        end = len(self._buf) if size is None or size < 0 else self._pos + size
        out = self._buf[self._pos:end]
        self._pos += len(out)
        return out

    def peek(self, size: int = 0) -> bytes:
        return self._buf[self._pos:self._pos + max(size, 1)]

    def readable(self) -> bool:
        return True

    def close(self) -> None:
        pass


def trace_case() -> dict:
    """iter_trace(with_strings="url", chunk_size=CHUNK) over N_KEYS distinct-key lines."""
    stream = KeyLines(N_KEYS)
    meter = Meter()
    t0 = time.perf_counter()
    rows = chunks = max_blob = 0
    for ch in iter_trace(stream, format="keys", chunk_size=CHUNK, with_strings="url"):
        rows += len(ch)
        chunks += 1
        max_blob = max(max_blob, len(ch.url.blob))
        if chunks % 10 == 0:
            meter.sample()
    meter.sample()
    out = meter.report()
    out.update(seconds=time.perf_counter() - t0, keys=N_KEYS, rows=rows, chunks=chunks,
               chunk_size=CHUNK, max_blob=max_blob, line_bytes=KeyLines.LINE,
               generator_block=stream.block_bytes)
    return out


def main(name: str) -> None:
    result = trace_case() if name == "trace_strings" else table_case(name)
    print(json.dumps(dict(result, case=name)))


if __name__ == "__main__":
    main(sys.argv[1])
