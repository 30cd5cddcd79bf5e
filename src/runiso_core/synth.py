"""Synthetic e-commerce access logs in Combined Log Format (``runiso trace synth``).

The model, generated column-wise with numpy from one seeded generator
(``numpy.random.default_rng(seed)``), so the same arguments give byte-identical
output:

- **Sessions** arrive over ``days`` days following a diurnal curve (an hourly
  retail profile, linearly interpolated: trough at 4 am, evening peak); a
  flash sale multiplies the arrival rate by ``factor`` inside its window and
  sends half of that window's product views to a 20-SKU sale set.
- Each session **browses** ``1 + Geometric`` pages (mean ``pages_per_session``):
  home, category, search and product pages, products drawn from a Zipf(``alpha``)
  popularity over a shuffled catalogue of ``products`` SKUs, ~20 s think time.
- Pages pull **static assets**: the first page of a session the full bundle
  (CSS, JS, fonts, logo: 200), later pages their product images (200, or 304
  revalidations).
- The **funnel**: a share ``cart_rate`` of sessions adds to cart
  (``POST /cart/add?sku=...`` then ``GET /cart``), and a share ``checkout_rate``
  of those checks out (``GET /checkout``, ``POST /checkout/shipping``,
  ``POST /checkout/payment``, ``GET /checkout/confirmation``): the cart URLs
  mark the buyers.
- A session keeps one client address and user agent (clients are drawn from a
  pool smaller than the session count, as NATs and returning visitors do).

Sessions are expanded into requests in batches of 100k sessions (bounded
temporaries) until ``n`` lines exist; the lines are then sorted by time
(stable, so same-second lines keep session order) and formatted in blocks by a
C string gather (``_parse.concat_fields``). 10M lines: ~8 s, ~0.8 GB peak.
"""
from __future__ import annotations

import datetime as dt
import re
from typing import BinaryIO, Iterator

import numpy as np

from ._parse import concat_fields
from ._trace_types import ParamError

__all__ = ["synth_lines", "write_synth", "open_output", "parse_flash_sale", "MAX_LINES",
           "MAX_CLIENTS"]

# Bounds that keep the generator's memory sane (arrivals are sampled from a
# per-second intensity array, ~0.1 GB per simulated day; the URL table is
# O(products)) and every timestamp inside what the log parsers accept
# (years 1900-2261: int64 nanoseconds).
MAX_DAYS = 31
MAX_PRODUCTS = 10_000_000
MAX_PAGES_PER_SESSION = 1000
#: Lines per run: the generator holds ~80 bytes per line at its peak (10M lines:
#: 0.8 GB), so 100M lines need ~8 GB; write bigger traces as several runs.
MAX_LINES = 100_000_000
#: Client addresses (one formatted address each is kept in memory).
MAX_CLIENTS = 10_000_000
_T_MIN = dt.datetime(1900, 1, 1, tzinfo=dt.timezone.utc)
_T_END = dt.datetime(2262, 1, 1, tzinfo=dt.timezone.utc)

_MONTHS = "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split()
_HOST = "https://shop.example.com"
_UAS = [
    ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
     "Chrome/130.0.0.0 Safari/537.36", 0.34),
    ("Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, "
     "like Gecko) Version/18.1 Mobile/15E148 Safari/604.1", 0.22),
    ("Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
     "Chrome/130.0.0.0 Mobile Safari/537.36", 0.16),
    ("Mozilla/5.0 (Macintosh; Intel Mac OS X 14_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
     "Version/18.1 Safari/605.1.15", 0.10),
    ("Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:132.0) Gecko/20100101 Firefox/132.0", 0.08),
    ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
     "Chrome/130.0.0.0 Safari/537.36 Edg/130.0.0.0", 0.06),
    ("Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)", 0.03),
    ("Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)", 0.01),
]
_STATIC = [("/static/css/app.3f9a1c.css", 48_213), ("/static/js/vendor.8d2e4b.js", 312_870),
           ("/static/js/app.3f9a1c.js", 96_404), ("/static/fonts/inter-400.woff2", 23_850),
           ("/static/img/logo.svg", 4_127), ("/favicon.ico", 1_150)]
