"""pytest-benchmark: Combined Log Format parsing (speed lives here, not in tests)."""
import pytest

pytest.importorskip("pytest_benchmark")

from runiso_core import _parse_py  # noqa: E402
from runiso_core.synth import synth_lines  # noqa: E402
from runiso_core.trace import parse_bytes  # noqa: E402

N = 200_000


@pytest.fixture(scope="module")
def clf_bytes():
    return b"".join(synth_lines(N, seed=1))


def test_parse_clf_native(benchmark, clf_bytes):
    t = benchmark(parse_bytes, clf_bytes, format="clf")
    assert len(t) == N
    benchmark.extra_info["lines_per_s"] = N / benchmark.stats.stats.min
    benchmark.extra_info["MB_per_s"] = len(clf_bytes) / benchmark.stats.stats.min / 1e6


def test_parse_clf_native_with_strings(benchmark, clf_bytes):
    t = benchmark(parse_bytes, clf_bytes, format="clf", with_strings=True)
    assert len(t) == N
    benchmark.extra_info["lines_per_s"] = N / benchmark.stats.stats.min


def test_parse_clf_regex_reference(benchmark, clf_bytes):
    head = b"".join(clf_bytes.splitlines(keepends=True)[:20_000])
    rows, bad, _, _ = benchmark.pedantic(_parse_py.parse_lines, (head, "clf"), rounds=2)
    assert len(rows) == 20_000 and not bad
    benchmark.extra_info["lines_per_s"] = 20_000 / benchmark.stats.stats.min


def test_synth_1m_lines(benchmark):
    n = benchmark.pedantic(lambda: sum(b.count(b"\n") for b in synth_lines(1_000_000, seed=2)),
                           rounds=1)
    assert n == 1_000_000
