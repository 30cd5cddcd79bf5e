"""Trace parsers: formats, columns, chunking, compression and broken input."""
import bz2
import calendar
import gzip
import io
import lzma
import os
import subprocess
import sys
import warnings

import numpy as np
import pytest

from runiso_core import Method, Trace, TraceFormatError, hash64, iter_trace, read_trace
from runiso_core.trace import ParamError, TruncatedInputError, parse_bytes

DATA = os.path.join(os.path.dirname(__file__), "data")
APACHE = os.path.join(DATA, "apache_combined_3000.log")
NASA = os.path.join(DATA, "nasa_aug95_prefix.log")

UA = "Mozilla/5.0 (X11; Linux x86_64) Gecko/20100101 Firefox/120.0"
CLF_LINE = (f'203.0.113.9 - alice [10/Oct/2000:13:55:36 -0700] "GET /a/b?x=1 HTTP/1.1" 200 2326 '
            f'"http://example.com/start" "{UA}"')


def ns(y, mo, d, h, mi, s):
    return calendar.timegm((y, mo, d, h, mi, s)) * 10**9


def one(line, **kw):
    t = parse_bytes(line.encode() if isinstance(line, str) else line, **kw)
    assert t.malformed == 0, t.malformed_examples
    assert len(t) == 1
    return t


# ---------------------------------------------------------------- CLF

def test_combined_columns_and_hashes():
    t = one(CLF_LINE, with_strings=True)
    assert t.format == "clf"
    assert t.time_ns[0] == ns(2000, 10, 10, 20, 55, 36)  # -0700 applied
    assert t.key[0] == hash64("/a/b?x=1") and t.url[0] == "/a/b?x=1"
    assert t.size[0] == 2326 and t.status[0] == 200 and t.method[0] == Method.GET
    assert t.client[0] == hash64("203.0.113.9")
    # session = hash64(user agent, seed=hash64(client address))
    assert t.session[0] == hash64(UA, seed=hash64("203.0.113.9"))
    assert t.user_agent[0] == UA
    assert t.site[0] == 0
    assert t.key.dtype == np.uint64 and t.time_ns.dtype == np.int64
    assert t.status.dtype == np.int16 and t.method.dtype == np.uint8 and t.size.dtype == np.int64


def test_common_log_format_and_variants():
    lines = [
        '::1 - - [01/Jan/2024:00:00:00 +0000] "HEAD / HTTP/1.0" 304 -',              # IPv6, '-' bytes
        '2001:db8::7 - - [29/Feb/2024:23:59:59 +0530] "POST /api HTTP/2.0" 201 17',   # leap day, +0530
        '10.0.0.1 - - [01/Jan/2024:00:00:00 +0000] "GET /x HTTP/1.1" 200 5 "-" "curl/8" 0.004 upstream=1',
        '10.0.0.1 - - [01/Jan/2024:00:00:00 +0000] "GET /q?a=\\"b\\" HTTP/1.1" 200 5 "-" "say \\"hi\\""',
        '10.0.0.1 - - [01/Jan/2024:00:00:00 +0000] "-" 408 0 "-" "-"',
        '10.0.0.1 - - [01/Jan/2024:00:00:00 +0000] "PROPFIND /dav HTTP/1.1" 207 9',
        '10.0.0.1 - - [01/Jan/2024:00:00:00 +0000] "GET /x HTTP/1.1" 200 5 "-" "cut in the middle',
    ]
    t = parse_bytes("\n".join(lines).encode(), with_strings=True)
    assert t.malformed == 0, t.malformed_examples
    assert len(t) == 7
    assert list(t.method) == [Method.HEAD, Method.POST, Method.GET, Method.GET, Method.NONE,
                              Method.OTHER, Method.GET]
    assert t.size[0] == 0 and t.client[0] == hash64("::1")
    assert t.time_ns[1] == ns(2024, 2, 29, 23, 59, 59) - (5 * 3600 + 30 * 60) * 10**9
    assert t.user_agent[2] == "curl/8"
    assert t.url[3] == '/q?a=\\"b\\"' and t.user_agent[3] == 'say \\"hi\\"'
    assert t.url[4] == "-" and t.key[4] == hash64("-")
    assert t.user_agent[6] == "cut in the middle"
    # Common log format has no user agent: session = hash64(b"", seed=client)
    assert t.session[0] == hash64(b"", seed=hash64("::1"))


