#include "core/naming.h"

#include "core/civil.h"

#include <stdio.h>
#include <string.h>

/* Longest suffixes ("_p" included) each kind of partition can get. */
#define SUFFIX_SUBDAY  15 /* _pYYYYMMDD_HHMM */
#define SUFFIX_DAY     10 /* _pYYYYMMDD */
#define SUFFIX_INTEGER 13 /* _pm2147483648 */
#define SUFFIX_BIGINT  22 /* _pm9223372036854775808 */
#define HASH_PART      9  /* "_" and 8 hex digits */

static size_t max_suffix(KeyType key, const PartInterval *iv)
{
    switch (iv->unit) {
    case UNIT_MINUTE:
        return SUFFIX_SUBDAY;
    case UNIT_DAY:
    case UNIT_WEEK:
    case UNIT_MONTH:
        return SUFFIX_DAY;
    case UNIT_NUMERIC:
        break;
    }
    return key == KEY_INTEGER ? SUFFIX_INTEGER : SUFFIX_BIGINT;
}

/* FNV-1a, 32 bits. */
static uint32_t fnv1a32(const char *s)
{
    uint32_t h = 2166136261u;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        h ^= *p;
        h *= 16777619u;
    }
    return h;
}

/* The largest length <= n that does not end inside a UTF-8 character. */
static size_t utf8_cut(const char *s, size_t n)
{
    size_t len = strlen(s);
    if (n >= len)
        return len;
    /* s[n] is the first byte left out; while it is a continuation byte
     * (10xxxxxx), the character it belongs to started earlier. A character
     * has at most 3 continuation bytes. */
    size_t back = 0;
    while (n > 0 && back < 3 && ((unsigned char)s[n] & 0xC0) == 0x80) {
        n--;
        back++;
    }
    return n;
}

void partition_name_prefix(const char *parent, KeyType key, const PartInterval *iv,
                           char out[PG_NAME_MAX + 1])
{
    size_t suffix = max_suffix(key, iv);
    size_t len = strlen(parent);

    if (len + suffix <= PG_NAME_MAX) {
        snprintf(out, PG_NAME_MAX + 1, "%s_p", parent);
        return;
    }
    size_t keep = utf8_cut(parent, PG_NAME_MAX - suffix - HASH_PART);
    snprintf(out, PG_NAME_MAX + 1, "%.*s_%08x_p", (int)keep, parent, (unsigned)fnv1a32(parent));
}

void partition_name(const char *parent, KeyType key, const PartInterval *iv, int64_t lower,
                    char out[PG_NAME_MAX + 1])
{
    char prefix[PG_NAME_MAX + 1];
    char value[32];

    partition_name_prefix(parent, key, iv, prefix);
    if (iv->unit == UNIT_NUMERIC) {
        if (lower < 0)
            snprintf(value, sizeof value, "m%llu", 0ull - (unsigned long long)lower);
        else
            snprintf(value, sizeof value, "%lld", (long long)lower);
    } else {
        CivilFields f;
        civil_to_fields(lower, &f);
        /* Years outside 1..9999 do not occur for parsed keys; clamp so the
         * suffix keeps its fixed width. */
        int year = f.year < 0 ? 0 : f.year > 9999 ? 9999 : f.year;
        if (iv->unit == UNIT_MINUTE)
            snprintf(value, sizeof value, "%04d%02d%02d_%02d%02d", year, f.month, f.day, f.hour,
                     f.minute);
        else
            snprintf(value, sizeof value, "%04d%02d%02d", year, f.month, f.day);
    }
    /* Never longer than PG_NAME_MAX, even for a value wider than planned. */
    size_t plen = strlen(prefix);
    size_t vlen = strlen(value);
    if (vlen > PG_NAME_MAX - plen)
        vlen = PG_NAME_MAX - plen;
    memcpy(out, prefix, plen);
    memcpy(out + plen, value, vlen);
    out[plen + vlen] = '\0';
}
