/* runiso_cache.h: the metadata engine behind runiso_core._cache.
 *
 * One table design shared by three eviction policies (LRU, SIEVE, S3-FIFO):
 *   - a slot pool of 32-byte entries (key, expiry, two uint32 links, 48-bit
 *     size, queue id, frequency bits), grown by x1.25 up to a hard bound;
 *   - an open-addressing index (linear probing, backward-shift deletion, no
 *     tombstones, load <= 2/3) of 8-byte buckets: 32-bit tag of the mixed
 *     key + a 32-bit reference (slot + 1, or for an S3-FIFO ghost key
 *     RC_GREF | (ring position + 1));
 *   - intrusive doubly linked lists over slot indices (head = newest);
 *   - S3-FIFO only: the ghost FIFO keeps keys, never a slot: a ring of keys
 *     (8 bytes; + 8 for the size when the cache is byte-bounded) and a bit
 *     per position saying it is live. A ghost hit clears the bit (the key
 *     stays, dead, in the ring); eviction from the tail skips dead keys, and
 *     a full ring is compacted (or grown) in FIFO order, then re-indexed.
 *     Ghost keys share the index, so one probe tells resident / ghost / new.
 * Memory in simulator mode (rc_memory): LRU/SIEVE index sizes are powers of
 * two (cheapest probe): 32 + 12..24 bytes per entry (45 B at 10,000 entries,
 * 49 B at 1M). The S3-FIFO index holds resident + ghost keys and is sized
 * exactly 1.5x their bound (home = (tag * size) >> 32): with the default
 * ghost of 0.9x the entries, 32 + 22.8 + 8.1 (ring) = 63 bytes per entry.
 * Plain C, no Python: every function is safe without the GIL. The Cython
 * wrapper owns the Python objects (proxy mode) and learns which slots were
 * dropped from the removal log (rc_cache.log) after each operation.
 *
 * Semantics (the Python reference _cache_py.py mirrors them line by line):
 *   LRU    : hit -> move to head; evict tail.  Equals cachetools.LRUCache.
 *   SIEVE  : hit -> visited = 1; insert at head; the hand walks from the tail
 *            toward the head clearing visited bits and evicts the first
 *            unvisited entry; hand := its newer neighbour (NSDI'24, as in
 *            libCacheSim Sieve.c).
 *   S3FIFO : small FIFO (10 %), main FIFO (2-bit clock), ghost FIFO of keys
 *            (90 %), move-to-main threshold 2, as in libCacheSim S3FIFO.c.
 */
#ifndef RUNISO_CACHE_H
#define RUNISO_CACHE_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "xxh64.h"

#if defined(__GNUC__)
#define RC_ALWAYS_INLINE static inline __attribute__((always_inline))
#else
#define RC_ALWAYS_INLINE static inline
#endif


#define RC_NIL 0xFFFFFFFFu
#define RC_NEVER INT64_MAX          /* expiry of an entry without TTL */
#define RC_TTL_DEFAULT (-1)         /* "use the cache's default TTL" */
#define RC_MAX_SLOTS 0x7FFFFFFFu    /* slots per cache: slot + 1 < RC_GREF */
#define RC_S3_MAX 0x20000000u       /* S3-FIFO: resident and ghost bounds, so the
                                       index (1.5x both) stays <= 2^32 buckets */
#define RC_GREF 0x80000000u         /* index reference flag: a ghost ring position */
#define RC_GMARK 0x40000000u        /* ghost ref already renumbered (ring rebuild) */
#define RC_MAX_SIZE ((int64_t)1 << 48) /* object sizes are < 2**48 bytes */
/* Resident bytes never exceed this, whatever the bounds (none given: an entry
   bound alone would let 2**31 objects of 2**48 bytes overflow int64). With
   sizes < 2**48, `bytes + size` and a resize therefore never overflow. */
#define RC_BYTES_MAX (INT64_MAX - RC_MAX_SIZE)

enum { RC_LRU = 0, RC_SIEVE = 1, RC_S3FIFO = 2 };
/* queue ids: Q_MAIN is the only list of LRU/SIEVE; Q_GHOST only counts */
enum { Q_MAIN = 0, Q_SMALL = 1, Q_GHOST = 2, Q_FREE = 0xFF };
/* operation kinds of rc_access */
enum { RC_OP_ACCESS = 0, RC_OP_PUT = 1 };

typedef struct {
    uint64_t key;       /* the 64-bit key (hash64 of str/bytes, or the int) */
    int64_t expire;     /* ns; RC_NEVER = no TTL */
    uint32_t prev;      /* newer neighbour (toward head), RC_NIL at head */
    uint32_t next;      /* older neighbour (toward tail); free-list link */
    uint64_t size : 48; /* bytes charged to the cache (< 2**48, checked at the boundary) */
    uint64_t q : 8;     /* Q_MAIN / Q_SMALL / Q_FREE */
    uint64_t freq : 8;  /* SIEVE visited bit; S3-FIFO frequency (capped 3) */
} rc_entry;             /* 32 bytes */

/* S3-FIFO ghost FIFO: keys of entries evicted from the small queue. */
typedef struct {
    uint64_t *key;      /* ring of keys, oldest at `tail`; dead ones included */
    uint64_t *size;     /* ring of sizes (byte-bounded caches only, else NULL) */
    uint64_t *live;     /* bit per ring position: the key is a live ghost */
    uint32_t cap;       /* ring positions allocated */
    uint32_t max_cap;   /* bound on ring positions (live bound * 1.125 + 1) */
    uint32_t live_max;  /* bound on live ghost keys */
    uint32_t tail;      /* position of the oldest key */
    uint32_t span;      /* positions in use from tail (live + dead) */
} rc_ghost;

