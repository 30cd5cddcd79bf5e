/* Bounded key table: an open-addressing index over a fixed pool of entries,
 * plus intrusive doubly linked lists (uint32 prev/next) over the same entries.
 *
 * - Entries are numbered 0..cap-1 and stored as fixed-size records (`stride`
 *   bytes) that start with an rn_kt_head (key + links); the caller's payload
 *   follows in the same record, so one lookup touches one record (one or two
 *   cache lines). Free entries are chained through their link.next.
 * - The index is `mask + 1` (a power of two, >= cap / 0.75) uint32 slots
 *   holding an entry number or RN_NIL; linear probing from mix64(key).
 *   Deletion shifts later entries of the probe run back (no tombstones), so
 *   probe lengths never degrade however many keys come and go.
 * - Lists (rn_list) have head = most recent, tail = least recent.
 *
 * All memory is provided by the caller (allocated once). No errors, no
 * allocation: safe without the GIL.
 */
#ifndef RUNISO_KEYTABLE_H
#define RUNISO_KEYTABLE_H

#include <stdint.h>
#include <stddef.h>
#include <string.h>
#include "xxh64.h"

#define RN_NIL 0xFFFFFFFFu

typedef struct {
    uint32_t prev;   /* towards the head (more recent), RN_NIL at the head */
    uint32_t next;   /* towards the tail (less recent); free-list chain when free */
} rn_link;

typedef struct {
    uint32_t head;
    uint32_t tail;
    uint32_t size;
} rn_list;

/* First 16 bytes of every record. 4-byte alignment: records may be 36 bytes. */
#pragma pack(push, 4)
typedef struct {
    uint64_t key;
    rn_link link;
} rn_kt_head;
#pragma pack(pop)

typedef struct {
    uint32_t *slots;  /* mask + 1 slots: entry number or RN_NIL */
    char *recs;       /* cap records of `stride` bytes, each starting with rn_kt_head */
    size_t stride;    /* record size in bytes */
    uint32_t mask;    /* slots - 1 */
    uint32_t cap;     /* number of entries */
    uint32_t count;   /* used entries */
    uint32_t free_head;
    uint64_t salt;    /* per-object random salt of the home-slot hash */
} rn_keytable;

/* Slots for `cap` entries: power of two with load factor <= 0.75. */
static inline uint64_t rn_kt_slots_for(uint64_t cap) {
    uint64_t need = (cap * 4 + 2) / 3, s = 2;   /* need = ceil(4 cap / 3) > cap: a slot stays empty */
    while (s < need) s <<= 1;
    return s;
}

static inline void rn_list_init(rn_list *l) { l->head = l->tail = RN_NIL; l->size = 0; }

#define RN_REC(t, e) ((rn_kt_head *)((t)->recs + (size_t)(e) * (t)->stride))
#define RN_LN(t, e) (RN_REC(t, e)->link)

static inline void rn_list_push_front(rn_list *l, rn_keytable *t, uint32_t i) {
    RN_LN(t, i).prev = RN_NIL;
    RN_LN(t, i).next = l->head;
    if (l->head != RN_NIL) RN_LN(t, l->head).prev = i; else l->tail = i;
    l->head = i;
    l->size++;
}

static inline void rn_list_unlink(rn_list *l, rn_keytable *t, uint32_t i) {
    uint32_t p = RN_LN(t, i).prev, n = RN_LN(t, i).next;
    if (p != RN_NIL) RN_LN(t, p).next = n; else l->head = n;
    if (n != RN_NIL) RN_LN(t, n).prev = p; else l->tail = p;
    l->size--;
}

static inline void rn_list_move_front(rn_list *l, rn_keytable *t, uint32_t i) {
    if (l->head == i) return;
    rn_list_unlink(l, t, i);
    rn_list_push_front(l, t, i);
}

/* Caller-provided memory: slots[slot_count] and cap records of `stride` bytes. */
static inline void rn_kt_init(rn_keytable *t, uint32_t *slots, uint64_t slot_count,
                              void *recs, size_t stride, uint32_t cap, uint64_t salt) {
    uint32_t i;
    t->salt = salt;
    t->slots = slots;
    t->recs = (char *)recs;
    t->stride = stride;
    t->mask = (uint32_t)(slot_count - 1);
    t->cap = cap;
    t->count = 0;
    memset(slots, 0xFF, (size_t)slot_count * sizeof(uint32_t));
    memset(recs, 0, (size_t)cap * stride);
    for (i = 0; i < cap; i++) { RN_LN(t, i).prev = RN_NIL; RN_LN(t, i).next = i + 1 < cap ? i + 1 : RN_NIL; }
    t->free_head = cap ? 0 : RN_NIL;
}

