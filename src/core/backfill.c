#include "core/backfill.h"

#include <stdlib.h>
#include <string.h>

#include "core/strbuf.h"

void bf_init(BfQueue *q, const char *start)
{
    memset(q, 0, sizeof(*q));
    q->next_lo = xstrdup_or_null(start);
}

void bf_free(BfQueue *q)
{
    for (size_t i = 0; i < q->n; i++) {
        free(q->chunks[i].lo);
        free(q->chunks[i].hi);
    }
    free(q->chunks);
    free(q->next_lo);
    free(q->mark);
    memset(q, 0, sizeof(*q));
}

long long bf_add(BfQueue *q, const char *hi, long long rows_wanted, double started_ms)
{
    if (q->n == q->cap) {
        q->cap = q->cap ? q->cap * 2 : 8;
        q->chunks = xrealloc(q->chunks, q->cap * sizeof(BfChunk));
    }
    BfChunk *c = &q->chunks[q->n++];
    c->seq = q->next_seq++;
    c->lo = q->next_lo;
    c->hi = xstrdup_or_null(hi);
    c->rows_wanted = rows_wanted;
    c->started_ms = started_ms;
    c->done = false;
    q->next_lo = xstrdup_or_null(hi);
    if (!hi)
        q->end_added = true;
    return c->seq;
}

BfChunk *bf_find(BfQueue *q, long long seq)
{
    for (size_t i = 0; i < q->n; i++)
        if (q->chunks[i].seq == seq)
            return &q->chunks[i];
    return NULL;
}

void bf_dispatch_mark(const BfQueue *q, long long seq, const char **mark, bool *fin)
{
    if (q->n > 0 && q->chunks[0].seq == seq) {
        /* everything before it is done: its own commit completes the prefix */
        *mark = q->chunks[0].hi;
        *fin = q->chunks[0].hi == NULL;
        return;
    }
    *mark = q->mark;
    *fin = false;
}

void bf_complete(BfQueue *q, long long seq)
{
    BfChunk *c = bf_find(q, seq);
    if (!c)
        return;
    c->done = true;
    size_t k = 0;
    while (k < q->n && q->chunks[k].done) {
        free(q->mark);
        q->mark = q->chunks[k].hi;
        q->chunks[k].hi = NULL;
        if (!q->mark)
            q->reached_end = true;
        free(q->chunks[k].lo);
        k++;
    }
    if (k) {
        memmove(q->chunks, q->chunks + k, (q->n - k) * sizeof(BfChunk));
        q->n -= k;
    }
}

size_t bf_in_flight(const BfQueue *q)
{
    size_t n = 0;
    for (size_t i = 0; i < q->n; i++)
        if (!q->chunks[i].done)
            n++;
    return n;
}

long long bf_next_rows(long long rows_wanted, double took_s, double batch_time_s)
{
    double want = (double)rows_wanted * 2;
    if (took_s > 0 && (double)rows_wanted * batch_time_s / took_s < want)
        want = (double)rows_wanted * batch_time_s / took_s;
    if (want < 100)
        want = 100;
    return (long long)want;
}

long long bf_chunk_rows(long long batch, int jobs, double rows_left)
{
    if (jobs <= 1 || rows_left <= 0) /* no estimate, or a wrong one */
        return batch;
    double want = rows_left / jobs;
    if (want >= (double)batch)
        return batch;
    double floor = (double)batch / 4 > 1000 ? (double)batch / 4 : 1000;
    if (want < floor)
        want = floor;
    return want < (double)batch ? (long long)want : batch;
}