typedef struct {
    int policy;
    rc_entry *e;        /* slot pool */
    uint32_t cap;       /* allocated slots */
    uint32_t n_used;    /* slots ever handed out (high-water mark) */
    uint32_t max_slots; /* hard bound on slots */
    uint32_t free_head; /* free-list of released slots */
    uint64_t *tab;      /* index buckets: (tag << 32) | ref; 0 = empty */
    uint64_t tsize;     /* index buckets (power of two; S3-FIFO: exact) */
    uint64_t tcap;      /* S3-FIFO: resident + ghost keys the index is sized for */

    int64_t cap_bytes;   /* byte bound (INT64_MAX = none) */
    int64_t max_entries; /* entry bound (INT64_MAX = none) */
    int64_t bytes;       /* resident bytes (ghost excluded) */
    int64_t n;           /* resident entries (ghost excluded) */
    rc_ghost g;          /* S3-FIFO ghost (unallocated for LRU/SIEVE) */
    int64_t default_ttl; /* ns, RC_NEVER = none */
    int64_t now;         /* latest time seen, ns */

    uint32_t head[3], tail[3];
    int64_t qbytes[3], qn[3];   /* per queue; [Q_GHOST] = live ghost keys
                                   (qbytes[Q_GHOST] only when byte-bounded) */

    uint32_t hand;       /* SIEVE hand (RC_NIL: start at tail) */

    int64_t small_bytes_cap, small_n_cap;  /* S3-FIFO queue bounds */
    int64_t main_bytes_cap, main_n_cap;
    int64_t ghost_bytes_cap, ghost_n_cap;
    int move_threshold;  /* small -> main when freq >= this */
    int has_evicted;     /* libCacheSim: before the first eviction a full
                            small queue sends inserts to main */

    int64_t hits, misses, evictions, expired, too_large;
    /* bytes served / fetched: 128-bit (lo, hi) counters, exact for any run
       (2**15 requests of a 2**48-byte object already fill an int64) */
    uint64_t byte_hits, byte_hits_hi, byte_misses, byte_misses_hi;

    int keep_size;       /* a hit keeps the stored size (libCacheSim) instead of
                            resizing to the request's (cachetools) */
    int log_on;          /* proxy mode: record dropped resident slots */
    uint32_t *log;       /* slots whose Python objects must be released */
    size_t log_n, log_cap;
    uint64_t salt;   /* per-object random salt of the index hash (runiso_table_hash) */
} rc_cache;

/* ------------------------------------------------------------------ */
/* counters and bounds                                                 */

RC_ALWAYS_INLINE void rc_add128(uint64_t *lo, uint64_t *hi, int64_t v) {
    *lo += (uint64_t)v;
    *hi += *lo < (uint64_t)v;          /* carry */
}

#define RC_HIT_BYTES(c, v) rc_add128(&(c)->byte_hits, &(c)->byte_hits_hi, (v))
#define RC_MISS_BYTES(c, v) rc_add128(&(c)->byte_misses, &(c)->byte_misses_hi, (v))

/* (int64)(v * ratio) as libCacheSim computes queue bounds, saturated at
   `max`: the plain cast is undefined behaviour for v near 2**63, ratio > 1. */
static inline int64_t rc_scale(int64_t v, double ratio, int64_t max) {
    double x = (double)v * ratio;
    return x >= (double)max ? max : (int64_t)x;
}

/* ------------------------------------------------------------------ */
/* index                                                               */

/* Index size for k keys, load <= 2/3. LRU/SIEVE (k = slots): a power of
   two (home = tag & (size - 1), 12..24 bytes per slot). S3-FIFO (k = tcap
   resident + ghost keys, grown by x1.25 as they come): exactly 1.5k + 1
   (home = (tag * size) >> 32, 12 bytes per key). */
static inline uint64_t rc_table_size(const rc_cache *c, uint64_t k) {
    uint64_t tsize = 16;
    if (c->policy == RC_S3FIFO) {
        tsize = k + k / 2 + 1;
        return tsize < 16 ? 16 : tsize;
    }
    while (tsize < k + k / 2 + 1) tsize <<= 1;
    return tsize;
}

/* Home bucket of a bucket's 32-bit tag (the _p variants take the policy as
   a constant: the branch folds away in the hot paths). */
RC_ALWAYS_INLINE uint64_t rc_home_p(const rc_cache *c, const int policy, uint64_t tag32) {
    return policy == RC_S3FIFO ? (tag32 * c->tsize) >> 32 : tag32 & (c->tsize - 1);
}

RC_ALWAYS_INLINE uint64_t rc_home(const rc_cache *c, uint64_t tag32) {
    return rc_home_p(c, c->policy, tag32);
}

RC_ALWAYS_INLINE int rc_ghost_is_live(const rc_ghost *g, uint32_t pos) {
    return (int)((g->live[pos >> 6] >> (pos & 63)) & 1);
}

/* A bucket is (hi << 32) | ref with hi = mix64(key) >> 32. The home position
   is rc_home(hi), so deletion never reads entries; hi also filters probes
   before the key is compared. Returns the key's ref, 0 when absent. */
RC_ALWAYS_INLINE uint32_t rc_find_ref_p(const rc_cache *c, const int policy, uint64_t key,
                                        uint64_t h) {
    uint64_t tag = h >> 32, i = rc_home_p(c, policy, tag);
    for (;;) {
        uint64_t b = c->tab[i];
        if (b == 0) return 0;
        if ((b >> 32) == tag) {
            uint32_t r = (uint32_t)b;
            if (policy != RC_S3FIFO || !(r & RC_GREF)) {
                if (c->e[r - 1].key == key) return r;
            } else if (c->g.key[(r & ~RC_GREF) - 1] == key) {
                return r;
            }
        }
        if (++i == c->tsize) i = 0;
    }
}

RC_ALWAYS_INLINE uint32_t rc_find_ref(const rc_cache *c, uint64_t key, uint64_t h) {
    return c->policy == RC_S3FIFO ? rc_find_ref_p(c, RC_S3FIFO, key, h)
                                  : rc_find_ref_p(c, RC_LRU, key, h);
}

/* Resident slot of a key, or RC_NIL (ghost keys are not resident). */
static inline uint32_t rc_find_h(const rc_cache *c, uint64_t key, uint64_t h) {
    uint32_t r = rc_find_ref(c, key, h);
    return (r == 0 || (r & RC_GREF)) ? RC_NIL : r - 1;
}

static inline uint32_t rc_find(const rc_cache *c, uint64_t key) {
    return rc_find_h(c, key, runiso_table_hash(key, c->salt));
}

RC_ALWAYS_INLINE void rc_tab_put_p(rc_cache *c, const int policy, uint64_t h, uint32_t ref) {
    uint64_t i = rc_home_p(c, policy, h >> 32);
    while (c->tab[i] != 0) if (++i == c->tsize) i = 0;
    c->tab[i] = ((h >> 32) << 32) | ref;
}

static inline void rc_tab_put(rc_cache *c, uint64_t h, uint32_t ref) {
    rc_tab_put_p(c, c->policy, h, ref);
}