static inline uint32_t rn_kt_home(const rn_keytable *t, uint64_t key) {
    return (uint32_t)runiso_table_hash(key, t->salt) & t->mask;
}

/* Entry number of `key`, or RN_NIL. */
static inline uint32_t rn_kt_find(const rn_keytable *t, uint64_t key) {
    uint32_t s = rn_kt_home(t, key), e;
    for (;;) {
        e = t->slots[s];
        if (e == RN_NIL) return RN_NIL;
        if (RN_REC(t, e)->key == key) return e;
        s = (s + 1) & t->mask;
    }
}

/* Add `key` (absent; count < cap). Returns its entry number. */
static inline uint32_t rn_kt_add(rn_keytable *t, uint64_t key) {
    uint32_t e = t->free_head, s = rn_kt_home(t, key);
    t->free_head = RN_LN(t, e).next;
    RN_REC(t, e)->key = key;
    while (t->slots[s] != RN_NIL) s = (s + 1) & t->mask;
    t->slots[s] = e;
    t->count++;
    return e;
}

/* Remove entry e (used, already unlinked from any list): backward-shift deletion. */
static inline void rn_kt_remove(rn_keytable *t, uint32_t e) {
    uint32_t i = rn_kt_home(t, RN_REC(t, e)->key), j, k, m = t->mask;
    while (t->slots[i] != e) i = (i + 1) & m;
    j = i;
    for (;;) {
        j = (j + 1) & m;
        if (t->slots[j] == RN_NIL) break;
        k = rn_kt_home(t, RN_REC(t, t->slots[j])->key);
        /* move slots[j] back to the hole at i unless its home lies cyclically in (i, j] */
        if (((j - k) & m) >= ((j - i) & m)) {
            t->slots[i] = t->slots[j];
            i = j;
        }
    }
    t->slots[i] = RN_NIL;
    RN_LN(t, e).prev = RN_NIL;
    RN_LN(t, e).next = t->free_head;
    t->free_head = e;
    t->count--;
}

/* NULL when the table and the given lists agree, else what is broken:
 * every indexed entry is reachable from its home slot, the free chain holds
 * the rest, and the lists hold exactly the used entries, each once, with
 * their links agreeing both ways. `mark` is caller scratch of cap bytes. */
static inline const char *rn_kt_check(const rn_keytable *t, const rn_list *const *lists, int nlists,
                                      unsigned char *mark) {
    uint32_t i, e, filled = 0, n = 0;
    if (t->count > t->cap) return "more used entries than the table holds";
    memset(mark, 0, t->cap);
    for (i = 0; i <= t->mask; i++) {
        e = t->slots[i];
        if (e == RN_NIL) continue;
        if (e >= t->cap) return "an index slot points past the entries";
        if (mark[e]) return "an entry is indexed twice";
        mark[e] = 1;
        filled++;
        if (rn_kt_find(t, RN_REC(t, e)->key) != e) return "a key is unreachable from its home slot";
    }
    if (filled != t->count) return "indexed entries differ from the used count";
    for (e = t->free_head; e != RN_NIL; e = RN_LN(t, e).next) {
        if (e >= t->cap) return "the free chain points past the entries";
        if (mark[e]) return "a used entry is on the free chain";
        mark[e] = 2;
        if (++n > t->cap) return "the free chain has a cycle";
    }
    if (n + t->count != t->cap) return "entries lost: neither used nor free";
    n = 0;
    for (int l = 0; l < nlists; l++) {
        uint32_t prev = RN_NIL, len = 0;
        for (e = lists[l]->head; e != RN_NIL; e = RN_LN(t, e).next) {
            if (e >= t->cap || mark[e] != 1) return "a list holds an entry that is not used";
            if (RN_LN(t, e).prev != prev) return "a list's prev link disagrees with its next link";
            mark[e] = 3;
            prev = e;
            if (++len > t->cap) return "a list has a cycle";
        }
        if (lists[l]->tail != prev) return "a list's tail is not its last entry";
        if (len != lists[l]->size) return "a list's size differs from its length";
        n += len;
    }
    if (n != t->count) return "used entries missing from every list";
    return NULL;
}

#endif