@pytest.mark.parametrize("line,reason", [
    ('1.2.3.4 - - [32/Jan/2024:00:00:00 +0000] "GET / HTTP/1.1" 200 5', "bad timestamp"),
    ('1.2.3.4 - - [29/Feb/2023:00:00:00 +0000] "GET / HTTP/1.1" 200 5', "bad timestamp"),
    ('1.2.3.4 - - [01/Foo/2024:00:00:00 +0000] "GET / HTTP/1.1" 200 5', "bad timestamp"),
    ('1.2.3.4 - - [01/Jan/2024:24:00:00 +0000] "GET / HTTP/1.1" 200 5', "bad timestamp"),
    ('1.2.3.4 - - [01/Jan/2024:00:00:00 +0000] "GET / HTTP/1.1 200 5', "unterminated quoted field"),
    ('1.2.3.4 - - [01/Jan/2024:00:00:00 +0000] "GET / HTTP/1.1" 2000 5', "bad status code"),
    ('1.2.3.4 - - [01/Jan/2024:00:00:00 +0000] "GET / HTTP/1.1" 200 5x', "bad byte count"),
    ('1.2.3.4 - - [01/Jan/2024:00:00:00 +0000] "GET / HTTP/1.1" 200', "missing or malformed fields"),
    ('1.2.3.4 [01/Jan/2024:00:00:00 +0000] "GET / HTTP/1.1" 200 5', "missing or malformed fields"),
    ('1.2.3.4 - - [01/Jan/2024:00:00:00 +0000] "GET /\x00 HTTP/1.1" 200 5', "NUL byte in line"),
])
def test_clf_malformed_reasons(line, reason):
    good = '1.2.3.4 - - [01/Jan/2024:00:00:00 +0000] "GET / HTTP/1.1" 200 5'
    t = parse_bytes(f"{good}\n{line}\n{good}\n".encode(), format="clf")
    assert len(t) == 2 and t.malformed == 1
    assert t.malformed_examples == [(2, reason, line[:200])]
    with pytest.raises(TraceFormatError) as ei:
        parse_bytes(f"{good}\n{line}\n{good}\n".encode(), format="clf", strict=True)
    assert ei.value.line_number == 2 and ei.value.reason == reason
    assert "line 2" in str(ei.value)


# ------------------------------------------------------------ HAProxy

HAP = ('10.0.1.2:33317 [06/Feb/2009:12:14:14.655] http-in static/srv1 10/0/30/69/109 200 2750 '
       '- - ---- 1/1/1/1/0 0/0 "GET /index.html HTTP/1.1"')


def test_haproxy_default_and_variants():
    lines = [
        HAP,
        "Feb  6 12:14:14 localhost haproxy[14389]: " + HAP,                    # syslog prefix
        HAP.replace('0/0 "GET', '0/0 {1wt.eu|Mozilla} {} "GET'),               # captures
        HAP.replace("- - ----", "SID=abc123 - --NI"),                         # captured cookie
        '[2001:db8::1]:443 [06/Feb/2009:12:14:15.001] fe~ be/s1 -1/-1/-1/-1/+5 -1 +0 - - CR-- '
        '0/0/0/0/+3 0/0 "<BADREQ>',                                            # aborted, truncated
    ]
    t = parse_bytes("\n".join(lines).encode(), with_strings=True)
    assert t.format == "haproxy" and t.malformed == 0, t.malformed_examples
    base = ns(2009, 2, 6, 12, 14, 14) + 655 * 10**6
    assert list(t.time_ns[:4]) == [base] * 4
    assert t.key[0] == hash64("/index.html") and t.status[0] == 200 and t.size[0] == 2750
    assert t.client[0] == hash64("10.0.1.2") and t.client[1] == t.client[0]
    assert t.session[0] == hash64(b"", seed=hash64("10.0.1.2"))
    assert t.session[3] == hash64("SID=abc123")
    assert t.status[4] == -1 and t.client[4] == hash64("[2001:db8::1]")
    assert t.url[4] == "<BADREQ>" and t.method[4] == Method.OTHER