/* Index of the bucket holding `ref` (refs are unique; it is present). */
static inline uint64_t rc_tab_at(const rc_cache *c, uint64_t h, uint32_t ref) {
    uint64_t i = rc_home(c, h >> 32);
    while ((uint32_t)c->tab[i] != ref) if (++i == c->tsize) i = 0;
    return i;
}

/* Backward-shift deletion keeps probe chains intact without tombstones. */
static inline void rc_tab_del_ref(rc_cache *c, uint64_t h, uint32_t ref) {
    /* locals: stores to tab[] could otherwise alias c->tsize (both uint64) */
    uint64_t *tab = c->tab, n = c->tsize;
    const int s3 = c->policy == RC_S3FIFO;
    uint64_t i = rc_tab_at(c, h, ref), j = i;
    for (;;) {
        if (++j == n) j = 0;
        uint64_t b = tab[j];
        if (b == 0) break;
        uint64_t home = s3 ? ((b >> 32) * n) >> 32 : (b >> 32) & (n - 1);
        /* move b into the hole at i unless its home lies cyclically in (i, j]:
           compare its distance from home with the hole's distance */
        uint64_t dh = j >= home ? j - home : j + n - home;
        uint64_t di = j >= i ? j - i : j + n - i;
        if (dh >= di) { tab[i] = b; i = j; }
    }
    tab[i] = 0;
}

static inline void rc_tab_del(rc_cache *c, uint32_t s) {
    rc_tab_del_ref(c, runiso_table_hash(c->e[s].key, c->salt), s + 1);
}

/* Replace a zeroed index of c->tsize buckets: every resident slot and
   every live ghost key. */
static inline void rc_tab_fill(rc_cache *c) {
    for (uint32_t s = 0; s < c->n_used; s++)
        if (c->e[s].q != Q_FREE) rc_tab_put(c, runiso_table_hash(c->e[s].key, c->salt), s + 1);
    if (c->policy == RC_S3FIFO) {
        uint32_t pos = c->g.tail;
        for (uint32_t k = 0; k < c->g.span; k++) {
            if (rc_ghost_is_live(&c->g, pos))
                rc_tab_put(c, runiso_table_hash(c->g.key[pos], c->salt), RC_GREF | (pos + 1));
            if (++pos == c->g.cap) pos = 0;
        }
    }
}

/* Swap in a new index of `tsize` buckets (allocated by the caller). */
static inline void rc_tab_install(rc_cache *c, uint64_t *t, uint64_t tsize) {
    free(c->tab);
    c->tab = t;
    c->tsize = tsize;
    rc_tab_fill(c);
}

/* ------------------------------------------------------------------ */
/* setup                                                               */

/* Allocate an empty ghost ring of `cap` positions (sized: keep sizes). */
static inline int rc_ghost_alloc(rc_ghost *g, uint32_t cap, int sized) {
    size_t words = ((size_t)cap + 63) / 64;
    uint64_t *k = (uint64_t *)malloc((size_t)cap * sizeof(uint64_t));
    uint64_t *sz = sized ? (uint64_t *)malloc((size_t)cap * sizeof(uint64_t)) : NULL;
    uint64_t *lv = (uint64_t *)calloc(words ? words : 1, sizeof(uint64_t));
    if (k == NULL || lv == NULL || (sized && sz == NULL)) {
        free(k); free(sz); free(lv);
        return -1;
    }
    g->key = k; g->size = sz; g->live = lv;
    g->cap = cap;
    g->tail = g->span = 0;
    return 0;
}

static inline void rc_ghost_free(rc_ghost *g) {
    free(g->key); g->key = NULL;
    free(g->size); g->size = NULL;
    free(g->live); g->live = NULL;
    g->cap = 0;
}

/* Returns 0, or -1 when out of memory. Bounds: INT64_MAX means none. */
static inline int rc_init(rc_cache *c, int policy, int64_t cap_bytes, int64_t max_entries,
                          int64_t default_ttl, int move_threshold,
                          double small_ratio, double ghost_ratio) {
    memset(c, 0, sizeof(*c));
    c->policy = policy;
    c->cap_bytes = cap_bytes;
    c->max_entries = max_entries;
    c->default_ttl = default_ttl;
    c->hand = RC_NIL;
    c->free_head = RC_NIL;
    for (int i = 0; i < 3; i++) { c->head[i] = RC_NIL; c->tail[i] = RC_NIL; }
    c->move_threshold = move_threshold;
    if (policy == RC_S3FIFO) {
        /* libCacheSim: small = (int64)(cap * 0.1), main = cap - small,
           ghost = (int64)(cap * 0.9). Unbounded dimensions stay unbounded.
           A zero-sized small queue (tiny caches) would admit nothing: use 1. */
        if (cap_bytes == INT64_MAX) {
            c->small_bytes_cap = c->main_bytes_cap = c->ghost_bytes_cap = INT64_MAX;
        } else {
            c->small_bytes_cap = rc_scale(cap_bytes, small_ratio, RC_BYTES_MAX);
            if (c->small_bytes_cap < 1) c->small_bytes_cap = 1;
            c->main_bytes_cap = cap_bytes - c->small_bytes_cap;
            c->ghost_bytes_cap = rc_scale(cap_bytes, ghost_ratio, RC_BYTES_MAX);
        }
        if (max_entries == INT64_MAX) {
            c->small_n_cap = c->main_n_cap = c->ghost_n_cap = INT64_MAX;
        } else {
            c->small_n_cap = rc_scale(max_entries, small_ratio, INT64_MAX);
            if (c->small_n_cap < 1) c->small_n_cap = 1;
            c->main_n_cap = max_entries - c->small_n_cap;
            c->ghost_n_cap = rc_scale(max_entries, ghost_ratio, INT64_MAX);
        }
    }
    /* Hard slot bound: resident entries (each >= 1 byte). */
    uint64_t res = (uint64_t)(max_entries < cap_bytes ? max_entries : cap_bytes);
    uint64_t lim = policy == RC_S3FIFO ? RC_S3_MAX : RC_MAX_SLOTS;
    if (res > lim - 1) res = lim - 1;
    c->max_slots = (uint32_t)(res + 1);
    uint32_t cap = c->max_slots < 64 ? c->max_slots : 64;
    c->e = (rc_entry *)malloc((size_t)cap * sizeof(rc_entry));
    if (c->e == NULL) return -1;
    c->cap = cap;
    uint32_t gcap = 0;
    if (policy == RC_S3FIFO) {
        /* live ghost keys <= min(entry bound, byte bound: each >= 1 byte);
           with 1/8 slack a full ring always frees >= 1/8 of it when
           compacted, so the moves (and index renumbering) are amortised */
        uint64_t ghost = (uint64_t)(c->ghost_n_cap < c->ghost_bytes_cap ? c->ghost_n_cap
                                                                         : c->ghost_bytes_cap);
        if (ghost > RC_S3_MAX) ghost = RC_S3_MAX;
        c->g.live_max = (uint32_t)ghost;
        c->g.max_cap = (uint32_t)(ghost + ghost / 8 + 1);
        gcap = c->g.max_cap < 64 ? c->g.max_cap : 64;
        if (rc_ghost_alloc(&c->g, gcap, cap_bytes != INT64_MAX) != 0) return -1;
    }
    uint64_t tcap = (uint64_t)cap + gcap, bound = (uint64_t)c->max_slots - 1 + c->g.live_max;
    c->tcap = tcap < bound ? tcap : bound;
    uint64_t tsize = rc_table_size(c, policy == RC_S3FIFO ? c->tcap : cap);
    c->tab = (uint64_t *)calloc(tsize, sizeof(uint64_t));
    if (c->tab == NULL) return -1;
    c->tsize = tsize;
    return 0;
}

