"""KeyCounts (the working set of cache sim and trace stats) == numpy on the whole trace."""
import numpy as np
from hypothesis import given, settings, strategies as st

from runiso_core.keycounts import KeyCounts


@settings(max_examples=100, deadline=None)
@given(st.lists(st.lists(st.tuples(st.integers(0, 40), st.integers(0, 9)), max_size=60),
                max_size=12))
def test_counts_and_first_sizes_equal_the_whole_trace(chunks):
    kc = KeyCounts()
    for ch in chunks:
        kc.add(np.array([k for k, _ in ch], np.uint64), np.array([s for _, s in ch], np.int64))
        kc._merge() if len(ch) % 3 == 0 else None          # merges at any point give one answer
    allk = [k for ch in chunks for k, _ in ch]
    alls = [s for ch in chunks for _, s in ch]
    uk, first, cnt = np.unique(np.array(allk, np.uint64), return_index=True, return_counts=True)
    assert kc.keys.tolist() == uk.tolist() and kc.counts.tolist() == cnt.tolist()
    assert kc.objects == len(uk)
    assert kc.bytes == sum(alls[i] for i in first.tolist())


def test_memory_follows_distinct_keys_not_requests():
    kc = KeyCounts()
    for _ in range(200):                      # 20M requests of 1,000 objects
        kc.add(np.arange(100_000, dtype=np.uint64) % 1000)
    assert kc.objects == 1000 and kc.counts.sum() == 20_000_000
    assert kc.keys.nbytes + kc.counts.nbytes < 20_000
