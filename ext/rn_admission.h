/* Admission cores over rn_tokenbucket.h and rn_keytable.h:
 *   rn_keyed  one token bucket per key, bounded table, LRU eviction;
 *   rn_gate   session-level admission (SessionGate).
 * Memory is provided by the caller; no errors, no allocation, GIL-free.
 * The pure-Python reference (src/runiso_core/_admission_py.py) follows the
 * same steps and must take the same decisions.
 */
#ifndef RUNISO_ADMISSION_H
#define RUNISO_ADMISSION_H

#include <stdint.h>
#include "rn_tokenbucket.h"
#include "rn_keytable.h"

/* How many least-recently-seen entries are checked for a full (= absent)
 * bucket before the LRU one is evicted. */
#define RN_RECLAIM_SCAN 8

/* ------------------------------------------------------------ keyed buckets */
/* One record per key: 16 B head + 20 B bucket = 36 B (4-byte packing). */
#pragma pack(push, 4)
typedef struct {
    rn_kt_head h;
    rn_tb b;
} rn_keyed_rec;
#pragma pack(pop)

typedef struct {
    rn_keytable t;      /* records are rn_keyed_rec */
    rn_tb_params p;
    rn_list lru;        /* every used entry, head = most recently seen */
    uint64_t acquired, refused, evicted, reclaimed;
} rn_keyed;

/* Free one entry: the first bucket among the RN_RECLAIM_SCAN least recently
 * seen that is full at `now` (forgetting it changes nothing), else the least
 * recently seen one (its client will come back with a full bucket). */
#define RN_KB(k, e) (&((rn_keyed_rec *)RN_REC(&(k)->t, e))->b)

static inline void rn_keyed__make_room(rn_keyed *k, int64_t now) {
    uint32_t e = k->lru.tail, n;
    for (n = 0; n < RN_RECLAIM_SCAN && e != RN_NIL; n++) {
        if (rn_tb_full_at(RN_KB(k, e), &k->p, now)) {
            rn_list_unlink(&k->lru, &k->t, e);
            rn_kt_remove(&k->t, e);
            k->reclaimed++;
            return;
        }
        e = RN_LN(&k->t, e).prev;
    }
    e = k->lru.tail;
    rn_list_unlink(&k->lru, &k->t, e);
    rn_kt_remove(&k->t, e);
    k->evicted++;
}

static inline int rn_keyed_acquire(rn_keyed *k, uint64_t key, int64_t now, int64_t need) {
    int ok;
    uint32_t e = rn_kt_find(&k->t, key);
    if (e == RN_NIL) {
        if (k->t.count == k->t.cap) rn_keyed__make_room(k, now);
        e = rn_kt_add(&k->t, key);
        rn_tb_init(RN_KB(k, e), k->p.cap, now);       /* absent == full */
        rn_list_push_front(&k->lru, &k->t, e);
    } else {
        rn_list_move_front(&k->lru, &k->t, e);
    }
    ok = rn_tb_try(RN_KB(k, e), &k->p, now, need);
    k->acquired += (uint64_t)ok;
    k->refused += (uint64_t)!ok;
    return ok;
}

/* ns until `need` nano-tokens are in key's bucket at `now` (0 if absent: an
 * absent key has a full bucket). Read-only: no insertion, no LRU update. */
static inline double rn_keyed_wait_ns(const rn_keyed *k, uint64_t key, int64_t now, int64_t need) {
    rn_tb b;
    uint32_t e = rn_kt_find(&k->t, key);
    if (e == RN_NIL) return 0.0;
    b = *RN_KB(k, e);
    rn_tb_refill(&b, &k->p, now);
    return rn_tb_wait_ns(&b, &k->p, need);
}

/* Batch loops. Times are float seconds already validated by the caller.
 * Lookups of request i + RN_PF_SLOT (index slot) and i + RN_PF_REC (record)
 * are prefetched: independent keys' cache misses then overlap. */
#define RN_PF_SLOT 16
#define RN_PF_REC 8

static inline void rn_kt__prefetch(const rn_keytable *t, const uint64_t *keys, size_t i, size_t n) {
    if (i + RN_PF_SLOT < n)
        __builtin_prefetch(&t->slots[rn_kt_home(t, keys[i + RN_PF_SLOT])]);
    if (i + RN_PF_REC < n) {
        uint32_t e = t->slots[rn_kt_home(t, keys[i + RN_PF_REC])];
        if (e != RN_NIL) __builtin_prefetch(RN_REC(t, e));
    }
}

static inline void rn_keyed_acquire_many(rn_keyed *k, const uint64_t *keys, const double *times,
                                         const int64_t *needs, int64_t need, size_t n, uint8_t *out) {
    size_t i;
    for (i = 0; i < n; i++) {
        rn_kt__prefetch(&k->t, keys, i, n);
        out[i] = (uint8_t)rn_keyed_acquire(k, keys[i], rn_sec_to_ns(times[i]), needs ? needs[i] : need);
    }
}

/* ------------------------------------------------------------- session gate */
enum {
    RN_ADMITTED_ACTIVE = 0,
    RN_ADMITTED_NEW = 1,
    RN_ADMITTED_PRIORITY = 2,
    RN_SHED_NEW = 3,
    RN_SHED_STICKY = 4
};
#define RN_ST_ACTIVE 0
#define RN_ST_SHED 1