static inline void rc_free(rc_cache *c) {
    free(c->e); c->e = NULL;
    free(c->tab); c->tab = NULL;
    free(c->log); c->log = NULL;
    rc_ghost_free(&c->g);
    c->cap = 0;
}

/* Bytes of C memory held by the engine (slot pool, index, ghost, log). */
static inline uint64_t rc_memory(const rc_cache *c) {
    uint64_t m = (uint64_t)c->cap * sizeof(rc_entry) + c->tsize * sizeof(uint64_t)
                 + (uint64_t)c->log_cap * sizeof(uint32_t);
    if (c->g.key != NULL)
        m += (uint64_t)c->g.cap * sizeof(uint64_t) * (c->g.size != NULL ? 2 : 1)
             + ((uint64_t)c->g.cap + 63) / 64 * sizeof(uint64_t);
    return m;
}

/* ------------------------------------------------------------------ */
/* slots                                                               */

static inline int rc_grow(rc_cache *c) {
    if (c->cap >= c->max_slots) return -1;
    /* x1.25: byte-bounded caches do not know their entry count, so keep the
       slack of the slot pool small (amortised O(1) all the same) */
    uint64_t nc = (uint64_t)c->cap + c->cap / 4 + 64;
    if (nc > c->max_slots) nc = c->max_slots;
    if (c->policy == RC_S3FIFO) {
        /* slot numbers do not move: the index (sized by key count) stays */
        rc_entry *ne = (rc_entry *)realloc(c->e, (size_t)nc * sizeof(rc_entry));
        if (ne == NULL) return -1;
        c->e = ne;
        c->cap = (uint32_t)nc;
        return 0;
    }
    /* allocate both before changing anything: a failure leaves the cache intact */
    uint64_t tsize = rc_table_size(c, nc);
    uint64_t *t = (uint64_t *)calloc(tsize, sizeof(uint64_t));
    if (t == NULL) return -1;
    rc_entry *ne = (rc_entry *)realloc(c->e, (size_t)nc * sizeof(rc_entry));
    if (ne == NULL) { free(t); return -1; }
    c->e = ne;
    c->cap = (uint32_t)nc;
    rc_tab_install(c, t, tsize);
    return 0;
}

/* S3-FIFO: make the index hold one more key (x1.25 up to the bound). */
static inline int rc_s3_index_reserve(rc_cache *c) {
    if ((uint64_t)(c->n + c->qn[Q_GHOST]) + 1 <= c->tcap) return 0;
    uint64_t bound = (uint64_t)c->max_slots - 1 + c->g.live_max;
    uint64_t nk = c->tcap + c->tcap / 4 + 64;
    if (nk > bound) nk = bound;
    if (nk <= c->tcap) return -1;      /* unreachable: n <= max_slots - 1, ghosts <= live_max */
    uint64_t tsize = rc_table_size(c, nk);
    uint64_t *t = (uint64_t *)calloc(tsize, sizeof(uint64_t));
    if (t == NULL) return -1;
    c->tcap = nk;
    rc_tab_install(c, t, tsize);
    return 0;
}

static inline uint32_t rc_slot_alloc(rc_cache *c) {
    uint32_t s = c->free_head;
    if (s != RC_NIL) { c->free_head = c->e[s].next; return s; }
    if (c->n_used == c->cap && rc_grow(c) != 0) return RC_NIL;
    return c->n_used++;
}

static inline void rc_slot_release(rc_cache *c, uint32_t s) {
    c->e[s].q = Q_FREE;
    c->e[s].next = c->free_head;
    c->free_head = s;
}

static inline int rc_log(rc_cache *c, uint32_t s) {
    if (!c->log_on) return 0;
    if (c->log_n == c->log_cap) {
        size_t nc = c->log_cap ? 2 * c->log_cap : 16;
        uint32_t *nl = (uint32_t *)realloc(c->log, nc * sizeof(uint32_t));
        if (nl == NULL) return -1;
        c->log = nl; c->log_cap = nc;
    }
    c->log[c->log_n++] = s;
    return 0;
}

/* ------------------------------------------------------------------ */
/* S3-FIFO ghost                                                        */

/* Remove the live ghost key at ring position pos (h = mix64 of its key):
   unindex it; its ring position turns dead. */
static inline void rc_ghost_remove(rc_cache *c, uint32_t pos, uint64_t h) {
    rc_ghost *g = &c->g;
    rc_tab_del_ref(c, h, RC_GREF | (pos + 1));
    g->live[pos >> 6] &= ~((uint64_t)1 << (pos & 63));
    if (g->size) c->qbytes[Q_GHOST] -= (int64_t)g->size[pos];
    c->qn[Q_GHOST] -= 1;
    if (c->qn[Q_GHOST] == 0) g->tail = g->span = 0;   /* only dead keys left */
}