def test_haproxy_malformed():
    bad = [HAP.replace("10/0/30/69/109", "10/0/30/69"), HAP.replace(".655]", "]"),
           HAP.replace("10.0.1.2:33317", "10.0.1.2"), HAP.replace(' "GET', ' GET')]
    t = parse_bytes("\n".join([HAP] + bad).encode(), format="haproxy")
    assert len(t) == 1 and t.malformed == 4
    assert [e[1] for e in t.malformed_examples] == [
        "bad HAProxy timers/counters", "bad timestamp", "bad client address",
        "missing or malformed fields"]


# ------------------------------------------------- plain / CSV / binary

def test_plain_time_key_size():
    t = parse_bytes(b"1.5 42 100\n2 /img/a.png 7 extra\n3.000000000123 18446744073709551615 0\n"
                    b"4 18446744073709551616 1\n")
    assert t.format == "plain" and t.malformed == 0
    assert list(t.time_ns) == [1_500_000_000, 2_000_000_000, 3_000_000_000, 4_000_000_000]
    assert list(t.key) == [42, hash64("/img/a.png"), 2**64 - 1, hash64("18446744073709551616")]
    assert list(t.size) == [100, 7, 0, 1] and set(t.method) == {Method.NONE}
    t = parse_bytes(b"1 a 1\nx a 1\n1 a -1\n1 a\n", format="plain")
    assert len(t) == 1 and [e[1] for e in t.malformed_examples] == [
        "bad time value", "bad byte count", "missing or malformed fields"]


def test_csv_header_mapping_iso_and_quotes():
    data = (b"ts,url,bytes,ip,cookie,status,method,region\n"
            b"2024-03-01T10:00:00Z,/a,10,1.1.1.1,s1,200,GET,eu\n"
            b'2024-03-01 10:00:01.25+01:00,"/b,""q""",20,1.1.1.2,s2,404,POST,us\n'
            b"1709287202.5,/c,-,1.1.1.3,,,,\n")
    t = parse_bytes(data, with_strings=True)
    assert t.format == "csv" and t.malformed == 0, t.malformed_examples
    assert list(t.time_ns) == [ns(2024, 3, 1, 10, 0, 0), ns(2024, 3, 1, 9, 0, 1) + 250_000_000,
                               1_709_287_202_500_000_000]
    assert list(t.key) == [hash64("/a"), hash64('/b,"q"'), hash64("/c")]
    assert list(t.size) == [10, 20, 0] and list(t.status) == [200, 404, 0]
    assert list(t.method) == [Method.GET, Method.POST, Method.NONE]
    assert list(t.session) == [hash64("s1"), hash64("s2"), hash64("")]
    assert t.client[0] == hash64("1.1.1.1") and t.site[1] == hash64("us")
    # explicit mapping, TSV, integer keys used as-is
    t = parse_bytes(b"a\tb\tc\n5\t77\t1\n6\tzz\t2\n", format="tsv",
                    columns={"time": "a", "key": 1, "size": "c"})
    assert list(t.key) == [77, hash64("zz")] and list(t.size) == [1, 2]
    with pytest.raises(TraceFormatError, match="no key or url column"):
        parse_bytes(b"foo,bar\n1,2\n")
    with pytest.raises(ValueError, match="no column named"):
        parse_bytes(b"foo,bar\n1,2\n", format="csv", columns={"key": "baz"})


def test_csv_malformed():
    t = parse_bytes(b'time,key,size\n1,a,1\n1,"a,1\n1,a\nx,a,1\n1,a,zz\n1,,1\n', format="csv")
    assert len(t) == 1
    assert [(e[0], e[1]) for e in t.malformed_examples] == [
        (3, "unterminated quoted field"), (4, "missing CSV columns"), (5, "bad time value"),
        (6, "bad byte count"), (7, "bad key")]


def test_cloudphysics_style_csv_integer_keys():
    data = b"version,time,op,size,lbn\n1,5633898,2a,512,42932745\n1,5633899,28,4096,7\n"
    t = parse_bytes(data)
    assert list(t.key) == [42932745, 7] and list(t.size) == [512, 4096]
    assert list(t.time_ns) == [5633898 * 10**9, 5633899 * 10**9]


