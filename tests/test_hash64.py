"""XXH64: published vectors, agreement with the xxhash package, key coercion."""
import numpy as np
import pytest
import xxhash
from hypothesis import given, settings, strategies as st

from runiso_core import MaglevTable, hash64, hash64_many
from runiso_core._hashing import _key_array, _key_hash

# Vectors from the xxHash project's published sanity checks (empty input) and
# its reference implementation's documented outputs.
PUBLISHED = [
    (b"", 0, 0xEF46DB3751D8E999),
    (b"", 1, 0xD5AFBA1336A3BE4B),
    (b"a", 0, 0xD24EC4F1A98C6E5B),
    (b"abc", 0, 0x44BC2CF5AD770999),
    (b"xxhash", 0, 0x32DD38952C4BC720),
    (b"Nobody inspects the spammish repetition", 0, 0xFBCEA83C8A378BF1),
]


@pytest.mark.parametrize("data,seed,expected", PUBLISHED)
def test_published_vectors(data, seed, expected):
    assert hash64(data, seed=seed) == expected


@pytest.mark.parametrize("n", range(0, 101))
def test_every_length_0_to_100(n):
    data = bytes((i * 7 + 3) & 0xFF for i in range(n))
    for seed in (0, 1, 2**64 - 1):
        assert hash64(data, seed) == xxhash.xxh64_intdigest(data, seed=seed)


@given(st.binary(max_size=300), st.integers(0, 2**64 - 1))
@settings(max_examples=500)
def test_matches_xxhash_package(data, seed):
    assert hash64(data, seed) == xxhash.xxh64_intdigest(data, seed=seed)
    assert hash64(bytearray(data), seed) == xxhash.xxh64_intdigest(data, seed=seed)
    assert hash64(memoryview(data), seed) == xxhash.xxh64_intdigest(data, seed=seed)


@given(st.text(max_size=60))
def test_str_is_utf8(s):
    b = s.encode("utf-8", "surrogatepass")
    assert hash64(b) == xxhash.xxh64_intdigest(b)
    try:
        s.encode("utf-8")
    except UnicodeEncodeError:  # lone surrogates: not valid UTF-8
        return
    assert hash64(s) == hash64(b)


@given(st.lists(st.text(max_size=20), max_size=30), st.integers(0, 2**64 - 1))
def test_many_equals_one_by_one(keys, seed):
    keys = [k for k in keys if "\x00" not in k[-1:]]  # numpy strips trailing NULs
    try:
        [k.encode() for k in keys]
    except UnicodeEncodeError:
        return
    expected = np.array([hash64(k, seed) for k in keys], dtype=np.uint64)
    np.testing.assert_array_equal(hash64_many(keys, seed), expected)
    np.testing.assert_array_equal(hash64_many(tuple(keys), seed), expected)
    np.testing.assert_array_equal(hash64_many(np.array(keys, dtype=object), seed), expected)
    if keys:
        np.testing.assert_array_equal(hash64_many(np.array(keys, dtype="U"), seed), expected)
        bkeys = [k.encode() for k in keys]
        np.testing.assert_array_equal(hash64_many(np.array(bkeys, dtype="S"), seed), expected)


def test_many_returns_uint64_and_empty():
    out = hash64_many([])
    assert out.dtype == np.uint64 and out.shape == (0,)


@pytest.mark.parametrize("bad", [1.5, None, [1], 3, True])
def test_hash64_rejects_non_bytes(bad):
    with pytest.raises(TypeError, match="key"):
        hash64(bad)


@pytest.mark.parametrize("seed,exc", [(-1, ValueError), (2**64, ValueError), (1.0, TypeError), ("1", TypeError)])
def test_bad_seed(seed, exc):
    with pytest.raises(exc, match="seed"):
        hash64(b"x", seed)


def test_key_coercion_ints_and_errors():
    assert _key_hash(12345) == 12345
    assert _key_hash(2**64 - 1) == 2**64 - 1
    assert _key_hash(np.uint64(7)) == 7
    assert _key_hash("a") == hash64("a")
    with pytest.raises(ValueError, match=r"outside \[0, 2\*\*64\)"):
        _key_hash(-1)
    with pytest.raises(ValueError, match="outside"):
        _key_hash(2**64)
    for bad in (1.0, None, [1], True):
        with pytest.raises(TypeError, match="unsupported key type"):
            _key_hash(bad)
    arr = np.arange(5, dtype=np.uint64)
    assert _key_array(arr) is arr or np.array_equal(_key_array(arr), arr)
    np.testing.assert_array_equal(_key_array([1, "a", b"b"]), [1, hash64("a"), hash64(b"b")])
    with pytest.raises(TypeError, match="dtype"):
        _key_array(np.arange(5, dtype=np.int64))
    with pytest.raises(TypeError, match="dtype"):
        _key_array(np.zeros(3))
    assert _key_array(np.arange(10, dtype=np.uint64)[::2]).tolist() == [0, 2, 4, 6, 8]
    with pytest.raises(ValueError, match="1-D"):
        _key_array(np.zeros((2, 2), dtype=np.uint64))
    with pytest.raises(TypeError, match=r"keys\[1\]"):
        _key_array(["a", None])
    with pytest.raises(TypeError, match="single str"):
        _key_array("abc")


@pytest.mark.parametrize("bad", ["\ud800", "ok\udfff", "\udc80x"])
def test_lone_surrogate_refused_by_every_batch_form_like_per_call(bad):
    # a 'U' array used to hash lone surrogates (surrogatepass bytes) while hash64(str),
    # lists and object arrays refuse them: per-call and batch must agree
    keys = ["a", bad]
    with pytest.raises(ValueError):
        hash64(bad)
    for batch in (keys, tuple(keys), np.array(keys, dtype=object), np.array(keys)):
        with pytest.raises(ValueError):
            hash64_many(batch)
    with pytest.raises(ValueError, match=r"keys\[1\].*not encodable as UTF-8"):
        MaglevTable(["n1", "n2"]).lookup_many(np.array(keys))


def test_big_endian_str_array_hashes_like_native():
    # a '>U' array was read as native UCS-4 (other code points): silently wrong hashes
    keys = ["abc", "é", "\U0001F600x", ""]
    for dt in (">U3", "<U3", "=U3"):
        np.testing.assert_array_equal(hash64_many(np.array(keys, dtype=dt)), hash64_many(keys))
    ring = MaglevTable(["n1", "n2", "n3"])
    np.testing.assert_array_equal(ring.lookup_many(np.array(keys, dtype=">U3")[::-1]),
                                  ring.lookup_many(keys[::-1]))