/* Drop the oldest ring position: removes one live key, or skips a dead one. */
static inline void rc_ghost_pop(rc_cache *c) {
    rc_ghost *g = &c->g;
    uint32_t pos = g->tail;
    if (++g->tail == g->cap) g->tail = 0;
    g->span -= 1;
    if (rc_ghost_is_live(g, pos)) rc_ghost_remove(c, pos, runiso_table_hash(g->key[pos], c->salt));
}

/* The ring is full: move the live keys, in FIFO order, into a new ring that
   is the same size (>= 1/8 of it was dead) or 1.25x larger, and renumber
   their index refs in place (marked while old and new numbers coexist).
   Returns 0, or -1 with the cache intact. */
static inline int rc_ghost_rebuild(rc_cache *c) {
    rc_ghost *g = &c->g, ng = *g;
    uint64_t live = (uint64_t)c->qn[Q_GHOST], nc = g->cap;
    if (live * 8 > (uint64_t)g->cap * 7) {
        nc = (uint64_t)g->cap + g->cap / 4 + 64;
        if (nc > g->max_cap) nc = g->max_cap;
    }
    if (nc <= live) return -1;        /* unreachable: max_cap > 1.125 * live bound */
    if (rc_ghost_alloc(&ng, (uint32_t)nc, g->size != NULL) != 0) return -1;
    uint32_t pos = g->tail, w = 0;
    for (uint32_t k = 0; k < g->span; k++) {
        if (rc_ghost_is_live(g, pos)) {
            uint64_t key = g->key[pos];
            uint64_t i = rc_tab_at(c, runiso_table_hash(key, c->salt), RC_GREF | (pos + 1));
            c->tab[i] = (c->tab[i] & 0xFFFFFFFF00000000ull) | (RC_GREF | RC_GMARK | (w + 1));
            ng.key[w] = key;
            if (ng.size) ng.size[w] = g->size[pos];
            ng.live[w >> 6] |= (uint64_t)1 << (w & 63);
            w++;
        }
        if (++pos == g->cap) pos = 0;
    }
    for (uint64_t i = 0; i < c->tsize; i++)
        c->tab[i] &= ~(uint64_t)RC_GMARK;
    ng.span = w;
    rc_ghost_free(g);
    *g = ng;
    return 0;
}

/* Slot s, just unlinked from the small queue, becomes a ghost key (its index
   bucket now points at the ring) or, when the ghost cannot hold it, goes.
   The slot is released either way. Returns 0 or -1 (out of memory). */
static inline int rc_ghost_add(rc_cache *c, uint32_t s) {
    rc_ghost *g = &c->g;
    uint64_t key = c->e[s].key, h = runiso_table_hash(key, c->salt);
    int64_t size = (int64_t)c->e[s].size;
    if (size > c->ghost_bytes_cap || c->ghost_n_cap < 1) {
        rc_tab_del_ref(c, h, s + 1);
        rc_slot_release(c, s);
        return 0;
    }
    while (c->qn[Q_GHOST] > 0 && (c->qbytes[Q_GHOST] + (g->size ? size : 0) > c->ghost_bytes_cap ||
                                  c->qn[Q_GHOST] + 1 > c->ghost_n_cap))
        rc_ghost_pop(c);
    if (g->span == g->cap && rc_ghost_rebuild(c) != 0) {
        rc_tab_del_ref(c, h, s + 1);
        rc_slot_release(c, s);
        return -1;
    }
    uint32_t pos = g->tail + g->span;
    if (pos >= g->cap) pos -= g->cap;
    g->key[pos] = key;
    if (g->size) { g->size[pos] = (uint64_t)size; c->qbytes[Q_GHOST] += size; }
    g->live[pos >> 6] |= (uint64_t)1 << (pos & 63);
    g->span += 1;
    c->qn[Q_GHOST] += 1;
    uint64_t i = rc_tab_at(c, h, s + 1);        /* same key, same bucket: re-point it */
    c->tab[i] = (c->tab[i] & 0xFFFFFFFF00000000ull) | (RC_GREF | (pos + 1));
    rc_slot_release(c, s);
#if defined(__GNUC__)
    /* the next pop unindexes the oldest key: fetch its bucket meanwhile */
    __builtin_prefetch(&c->tab[rc_home(c, runiso_table_hash(g->key[g->tail], c->salt) >> 32)]);
    uint32_t v = c->tail[Q_SMALL];
    if (v != RC_NIL) __builtin_prefetch(&c->e[v]);
#endif
    return 0;
}

static inline void rc_ghost_clear(rc_cache *c) {
    if (c->g.live) memset(c->g.live, 0, ((size_t)c->g.cap + 63) / 64 * sizeof(uint64_t));
    c->g.tail = c->g.span = 0;
}

/* 1 when the key is a live ghost key (testing aid). */
static inline int rc_ghost_contains(const rc_cache *c, uint64_t key) {
    return (rc_find_ref(c, key, runiso_table_hash(key, c->salt)) & RC_GREF) != 0;
}

/* ------------------------------------------------------------------ */
/* lists                                                               */

static inline void rc_push_head(rc_cache *c, int q, uint32_t s) {
    rc_entry *e = &c->e[s];
    e->q = (uint8_t)q;
    e->prev = RC_NIL;
    e->next = c->head[q];
    if (c->head[q] != RC_NIL) c->e[c->head[q]].prev = s; else c->tail[q] = s;
    c->head[q] = s;
    c->qbytes[q] += (int64_t)e->size;
    c->qn[q] += 1;
}

static inline void rc_unlink(rc_cache *c, uint32_t s) {
    rc_entry *e = &c->e[s];
    int q = e->q;
    if (e->prev != RC_NIL) c->e[e->prev].next = e->next; else c->head[q] = e->next;
    if (e->next != RC_NIL) c->e[e->next].prev = e->prev; else c->tail[q] = e->prev;
    c->qbytes[q] -= (int64_t)e->size;
    c->qn[q] -= 1;
}

/* Drop a resident entry (eviction, expiry, user removal): unlink, unindex,
   free the slot, log it for the proxy layer. */
static inline int rc_drop(rc_cache *c, uint32_t s) {
    if (c->policy == RC_SIEVE && c->hand == s) c->hand = c->e[s].prev;
    rc_unlink(c, s);
    c->bytes -= (int64_t)c->e[s].size;
    c->n -= 1;
    rc_tab_del(c, s);
    rc_slot_release(c, s);
    return rc_log(c, s);
}

/* ------------------------------------------------------------------ */
/* eviction, one victim (or one S3-FIFO step) per call                  */

