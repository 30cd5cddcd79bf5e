/* Bounded key table: an open-addressing index over a fixed pool of entries,
 * plus intrusive doubly linked lists (uint32 prev/next) over the same entries.
 *
 * - Entries are numbered 0..cap-1; the caller keeps per-entry payload in its
 *   own arrays indexed by entry number. Free entries are chained through
 *   links[i].next.
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

typedef struct {
    uint32_t *slots;  /* mask + 1 slots: entry number or RN_NIL */
    uint64_t *keys;   /* cap: key of each used entry */
    rn_link *links;   /* cap: list links of each entry */
    uint32_t mask;    /* slots - 1 */
    uint32_t cap;     /* number of entries */
    uint32_t count;   /* used entries */
    uint32_t free_head;
} rn_keytable;

/* Slots for `cap` entries: power of two with load factor <= 0.75. */
static inline uint64_t rn_kt_slots_for(uint64_t cap) {
    uint64_t need = (cap * 4 + 2) / 3, s = 8;
    while (s < need) s <<= 1;
    return s;
}

static inline void rn_list_init(rn_list *l) { l->head = l->tail = RN_NIL; l->size = 0; }

static inline void rn_list_push_front(rn_list *l, rn_link *ln, uint32_t i) {
    ln[i].prev = RN_NIL;
    ln[i].next = l->head;
    if (l->head != RN_NIL) ln[l->head].prev = i; else l->tail = i;
    l->head = i;
    l->size++;
}

static inline void rn_list_unlink(rn_list *l, rn_link *ln, uint32_t i) {
    uint32_t p = ln[i].prev, n = ln[i].next;
    if (p != RN_NIL) ln[p].next = n; else l->head = n;
    if (n != RN_NIL) ln[n].prev = p; else l->tail = p;
    l->size--;
}

static inline void rn_list_move_front(rn_list *l, rn_link *ln, uint32_t i) {
    if (l->head == i) return;
    rn_list_unlink(l, ln, i);
    rn_list_push_front(l, ln, i);
}

/* Caller-provided arrays: slots[slot_count], keys[cap], links[cap]. */
static inline void rn_kt_init(rn_keytable *t, uint32_t *slots, uint64_t slot_count,
                              uint64_t *keys, rn_link *links, uint32_t cap) {
    uint32_t i;
    t->slots = slots;
    t->keys = keys;
    t->links = links;
    t->mask = (uint32_t)(slot_count - 1);
    t->cap = cap;
    t->count = 0;
    memset(slots, 0xFF, (size_t)slot_count * sizeof(uint32_t));
    for (i = 0; i < cap; i++) { links[i].prev = RN_NIL; links[i].next = i + 1 < cap ? i + 1 : RN_NIL; }
    t->free_head = cap ? 0 : RN_NIL;
}

static inline uint32_t rn_kt_home(const rn_keytable *t, uint64_t key) {
    return (uint32_t)runiso_mix64(key) & t->mask;
}

/* Entry number of `key`, or RN_NIL. */
static inline uint32_t rn_kt_find(const rn_keytable *t, uint64_t key) {
    uint32_t s = rn_kt_home(t, key), e;
    for (;;) {
        e = t->slots[s];
        if (e == RN_NIL) return RN_NIL;
        if (t->keys[e] == key) return e;
        s = (s + 1) & t->mask;
    }
}

/* Add `key` (absent; count < cap). Returns its entry number. */
static inline uint32_t rn_kt_add(rn_keytable *t, uint64_t key) {
    uint32_t e = t->free_head, s = rn_kt_home(t, key);
    t->free_head = t->links[e].next;
    t->keys[e] = key;
    while (t->slots[s] != RN_NIL) s = (s + 1) & t->mask;
    t->slots[s] = e;
    t->count++;
    return e;
}

/* Remove entry e (used, already unlinked from any list): backward-shift deletion. */
static inline void rn_kt_remove(rn_keytable *t, uint32_t e) {
    uint32_t i = rn_kt_home(t, t->keys[e]), j, k, m = t->mask;
    while (t->slots[i] != e) i = (i + 1) & m;
    j = i;
    for (;;) {
        j = (j + 1) & m;
        if (t->slots[j] == RN_NIL) break;
        k = rn_kt_home(t, t->keys[t->slots[j]]);
        /* move slots[j] back to the hole at i unless its home lies cyclically in (i, j] */
        if (((j - k) & m) >= ((j - i) & m)) {
            t->slots[i] = t->slots[j];
            i = j;
        }
    }
    t->slots[i] = RN_NIL;
    t->links[e].prev = RN_NIL;
    t->links[e].next = t->free_head;
    t->free_head = e;
    t->count--;
}

#endif
