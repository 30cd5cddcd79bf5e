"""Memory bounds (issue 10 section 5): every table that grows with its input
stays within its configured bound plus a constant under 10,000,000 distinct
adversarial keys.

Each case runs in a fresh process (``_memory_probe.py``: RSS sampled after
every 1M-key batch plus the kernel's high-water mark), two at a time (the CI
machine has two cores). The peak growth over the process' RSS before the
first key must stay within what the object reports (``memory_bytes``) plus
what the caller keeps per entry (proxy mode: the key object) plus a constant;
what it reports must stay within the documented bytes per entry times the
bound; and memory must stop growing once the table is full.
"""
from __future__ import annotations

import json
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

import _memory_probe as probe

pytestmark = pytest.mark.memory

MiB = 1 << 20
# Allocator and interpreter noise allowed on top of a bound (a leak of one byte
# per key would be 10 MB).
SLACK = 6 * MiB
# Growth allowed over the second half of the keys (every table is full after the
# first 1M): 0.4 byte per key.
FLAT = 2 * MiB
# Documented bytes per entry: the module docstrings (<=) and the README (typical).
DOCUMENTED = {
    "keyed_buckets": 48,          # 36 B per entry + 4 B per index slot (README: 43 B)
    "session_gate": 48,           # 32 B per entry + 4 B per index slot
    "lru": 56, "sieve": 56,       # 32 B entry + index at load <= 2/3 (README: 45 B)
    "s3fifo": 64,                 # ghost included (README: 63 B)
}
PROXY_POINTERS = 16               # the key and value references of a proxy-mode slot
TABLES = ["keyed_buckets", "session_gate"] + [f"{p}_{m}" for p in ("lru", "sieve", "s3fifo")
                                              for m in ("entries", "bytes", "proxy")]


def _run_probe(case: str) -> dict:
    out = subprocess.run([sys.executable, str(Path(probe.__file__)), case],
                         capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr[-3000:]
    return json.loads(out.stdout.splitlines()[-1])


@pytest.fixture(scope="module")
def results(request):
    """The probes of the cases selected in this module, started at once, two at a time."""
    cases = [item.callspec.params["case"] for item in request.session.items
             if item.module is request.module and hasattr(item, "callspec")]
    # the slowest first (proxy mode puts one key per Python call), so that the
    # two workers finish together
    order = sorted(dict.fromkeys(cases), key=lambda c: (not c.endswith("_proxy"),
                                                         c != "trace_strings", c))
    with ThreadPoolExecutor(max_workers=2) as pool:
        yield {c: pool.submit(_run_probe, c) for c in order}


def _documented(case: str) -> int:
    kind = case if case in DOCUMENTED else case.split("_")[0]
    return DOCUMENTED[kind] + (PROXY_POINTERS if case.endswith("_proxy") else 0)


@pytest.mark.parametrize("case", TABLES)
def test_table_memory_stays_within_its_bound(case, results):
    r = results[case].result()
    bound, mem, entries = r["bound"], r["memory_bytes"], r["entries"]
    assert r["keys"] >= 10_000_000 and 0 < entries <= bound
    # what the object reports is within the documented bytes per entry
    assert mem <= _documented(case) * bound, (mem / bound, _documented(case))
    # what is live (RSS once malloc returned its free blocks) is what it reports,
    # plus what the caller keeps (proxy mode: a key object per entry, the list
    # of keys being put); and the measurement does see the table
    assert r["live"] is not None, "malloc_trim (glibc) is needed to tell live memory"
    caller = r["extra_per_entry"] * entries + r["transient"]
    assert mem // 2 <= r["live"] <= mem + caller + SLACK, (r["live"] / MiB, mem / MiB)
    # the peak: a growing table holds its old and new pool and index while it
    # resizes; one allocated whole at construction does not
    growth = 1 if case in ("keyed_buckets", "session_gate") else 2
    assert r["peak"] <= growth * mem + caller + SLACK, (r["peak"] / MiB, mem / MiB)
    # memory follows the bound, not the input: flat over the last 5M keys
    half = len(r["samples"]) // 2
    assert max(r["samples"][half:]) - max(r["samples"][:half]) <= FLAT, \
        [round(s / MiB, 1) for s in r["samples"]]


@pytest.mark.parametrize("case", ["trace_strings"])
def test_trace_reader_strings_stay_within_the_chunk_bound(case, results):
    r = results[case].result()
    chunk, line = r["chunk_size"], r["line_bytes"]
    assert r["rows"] == r["keys"] >= 10_000_000
    assert r["chunks"] == -(-r["rows"] // chunk) and r["max_blob"] <= chunk * line
    # two chunks alive (the caller's and the one being filled): 8 columns of 51 B
    # per row, the url end offsets and the StringColumn offsets (8 B each), the
    # url blob twice (the parser's buffer and the bytes object); the reader's
    # block, carried tail and their concatenation; the generator's block.
    row = 51 + 8 + 8 + 2 * line
    allowed = 2 * chunk * row + 3 * (4 * MiB) + 3 * r["generator_block"] + SLACK
    assert r["peak"] <= allowed, (r["peak"] / MiB, allowed / MiB)
    assert r["peak"] >= chunk * 51, r
    half = len(r["samples"]) // 2
    assert max(r["samples"][half:]) - max(r["samples"][:half]) <= FLAT, \
        [round(s / MiB, 1) for s in r["samples"]]