static inline int rc_evict_lru(rc_cache *c) {
    c->evictions++;
    return rc_drop(c, c->tail[Q_MAIN]);
}

static inline int rc_evict_sieve(rc_cache *c) {
    uint32_t s = c->hand == RC_NIL ? c->tail[Q_MAIN] : c->hand;
    while (c->e[s].freq) {
        c->e[s].freq = 0;
        s = c->e[s].prev == RC_NIL ? c->tail[Q_MAIN] : c->e[s].prev;
    }
    c->hand = c->e[s].prev;
    c->evictions++;
    return rc_drop(c, s);
}

static inline int rc_s3_evict_small(rc_cache *c) {
    while (c->qn[Q_SMALL] > 0) {
        uint32_t s = c->tail[Q_SMALL];
        rc_unlink(c, s);
        if (c->e[s].freq >= c->move_threshold) {
            c->e[s].freq = 0;
            rc_push_head(c, Q_MAIN, s);
        } else {
            /* the slot is freed; the ghost keeps the key (and size) only */
            c->bytes -= (int64_t)c->e[s].size;
            c->n -= 1;
            c->evictions++;
            if (rc_log(c, s) != 0) return -1;
            return rc_ghost_add(c, s);
        }
    }
    return 0;
}

static inline int rc_s3_evict_main(rc_cache *c) {
    while (c->qn[Q_MAIN] > 0) {
        uint32_t s = c->tail[Q_MAIN];
        uint8_t f = c->e[s].freq;
        if (f >= 1) {
            rc_unlink(c, s);
            c->e[s].freq = (uint8_t)((f < 3 ? f : 3) - 1);
            rc_push_head(c, Q_MAIN, s);
        } else {
            c->evictions++;
            return rc_drop(c, s);
        }
    }
    return 0;
}

static inline int rc_evict_s3(rc_cache *c) {
    c->has_evicted = 1;
    if (c->qbytes[Q_MAIN] > c->main_bytes_cap || c->qn[Q_MAIN] > c->main_n_cap ||
        c->qn[Q_SMALL] == 0)
        return rc_s3_evict_main(c);
    return rc_s3_evict_small(c);
}

RC_ALWAYS_INLINE int rc_evict_one_p(rc_cache *c, const int policy) {
    switch (policy) {
    case RC_LRU: return rc_evict_lru(c);
    case RC_SIEVE: return rc_evict_sieve(c);
    default: return rc_evict_s3(c);
    }
}

/* Evict until `extra` more bytes and `extra_n` more entries fit. */
RC_ALWAYS_INLINE int rc_make_room_p(rc_cache *c, const int policy, int64_t extra, int64_t extra_n) {
    while (c->n > 0 && (c->bytes + extra > c->cap_bytes || c->bytes + extra > RC_BYTES_MAX ||
                        c->n + extra_n > c->max_entries))
        if (rc_evict_one_p(c, policy) != 0) return -1;
    return 0;
}

static inline int rc_make_room(rc_cache *c, int64_t extra, int64_t extra_n) {
    return rc_make_room_p(c, c->policy, extra, extra_n);
}

static inline int64_t rc_expiry(const rc_cache *c, int64_t now, int64_t ttl) {
    if (ttl == RC_TTL_DEFAULT) ttl = c->default_ttl;
    if (ttl == RC_NEVER) return RC_NEVER;
    if (now > 0 && ttl > INT64_MAX - now) return RC_NEVER;
    return now + ttl;
}

/* ------------------------------------------------------------------ */
/* public operations                                                   */

/* Lookup without side effects: resident, unexpired slot or RC_NIL. */
static inline uint32_t rc_peek(const rc_cache *c, uint64_t key, int64_t now) {
    uint32_t s = rc_find(c, key);
    if (s == RC_NIL || now >= c->e[s].expire) return RC_NIL;
    return s;
}

RC_ALWAYS_INLINE void rc_touch_p(rc_cache *c, const int policy, uint32_t s) {
    switch (policy) {
    case RC_LRU:
        if (c->head[Q_MAIN] != s) {
            /* move to head; queue totals are unchanged */
            rc_entry *e = &c->e[s];
            c->e[e->prev].next = e->next;              /* s is not the head */
            if (e->next != RC_NIL) c->e[e->next].prev = e->prev; else c->tail[Q_MAIN] = e->prev;
            e->prev = RC_NIL;
            e->next = c->head[Q_MAIN];
            c->e[c->head[Q_MAIN]].prev = s;
            c->head[Q_MAIN] = s;
        }
        break;
    case RC_SIEVE:
        c->e[s].freq = 1;
        break;
    default:
        if (c->e[s].freq < 3) c->e[s].freq++;
        break;
    }
}

static inline void rc_touch(rc_cache *c, uint32_t s) { rc_touch_p(c, c->policy, s); }

/* get: a hit promotes and counts (byte_hits += stored size); an expired
   entry is reclaimed (expired). Returns the slot or RC_NIL (-1 never). */
/* get at a slot found by rc_find (RC_NIL: a miss). */
static inline int rc_get_at(rc_cache *c, uint32_t s, int64_t now, uint32_t *out) {
    c->now = now;
    *out = RC_NIL;
    if (s != RC_NIL) {
        if (now >= c->e[s].expire) {
            c->expired++;
            c->misses++;
            return rc_drop(c, s) != 0 ? -1 : 0;
        }
        rc_touch(c, s);
        c->hits++;
        RC_HIT_BYTES(c, (int64_t)c->e[s].size);
        *out = s;
        return 1;
    }
    c->misses++;
    return 0;
}

static inline int rc_get(rc_cache *c, uint64_t key, int64_t now, uint32_t *out) {
    return rc_get_at(c, rc_find(c, key), now, out);
}

/* Resize a resident entry in place, then evict until it fits. The entry
   itself may be evicted by SIEVE/S3-FIFO (never by LRU: it is at the head
   and no larger than the capacity). */
static inline int rc_resize(rc_cache *c, uint32_t s, int64_t size) {
    rc_entry *e = &c->e[s];
    int64_t d = size - (int64_t)e->size;
    e->size = (uint64_t)size;
    c->bytes += d;
    c->qbytes[e->q] += d;
    if (d > 0) return rc_make_room(c, 0, 0);
    return 0;
}

/* access (get-or-insert, counted) or put (insert-or-update, not counted as
   a hit or miss; resets the TTL). Returns 1 hit, 0 miss, -1 out of memory.
   *out = slot now holding the key, or RC_NIL when it is not resident. */