def test_int32be_binary(tmp_path):
    ids = np.array([0, 1, -5, 2**31 - 1], ">i4")
    p = tmp_path / "x.trc.bin"
    p.write_bytes(ids.tobytes() + b"\x01\x02")  # trailing partial record: a truncated file
    with pytest.raises(TruncatedInputError, match="2 trailing bytes after 4 records of 4 bytes"):
        read_trace(p)
    t = read_trace(p, allow_truncated=True)
    assert t.format == "int32be" and not t.has_time and t.columns == ("key",)
    assert list(t.key.view(np.int64)) == [0, 1, -5, 2**31 - 1]
    assert t.malformed == 1 and t.malformed_examples[0][:2] == (5, "truncated input")
    assert "trailing bytes" in t.truncated
    t = read_trace(io.BufferedReader(io.BytesIO(np.array([7, -1], ">i8").tobytes())),
                   format="int64be")
    assert list(t.key.view(np.int64)) == [7, -1]


# ------------------------------------------------ streaming / chunking

def test_chunks_concatenate_to_whole_and_bounded(tmp_path):
    whole = read_trace(APACHE, with_strings=True)
    chunks = list(iter_trace(APACHE, chunk_size=777, with_strings=True))
    assert [len(c) for c in chunks[:-1]] == [777] * (len(chunks) - 1)
    cat = Trace.concat(chunks)
    for name in ("time_ns", "key", "size", "status", "method", "client", "session"):
        assert np.array_equal(getattr(cat, name), getattr(whole, name)), name
    assert list(cat.url) == list(whole.url)
    assert all(hash64(u) == k for u, k in zip(whole.url, whole.key.tolist()))
    assert cat.backwards_time == whole.backwards_time


def test_compressed_inputs_and_stdin(tmp_path):
    raw = open(NASA, "rb").read()
    ref = read_trace(NASA)
    for name, data in (("g.gz", gzip.compress(raw)), ("b.bz2", bz2.compress(raw)),
                       ("x.xz", lzma.compress(raw))):
        p = tmp_path / name
        p.write_bytes(data)
        t = read_trace(p)
        assert np.array_equal(t.key, ref.key) and t.malformed == ref.malformed == 12
    code = ("import sys; from runiso_core import read_trace; t = read_trace('-'); "
            "print(len(t), t.malformed)")
    out = subprocess.run([sys.executable, "-c", code], input=gzip.compress(raw),
                         capture_output=True, check=True).stdout.decode().split()[-2:]
    assert out == [str(len(ref)), "12"]


def test_truncated_gzip(tmp_path):
    raw = open(APACHE, "rb").read()
    p = tmp_path / "t.gz"
    p.write_bytes(gzip.compress(raw)[:-5000])
    with warnings.catch_warnings():
        warnings.simplefilter("error")      # no Python warning: an error, or a kept result
        with pytest.raises(TruncatedInputError, match="gzip stream is truncated or corrupt "
                           "after [0-9,]+ decoded bytes, at line [0-9,]+") as ei:
            read_trace(p)
        assert ei.value.hints[0] == ("allow_truncated=True", "--allow-truncated")
        t = read_trace(p, allow_truncated=True)
    assert 0 < len(t) < 3000 and t.malformed_examples[-1][1] == "truncated input"
    assert t.truncated.startswith(f"{p}: the gzip stream is truncated")
    with pytest.raises(TruncatedInputError):
        read_trace(p, strict=True, allow_truncated=True)    # strict stops at it anyway


# ------------------------------------------------------- broken input

def test_empty_blank_and_binary(tmp_path):
    p = tmp_path / "empty.log"
    p.write_bytes(b"")
    assert len(read_trace(p)) == 0 and list(iter_trace(p)) == []
    t = parse_bytes(b"\n\n   \n" + CLF_LINE.encode() + b"\r\n\n")
    assert len(t) == 1 and t.blank_lines == 4 and t.malformed == 0
    p = tmp_path / "image.png"
    p.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 64)
    with pytest.raises(TraceFormatError, match="this is a PNG image, not a trace"):
        read_trace(p)
    with pytest.raises(TraceFormatError, match="unrecognised log format") as ei:
        parse_bytes(b"hello world\nthis is not a log\n")
    # detection says why, format by format
    assert "clf: missing or malformed fields" in str(ei.value)
    assert "keys: bad byte count" in str(ei.value)     # two words: a key and a "size"