/* One record per session: 16 B head + stamp + state = 25 B, padded to 32. */
typedef struct {
    rn_kt_head h;
    int64_t stamp;      /* last request (active) or time shed (shed), ns */
    uint8_t state;      /* RN_ST_ACTIVE / RN_ST_SHED */
} rn_gate_rec;

typedef struct {
    rn_keytable t;      /* records are rn_gate_rec */
    rn_list active;     /* active sessions by last request, head = latest */
    rn_list shed;       /* shed visitors by time shed, head = latest */
    rn_tb bucket;       /* new-session tokens */
    rn_tb_params bp;
    int64_t idle_ns;    /* active while now - last request <= idle_ns */
    int64_t shed_ns;    /* sticky while now - time shed < shed_ns */
    int64_t now;        /* max time seen: the gate's clock never goes back */
    uint32_t max_active;
    uint64_t counts[5]; /* per decision code */
    uint64_t expired;   /* active sessions ended by idle timeout */
    uint64_t unstuck;   /* shed entries whose shed_ttl ran out */
    uint64_t evicted_shed;  /* shed entries dropped early to make room */
    uint64_t untracked; /* decisions taken without a table entry (table full of active sessions) */
} rn_gate;

#define RN_GR(g, e) ((rn_gate_rec *)RN_REC(&(g)->t, e))

static inline void rn_gate__drop(rn_gate *g, rn_list *l, uint32_t e) {
    rn_list_unlink(l, &g->t, e);
    rn_kt_remove(&g->t, e);
}

/* Lazy expiry from the list tails: amortised O(1) per request. */
static inline void rn_gate_expire(rn_gate *g) {
    uint32_t e;
    while ((e = g->active.tail) != RN_NIL && g->now - RN_GR(g, e)->stamp > g->idle_ns) {
        rn_gate__drop(g, &g->active, e);
        g->expired++;
    }
    while ((e = g->shed.tail) != RN_NIL && g->now - RN_GR(g, e)->stamp >= g->shed_ns) {
        rn_gate__drop(g, &g->shed, e);
        g->unstuck++;
    }
}

/* Advance the clock to max(now, clock) and expire. */
static inline void rn_gate_advance(rn_gate *g, int64_t now) {
    if (now > g->now) g->now = now;
    rn_gate_expire(g);
}

/* A new entry for `key` in state st, or RN_NIL when the table is full of
 * active sessions (then nothing is tracked). */
static inline uint32_t rn_gate__track(rn_gate *g, uint64_t key, uint8_t st) {
    uint32_t e;
    if (g->t.count == g->t.cap) {
        if (g->shed.tail == RN_NIL) return RN_NIL;
        rn_gate__drop(g, &g->shed, g->shed.tail);   /* oldest shed visitor forgets it was shed */
        g->evicted_shed++;
    }
    e = rn_kt_add(&g->t, key);
    RN_GR(g, e)->stamp = g->now;
    RN_GR(g, e)->state = st;
    rn_list_push_front(st == RN_ST_ACTIVE ? &g->active : &g->shed, &g->t, e);
    return e;
}

static inline uint8_t rn_gate_decide(rn_gate *g, uint64_t key, int64_t now, int priority) {
    uint32_t e;
    uint8_t d;
    rn_gate_advance(g, now);
    e = rn_kt_find(&g->t, key);
    if (e != RN_NIL) {
        rn_gate_rec *r = RN_GR(g, e);
        if (r->state == RN_ST_ACTIVE) {
            r->stamp = g->now;
            rn_list_move_front(&g->active, &g->t, e);
            d = RN_ADMITTED_ACTIVE;
        } else if (priority) {                       /* shed visitor with a cart: promote */
            rn_list_unlink(&g->shed, &g->t, e);
            r->state = RN_ST_ACTIVE;
            r->stamp = g->now;
            rn_list_push_front(&g->active, &g->t, e);
            d = RN_ADMITTED_PRIORITY;
        } else {
            d = RN_SHED_STICKY;
        }
    } else if (priority) {
        if (rn_gate__track(g, key, RN_ST_ACTIVE) == RN_NIL) g->untracked++;
        d = RN_ADMITTED_PRIORITY;
    } else if (g->active.size < g->max_active && rn_tb_try(&g->bucket, &g->bp, g->now, RN_NS)) {
        /* active.size < max_active <= cap, so the table has room or shed entries to drop */
        rn_gate__track(g, key, RN_ST_ACTIVE);
        d = RN_ADMITTED_NEW;
    } else {
        if (rn_gate__track(g, key, RN_ST_SHED) == RN_NIL) g->untracked++;
        d = RN_SHED_NEW;
    }
    g->counts[d]++;
    return d;
}

static inline void rn_gate_decide_many(rn_gate *g, const uint64_t *keys, const double *times,
                                       const uint8_t *priority, size_t n, uint8_t *out) {
    size_t i;
    for (i = 0; i < n; i++) {
        rn_kt__prefetch(&g->t, keys, i, n);
        out[i] = rn_gate_decide(g, keys[i], rn_sec_to_ns(times[i]), priority[i] != 0);
    }
}

#endif