# Relative arrival rate per hour of day (UTC), a typical retail profile: night
# trough at ~4 am (12% of the peak), steady daytime, evening peak 19-21 h.
_DIURNAL = [0.45, 0.30, 0.20, 0.15, 0.12, 0.12, 0.18, 0.30, 0.50, 0.65, 0.75, 0.80, 0.85, 0.85,
            0.80, 0.80, 0.82, 0.88, 0.95, 1.00, 1.00, 0.95, 0.80, 0.60]
_CHECKOUT = [("GET", "/checkout", 200, 18_400), ("POST", "/checkout/shipping", 302, 0),
             ("POST", "/checkout/payment", 302, 0), ("GET", "/checkout/confirmation", 200, 9_210)]


def _duration(s: str, what: str) -> float:
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([smhd]?)\s*", s)
    if not m:
        raise ValueError(f"{what}: expected a duration like 3600, 90m, 12h or 1d, got {s!r}")
    return float(m.group(1)) * {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}[m.group(2)]


def parse_flash_sale(spec: str) -> tuple[float, float, float]:
    """``START:DURATION:FACTOR`` (START/DURATION as seconds or 90m/12h/1d, from
    the trace start) -> (start_s, duration_s, factor)."""
    parts = spec.split(":")
    if len(parts) != 3:
        raise ValueError(f"flash_sale: expected START:DURATION:FACTOR (e.g. 12h:30m:8), got "
                         f"{spec!r}")
    start, dur = _duration(parts[0], "flash_sale START"), _duration(parts[1], "flash_sale DURATION")
    try:
        factor = float(parts[2])
    except ValueError:
        raise ValueError(f"flash_sale FACTOR: expected a number >= 1, got {parts[2]!r}") from None
    if not 1 <= factor <= 1000 or dur <= 0:     # also refuses nan/inf (they broke the CDF)
        raise ValueError(f"flash_sale: need DURATION > 0 and FACTOR in [1, 1000], got {spec!r}")
    return start, dur, factor


def _table(strings: list[bytes]) -> tuple[bytes, np.ndarray]:
    off = np.zeros(len(strings) + 1, np.int64)
    np.cumsum([len(s) for s in strings], out=off[1:])
    return b"".join(strings), off


def _zipf_ranks(rng, n: int, alpha: float, size: int) -> np.ndarray:
    w = 1.0 / np.arange(1, n + 1, dtype=np.float64) ** alpha
    cdf = np.cumsum(w)
    cdf /= cdf[-1]
    return np.minimum(np.searchsorted(cdf, rng.random(size), side="right"), n - 1)


