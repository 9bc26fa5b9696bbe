/* pattern.h — compiled regular expressions (PCRE2, JIT-compiled when the CPU allows) for prompts,
 * pagers, prompted input and failure text. A compiled pattern is immutable after creation and may
 * be shared read-only by any number of sessions and threads; each matcher (one per channel) holds
 * the small per-match scratch space. Byte-oriented (no UTF mode): device output is not always
 * valid UTF-8. Not a general regex API: just what the expect loop and the platform loader need. */
#ifndef NA_PATTERN_H
#define NA_PATTERN_H

#include "err.h"

#include <stdbool.h>
#include <stddef.h>

typedef struct na_pattern na_pattern;
typedef struct na_matcher na_matcher;

enum {
    NA_PAT_CASELESS = 1u << 0,  /* (?i) for the whole pattern */
    NA_PAT_MULTILINE = 1u << 1, /* ^ and $ also match at embedded newlines (failure patterns) */
    NA_PAT_LITERAL = 1u << 2,   /* src is plain text, not a regex */
};

/* Compile src (NUL-terminated). On a bad regex: NULL + NA_E_CONFIG "bad regular expression
 * '<src>': <PCRE2 message> (at offset N)". The caller owns the result: na_pattern_free(). */
na_pattern *na_pattern_new(const char *src, unsigned flags, na_err *err);
void na_pattern_free(na_pattern *p);                /* NULL is fine */
const char *na_pattern_src(const na_pattern *p);    /* the source text, owned by p */

/* Per-user match scratch space (a few hundred bytes). Caller frees with na_matcher_free(). */
na_matcher *na_matcher_new(na_err *err);
void na_matcher_free(na_matcher *m);

/* Search subject s[0..n) for p. not_bol: s does not start at a line start (^ cannot match at
 * s[0]). Returns true on a match and sets [*start, *end) (byte offsets in s; either pointer may be
 * NULL); false when there is no match (or on a PCRE2 run-time limit, which is treated as none). */
bool na_pattern_find(const na_pattern *p, na_matcher *m, const char *s, size_t n, bool not_bol,
                     size_t *start, size_t *end);

/* Capture group g of the last successful na_pattern_find() with m: false if the group did not
 * take part in the match (or does not exist). Offsets are relative to that subject. */
bool na_matcher_group(const na_matcher *m, unsigned g, size_t *start, size_t *end);

/* Escape text so that it matches itself inside a regex (every non-alphanumeric byte gets a
 * backslash, NUL and controls as \xHH). Returns a malloc'd string the caller frees, NULL on OOM. */
char *na_regex_quote(const char *text, size_t n);

#endif
