"""`runiso hash`."""
from __future__ import annotations

import pytest
from click.testing import CliRunner

from runiso_core import JumpHash, KetamaRing, MaglevTable, RendezvousHash
from runiso_core.cli import main
from runiso_core.cli_hash import parse_nodes

KEYS = ["/index.html", "/product/42", "user:1001", "ü"]


def run(*args, input=None):
    return CliRunner().invoke(main, list(args), input=input)


@pytest.mark.parametrize("algo,cls", [("maglev", MaglevTable), ("ketama", KetamaRing),
                                      ("rendezvous", RendezvousHash)])
def test_prints_key_tab_node(algo, cls):
    res = run("hash", *KEYS, "--nodes", "a=3,b=1,c=1", "--algorithm", algo)
    assert res.exit_code == 0, res.output
    ring = cls({"a": 3, "b": 1, "c": 1})
    assert res.output == "".join(f"{k}\t{ring.lookup(k)}\n" for k in KEYS)


def test_jump_default_maglev_table_size_and_stdin():
    res = run("hash", *KEYS, "-n", "c,a,b", "-a", "jump")
    assert res.output == "".join(f"{k}\t{JumpHash(['a', 'b', 'c']).lookup(k)}\n" for k in KEYS)
    res = run("hash", *KEYS, "-n", "a,b,c")
    assert res.output == "".join(f"{k}\t{MaglevTable(['a', 'b', 'c']).lookup(k)}\n" for k in KEYS)
    res = run("hash", *KEYS, "-n", "a,b,c", "--table-size", "101")
    assert res.output == "".join(f"{k}\t{MaglevTable(['a', 'b', 'c'], table_size=101).lookup(k)}\n" for k in KEYS)
    res = run("hash", "-n", "a,b,c", input="\n".join(KEYS) + "\n")
    assert res.output == "".join(f"{k}\t{MaglevTable(['a', 'b', 'c']).lookup(k)}\n" for k in KEYS)


@pytest.mark.parametrize("args,message", [
    (["-n", "a=0,b"], "weight of node 'a' must be a positive finite number, got '0'"),
    (["-n", "a=-1"], "got '-1'"),
    (["-n", "a=nan"], "got 'nan'"),
    (["-n", "a=inf"], "got 'inf'"),
    (["-n", "a=x"], "weight of node 'a' is not a number: 'x'"),
    (["-n", "a,,b"], "entry '' has no node name"),
    (["-n", "=3"], "entry '=3' has no node name"),
    (["-n", "a,a"], "duplicate node name 'a'"),
    (["-n", ""], "empty node list"),
    (["-n", "a,b", "--table-size", "100"], "table_size must be prime, got 100"),
    (["-n", "a,b,c", "--table-size", "2"], "smaller than the number of nodes (3)"),
    (["-n", "a,b", "-a", "ketama", "--table-size", "101"], "--table-size applies only to --algorithm maglev"),
    (["-n", "a=1.5,b", "-a", "ketama"], "weight of node 'a' must be an integer"),
    (["-n", "a=2,b", "-a", "jump"], "cannot weight nodes"),
    (["-n", "a", "-a", "md5"], "'md5' is not one of"),
    ([], "Missing option '--nodes'"),
])
def test_errors(args, message):
    res = run("hash", "key", *args)
    assert res.exit_code == 2
    assert message in res.output


def test_parse_nodes():
    assert parse_nodes("a=3, b=1.5 ,c") == {"a": 3, "b": 1.5, "c": 1}
    assert isinstance(parse_nodes("a=3")["a"], int)
    with pytest.raises(ValueError, match="duplicate"):
        parse_nodes("a,b,a=2")


def test_listed_in_help():
    res = run("-h")
    assert res.exit_code == 0 and "hash" in res.output


def test_keys_that_are_not_utf8_are_hashed_as_bytes():
    # argv/stdin bytes that are not UTF-8 used to fail ("surrogates not allowed")
    ring = MaglevTable(["a", "b", "c"])
    res = CliRunner().invoke(main, ["hash", "-n", "a,b,c"], input=b"/x\xff\r\n/y\n")
    assert res.exit_code == 0, res.output
    assert res.stdout_bytes == (b"/x\xff\t" + ring.lookup(b"/x\xff").encode() + b"\n"
                                b"/y\t" + ring.lookup("/y").encode() + b"\n")
    res = CliRunner().invoke(main, ["hash", "-n", "a,b,c", b"/x\xff".decode("utf-8", "surrogateescape")])
    assert res.exit_code == 0, res.output
    assert res.stdout_bytes == b"/x\xff\t" + ring.lookup(b"/x\xff").encode() + b"\n"