def test_invalid_utf8_nul_and_long_lines():
    bad_utf8 = CLF_LINE.replace("/a/b?x=1", "/caf\udce9").encode("utf-8", "surrogateescape")
    long_ok = CLF_LINE.replace("/a/b?x=1", "/" + "x" * (1 << 20)).encode()   # a 1 MB line
    data = b"\n".join([bad_utf8, b"\x00" * 50, long_ok, CLF_LINE.encode()]) + b"\n"
    t = read_trace(io.BufferedReader(io.BytesIO(data)), format="clf", with_strings=True,
                   max_line_bytes=2 << 20)
    assert len(t) == 3 and t.malformed == 1
    assert t.key[0] == hash64(b"/caf\xe9") and t.url.bytes_at(0) == b"/caf\xe9"
    assert t.malformed_examples[0][:2] == (2, "NUL byte in line")
    assert len(t.url[1]) == (1 << 20) + 1
    # a line longer than max_line_bytes is skipped without being buffered
    t = read_trace(io.BufferedReader(io.BytesIO(data)), format="clf", max_line_bytes=4096)
    assert len(t) == 2 and t.malformed == 2
    assert t.malformed_examples[1][:2] == (3, "line too long")


def test_backwards_time_kept_in_order():
    l1 = CLF_LINE
    l0 = CLF_LINE.replace("13:55:36", "13:55:30")
    t = parse_bytes("\n".join([l1, l0, l1, l0, l0]).encode())
    assert t.backwards_time == 2
    assert list(np.diff(t.time_ns) < 0) == [True, False, True, False]


def test_argument_validation(tmp_path):
    with pytest.raises(ParamError, match="format: must be one of"):
        read_trace(NASA, format="xml")
    with pytest.raises(ValueError, match="chunk_size"):
        list(iter_trace(NASA, chunk_size=0))
    for huge in (10**12, 2**63):   # used to try to allocate terabytes (MemoryError/OverflowError)
        with pytest.raises(ParamError, match=r"chunk_size: must be an int \[1, "):
            list(iter_trace(NASA, chunk_size=huge))
    with pytest.raises(ParamError, match="tz: unknown time zone 'Mars/Olympus'"):
        read_trace(NASA, tz="Mars/Olympus")
    with pytest.raises(FileNotFoundError):
        read_trace(tmp_path / "missing.log")
    with pytest.raises(IsADirectoryError):
        read_trace(tmp_path)
    with pytest.raises(TypeError, match="data must be bytes"):
        parse_bytes("text")


