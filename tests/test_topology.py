"""Topology model: canonical order, lookups, validation with field paths."""
import math

import pytest

from runiso_core import Backend, Site, Topology


def base():
    return {"sites": [
        {"name": "pa3", "share": 2, "backends": [{"name": "web-9", "weight": 1, "capacity_rps": 100},
                                                 {"name": "web-3", "weight": 2, "capacity_rps": 200}]},
        {"name": "pa2", "share": 1, "backends": [{"name": "web-1", "weight": 2, "capacity_rps": 400}]},
    ]}


def test_canonical_sorted_order_and_lookups():
    t = Topology.from_dict(base())
    assert t.site_names == ("pa2", "pa3")
    assert t.backend_names == ("web-1", "web-3", "web-9")
    assert t.backend_sites == (0, 1, 1)
    assert t.sites[1].backends[0].name == "web-3"
    assert t.site_index("pa3") == 1 and t.site_index(1) == 1
    assert t.backend_index("web-9") == 2
    assert t.site_of("web-3") == 1
    assert t.site_backends("pa3") == (1, 2)
    assert t.sites[1].total_weight == 3 and t.sites[1].capacity_rps == 300
    assert Topology.from_dict(t.to_dict()) == t


def test_defaults():
    t = Topology.from_dict({"sites": [{"name": "a", "backends": [{"name": "x"}]}]})
    b = t.backends[0]
    assert (b.weight, b.capacity_rps, t.sites[0].share) == (1, math.inf, 1.0)


def test_direct_construction_validates():
    t = Topology((Site("b", 1, (Backend("y", 3),)), Site("a", 0, (Backend("x"),))))
    assert t.site_names == ("a", "b")
    with pytest.raises(ValueError, match="weight: must be > 0"):
        Backend("x", 0)
    with pytest.raises(ValueError, match="at least one backend"):
        Site("a", 1, ())
    with pytest.raises(ValueError, match="duplicate site name"):
        Topology((Site("a", 1, (Backend("x"),)), Site("a", 1, (Backend("y"),))))
    with pytest.raises(ValueError, match="backend names must be unique"):
        Topology((Site("a", 1, (Backend("x"),)), Site("b", 1, (Backend("x"),))))


@pytest.mark.parametrize("mutate,exc,msg", [
    (lambda d: d["sites"][1]["backends"][0].update(weight=-1), ValueError,
     r"^sites\[1\]\.backends\[0\]\.weight: must be > 0, got -1$"),
    (lambda d: d["sites"][0]["backends"][1].update(weight=float("nan")), ValueError,
     r"sites\[0\]\.backends\[1\]\.weight: must be > 0, got nan"),
    (lambda d: d["sites"][0]["backends"][1].update(weight=1.5), ValueError,
     r"sites\[0\]\.backends\[1\]\.weight: must be an integer"),
    (lambda d: d["sites"][0]["backends"][1].update(weight="2"), TypeError,
     r"sites\[0\]\.backends\[1\]\.weight: must be a number"),
    (lambda d: d["sites"][0]["backends"][0].update(weight=10**7), ValueError, r"must be <= 1000000"),
    (lambda d: d["sites"][0]["backends"][0].update(capacity_rps=0), ValueError,
     r"sites\[0\]\.backends\[0\]\.capacity_rps: must be > 0"),
    (lambda d: d["sites"][0]["backends"][0].update(capacity_rps=float("nan")), ValueError, r"capacity_rps"),
    (lambda d: d["sites"][0].update(share=-1), ValueError, r"sites\[0\]\.share: must be a finite number >= 0"),
    (lambda d: d["sites"][0].update(share=float("nan")), ValueError, r"sites\[0\]\.share"),
    (lambda d: d["sites"][0].update(share=math.inf), ValueError, r"sites\[0\]\.share"),
    (lambda d: d["sites"][1].update(name="pa3"), ValueError, r"sites\[1\]\.name: duplicate site name 'pa3'"),
    (lambda d: d["sites"][1]["backends"][0].update(name="web-9"), ValueError,
     r"sites\[1\]\.backends\[0\]\.name: duplicate backend name 'web-9' \(already in site 'pa3'\)"),
    (lambda d: d["sites"][1].update(backends=[]), ValueError, r"sites\[1\]\.backends: site 'pa2' has no backends"),
    (lambda d: d["sites"][1].pop("backends"), ValueError, r"sites\[1\]\.backends: missing required field"),
    (lambda d: d["sites"][1].update(name=""), ValueError, r"sites\[1\]\.name"),
    (lambda d: d["sites"][1].update(name=3), TypeError, r"sites\[1\]\.name: must be a str"),
    (lambda d: d["sites"][1].update(wieght=3), ValueError, r"sites\[1\]: unknown field 'wieght'"),
    (lambda d: d["sites"][1]["backends"][0].update(cap=3), ValueError, r"sites\[1\]\.backends\[0\]: unknown field"),
    (lambda d: d.update(sites=[]), ValueError, r"sites: a topology needs at least one site"),
    (lambda d: d.update(sites="pa2"), TypeError, r"sites: must be a list"),
    (lambda d: [s.update(share=0) for s in d["sites"]], ValueError, r"at least one site needs a share > 0"),
])
def test_from_dict_errors_name_the_field(mutate, exc, msg):
    d = base()
    mutate(d)
    with pytest.raises(exc, match=msg):
        Topology.from_dict(d)


def test_unknown_names_and_indices():
    t = Topology.from_dict(base())
    with pytest.raises(ValueError, match="unknown site name 'pa9'; known: pa2, pa3"):
        t.site_index("pa9")
    with pytest.raises(ValueError, match="unknown backend name 'nope'"):
        t.backend_index("nope")
    with pytest.raises(ValueError, match=r"site index 2 out of range \[0, 2\)"):
        t.site_index(2)
    with pytest.raises(TypeError, match="site must be a name"):
        t.site_index(1.0)
    with pytest.raises(TypeError):
        Topology.from_dict(["sites"])