RC_ALWAYS_INLINE int rc_access_p(rc_cache *c, const int policy, uint64_t key, int64_t size,
                                 int64_t now, int64_t ttl, int op, uint32_t *out);

static inline int rc_access(rc_cache *c, uint64_t key, int64_t size, int64_t now,
                            int64_t ttl, int op, uint32_t *out) {
    return rc_access_p(c, c->policy, key, size, now, ttl, op, out);
}

RC_ALWAYS_INLINE int rc_access_p(rc_cache *c, const int policy, uint64_t key, int64_t size,
                                 int64_t now, int64_t ttl, int op, uint32_t *out) {
    uint64_t h = runiso_table_hash(key, c->salt);
#if defined(__GNUC__)
    if (policy == RC_S3FIFO && c->tail[Q_SMALL] != RC_NIL) {
        /* a miss evicts the small queue's tail to the ghost, re-pointing its
           bucket: fetch that bucket while this key's own probe waits */
        uint64_t vh = runiso_table_hash(c->e[c->tail[Q_SMALL]].key, c->salt);
        __builtin_prefetch(&c->tab[rc_home_p(c, policy, vh >> 32)]);
    }
#endif
    uint32_t r = rc_find_ref_p(c, policy, key, h);
    uint32_t s = RC_NIL;
    int ghost_hit = 0;
    if (r != 0 && !(policy == RC_S3FIFO && (r & RC_GREF))) s = r - 1;
    c->now = now;
    *out = RC_NIL;
    if (s != RC_NIL) {
        rc_entry *e = &c->e[s];
        if (now >= e->expire) {
            c->expired++;
            if (rc_drop(c, s) != 0) return -1;
        } else if (op == RC_OP_ACCESS && c->keep_size) {
            /* libCacheSim's rule: a hit serves the stored object as it is */
            c->hits++; RC_HIT_BYTES(c, size);
            rc_touch_p(c, policy, s);
            *out = s;
            return 1;
        } else if (size > c->cap_bytes) {
            /* the object grew beyond the capacity: it cannot stay */
            c->too_large++;
            if (op == RC_OP_ACCESS) { c->misses++; RC_MISS_BYTES(c, size); }
            return rc_drop(c, s);
        } else {
            if (op == RC_OP_ACCESS) { c->hits++; RC_HIT_BYTES(c, size); }
            rc_touch_p(c, policy, s);
            if (op == RC_OP_PUT) e->expire = rc_expiry(c, now, ttl);
            if (size != (int64_t)e->size) {
                if (rc_resize(c, s, size) != 0) return -1;
                if (c->e[s].q == Q_FREE || c->e[s].key != key) s = RC_NIL;
            }
            *out = s;
            return 1;
        }
    } else if (policy == RC_S3FIFO && r != 0) {
        /* a ghost hit: the key is a miss that goes straight to main */
        ghost_hit = 1;
        rc_ghost_remove(c, (r & ~RC_GREF) - 1, h);
    }
    if (op == RC_OP_ACCESS) { c->misses++; RC_MISS_BYTES(c, size); }
    if (size > c->cap_bytes) { c->too_large++; return 0; }
    int q = Q_MAIN;
    if (policy == RC_S3FIFO) {
        if (size > c->small_bytes_cap) { c->too_large++; return 0; }
        /* libCacheSim refuses a non-ghost object as large as the small queue */
        if (!ghost_hit && c->cap_bytes != INT64_MAX && size >= c->small_bytes_cap) {
            c->too_large++; return 0;
        }
    }
    if (rc_make_room_p(c, policy, size, 1) != 0) return -1;
    if (policy == RC_S3FIFO && rc_s3_index_reserve(c) != 0) return -1;
    if (policy == RC_S3FIFO && !ghost_hit) {
        if (c->has_evicted || (c->qbytes[Q_SMALL] < c->small_bytes_cap && c->qn[Q_SMALL] < c->small_n_cap))
            q = Q_SMALL;
    }
    s = rc_slot_alloc(c);
    if (s == RC_NIL) return -1;
    rc_entry *e = &c->e[s];
    e->key = key;
    e->size = (uint64_t)size;
    e->expire = rc_expiry(c, now, ttl);
    e->freq = 0;
    rc_tab_put_p(c, policy, h, s + 1);
    rc_push_head(c, q, s);
    c->bytes += size;
    c->n += 1;
    *out = s;
    return 0;
}

/* Remove a key (user pop/del): 1 removed, 0 absent. Not logged. */
static inline int rc_remove(rc_cache *c, uint32_t s) {
    int lo = c->log_on;
    c->log_on = 0;
    rc_drop(c, s);
    c->log_on = lo;
    return 1;
}

static inline void rc_clear(rc_cache *c) {
    c->n_used = 0;
    c->free_head = RC_NIL;
    memset(c->tab, 0, c->tsize * sizeof(uint64_t));
    for (int i = 0; i < 3; i++) {
        c->head[i] = c->tail[i] = RC_NIL;
        c->qbytes[i] = c->qn[i] = 0;
    }
    c->bytes = c->n = 0;
    rc_ghost_clear(c);
    c->hand = RC_NIL;
    c->has_evicted = 0;
    c->log_n = 0;
}

/* Batch replay. sizes/times/ttls may be NULL (1 / c->now / default).
   ttls[i] < 0 means default, RC_NEVER means no expiry. Returns 0 or -1. */
#define RC_PREFETCH_AHEAD 8

RC_ALWAYS_INLINE int rc_access_many_p(rc_cache *c, const int policy, const uint64_t *keys,
                                      int64_t n, const int64_t *sizes, const int64_t *times,
                                      const int64_t *ttls, uint8_t *out) {
    uint32_t s;
    int64_t now = c->now;
    for (int64_t i = 0; i < n; i++) {
#if defined(__GNUC__)
        /* the index bucket of a request a few steps ahead: hides most of the
           cache-miss latency of random keys */
        if (i + RC_PREFETCH_AHEAD < n) {
            uint64_t hi = runiso_table_hash(keys[i + RC_PREFETCH_AHEAD], c->salt) >> 32;
            __builtin_prefetch(&c->tab[rc_home_p(c, policy, hi)]);
        }
#endif
        int64_t t = ttls ? (ttls[i] < 0 ? RC_TTL_DEFAULT : ttls[i]) : RC_TTL_DEFAULT;
        if (times) now = times[i];
        int r = rc_access_p(c, policy, keys[i], sizes ? sizes[i] : 1, now, t, RC_OP_ACCESS, &s);
        if (r < 0) return -1;
        out[i] = (uint8_t)r;
    }
    return 0;
}

