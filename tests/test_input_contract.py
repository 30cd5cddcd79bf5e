"""The input contract every command that reads a trace follows (``trace stats``,
``cache sim``), run as a user runs them: exit codes, messages in CLI words,
no traceback and no Python warning text."""
import bz2
import gzip
import io
import json
import lzma
import os
import subprocess
import warnings

import numpy as np
import pytest
import zstandard
from click.testing import CliRunner

from runiso_core import hash64, read_trace
from runiso_core.cli import main
from runiso_core.trace import (ParamError, StringColumn, TraceFormatError, TruncatedInputError,
                               detect_formats, parse_bytes)

DATA = os.path.join(os.path.dirname(__file__), "data")
APACHE = os.path.join(DATA, "apache_combined_3000.log")
NASA = os.path.join(DATA, "nasa_aug95_prefix.log")
WEB12 = os.path.join(DATA, "cache2k_web12_head20000.trc.bin")
SCARAB = os.path.join(DATA, "scarab_recs_head20000.trace.bin")
TENCENT = os.path.join(DATA, "tencent_photo_head500.txt")
COMMANDS = [["trace", "stats"], ["cache", "sim"]]
CODECS = {"gz": gzip.compress, "bz2": bz2.compress, "xz": lzma.compress,
          "zst": lambda b: zstandard.ZstdCompressor().compress(b)}


def cli(*args, input=None):
    r = CliRunner().invoke(main, [str(a) for a in args], input=input)
    assert "Traceback" not in r.output, r.output
    assert "Warning:" not in r.output and "RuntimeWarning" not in r.output, r.output
    return r


# ------------------------------------------------------ truncated input