def _session_events(rng, add, a, pages, carts, buys, starts, in_sale, *, products, alpha,
                    ncat, nterms, sale_skus, rank_of_sku, base_home, base_cat, base_prod,
                    base_img, base_search, base_cart, base_add, base_co) -> int:
    """Expand sessions ``a .. a + len(pages) - 1`` into requests (passed to
    ``add(time, session, url_id, referer_id, status_code)``); returns the count.
    Status codes: 0 = 200 (size from the URL), 1 = 304, 2 = 302, 3 = 404."""
    S = len(pages)
    n0 = 0
    # --- page views: home / category / search / product (Zipf, sale SKUs in a sale)
    sess_loc = np.repeat(np.arange(S), pages)
    sess_of_page = sess_loc + a
    Np = len(sess_loc)
    page_start_idx = np.concatenate(([0], np.cumsum(pages)[:-1]))
    first_page = np.zeros(Np, bool)
    first_page[page_start_idx] = True
    kind = rng.random(Np)
    prod_rank = _zipf_ranks(rng, products, alpha, Np)
    sale_hit = in_sale[sess_loc] & (rng.random(Np) < 0.5)
    prod_rank = np.where(sale_hit, rank_of_sku[sale_skus[rng.integers(0, 20, Np)] - 100_000],
                         prod_rank)
    page_url = base_prod + prod_rank
    is_home = (first_page & (kind < 0.35)) | (~first_page & (kind < 0.05))
    is_cat = ~is_home & (kind >= 0.35) & (kind < 0.55)
    is_search = ~is_home & (kind >= 0.55) & (kind < 0.65)
    page_url = np.where(is_cat, base_cat + prod_rank % ncat, page_url)
    page_url = np.where(is_search, base_search + _zipf_ranks(rng, nterms, 1.0, Np), page_url)
    page_url = np.where(is_home, base_home, page_url)
    think = rng.exponential(20.0, Np)  # ~20 s between pages
    think[first_page] = 0.0
    csum = np.cumsum(think)
    page_t = starts[sess_loc] + (csum - csum[page_start_idx][sess_loc])
    prev_url = np.concatenate(([-1], page_url[:-1]))
    prev_url[first_page] = -1
    page_st = np.where(rng.random(Np) < 0.004, 3, 0)
    add(page_t, sess_of_page, page_url, prev_url, page_st)
    n0 += Np
    # --- static bundle after the first page of each session
    fp = np.flatnonzero(first_page)
    k = len(_STATIC)
    st_url = np.tile(np.arange(k), len(fp))
    add(np.repeat(page_t[fp], k) + rng.uniform(0.05, 1.5, len(fp) * k),
        np.repeat(sess_of_page[fp], k), st_url, np.repeat(page_url[fp], k),
        np.where(rng.random(len(st_url)) < 0.25, 1, 0))
    n0 += len(st_url)
    # --- product images on product pages (1 or 2 of 3)
    pp = np.flatnonzero((page_url >= base_prod) & (page_url < base_img))
    nimg = rng.integers(1, 3, len(pp))
    im_page = np.repeat(pp, nimg)
    first_of = np.concatenate(([0], np.cumsum(nimg)[:-1]))
    im_k = np.arange(len(im_page)) - np.repeat(first_of, nimg)
    add(page_t[im_page] + rng.uniform(0.1, 2.0, len(im_page)), sess_of_page[im_page],
        base_img + 3 * (page_url[im_page] - base_prod) + im_k, page_url[im_page],
        np.where(rng.random(len(im_page)) < 0.15, 1, 0))
    n0 += len(im_page)
    # --- funnel: add-to-cart after a random page of carting sessions
    cs = np.flatnonzero(carts)
    pick = page_start_idx[cs] + (rng.random(len(cs)) * pages[cs]).astype(np.int64)
    prod_of = np.where((page_url[pick] >= base_prod) & (page_url[pick] < base_img),
                       page_url[pick] - base_prod, prod_rank[pick])
    t_add = page_t[pick] + rng.uniform(3, 30, len(cs))
    add(t_add, cs + a, base_add + prod_of, base_prod + prod_of, np.full(len(cs), 2))
    add(t_add + rng.uniform(0.2, 1.0, len(cs)), cs + a, np.full(len(cs), base_cart),
        base_prod + prod_of, np.zeros(len(cs), np.int64))
    n0 += 2 * len(cs)
    # --- checkout after the last page of buying sessions
    bs = np.flatnonzero(buys)
    last = page_start_idx[bs] + pages[bs] - 1
    tco = np.maximum(page_t[last], t_add[np.searchsorted(cs, bs)] + 1.0)
    prev = np.full(len(bs), base_cart)
    for j, (_m, _u, code, _sz) in enumerate(_CHECKOUT):
        tco = tco + rng.exponential(25.0, len(bs)) + 1.0
        add(tco.copy(), bs + a, np.full(len(bs), base_co + j), prev.copy(),
            np.full(len(bs), 2 if code == 302 else 0))
        prev = np.full(len(bs), base_co + j)
    n0 += len(_CHECKOUT) * len(bs)
    return n0