/* Batch replay. sizes/times/ttls may be NULL (1 / c->now / default).
   ttls[i] < 0 means default, RC_NEVER means no expiry. Returns 0 or -1. */
static inline int rc_access_many(rc_cache *c, const uint64_t *keys, int64_t n,
                                 const int64_t *sizes, const int64_t *times,
                                 const int64_t *ttls, uint8_t *out) {
    switch (c->policy) {
    case RC_LRU: return rc_access_many_p(c, RC_LRU, keys, n, sizes, times, ttls, out);
    case RC_SIEVE: return rc_access_many_p(c, RC_SIEVE, keys, n, sizes, times, ttls, out);
    default: return rc_access_many_p(c, RC_S3FIFO, keys, n, sizes, times, ttls, out);
    }
}

/* ------------------------------------------------------------------ */
/* invariants (tests and the thread stress call this after the fact)   */

/* Walk one queue: links agree both ways, every entry is tagged with it,
   count and bytes equal the queue totals. */
static inline const char *rc_check_queue(const rc_cache *c, int q) {
    uint32_t s = c->head[q], prev = RC_NIL;
    int64_t n = 0, bytes = 0;
    while (s != RC_NIL) {
        if (s >= c->n_used) return "a queue link points past the slots in use";
        if (++n > (int64_t)c->n_used) return "a queue has a cycle";
        const rc_entry *e = &c->e[s];
        if (e->q != (uint64_t)q) return "an entry's queue id differs from the queue it is on";
        if (e->prev != prev) return "a queue's prev link disagrees with its next link";
        if (e->size < 1 || (int64_t)e->size >= RC_MAX_SIZE) return "an entry's size is out of range";
        bytes += (int64_t)e->size;
        prev = s;
        s = e->next;
    }
    if (c->tail[q] != prev) return "a queue's tail is not its last entry";
    if (n != c->qn[q]) return "a queue's entry count differs from its length";
    if (bytes != c->qbytes[q]) return "a queue's byte count differs from its entries' sizes";
    return NULL;
}

/* NULL when every invariant holds, else what is broken. O(slots + index). */
static inline const char *rc_check(const rc_cache *c) {
    const char *err;
    if (c->e == NULL) return "not initialised";
    if (c->n_used > c->cap || c->cap > c->max_slots) return "slot counts out of order";
    if (c->n < 0 || c->n > c->max_entries || c->n > (int64_t)c->n_used) return "entry count out of bounds";
    if (c->bytes < 0 || c->bytes > c->cap_bytes || c->bytes > RC_BYTES_MAX) return "resident bytes out of bounds";
    if (c->n != c->qn[Q_MAIN] + c->qn[Q_SMALL]) return "entries differ from the queues' sum";
    if (c->bytes != c->qbytes[Q_MAIN] + c->qbytes[Q_SMALL]) return "bytes differ from the queues' sum";
    if ((err = rc_check_queue(c, Q_MAIN)) != NULL) return err;
    if ((err = rc_check_queue(c, Q_SMALL)) != NULL) return err;
    if (c->policy != RC_S3FIFO && c->qn[Q_SMALL] != 0) return "LRU/SIEVE entries on the small queue";
    if (c->policy == RC_SIEVE && c->hand != RC_NIL &&
        (c->hand >= c->n_used || c->e[c->hand].q != Q_MAIN)) return "the SIEVE hand is not on a resident entry";
    /* free list: every slot in use is resident or free, exactly once */
    int64_t nfree = 0;
    for (uint32_t s = c->free_head; s != RC_NIL; s = c->e[s].next) {
        if (s >= c->n_used) return "the free list points past the slots in use";
        if (c->e[s].q != Q_FREE) return "a resident slot is on the free list";
        if (++nfree > (int64_t)c->n_used) return "the free list has a cycle";
    }
    if (nfree + c->n != (int64_t)c->n_used) return "slots lost: neither resident nor free";
    /* index <-> entries */
    uint64_t filled = 0;
    for (uint64_t i = 0; i < c->tsize; i++) {
        uint64_t b = c->tab[i];
        if (b == 0) continue;
        filled++;
        uint32_t r = (uint32_t)b;
        uint64_t key;
        if (c->policy == RC_S3FIFO && (r & RC_GREF)) {
            uint32_t pos = (r & ~RC_GREF) - 1;
            if (pos >= c->g.cap || !rc_ghost_is_live(&c->g, pos)) return "the index points at a dead ghost position";
            key = c->g.key[pos];
        } else {
            if (r == 0 || r - 1 >= c->n_used || c->e[r - 1].q == Q_FREE) return "the index points at a free slot";
            key = c->e[r - 1].key;
        }
        uint64_t h = runiso_table_hash(key, c->salt);
        if ((b >> 32) != (h >> 32)) return "an index tag differs from its key's hash";
        if (rc_find_ref(c, key, h) != r) return "a key is unreachable from its home bucket";
    }
    if (filled != (uint64_t)(c->n + c->qn[Q_GHOST])) return "index size differs from resident + ghost keys";
    if (c->policy == RC_S3FIFO) {
        const rc_ghost *g = &c->g;
        int64_t live = 0, gbytes = 0;
        if (g->span > g->cap || (g->cap && g->tail >= g->cap)) return "ghost ring bounds out of order";
        uint32_t pos = g->tail;
        for (uint32_t k = 0; k < g->span; k++) {
            if (rc_ghost_is_live(g, pos)) { live++; if (g->size) gbytes += (int64_t)g->size[pos]; }
            if (++pos == g->cap) pos = 0;
        }
        if (live != c->qn[Q_GHOST] || live > (int64_t)g->live_max) return "live ghost keys differ from their count";
        if (g->size && gbytes != c->qbytes[Q_GHOST]) return "ghost bytes differ from the live keys' sizes";
        if (c->qbytes[Q_GHOST] > c->ghost_bytes_cap || c->qn[Q_GHOST] > c->ghost_n_cap) return "the ghost is over its bound";
    }
    if (c->log_n > c->log_cap) return "the removal log overflows";
    return NULL;
}

#endif /* RUNISO_CACHE_H */
