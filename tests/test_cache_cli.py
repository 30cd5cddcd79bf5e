"""``runiso cache sim``."""
import numpy as np
from click.testing import CliRunner

from runiso_core import LRUCache, S3FIFOCache
from runiso_core.cli import main


def test_cache_sim_npy_matches_api(tmp_path):
    keys = np.array([1, 2, 3, 1, 4, 2, 1, 5, 1, 2] * 50, dtype=np.uint64)
    p = tmp_path / "k.npy"
    np.save(p, keys)
    res = CliRunner().invoke(main, ["cache", "sim", str(p), "-c", "3", "-p", "lru", "-p", "s3fifo"])
    assert res.exit_code == 0, res.output
    lru = LRUCache(max_entries=3)
    lru.access_many(keys)
    s3 = S3FIFOCache(max_entries=3)
    s3.access_many(keys)
    lines = res.output.splitlines()
    assert "500 requests, 5 distinct keys" in lines[0]
    assert f"{1 - lru.stats.hit_ratio:8.4f}" in [l for l in lines if " lru " in l][0]
    assert f"{1 - s3.stats.hit_ratio:8.4f}" in [l for l in lines if " s3fifo " in l][0]


def test_cache_sim_text_with_sizes(tmp_path):
    p = tmp_path / "t.txt"
    p.write_text("/a 10\n/b 20\n/a 10\n/c 50\n/a 10\n")
    res = CliRunner().invoke(main, ["cache", "sim", str(p), "--bytes", "-c", "60", "-p", "lru"])
    assert res.exit_code == 0, res.output
    c = LRUCache(capacity_bytes=60)
    hits = [c.access(k, s) for k, s in [("/a", 10), ("/b", 20), ("/a", 10), ("/c", 50), ("/a", 10)]]
    assert hits == [False, False, True, False, True]
    assert "0.6000" in res.output          # 3 misses of 5


def test_cache_sim_bad_input(tmp_path):
    p = tmp_path / "t.txt"
    p.write_text("/a\n/b\n")
    res = CliRunner().invoke(main, ["cache", "sim", str(p), "--bytes"])
    assert res.exit_code != 0 and "size column" in res.output
    res = CliRunner().invoke(main, ["cache", "sim", str(p), "-c", "lots"])
    assert res.exit_code != 0 and "capacity" in res.output
    res = CliRunner().invoke(main, ["cache", "sim", str(p), "-c", "0"])
    assert res.exit_code != 0 and "max_entries" in res.output


def test_cache_sim_unreadable_input_is_a_clear_error(tmp_path):
    # each of these used to end in a Python traceback
    bad = {"garbage.npy": b"not a npy file", "t.txt": b"ok 1\n"}
    for name, data in bad.items():
        (tmp_path / name).write_bytes(data)
    np.save(tmp_path / "obj.npy", np.array(["a"], dtype=object), allow_pickle=True)
    np.save(tmp_path / "two_d.npy", np.zeros((2, 2), dtype=np.uint64))
    (tmp_path / "neg.txt").write_text("/a -5\n")
    (tmp_path / "huge.txt").write_text("/a 99999999999999999999\n")
    for args in (["garbage.npy"], ["obj.npy"], ["two_d.npy"], ["neg.txt", "--bytes"],
                 ["huge.txt", "--bytes"], ["t.txt", "-c", "inf%"], ["t.txt", "-c", "-10%"],
                 ["t.txt", "-c", "nan%"]):
        res = CliRunner().invoke(main, ["cache", "sim", str(tmp_path / args[0]), *args[1:]])
        assert res.exit_code == 2, (args, res.output)
        assert "Traceback" not in res.output and "Error: Invalid value" in res.output, (args, res.output)


def test_cache_sim_text_keys_are_bytes(tmp_path):
    # invalid UTF-8 in a key is hashed as logged (it was a UnicodeDecodeError traceback)
    p = tmp_path / "k.txt"
    p.write_bytes(b"/\xff 1\n/a 2\n/\xff 1\n")
    res = CliRunner().invoke(main, ["cache", "sim", str(p), "-c", "5", "-p", "lru"])
    assert res.exit_code == 0, res.output
    assert "3 requests, 2 distinct keys" in res.output and "0.6667" in res.output


def test_cache_sim_empty_trace_is_an_error_not_a_ratio(tmp_path):
    p = tmp_path / "empty.txt"
    p.write_text("")
    r = CliRunner().invoke(main, ["cache", "sim", str(p)])
    assert r.exit_code != 0 and "no requests" in r.output and "Traceback" not in r.output
