"""`runiso trace stats` on real logs (checked against an independent
pure-Python computation) and `runiso trace synth`."""
import calendar
import json
import os
import re
from collections import Counter, OrderedDict

import numpy as np
import pytest
from click.testing import CliRunner

from runiso_core.cli import main
from runiso_core.synth import parse_flash_sale, synth_lines
from runiso_core.trace import parse_bytes
from runiso_core.trace_stats import lru_hit_ratio, trace_stats

DATA = os.path.join(os.path.dirname(__file__), "data")
APACHE = os.path.join(DATA, "apache_combined_3000.log")
NASA = os.path.join(DATA, "nasa_aug95_prefix.log")

# Independent computation, the way /work/shared/traces/stats.py does it (regex
# per line, OrderedDict LRU), but anchored so that a line holding two glued
# records is rejected.
LINE = re.compile(r'^(\S+) \S+ \S+ \[(\d\d)/(\w{3})/(\d{4}):(\d\d):(\d\d):(\d\d) ([+-])(\d\d)(\d\d)\] '
                  r'"([^"]*)" (\d{3}) (\d+|-)(?: "[^"]*" "([^"]*)")?(?: .*)?$')
MON = {m: i for i, m in enumerate("Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split(), 1)}



def _ordered_dict_lru_hits(keys, cap):
    """Hits of an independent, textbook OrderedDict LRU of `cap` entries."""
    c, hits = OrderedDict(), 0
    for k in keys:
        if k in c:
            hits += 1
            c.move_to_end(k)
        else:
            c[k] = None
            if len(c) > cap:
                c.popitem(last=False)
    return hits

def independent(path):
    recs, bad = [], 0
    for line in open(path, encoding="latin-1"):
        m = LINE.match(line.rstrip("\n"))
        if not m:
            bad += 1
            continue
        host, d, mon, y, hh, mm, ss, sg, th, tm, req, status, size, ua = m.groups()
        off = (int(th) * 3600 + int(tm) * 60) * (1 if sg == "+" else -1)
        t = calendar.timegm((int(y), MON[mon], int(d), int(hh), int(mm), int(ss))) - off
        parts = req.split()
        recs.append((t, parts[1] if len(parts) >= 2 else req, int(status),
                     0 if size == "-" else int(size), host, ua or "", parts[0] if parts else ""))
    keys = [r[1] for r in recs]
    freq = Counter(keys)
    per_sec = Counter(r[0] for r in recs)

    def lru(cap):
        return _ordered_dict_lru_hits(keys, cap) / len(keys)

    caps = [max(1, round(len(freq) * f)) for f in (0.01, 0.05, 0.10)]
    span = max(per_sec) - min(per_sec)
    return {
        "requests": len(recs), "malformed": bad, "distinct_urls": len(freq),
        "one_hit_wonder_ratio": sum(1 for v in freq.values() if v == 1) / len(freq),
        "lru": [lru(c) for c in caps], "caps": caps, "span_seconds": span,
        "rate_max_per_s": max(per_sec.values()), "rate_mean_per_s": len(recs) / (span + 1),
        "bytes_served": sum(r[3] for r in recs), "status": Counter(r[2] for r in recs),
        "sessions": len({(r[4], r[5]) for r in recs}),
        "top": sorted(freq.items(), key=lambda kv: (-kv[1], kv[0]))[:10],
    }


@pytest.mark.parametrize("path", [APACHE, NASA])
def test_stats_match_independent_computation(path):
    exp = independent(path)
    st = trace_stats([path])
    for k in ("requests", "malformed", "distinct_urls", "span_seconds", "rate_max_per_s",
              "bytes_served"):
        assert st[k] == exp[k], k
    assert st["rate_mean_per_s"] == pytest.approx(exp["rate_mean_per_s"])
    assert st["one_hit_wonder_ratio"] == pytest.approx(exp["one_hit_wonder_ratio"])
    assert st["distinct_sessions"] == exp["sessions"]
    for pct, cap, ratio in zip(("1", "5", "10"), exp["caps"], exp["lru"]):
        assert st[f"lru_capacity_{pct}pct"] == cap
        assert st[f"lru_hit_ratio_{pct}pct"] == pytest.approx(ratio)
    for code, n in exp["status"].items():
        assert st[f"status_{code}"] == n
    # top URLs: same counts in order (ties may order differently by key hash)
    assert [st[f"top_url_{i}_requests"] for i in range(1, 11)] == [n for _, n in exp["top"]]
    top_counts = dict(exp["top"])
    for i in range(1, 11):
        assert st[f"top_url_{i}"] in top_counts or exp["top"][9][1] == st[f"top_url_{i}_requests"]


def test_nasa_numbers_vs_shared_stats_md():
    # STATS.md lists 1,867 requests / 460 keys: its unanchored regex also takes the
    # first record of the 12 lines that hold two glued records. We count those as
    # malformed ("bad byte count"), so 1,855 + 12 lines.
    st = trace_stats([NASA])
    assert (st["requests"], st["malformed"], st["distinct_urls"]) == (1855, 12, 459)
    assert st["start_utc"] == "1995-08-01T04:00:01+00:00"
    assert st["end_utc"] == "1995-08-01T05:12:24+00:00"
    assert st["rate_max_per_s"] == 5


def test_lru_helper_matches_ordereddict_lru():
    keys = np.random.default_rng(1).zipf(1.3, 20_000).astype(np.uint64)
    for cap in (1, 10, 300):
        assert lru_hit_ratio(keys, cap) == _ordered_dict_lru_hits(keys.tolist(), cap) / len(keys)


def test_cli_stats_json_and_table():
    r = CliRunner().invoke(main, ["trace", "stats", "--json", APACHE, NASA])
    assert r.exit_code == 0, r.output
    st = json.loads(r.output)
    assert st["requests"] == 3000 + 1855 and st["malformed"] == 12
    assert all(not isinstance(v, dict) for v in st.values())  # flat
    r = CliRunner().invoke(main, ["trace", "stats", NASA])
    assert r.exit_code == 0 and "one_hit_wonder_ratio" in r.output and "1,855" in r.output


def test_cli_stats_errors(tmp_path):
    p = tmp_path / "junk.png"
    p.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8)
    r = CliRunner().invoke(main, ["trace", "stats", str(p)])
    assert r.exit_code == 1 and "is a PNG image, not a trace" in r.output
    p = tmp_path / "random.bin"        # no repeated id: 4- or 8-byte records cannot be told
    p.write_bytes(np.random.default_rng(0).bytes(64_000))
    r = CliRunner().invoke(main, ["trace", "stats", str(p)])
    assert r.exit_code == 1 and "use --format int32be or --format int64be" in r.output
    r = CliRunner().invoke(main, ["trace", "stats", "--strict", NASA])
    assert r.exit_code == 1 and "line 299" in r.output and "bad byte count" in r.output
    r = CliRunner().invoke(main, ["trace", "stats", str(tmp_path / "nope.log")])
    assert r.exit_code == 1 and "nope.log" in r.output
    r = CliRunner().invoke(main, ["trace", "stats", "--chunk-size", "1000000000000", NASA])
    assert r.exit_code == 2 and "--chunk-size" in r.output and "Traceback" not in r.output


# ---------------------------------------------------------------- synth

def test_synth_deterministic_and_parseable(tmp_path):
    a = b"".join(synth_lines(5000, seed=7))
    assert a == b"".join(synth_lines(5000, seed=7, block=777))
    assert a != b"".join(synth_lines(5000, seed=8))
    assert a.count(b"\n") == 5000
    t = parse_bytes(a, with_strings=True)
    assert len(t) == 5000 and t.malformed == 0 and t.backwards_time == 0
    out = tmp_path / "s.log"
    r = CliRunner().invoke(main, ["trace", "synth", "-n", "5000", "--seed", "7", "-o", str(out)])
    assert r.exit_code == 0, r.output
    assert out.read_bytes() == a


def test_synth_funnel_popularity_diurnal():
    data = b"".join(synth_lines(60_000, seed=3, cart_rate=0.2, checkout_rate=0.5, days=1))
    t = parse_bytes(data, with_strings=True)
    urls = t.url.to_numpy()
    sess = t.session
    adds = set(sess[np.char.startswith(urls.astype(str), "/cart/add")].tolist())
    bought = set(sess[urls == "/checkout/confirmation"].tolist())
    first = set(sess.tolist())
    assert bought <= adds  # only carting sessions check out
    assert 0.3 < len(bought) / len(adds) < 0.7          # checkout_rate 0.5
    assert 0.12 < len(adds) / len(first) < 0.3           # cart_rate 0.2 (sessions ~ client+UA)
    # Zipf popularity: the most viewed product page gets far more than the median one
    prod = Counter(u for u in urls.tolist() if u.startswith("/p/"))
    c = sorted(prod.values(), reverse=True)
    assert c[0] > 20 * c[len(c) // 2]
    # diurnal: evening (18-22 h) much busier than night (02-06 h)
    hour = (t.time_ns // 3_600_000_000_000) % 24
    assert np.count_nonzero((hour >= 18) & (hour < 22)) > 3 * np.count_nonzero((hour >= 2) & (hour < 6))


def test_synth_flash_sale_surge():
    kw = dict(seed=5, days=1, start="2026-11-27T00:00:00Z")
    base = parse_bytes(b"".join(synth_lines(50_000, **kw)))
    sale = parse_bytes(b"".join(synth_lines(50_000, flash_sale="12h:1h:8", **kw)))
    t0 = calendar.timegm((2026, 11, 27, 0, 0, 0)) * 10**9

    def share(t):  # share of requests in 12:00-13:00
        h = (t.time_ns - t0) // 3_600_000_000_000
        return np.count_nonzero(h == 12) / len(t)
    assert share(sale) > 4 * share(base)
    assert parse_flash_sale("90m:30m:8") == (5400.0, 1800.0, 8.0)
    with pytest.raises(ValueError, match="START:DURATION:FACTOR"):
        parse_flash_sale("12h:8")
    with pytest.raises(ValueError, match="after the end of the trace"):
        next(synth_lines(10, flash_sale="30h:1h:3", days=1))
    r = CliRunner().invoke(main, ["trace", "synth", "--flash-sale", "x:y:z", "-o", "-"])
    assert r.exit_code == 2 and "Invalid value for '--flash-sale'" in r.output


@pytest.mark.parametrize("args, code, msg", [
    (["--days", "1e12"], 2, "'--days': must be in (0, 31]"),       # tried to allocate 614 PiB
    (["--products", "1000000000000"], 2, "'--products': must be in"),  # 7 TiB permutation
    (["--pages-per-session", "inf"], 2, "'--pages-per-session': must be in"),
    (["--pages-per-session", "1e300"], 2, "'--pages-per-session': must be in"),
    (["--seed", "-1"], 2, "'--seed': must be an int >= 0"),
    (["--start", "9999-01-01"], 2, "1900-2261"),                 # unparseable by our own parsers
    (["--start", "1000-01-01"], 2, "1900-2261"),
    (["--start", "9999-12-31T23:59:59Z"], 2, "1900-2261"),       # was an OverflowError traceback
    (["-n", "99999999999999999999"], 2, "'-n' / '--lines'"),     # numpy: "array is too big"
    (["--clients", "99999999999999999999"], 2, "'--clients'"),   # numpy: "high is out of bounds"
    (["-o", "/nonexistent-dir/x.log"], 1, "No such file"),       # was an OSError traceback
])
def test_synth_bad_options_are_clear_errors(tmp_path, args, code, msg):
    argv = ["trace", "synth", "-n", "10", "-o", str(tmp_path / "s.log"), *args]
    r = CliRunner().invoke(main, argv)
    assert r.exit_code == code and msg in r.output and "Traceback" not in r.output, r.output
    assert "numpy" not in r.output and "array is too big" not in r.output