def test_method_enum_matches_c_codes():
    names = ["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "CONNECT", "TRACE"]
    lines = [f'1.2.3.4 - - [01/Jan/2024:00:00:00 +0000] "{m} / HTTP/1.1" 200 5' for m in
             names + ["get", "BREW"]]
    t = parse_bytes("\n".join(lines).encode())
    assert [Method(m).name for m in t.method] == names + ["OTHER", "OTHER"]
    assert Method.NONE == 10


def test_zstd_input():
    zstandard = pytest.importorskip("zstandard")
    raw = open(NASA, "rb").read()
    t = read_trace(io.BufferedReader(io.BytesIO(zstandard.ZstdCompressor().compress(raw))))
    assert len(t) == 1855 and t.malformed == 12
    # A cut stream is detected (python-zstandard's stream reader ends quietly
    # inside a cut frame; it used to give 605 of 10,000 requests and exit 0).
    cut = zstandard.ZstdCompressor().compress(raw)[:-3000]
    with pytest.raises(TruncatedInputError, match="zstd stream is truncated or corrupt"):
        read_trace(io.BufferedReader(io.BytesIO(cut)))
    t = read_trace(io.BufferedReader(io.BytesIO(cut)), allow_truncated=True)
    assert 0 < len(t) < 1855 and t.malformed_examples[-1][0] == len(t) + t.malformed
    # several frames in a row are one stream
    two = zstandard.ZstdCompressor().compress(raw[:100_000]) + \
        zstandard.ZstdCompressor().compress(raw[100_000:])
    assert np.array_equal(read_trace(io.BufferedReader(io.BytesIO(two))).key, read_trace(NASA).key)


def test_parser_threads_serialised_and_parallel_readers():
    import threading

    from runiso_core._parse import ChunkParser
    good = ('1.2.3.4 - - [01/Jan/2024:00:00:00 +0000] "GET /%d HTTP/1.1" 200 5\n')
    buf = "".join(good % i if i % 7 else "junk\n" for i in range(20_000)).encode()
    p = ChunkParser("clf", 3_000)
    rows = []

    def worker():
        for _ in range(5):
            pos = 0
            while pos < len(buf):
                pos = p.feed(buf, pos, True)
                if p.full:
                    rows.append(len(p.take()["key"]))
    ths = [threading.Thread(target=worker) for _ in range(4)]
    for th in ths:
        th.start()
    for th in ths:
        th.join()
    rows.append(len(p.take()["key"]))
    lines = 20 * 20_000
    assert sum(rows) + p.malformed == lines == p.line_no
    assert p.malformed == 20 * len(range(0, 20_000, 7))
    # independent readers in threads give identical results
    res = [None] * 3

    def reader(i):
        res[i] = read_trace(APACHE).key
    ths = [threading.Thread(target=reader, args=(i,)) for i in range(3)]
    for th in ths:
        th.start()
    for th in ths:
        th.join()
    assert all(np.array_equal(r, res[0]) for r in res)


def test_utf8_bom_csv():
    t = parse_bytes(b"\xef\xbb\xbftime,url\n1,/a\n")
    assert t.format == "csv" and list(t.key) == [hash64("/a")]


def test_with_strings_url_only():
    t = read_trace(APACHE, with_strings="url")
    assert t.user_agent is None and len(t.url) == 3000
    assert hash64(t.url[0]) == t.key[0]
    with pytest.raises(ValueError, match="with_strings"):
        read_trace(APACHE, with_strings="ua")


def test_concat_fields_checks_what_it_reads():
    # a NaN index passed the range checks and was cast to a garbage int32: segfault
    from runiso_core._parse import concat_fields
    table = (b"abcd", np.array([0, 1, 2, 4]))
    assert concat_fields([table], np.array([[0], [2]])) == b"acd"
    with pytest.raises(TypeError, match="integer"):
        concat_fields([table], np.array([[np.nan]]))
    with pytest.raises(TypeError, match="integer"):
        concat_fields([table], np.array([[0.0]]))
    with pytest.raises(TypeError, match="offsets must be an integer"):
        concat_fields([(b"abcd", np.array([0.0, np.nan, 4.0]))], np.array([[0]]))
    with pytest.raises(ValueError, match="entries must be in"):
        concat_fields([table], np.array([[2**32]], dtype=np.int64))   # wraps to 0 in int32


def test_text_stream_is_a_clear_type_error():
    # a text-mode file object used to fail with "'TextIOWrapper' object has no attribute 'readinto'"
    with open(NASA) as f, pytest.raises(TypeError, match="binary file object"):
        read_trace(f)
    with pytest.raises(TypeError, match="binary file object"):
        read_trace(io.StringIO("x"))
    with open(NASA, "rb") as f:
        assert len(read_trace(f)) == len(read_trace(NASA))


def test_blank_lines_after_the_last_full_chunk_are_counted():
    # Found by tests/test_fuzz.py: the last, empty chunk carried the malformed
    # lines after the last full chunk but not the blank ones.
    chunks = list(iter_trace(io.BytesIO(b"1 a 2\n\n \n"), format="plain", chunk_size=1))
    assert [len(c) for c in chunks] == [1, 0]
    assert sum(c.blank_lines for c in chunks) == 2


def test_npy_header_numpy_cannot_tokenize_is_a_format_error():
    # Found by tests/test_fuzz.py: numpy re-reads a header it cannot parse with
    # tokenize, whose TokenError escaped iter_trace.
    data = b"\x93NUMPY\x01\x00v\x00'descr': '<i4', 'fortran_order': False, 'shape': (2,), }" \
        + b" " * 53 + b"\n" + bytes(8)
    with pytest.raises(TraceFormatError, match="unreadable .npy header") as ei:
        list(iter_trace(io.BytesIO(data)))
    assert ei.value.reason == "bad npy header"