def synth_lines(n: int, *, seed: int = 0, products: int = 10_000, alpha: float = 0.9,
                pages_per_session: float = 6.0, cart_rate: float = 0.12,
                checkout_rate: float = 0.35, days: float = 1.0,
                start: str = "2026-11-27T00:00:00", flash_sale: str | None = None,
                clients: int | None = None, block: int = 250_000) -> Iterator[bytes]:
    """The log as an iterator of byte blocks of at most ``block`` lines (``n``
    lines in all).

    See the module docstring for the model. All randomness comes from
    ``numpy.random.default_rng(seed)``. The arguments are checked here, before
    the first block is asked for (a bad one raises :class:`ParamError` at
    once, so a caller can validate before it opens its output).
    """
    if isinstance(n, bool) or not isinstance(n, int) or not 0 <= n <= MAX_LINES:
        raise ParamError("n", f"must be an int in [0, {MAX_LINES:_}], got {n!r}")
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ParamError("seed", f"must be an int >= 0, got {seed!r}")
    if not 20 <= products <= MAX_PRODUCTS:
        raise ParamError("products", f"must be in [20, {MAX_PRODUCTS:_}], got {products}")
    if not alpha > 0:
        raise ParamError("alpha", f"must be > 0, got {alpha}")
    if not 1 <= pages_per_session <= MAX_PAGES_PER_SESSION:
        raise ParamError("pages_per_session", f"must be in [1, {MAX_PAGES_PER_SESSION}], "
                         f"got {pages_per_session}")
    for nm, v in (("cart_rate", cart_rate), ("checkout_rate", checkout_rate)):
        if not 0 <= v <= 1:
            raise ParamError(nm, f"must be in [0, 1], got {v}")
    if not 0 < days <= MAX_DAYS:
        raise ParamError("days", f"must be in (0, {MAX_DAYS}], got {days}")
    if clients is not None and (isinstance(clients, bool) or not isinstance(clients, int)
                                or not 1 <= clients <= MAX_CLIENTS):
        raise ParamError("clients", f"must be an int in [1, {MAX_CLIENTS:_}], got {clients!r}")
    try:
        t0 = dt.datetime.fromisoformat(start.replace("Z", "+00:00"))
    except ValueError:
        raise ParamError("start", f"expected an ISO-8601 date, got {start!r}") from None
    if t0.tzinfo is None:
        t0 = t0.replace(tzinfo=dt.timezone.utc)
    if not (_T_MIN <= t0 < _T_END - dt.timedelta(days=days)):
        raise ParamError("start", f"the trace must lie within the years 1900-2261 (what the log "
                         f"parsers accept), got {start!r} + {days:g} days")
    t0s = int(t0.timestamp())
    try:
        sale = parse_flash_sale(flash_sale) if flash_sale else None
    except ValueError as e:
        raise ParamError("flash_sale", str(e).removeprefix("flash_sale").lstrip(" :")) from None
    span = max(1, int(days * 86400))
    if sale and sale[0] >= span:
        raise ParamError("flash_sale", f"START {sale[0]:g} s is after the end of the trace "
                         f"({span} s = {days:g} days)")
    if not isinstance(block, int) or block < 1:
        raise ParamError("block", f"must be an int >= 1, got {block!r}")
    return _blocks(n, seed=seed, products=products, alpha=alpha,
                   pages_per_session=pages_per_session, cart_rate=cart_rate,
                   checkout_rate=checkout_rate, clients=clients, block=block, t0s=t0s,
                   span=span, sale=sale)