@pytest.mark.parametrize("codec", sorted(CODECS))
@pytest.mark.parametrize("cmd", COMMANDS, ids=["stats", "sim"])
def test_truncated_compressed_input_is_an_error_for_every_codec(tmp_path, codec, cmd):
    raw = open(APACHE, "rb").read() * 3     # 2.1 MB: several bzip2 blocks
    data = CODECS[codec](raw)
    p = tmp_path / f"cut.log.{codec}"
    p.write_bytes(data[:len(data) * 2 // 3])
    name = {"gz": "gzip", "bz2": "bzip2", "xz": "xz", "zst": "zstd"}[codec]
    r = cli(*cmd, p)
    assert r.exit_code == 1, r.output
    assert f"{p}: the {name} stream is truncated or corrupt after" in r.output
    assert "decoded bytes, at line" in r.output and "use --allow-truncated" in r.output
    r = cli(*cmd, p, "--allow-truncated")
    assert r.exit_code == 0, r.output
    warn = [ln for ln in r.stderr.splitlines() if ln.startswith("warning:")]
    assert len(warn) == 1 and "truncated or corrupt" in warn[0] and "kept the" in warn[0]
    n = int(warn[0].split("kept the ")[1].split()[0].replace(",", ""))
    assert 0 < n < 9000


def test_corrupt_gzip_and_partial_binary_record(tmp_path):
    data = bytearray(gzip.compress(open(APACHE, "rb").read()))
    data[len(data) // 2:len(data) // 2 + 64] = b"\x00" * 64
    (tmp_path / "bad.gz").write_bytes(bytes(data))
    r = cli("trace", "stats", tmp_path / "bad.gz")
    assert r.exit_code == 1 and "gzip stream is truncated or corrupt" in r.output
    (tmp_path / "x.trc.bin").write_bytes(open(WEB12, "rb").read() + b"\x01\x02\x03")
    r = cli("cache", "sim", tmp_path / "x.trc.bin")
    assert r.exit_code == 1 and "3 trailing bytes after 20,000 records of 4 bytes" in r.output
    r = cli("cache", "sim", tmp_path / "x.trc.bin", "--allow-truncated", "-c", "100", "-p", "lru")
    assert r.exit_code == 0 and "20,000 requests" in r.output and "warning:" in r.stderr


def test_nothing_decodable_is_an_error_even_with_allow_truncated(tmp_path):
    p = tmp_path / "one-block.bz2"     # one bzip2 block, cut: nothing decodes
    data = bz2.compress(open(APACHE, "rb").read())
    p.write_bytes(data[:len(data) // 2])
    r = cli("trace", "stats", p, "--allow-truncated")
    assert r.exit_code == 1
    assert "after 0 decoded bytes, at line 1" in r.output and "nothing could be read" in r.output


def test_api_raises_and_never_warns(tmp_path):
    p = tmp_path / "t.xz"
    p.write_bytes(lzma.compress(open(NASA, "rb").read())[:-2000])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(TruncatedInputError) as ei:
            read_trace(p)
        assert "pass allow_truncated=True" in str(ei.value)          # the API's words
        assert ei.value.cli_message().endswith("use --allow-truncated")   # the CLI's words
        assert ei.value.decoded_bytes > 0 and ei.value.line_number > 1
        t = read_trace(p, allow_truncated=True)
    assert t.truncated.endswith("(Compressed file ended before the end-of-stream marker was "
                                "reached)")
    assert 0 < len(t) < 1855


# ---------------------------------------------------- nothing parsed

@pytest.mark.parametrize("cmd", COMMANDS, ids=["stats", "sim"])
def test_nothing_parsed_exits_1_with_reasons_and_formats_that_would_parse(cmd):
    r = cli(*cmd, APACHE, "--format", "haproxy")
    assert r.exit_code == 1
    assert "none of its 3,000 non-blank lines parses as haproxy" in r.output
    assert "first reasons: line 1: bad timestamp" in r.output and "use --format clf" in r.output
    r = cli(*cmd, SCARAB, "--format", "clf")            # a binary file forced as text
    assert r.exit_code == 1 and "parses as clf" in r.output and "--format int64be" in r.output


@pytest.mark.parametrize("cmd", COMMANDS, ids=["stats", "sim"])
def test_empty_input_is_one_line_and_exit_0(tmp_path, cmd):
    (tmp_path / "e.log").write_bytes(b"")
    r = cli(*cmd, tmp_path / "e.log")
    assert r.exit_code == 0 and r.output == f"{tmp_path / 'e.log'}: empty input: no requests\n"
    r = cli(*cmd, "-", input=b"")
    assert r.exit_code == 0 and "<stdin>: empty input" in r.output
    (tmp_path / "e.gz").write_bytes(gzip.compress(b""))
    assert cli(*cmd, tmp_path / "e.gz").exit_code == 0


@pytest.mark.parametrize("cmd", COMMANDS, ids=["stats", "sim"])
def test_more_than_10_percent_malformed_warns_at_the_end(tmp_path, cmd):
    lines = open(APACHE, "rb").read().splitlines()[:400]
    junk = [b"junk line %d" % i for i in range(100)]       # 100 of 500: 20 %
    p = tmp_path / "mixed.log"
    p.write_bytes(b"\n".join(lines[:200] + junk + lines[200:]) + b"\n")
    r = cli(*cmd, p)
    assert r.exit_code == 0
    last = r.stderr.strip().splitlines()[-1]
    assert last.startswith("warning:") and "100 of 500 lines (20.0%) are malformed" in last
    assert "line 201" in last and "--format clf" in last
    # 12 of 1,867 (0.6 %) is no warning
    assert "warning" not in cli(*cmd, NASA).stderr


# ----------------------------------------- formats and their detection

@pytest.mark.parametrize("cmd", COMMANDS, ids=["stats", "sim"])
def test_text_log_forced_as_binary_is_refused(cmd):
    # --format int64be on an Apache log gave 296,348 junk ids and exit 0
    r = cli(*cmd, APACHE, "--format", "int64be")
    assert r.exit_code == 1 and "looks like text" in r.output and "--format clf" in r.output
    with pytest.raises(TraceFormatError, match="pass format='clf'"):
        read_trace(APACHE, format="int32be")


def test_detection_says_why(tmp_path):
    p = tmp_path / "long.log"
    with open(p, "wb") as f:
        f.write(b"x" * (20 << 20) + b"\n")
        f.write(open(APACHE, "rb").read(2000))
    r = cli("trace", "stats", p)
    assert r.exit_code == 1
    assert "line 1 is 20 MiB, over the 1 MiB line limit" in r.output and "--format" in r.output
    r = cli("trace", "stats", p, "--format", "clf", "--max-line-bytes", "64KiB")
    assert r.exit_code == 0 and "line 1: line too long" in r.output
    big = ('1.2.3.4 - - [01/Jan/2024:00:00:00 +0000] "GET / HTTP/1.1" 200 '
           '12345678901234567890123\n')
    (tmp_path / "big.log").write_text(big * 3)
    r = cli("trace", "stats", tmp_path / "big.log")
    assert r.exit_code == 1 and "unrecognised log format" in r.output
    assert "clf: byte count over 18 digits" in r.output
    assert "format=" not in r.output                    # CLI words only


def test_cli_errors_speak_cli_and_the_api_speaks_python(tmp_path):
    (tmp_path / "t.csv").write_text("foo,bar\n1,2\n")
    r = cli("trace", "stats", tmp_path / "t.csv")
    assert r.exit_code == 1 and "use --columns key=<name or index>" in r.output
    with pytest.raises(TraceFormatError, match=r"pass columns=\{'key'"):
        read_trace(tmp_path / "t.csv")
    r = cli("trace", "stats", tmp_path / "t.csv", "--columns", "key=baz")
    assert r.exit_code == 2 and "Invalid value for '--columns': key=baz: no column named" in r.output
    with pytest.raises(ParamError, match="^columns: key=baz"):
        read_trace(tmp_path / "t.csv", columns={"key": "baz"})
    r = cli("trace", "stats", tmp_path / "t.csv", "--columns", "colour=1")
    assert r.exit_code == 2 and "unknown role 'colour'" in r.output
    p = tmp_path / "rand.bin"
    p.write_bytes(np.random.default_rng(1).bytes(50_000))
    r = cli("trace", "stats", p)
    assert r.exit_code == 1 and "--format int32be or --format int64be" in r.output
    with pytest.raises(TraceFormatError, match="pass format='int32be' or format='int64be'"):
        read_trace(p)


def test_scarab_is_detected():
    t = read_trace(SCARAB)
    assert t.format == "int64be" and len(t) == 20_000 and t.columns == ("key",)
    assert t.key[0].astype(np.int64) == 8756849942801480528     # SOURCE.md's first id
    assert read_trace(WEB12).format == "int32be"
    raw = open(WEB12, "rb").read()                  # without the .trc.bin name: by its bytes
    assert read_trace(io.BufferedReader(io.BytesIO(raw))).format == "int32be"
    assert detect_formats(open(SCARAB, "rb").read()) == ["int64be"]


def test_tencent_format_composite_key_and_zone():
    t = read_trace(TENCENT, with_strings="url")
    assert t.format == "tencent" and len(t) == 500 and t.malformed == 0
    assert t.columns == ("time_ns", "key", "size")
    first = open(TENCENT).readline().split()
    assert t.url[0] == f"{first[1]}/{first[2]}/{first[3]}"
    assert t.key[0] == hash64(t.url[0]) and t.size[0] == int(first[4])
    # 20160201164604 China time = 08:46:04 UTC (STATS.md)
    assert t.time_ns[0] == 1454316364 * 10**9
    assert read_trace(TENCENT, tz="UTC").time_ns[0] == t.time_ns[0] + 8 * 3600 * 10**9
    assert read_trace(TENCENT, tz="Asia/Shanghai").time_ns[0] == t.time_ns[0]
    distinct = {" ".join(ln.split()[1:4]) for ln in open(TENCENT)}
    assert len(np.unique(t.key)) == len(distinct)
    r = cli("trace", "stats", TENCENT, "--tz", "-05:00", "--json")
    assert json.loads(r.stdout)["start_utc"] == "2016-02-01T21:46:04+00:00"


def test_zone_less_times_follow_tz_with_daylight_saving():
    csv = (b"time,url\n2024-03-31T01:59:59,/a\n2024-03-31T03:00:00,/b\n"
           b"2024-10-27T02:30:00,/c\n2024-07-01T12:00:00+00:00,/d\n")
    t = parse_bytes(csv, tz="Europe/Paris")
    assert (t.time_ns // 10**9).tolist() == [1711846799, 1711846800,
                                             1729989000,     # the first 02:30 (CEST, fold=0)
                                             1719835200]     # an explicit zone wins
    hap = (b'10.0.0.1:5000 [06/Feb/2009:12:14:14.655] fe be/srv 10/0/30/69/109 200 2750 - - ---- '
           b'1/1/1/1/0 0/0 "GET /x HTTP/1.1"\n')
    assert parse_bytes(hap, tz="+01:00").time_ns[0] == parse_bytes(hap).time_ns[0] - 3600 * 10**9


def test_keys_and_npy_formats(tmp_path):
    t = parse_bytes(b"42 100\n/a/b\n42 -\n", format="keys")
    assert t.format == "keys" and t.key.tolist() == [42, hash64("/a/b")]
    assert t.malformed == 1 and t.malformed_examples[0][1] == "bad byte count"
    assert parse_bytes(b"42 100\n/a/b\n7 3\n").format == "keys"
    assert "size" in t.columns and not t.has_time
    assert parse_bytes(b"a\nb\n").columns == ("key",)
    arr = np.array([5, -1, 7], dtype=np.int32)
    np.save(tmp_path / "k.npy", arr)
    t = read_trace(tmp_path / "k.npy")
    assert t.format == "npy" and t.key.view(np.int64).tolist() == [5, -1, 7]
    (tmp_path / "k.npy.gz").write_bytes(gzip.compress((tmp_path / "k.npy").read_bytes()))
    assert read_trace(tmp_path / "k.npy.gz").key.tolist() == t.key.tolist()
    cut = (tmp_path / "k.npy").read_bytes()[:-4]
    with pytest.raises(TruncatedInputError, match="ends after 2 of the 3 keys"):
        parse_bytes(cut)


# ------------------------------------------------ output of absent columns

def test_columns_a_trace_lacks_are_na_not_zero():
    r = cli("trace", "stats", WEB12, "--json")
    st = json.loads(r.stdout)
    assert st["columns"] == ["key"]
    for k in ("bytes_served", "distinct_sessions", "status", "method", "start_utc",
              "rate_max_per_s"):
        assert st[k] is None, k
    assert not any(k.startswith(("status_", "method_")) for k in st)
    r = cli("trace", "stats", WEB12)
    rows = {ln.split("│")[1].strip(): ln.split("│")[2].strip()
            for ln in r.output.splitlines() if ln.count("│") == 3}
    assert rows["bytes_served"] == rows["distinct_sessions"] == rows["status"] == "n/a"
    assert "status_0" not in r.output and "method_NONE" not in r.output


def test_main_command_shows_three_malformed_lines_and_v_shows_all():
    r = cli("trace", "stats", NASA)
    assert r.exit_code == 0
    lines = r.output.splitlines()
    i = lines.index("malformed lines:")
    shown = lines[i + 1:]
    assert len(shown) == 4 and shown[-1] == "  (9 more malformed lines not shown; -v shows up " \
                                            "to 10 per file)"
    assert all(s.startswith("  line ") and len(s) <= 80 for s in shown[:3])
    r = cli("trace", "stats", NASA, "-v")
    lines = r.output.splitlines()
    shown = lines[lines.index("malformed lines:") + 1:]
    assert len(shown) == 11 and shown[-1] == "  (2 more malformed lines not shown)"
    assert len(r.output.splitlines()) < 80


def test_string_columns_slice_and_index():
    t = read_trace(NASA, with_strings=True)
    urls = list(t.url)
    assert list(t.url[:2]) == urls[:2]
    assert isinstance(t.url[:2], StringColumn) and len(t.url[5:5]) == 0
    assert list(t.url[10:20:3]) == urls[10:20:3]
    assert list(t.url[-3:]) == urls[-3:]
    idx = np.array([7, 0, -1, 7])
    assert list(t.url[idx]) == [urls[7], urls[0], urls[-1], urls[7]]
    mask = t.status == 304
    assert list(t.url[mask]) == [u for u, m in zip(urls, mask) if m]
    assert t.url[[1, 2]].bytes_at(1) == urls[2].encode()
    with pytest.raises(IndexError):
        t.url[np.array([len(urls)])]
    with pytest.raises(TypeError, match="indices"):
        t.url[1.5]


# ------------------------------- found by an adversarial review, each a test

def test_percentages_on_a_pipe_are_read_once(tmp_path):
    # the second pass re-opened the path: 0 requests and a 0.0000 miss ratio (or a
    # hang on a FIFO); now anything but a regular file is kept from the first pass
    out = subprocess.run(["bash", "-c", f"runiso cache sim <(cat {APACHE}) -c 5% -p lru --json"],
                         capture_output=True, timeout=120)
    assert out.returncode == 0, out.stderr
    d = json.loads(out.stdout)
    ref = json.loads(cli("cache", "sim", APACHE, "-c", "5%", "-p", "lru", "--json").stdout)
    assert d["requests"] == 3000 and d["results"] == ref["results"]


def test_headerless_csv_with_columns(tmp_path):
    rows = open(os.path.join(DATA, "cloudphysics_head5000.csv"), "rb").read().split(b"\n", 1)[1]
    p = tmp_path / "noheader.csv"
    p.write_bytes(rows)
    with_header = json.loads(cli("cache", "sim", os.path.join(DATA, "cloudphysics_head5000.csv"),
                                 "-c", "1%", "-p", "lru", "--json").stdout)
    for extra in ([], ["--format", "csv"]):       # was keys (no --format) / lost row 1 (csv)
        r = cli("cache", "sim", p, "--columns", "time=1,key=4,size=3", "-c", "1%", "-p", "lru",
                "--json", *extra)
        d = json.loads(r.stdout)
        assert d["format"] == "csv" and d["requests"] == 5000, d
        assert d["results"] == with_header["results"]
    r = cli("cache", "sim", APACHE, "--columns", "key=zz")      # clf has fixed columns
    assert r.exit_code == 2 and "fixed columns" in r.output
    r = cli("cache", "sim", APACHE, "--format", "clf", "--columns", "key=1")
    assert r.exit_code == 2 and "only CSV/TSV input has a column mapping" in r.output


def test_columns_mistakes_exit_2_with_the_reason(tmp_path):
    csv = os.path.join(DATA, "cloudphysics_head5000.csv")
    for spec, msg in (("key=99", "column index in [0, 5) (the first line has 5 columns)"),
                      ("key=lbn,key=time", "role 'key' given twice"),
                      ("key=lbn,size=lbn", "given two roles: key and size")):
        r = cli("trace", "stats", csv, "--columns", spec)
        assert r.exit_code == 2 and msg in r.output, (spec, r.output)
    with pytest.raises(ParamError, match="expected a mapping"):
        read_trace(csv, columns=["key"])
    (tmp_path / "wide.csv").write_text(",".join(f"c{i}" for i in range(60_000)) + "\n1\n")
    r = cli("trace", "stats", tmp_path / "wide.csv")
    assert r.exit_code == 1 and len(r.output) < 600          # the header is cut, not 589 KB


def test_a_byte_capacity_does_not_change_object_percentages():
    path = os.path.join(DATA, "nasa_aug95_prefix.log")             # has 304s of size 0
    alone = json.loads(cli("cache", "sim", path, "-c", "10%", "-p", "lru", "--json").stdout)
    both = json.loads(cli("cache", "sim", path, "-c", "10%", "-c", "1MiB", "-p", "lru",
                          "--json").stdout)
    assert both["results"][0] == alone["results"][0]
    assert both["distinct_objects"] == alone["distinct_objects"] == 459


@pytest.mark.parametrize("data, msg", [
    (np.random.default_rng(2).bytes(40_004), "do not tell 4-byte from 8-byte ids"),  # 4 mod 8
    (open(SCARAB, "rb").read(16_000), "do not tell 4-byte from 8-byte ids"),   # 2,000 ids
    (b"\x04\x22\x4d\x18" + bytes(5000), "an LZ4 file"),
    ("GET / HTTP/1.1 200 5\n".encode("utf-16-le") * 50, "UTF-16 text"),
    (b"\xff\xfe" + "a b\n".encode("utf-16-le") * 50, "UTF-16 text"),
])
def test_binary_files_that_are_not_id_streams_are_refused(tmp_path, data, msg):
    p = tmp_path / "x.bin"
    p.write_bytes(data)
    r = cli("trace", "stats", p)
    assert r.exit_code == 1 and msg in r.output, r.output


def test_text_named_trc_bin_is_text_and_cr_only_lines_are_lines(tmp_path):
    lines = open(APACHE, "rb").read().split(b"\n")[:200]
    (tmp_path / "x.trc.bin").write_bytes(b"\n".join(lines[:100]) + b"\n")
    assert read_trace(tmp_path / "x.trc.bin").format == "clf"
    (tmp_path / "mac.log").write_bytes(b"\r".join(lines) + b"\r")   # was 1 request, exit 0
    t = read_trace(tmp_path / "mac.log")
    assert len(t) == 200 and t.malformed == 0
    assert len(parse_bytes(b"time,key,size\r1,a,1\r2,b,1\r")) == 2


def test_text_with_a_few_nul_lines_is_text():
    lines = open(APACHE, "rb").read().split(b"\n")[:50]
    lines[3] = b"\x00" * 40
    t = parse_bytes(b"\n".join(lines) + b"\n")
    assert t.format == "clf" and len(t) == 49 and t.malformed_examples[0][1] == "NUL byte in line"


@pytest.mark.parametrize("codec, cut", [("xz", 5), ("bz2", 2), ("zst", 3), ("gz", 100),
                                        ("xz", 100)])
def test_a_stream_cut_early_is_truncated_not_a_format_problem(tmp_path, codec, cut):
    p = tmp_path / f"t.{codec}"
    p.write_bytes(CODECS[codec](open(APACHE, "rb").read())[:cut])
    r = cli("trace", "stats", p)
    assert r.exit_code == 1 and "truncated or corrupt" in r.output, r.output
    assert "unrecognised" not in r.output


def test_zstd_skippable_frames_are_skipped(tmp_path):
    import struct
    raw = open(NASA, "rb").read()
    data = struct.pack("<II", 0x184D2A50, 4) + b"pzst" + zstandard.ZstdCompressor().compress(raw)
    (tmp_path / "p.zst").write_bytes(data)
    assert len(read_trace(tmp_path / "p.zst")) == 1855


def test_nothing_parsed_suggests_csv_not_keys():
    r = cli("cache", "sim", os.path.join(DATA, "cloudphysics_head5000.csv"), "--format", "plain")
    assert r.exit_code == 1 and "use --format csv" in r.output and "keys" not in r.output


def test_empty_answers_are_errors(tmp_path):
    p = tmp_path / "zero.csv"
    p.write_text("time,key,size\n" + "".join(f"{i},k{i % 7},0\n" for i in range(100)))
    r = cli("cache", "sim", p, "--bytes", "-c", "10")
    assert r.exit_code == 1 and "all 100 have size 0: there is nothing to replay" in r.output
    for bad in ("", ","):
        r = cli("cache", "sim", APACHE, "-p", bad)
        assert r.exit_code == 2 and "no policy" in r.output
    r = cli("cache", "sim", APACHE, "-c", "1000.0")
    assert r.exit_code == 2 and "must be in (0, 1]" in r.output


def test_strict_errors_name_the_file():
    r = cli("trace", "stats", "--strict", NASA)
    assert r.exit_code == 1 and f"{NASA}: line 299: bad byte count" in r.output


def test_terminal_controls_and_markup_in_logs_are_escaped(tmp_path):
    line = b'1.2.3.4 - - [01/Jan/2024:00:00:00 +0000] "GET /a\x1b]0;PWNED\x07[red]b HTTP/1.1" 200 5'
    (tmp_path / "e.log").write_bytes(line + b"\njunk \x1b[31m line\n")
    r = cli("trace", "stats", tmp_path / "e.log")
    assert "\x1b" not in r.output and "\x07" not in r.output
    assert "/a\\x1b]0;PWNED\\x07[red]b" in r.output and "junk \\x1b[31m line" in r.output


def test_binary_traces_with_strings_have_their_ids_as_strings():
    t = read_trace(WEB12, with_strings=True)
    assert list(t.url[:3]) == ["0", "1", "2"] and len(t.user_agent) == len(t)
    assert t.url[len(t) - 1] == str(int(t.key[-1].astype(np.int64)))
    with pytest.raises(IndexError):
        t.url[np.array([2**64 - 1], np.uint64)]              # wrapped to -1: the last row


def test_trace_stats_two_passes_equal_kept_keys():
    from runiso_core.trace_stats import TraceStatsBuilder
    kept, twice = TraceStatsBuilder(keep_keys=True), TraceStatsBuilder(keep_keys=False)
    chunks = list(__import__("runiso_core").iter_trace(APACHE, chunk_size=500, with_strings="url"))
    for ch in chunks:
        kept.add(ch, APACHE)
        twice.add(ch, APACHE)
    assert kept.result() == twice.result(lambda: (c.key for c in chunks))


# ------------------------------------------- found by a second review round

def test_a_run_of_nuls_in_a_text_log_is_one_malformed_line(tmp_path):
    lines = open(APACHE, "rb").read().split(b"\n")
    (tmp_path / "crash.log").write_bytes(b"\n".join(lines[:5]) + b"\n" + b"\x00" * 600 + b"\n"
                                         + b"\n".join(lines[5:100]) + b"\n")
    t = read_trace(tmp_path / "crash.log")
    assert t.format == "clf" and len(t) == 100 and t.malformed == 1


def test_ttl_replay_clock_never_goes_back(tmp_path):
    p = tmp_path / "p.txt"       # times logged out of order: 0, 10, 5, 11
    p.write_text("0 2 10\n10 1 10\n5 1 10\n11 1 10\n")
    # TTL 0: nothing can hit; replayed at 5 (before its insertion at 10) key 1 was a hit
    d = json.loads(cli("cache", "sim", p, "--ttl", "0", "-c", "10", "-p", "lru", "--json").stdout)
    assert d["results"][0]["hits"] == 0 and d["backwards_time"] == 1
    d = json.loads(cli("cache", "sim", p, "--ttl", "6", "-c", "10", "-p", "lru", "--json").stdout)
    assert d["results"][0]["hits"] == 2 and d["results"][0]["expired"] == 0
    late = tmp_path / "late.log"                                         # past 2255: relative times
    cli("trace", "synth", "-n", "2000", "--start", "2256-01-01T00:00:00Z", "-o", late)
    r = cli("cache", "sim", late, "--ttl", "10m", "-c", "100", "-p", "lru")
    assert r.exit_code == 0, r.output


def test_semicolon_and_pipe_delimited_csv(tmp_path):
    for d in (";", "|"):
        p = tmp_path / "s.csv"
        p.write_text(f"time{d}key{d}size\n1{d}100{d}10\n2{d}101{d}20\n3{d}100{d}10\n")
        t = read_trace(p)
        assert t.format == "csv" and t.key.tolist() == [100, 101, 100] and t.size.sum() == 40


def test_second_pass_reads_what_the_first_pass_read(tmp_path):
    from runiso_core.cache_sim import simulate
    from runiso_core.units import parse_capacity
    t = read_trace(WEB12)
    grown = [t, t]                                  # the file "grew" between the passes
    rep = simulate([t], lambda: ((c.key, None, None) for c in grown),
                   policies=["lru"], capacities=[parse_capacity("1%")])
    assert rep.requests == rep.results[0].requests == 20_000


def test_read_trace_keeps_the_first_row_of_a_headerless_csv(tmp_path):
    p = tmp_path / "k2.csv"
    p.write_text("".join(f"{i % 17},{100 + i}\n" for i in range(200)))
    assert len(read_trace(p, columns={"key": 0, "size": 1})) == 200
    assert len(parse_bytes(p.read_bytes(), columns={"key": 0, "size": 1})) == 200
    tsv = tmp_path / "h.tsv"       # was "plain, which has fixed columns"
    tsv.write_text("".join(f"{1700000000 + i}\t{i % 50}\t{i}\n" for i in range(200)))
    t = read_trace(tsv, columns={"time": 0, "key": 1, "size": 2})
    assert t.format == "tsv" and len(t) == 200


def test_byte_sums_are_exact():
    line = '1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] "GET /f{} HTTP/1.1" 200 999999999999999999'
    data = "\n".join(line.format(i) for i in range(10)).encode()
    st = json.loads(cli("trace", "stats", "-", "--json", input=data).stdout)
    assert st["bytes_served"] == 10 * 999_999_999_999_999_999       # wrapped negative in int64
    d = json.loads(cli("cache", "sim", "-", "-c", "5", "-p", "lru", "--json", input=data).stdout)
    assert d["distinct_bytes"] == 10 * 999_999_999_999_999_999


def test_keys_size_column_does_not_depend_on_the_chunk_size(tmp_path):
    p = tmp_path / "mixk.txt"
    p.write_text("".join(f"k{i} {i + 1}\n" for i in range(1000)) + "".join(f"k{i}\n" for i in
                                                                           range(1000)))
    for cs in ("1000000", "500"):
        d = json.loads(cli("cache", "sim", p, "--bytes", "-c", "10KiB", "-p", "lru", "--json",
                           "--chunk-size", cs).stdout)
        assert d["requests"] == 2000 and d["skipped_unsized"] == 1000


def test_forcing_the_other_binary_width_warns():
    r = cli("trace", "stats", "--format", "int32be", SCARAB, "--json")
    assert r.exit_code == 0 and "its bytes look like 8-byte ids (int64be)" in r.stderr
    r = cli("trace", "stats", "--format", "int64be", WEB12, "--json")
    assert "look like 4-byte ids (int32be)" in r.stderr


def test_cache2k_prefixes_are_not_utf16_and_a_bom_alone_is_empty(tmp_path):
    raw = open(WEB12, "rb").read()
    for n in (3000, 4096, 16_000):
        (tmp_path / "x.trc.bin").write_bytes(raw[:n])
        assert read_trace(tmp_path / "x.trc.bin").format == "int32be"
    (tmp_path / "bom").write_bytes(b"\xef\xbb\xbf")
    r = cli("trace", "stats", tmp_path / "bom")
    assert r.exit_code == 0 and "empty input" in r.output


def test_synth_refuses_suffixes_it_cannot_write(tmp_path):
    r = cli("trace", "synth", "-n", "10", "-o", tmp_path / "x.lz4")
    assert r.exit_code == 2 and "cannot write .lz4" in r.output
    r = cli("trace", "synth", "-n", "10", "-o", tmp_path / "x.zstd")
    assert r.exit_code == 0 and (tmp_path / "x.zstd").read_bytes()[:4] == b"\x28\xb5\x2f\xfd"
