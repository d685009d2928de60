/* The chunks of one migrate backfill run, in identity order: which are in
 * flight, which are done, how far the done prefix without holes reaches
 * (what the resumable cursor may say), and how many rows the next chunk
 * should take. Pure bookkeeping: db/migrate_backfill.c runs the chunks.
 *
 * A chunk is (lo, hi] in identity order; lo NULL is the start of the table,
 * hi NULL its end (the last chunk). Bounds are text[] literals as the server
 * prints them. Chunks are added in order, each starting where the last one
 * ended, and may finish in any order. */
#ifndef PGSTRATA_BACKFILL_H
#define PGSTRATA_BACKFILL_H

#include <stdbool.h>
#include <stddef.h>

typedef struct BfChunk {
    long long seq;
    char *lo, *hi; /* NULL: open end */
    long long rows_wanted;
    double started_ms;
    bool done;
} BfChunk;

typedef struct BfQueue {
    BfChunk *chunks; /* not yet retired, in order: chunks[0] is the oldest not done */
    size_t n, cap;
    long long next_seq;
    char *next_lo;    /* where the next chunk starts */
    bool end_added;   /* the last chunk (hi NULL) was added */
    char *mark;       /* hi of the last chunk of the done prefix; NULL: none yet in this run */
    bool reached_end; /* the done prefix includes the last chunk */
} BfQueue;

/* start: the recorded cursor (NULL: from the beginning). */
void bf_init(BfQueue *q, const char *start);
void bf_free(BfQueue *q);

/* Adds the next chunk, (q->next_lo, hi], and returns its seq. hi NULL: the
 * last chunk; no chunk may follow it. */
long long bf_add(BfQueue *q, const char *hi, long long rows_wanted, double started_ms);
BfChunk *bf_find(BfQueue *q, long long seq);

/* What the transaction of chunk seq records along with its rows: when every
 * chunk before it is done, the cursor moves to its end (and *fin when it is
 * the last chunk: the backfill is then complete); otherwise the end of the
 * done prefix as known now (*mark NULL: nothing new). *mark points into q. */
void bf_dispatch_mark(const BfQueue *q, long long seq, const char **mark, bool *fin);

/* Chunk seq committed: retires the done prefix and moves q->mark. */
void bf_complete(BfQueue *q, long long seq);

/* Chunks added and not done. */
size_t bf_in_flight(const BfQueue *q);

/* The next chunk's size: sized so that one takes about batch_time_s (the
 * chunk of rows_wanted rows took took_s), at most twice the last, at least
 * 100 rows. */
long long bf_next_rows(long long rows_wanted, double took_s, double batch_time_s);

/* The size of the next chunk of several sessions: batch, but near the end
 * (rows_left, an estimate of the rows not yet handed out) what is left split
 * evenly among the jobs, so that they finish together rather than one copying
 * the last chunk alone; never below a quarter of batch or 1000 rows. batch
 * when rows_left is 0 or less (no estimate, or the estimate was passed). */
long long bf_chunk_rows(long long batch, int jobs, double rows_left);

#endif