def _blocks(n: int, *, seed, products, alpha, pages_per_session, cart_rate, checkout_rate,
            clients, block, t0s, span, sale) -> Iterator[bytes]:
    if n == 0:
        return
    rng = np.random.default_rng(seed)

    # --- sessions: page counts and funnel flags, enough sessions for n lines.
    p_geo = 1.0 / pages_per_session
    est = pages_per_session * 1.6 + cart_rate * (2 + checkout_rate * 4) + len(_STATIC)
    S = int(n / est * 1.1) + 16
    while True:
        pages = rng.geometric(p_geo, S).astype(np.int64)
        carts = rng.random(S) < cart_rate
        buys = carts & (rng.random(S) < checkout_rate)
        # lower bound of the session's lines (product images come on top)
        lines_min = pages + len(_STATIC) + 2 * carts + 4 * buys
        if lines_min.sum() >= n:
            break
        S *= 2
    # --- arrivals: inverse-CDF sampling of a per-second intensity.
    sec = np.arange(span, dtype=np.float64)
    hour = ((t0s + sec) % 86400) / 3600.0
    prof = np.array(_DIURNAL + _DIURNAL[:1])
    lam = np.interp(hour, np.arange(25), prof)
    if sale:
        s0, sd, fac = sale
        lam[int(s0):int(s0 + sd)] *= fac
    cdf = np.cumsum(lam)
    cdf /= cdf[-1]
    # Unsorted: sessions are later taken in index order until n lines, which
    # must be a random subset of the arrivals, not the earliest ones.
    starts = np.searchsorted(cdf, rng.random(S), side="right").astype(np.int64)
    starts = np.minimum(starts, span - 1)
    in_sale = np.zeros(S, bool)
    if sale:
        in_sale = (starts >= int(sale[0])) & (starts < int(sale[0] + sale[1]))
    ua_p = np.array([w for _, w in _UAS])
    sess_ua = rng.choice(len(_UAS), S, p=ua_p / ua_p.sum())
    ncl = clients or max(1, int(S * 0.7))
    sess_client = rng.integers(0, ncl, S)

    # --- URL table: statics | home | categories | products | images | search | cart | add | checkout
    ncat = max(1, products // 50)
    nterms = max(10, products // 5)
    sku = rng.permutation(products) + 100_000  # popularity rank -> SKU
    sale_skus = sku[rng.choice(products, 20, replace=False)]
    base_static, base_home = 0, len(_STATIC)
    base_cat = base_home + 1
    base_prod = base_cat + ncat
    base_img = base_prod + products          # 3 images per product, by rank
    base_search = base_img + 3 * products
    base_cart = base_search + nterms
    base_add = base_cart + 1
    base_co = base_add + products
    nurl = base_co + len(_CHECKOUT)

    rank_of_sku = np.empty(products, np.int64)  # sale SKUs -> their popularity ranks
    rank_of_sku[sku - 100_000] = np.arange(products)
    ev_t, ev_s, ev_u, ev_ref, ev_st = [], [], [], [], []

    def add(t, s, u, ref, st):  # compact dtypes: 10M lines must not need GBs
        ev_t.append(np.asarray(t, np.float64)); ev_s.append(np.asarray(s, np.int32))
        ev_u.append(np.asarray(u, np.int32)); ev_ref.append(np.asarray(ref, np.int32))
        ev_st.append(np.asarray(st, np.int8))

    # Sessions are expanded into requests in batches (bounded temporaries), in
    # index order, until the n lines are there.
    total = 0
    batch = 100_000
    for a in range(0, S, batch):
        b = min(S, a + batch)
        total += _session_events(
            rng, add, a, pages[a:b], carts[a:b], buys[a:b], starts[a:b], in_sale[a:b],
            products=products, alpha=alpha, ncat=ncat, nterms=nterms, sale_skus=sale_skus,
            rank_of_sku=rank_of_sku, base_home=base_home, base_cat=base_cat,
            base_prod=base_prod, base_img=base_img, base_search=base_search,
            base_cart=base_cart, base_add=base_add, base_co=base_co)
        if total >= n:
            break
    t = np.concatenate(ev_t)
    s = np.concatenate(ev_s)
    u = np.concatenate(ev_u)
    ref = np.concatenate(ev_ref)
    stc = np.concatenate(ev_st)
    del ev_t[:], ev_s[:], ev_u[:], ev_ref[:], ev_st[:]
    # sessions in index order until n lines; the last session may be cut short
    per_sess = np.bincount(s)
    cum = np.cumsum(per_sess)
    last_s = int(np.searchsorted(cum, n))
    keep = s <= last_s
    t, s, u, ref, stc = t[keep], s[keep], u[keep], ref[keep], stc[keep]
    extra = int(cum[last_s]) - n
    if extra > 0:
        li = np.flatnonzero(s == last_s)
        drop = li[np.argsort(t[li], kind="stable")[len(li) - extra:]]
        m = np.ones(len(t), bool)
        m[drop] = False
        t, s, u, ref, stc = t[m], s[m], u[m], ref[m], stc[m]
    order = np.argsort(t, kind="stable")
    t, s, u, ref, stc = t[order], s[order], u[order], ref[order], stc[order]
    tsec = np.floor(t).astype(np.int64)

    # --- string tables
    prod_sizes = rng.integers(18_000, 64_000, products)
    img_sizes = rng.integers(9_000, 180_000, 3 * products)
    cat_sizes = rng.integers(30_000, 90_000, ncat)
    search_sizes = rng.integers(20_000, 70_000, nterms)
    words = ["shoes", "jacket", "lamp", "phone", "case", "chair", "desk", "mug", "watch", "bag",
             "socks", "cable", "charger", "kettle", "pan", "knife", "towel", "sofa", "tent",
             "bike"]
    urls: list[str] = [p for p, _ in _STATIC] + ["/"]
    urls += [f"/c/{i + 1}-{words[i % 20]}" for i in range(ncat)]
    skl = sku.tolist()
    urls += [f"/p/{k}" for k in skl]
    urls += [f"/img/p/{k}-{j}.jpg" for k in skl for j in (1, 2, 3)]
    urls += [f"/search?q={words[i % 20]}+{i // 20}" for i in range(nterms)]
    urls += ["/cart"] + [f"/cart/add?sku={k}&qty=1" for k in skl] + [u_ for _, u_, _, _ in _CHECKOUT]
    methods = ["GET"] * base_add + ["POST"] * products + [m_ for m_, _, _, _ in _CHECKOUT]
    assert len(urls) == nurl == len(methods)
    req = _table([f'"{m_} {u_} HTTP/1.1" '.encode() for m_, u_ in zip(methods, urls)])
    sizes = np.concatenate([[sz for _, sz in _STATIC], [52_300], cat_sizes, prod_sizes,
                            img_sizes, search_sizes, [14_800], np.zeros(products, np.int64),
                            [sz for _, _, _, sz in _CHECKOUT]]).astype(np.int64)
    # status/size column: 200+size per URL, then fixed 304 / 302 / 404 entries
    stsz = _table([f"200 {z}".encode() for z in sizes.tolist()]
                  + [b"304 0", b"302 0", b"404 1832"])
    st_idx = np.where(stc == 0, u, nurl + stc.astype(np.int32) - 1)
    refs = _table([f' "{_HOST}{u_}" "'.encode() for u_ in urls] + [b' "-" "'])
    ref_idx = np.where(ref < 0, nurl, ref)
    uas = _table([f'{a}"\n'.encode() for a, _ in _UAS])
    crng = np.random.default_rng([seed, 1])
    ips = crng.integers(0x0B000000, 0xDF000000, ncl, dtype=np.int64)
    ip_tab = _table([f"{a >> 24}.{(a >> 16) & 255}.{(a >> 8) & 255}.{a & 255} - - [".encode()
                     for a in ips.tolist()])
    s_lo, s_hi = int(tsec.min()), int(tsec.max())
    ts_tab = _table([
        (f"{d.day:02d}/{_MONTHS[d.month - 1]}/{d.year}:{d.hour:02d}:{d.minute:02d}:"
         f"{d.second:02d} +0000] ").encode()
        for d in (dt.datetime.fromtimestamp(t0s + x, dt.timezone.utc)
                  for x in range(s_lo, s_hi + 1))])
    tables = [ip_tab, ts_tab, req, stsz, refs, uas]
    for i in range(0, len(t), block):
        sl = slice(i, i + block)
        cols = np.empty((len(t[sl]), 6), np.int32)
        cols[:, 0] = sess_client[s[sl]]
        cols[:, 1] = tsec[sl] - s_lo
        cols[:, 2] = u[sl]
        cols[:, 3] = st_idx[sl]
        cols[:, 4] = ref_idx[sl]
        cols[:, 5] = sess_ua[s[sl]]
        yield concat_fields(tables, cols)


def write_synth(out: BinaryIO, n: int, **kwargs) -> int:
    """Write :func:`synth_lines` to a binary file; return the bytes written
    (uncompressed)."""
    total = 0
    for b in synth_lines(n, **kwargs):
        out.write(b)
        total += len(b)
    return total


def open_output(path: str) -> BinaryIO:
    """A binary file for writing, compressed by its suffix as the trace reader
    decompresses by magic: ``.gz``, ``.bz2``, ``.xz``, ``.zst`` (zstd needs the
    ``zstandard`` package). Deterministic: no time stamp or file name in the
    gzip header, so the same content gives the same bytes."""
    low = path.lower()
    for suffix in (".tgz", ".tar", ".zip", ".lz4", ".z", ".br", ".lzma", ".7z"):
        if low.endswith(suffix):
            raise ParamError("output", f"{path}: cannot write {suffix} (a trace is written "
                             f"plain, or compressed as .gz, .bz2, .xz or .zst)")
    if low.endswith(".gz"):
        import gzip
        raw = open(path, "wb")
        return _Closing(gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0), raw)
    if low.endswith(".bz2"):
        import bz2
        return bz2.BZ2File(path, "wb")
    if low.endswith(".xz"):
        import lzma
        return lzma.LZMAFile(path, "wb")
    if low.endswith((".zst", ".zstd")):
        try:
            import zstandard
        except ImportError:
            raise ParamError("output", f"{path}: writing .zst needs the 'zstandard' package "
                             f"(pip install zstandard)") from None
        raw = open(path, "wb")
        return _Closing(zstandard.ZstdCompressor().stream_writer(raw, closefd=False), raw)
    return open(path, "wb")


class _Closing:
    """A compressing writer that also closes the file under it."""

    def __init__(self, w, raw) -> None:
        self._w, self._raw = w, raw

    def write(self, b) -> int:
        return self._w.write(b)

    def close(self) -> None:
        try:
            self._w.close()
        finally:
            self._raw.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()
