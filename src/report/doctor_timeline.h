/* One table's partitions as an inline SVG timeline, for the HTML report
 * (report/doctor_html.c).
 *
 * x is the key: UTC dates for time keys, the number for integer keys. Each
 * inheritance group (the CHECK's other conditions) gets a lane of its own.
 * A bar is one attached or pending-detach partition with a range: its width
 * is the range, its height the partition's size (linear, against the table's
 * largest partition, at least 3 px), its colour the tier (partitions of the
 * same width share one). A MINVALUE/MAXVALUE end is drawn fading out at the
 * edge. Gaps and overlaps between consecutive attached ranges of a lane are
 * drawn over the lanes (at least 2 px wide). Partitions without a range on
 * the axis (default, detached tables left behind, list and hash partitions,
 * bounds not read) are cells of a row of their own below the lanes. "now" is
 * a vertical line for time keys (an arrow at the edge when far outside).
 *
 * Every partition is exactly one element with class="part", a data-state
 * ("attached", "default", "pending", "leftover") and a <title> tooltip (name,
 * range, size, rows), so a test can count them. */
#ifndef PGSTRATA_DOCTOR_TIMELINE_H
#define PGSTRATA_DOCTOR_TIMELINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "core/doctor_model.h"

#define TIMELINE_TIERS 8 /* tiers beyond the 7th share the last colour */

/* A gap (no attached partition holds these keys) or an overlap (two do). */
typedef struct TimelineMark {
    bool overlap;
    size_t lane;
    int64_t from, to; /* key space, [from, to) */
} TimelineMark;

typedef struct TimelineTier {
    char label[32]; /* "1 day", "1 month", "100000" */
    size_t count;
} TimelineTier;

/* What the drawing needs, and what the table's header says. Pure data:
 * timeline_layout() reads the table, nothing else. */
typedef struct TimelineLayout {
    const DocTable *t;
    bool time_key;
    bool now_known; /* a time key: now is drawn */
    int64_t now;
    bool now_covered; /* an attached partition holds now */

    size_t nlanes;
    const char **lanes; /* the group of each lane (NULL: the only, unnamed one) */
    size_t *lane_of;    /* per partition; SIZE_MAX when not on the axis */
    size_t *off;        /* partitions not on the axis, in model order */
    size_t noff;
    int *tier_of; /* per partition: index into tiers, -1 when none */
    TimelineTier tiers[TIMELINE_TIERS];
    size_t ntiers;

    TimelineMark *marks;
    size_t nmarks, ngaps, noverlaps;

    double dmin, dmax; /* the axis domain, key space */
    int64_t max_bytes, total_bytes;
    size_t on_axis;
} TimelineLayout;

void timeline_layout(const DocTable *t, int64_t now, TimelineLayout *l);
void timeline_layout_free(TimelineLayout *l);

/* Writes the <svg>. marked[i] (NULL: none) gives partition i the id
 * "p<table_no>-<i>" so a finding can point at it. */
void timeline_svg(FILE *out, const TimelineLayout *l, size_t table_no, const bool *marked);

/* A key value as the page prints it: a UTC date (and time when not midnight)
 * for time keys, the number for integer keys. buf holds 32 bytes. */
void timeline_key_text(const TimelineLayout *l, int64_t v, char buf[32]);
/* The width of [lo, hi) in words: "1 day", "1 month", "6 hours", "1000". */
void timeline_span_text(bool time_key, int64_t lo, int64_t hi, char buf[32]);

/* The <defs> every timeline of the page refers to: put once per page. */
void timeline_defs(FILE *out);

#endif
