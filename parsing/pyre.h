/* pyre.h — Python `re` patterns on PCRE2. TextFSM templates and ntc-templates' index are written
 * in Python's regex dialect; na_pyre_compile parses a pattern exactly as Python 3.11's
 * re._parser does (same acceptance, same error messages and positions) and emits an equivalent
 * PCRE2 pattern with every construct spelled out (Unicode \d \w \s \b as Python defines them,
 * ^ $ \A \Z with Python's meaning, {,n}, inline flags scoped as in Python), then compiles it.
 * What Python accepts but PCRE2 cannot do the same way is refused (NA_PYRE_UNSUPPORTED), never
 * silently read differently. Matching is bounded (match, depth and heap limits).
 *
 *   na_pyre_err e;
 *   na_pyre *re = na_pyre_compile("^(?P<name>\\S+)\\s+up", -1, NA_PYRE_MATCH, &e);
 *   na_pyre_matcher *m = na_pyre_matcher_new(NULL);
 *   int rc = na_pyre_match(re, m, line, len);   // 1 match, 0 none, <0 limit/error
 *   na_pyre_group(m, 1, &start, &end);          // byte offsets, -1 when the group is unset
 *
 * Subjects must be valid UTF-8 (utext.h: na_ut_sanitize). A compiled pattern is read-only and
 * may be shared between threads; a matcher belongs to one thread. Not a regex engine: PCRE2 is. */
#ifndef NA_PYRE_H
#define NA_PYRE_H

#include "err.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct na_pyre na_pyre;
typedef struct na_pyre_matcher na_pyre_matcher;

/* What went wrong compiling. SYNTAX is Python's re.error: msg and pos (in code points) are what
 * Python reports, and na_pyre_err_str() gives str(re.error). The others are not re.error in
 * Python: PYERROR is another exception Python raises instead (OverflowError for a repeat count
 * >= 2**32-1, ValueError for (?a)(?u)), DEPTH a pattern nested
 * deeper than NA_PYRE_MAX_DEPTH (Python runs out of recursion near 490 levels), UNSUPPORTED a
 * pattern Python accepts that netauto refuses (\N{...}, repeat counts above 65535, what PCRE2
 * cannot compile), NOMEM out of memory. */
typedef enum {
    NA_PYRE_OK = 0,
    NA_PYRE_SYNTAX,
    NA_PYRE_LOOKBEHIND, /* re.error "look-behind requires fixed-width pattern" (no position) */
    NA_PYRE_PYERROR,
    NA_PYRE_DEPTH,
    NA_PYRE_UNSUPPORTED,
    NA_PYRE_NOMEM,
} na_pyre_status;

#define NA_PYRE_MAX_DEPTH 400

typedef struct na_pyre_err {
    na_pyre_status status;
    size_t pos;      /* code point offset in the pattern (SYNTAX, UNSUPPORTED when known) */
    bool has_pos;
    char msg[400];
} na_pyre_err;

/* str(re.error) for SYNTAX/LOOKBEHIND ("missing ), unterminated subpattern at position 3"),
 * the message otherwise. */
void na_pyre_err_str(const na_pyre_err *e, char *out, size_t cap);

/* Compile flags. MATCH: anchored at the subject's start (re.match); otherwise re.search. */
#define NA_PYRE_MATCH 1u

/* Compile pattern[0..len) (len -1: NUL-terminated; the pattern must be valid UTF-8). NULL + e
 * on failure. */
na_pyre *na_pyre_compile(const char *pattern, long len, unsigned flags, na_pyre_err *e);
void na_pyre_free(na_pyre *re);

/* The translated PCRE2 pattern (for messages and tests). */
const char *na_pyre_pcre2_source(const na_pyre *re);
/* Capturing groups (Python's re.groups). */
uint32_t na_pyre_groups(const na_pyre *re);
/* Named groups in definition order (Python's groupindex order): name and group number. */
size_t na_pyre_named_count(const na_pyre *re);
const char *na_pyre_named(const na_pyre *re, size_t i, uint32_t *group);

/* Limits of one match: backtracking steps, nesting depth, heap KiB (0 = default). The default
 * step limit lets a match backtrack for about half a second with PCRE2's JIT: Python's `re`
 * has no limit at all, and some ntc-templates regexes backtrack for seconds there. */
#define NA_PYRE_MATCH_LIMIT 250000000u
typedef struct na_pyre_limits {
    uint32_t match_limit; /* default NA_PYRE_MATCH_LIMIT */
    uint32_t depth_limit; /* default 100,000 */
    uint32_t heap_kib;    /* default 65,536 (64 MiB) */
} na_pyre_limits;

/* A matcher: match data for up to `groups` groups grows as needed, JIT stack, limits. NULL on
 * OOM. */
na_pyre_matcher *na_pyre_matcher_new(const na_pyre_limits *lim);
void na_pyre_matcher_free(na_pyre_matcher *m);

/* Match s[0..n) (valid UTF-8). 1 = match, 0 = no match, -1 = a limit was hit or PCRE2 failed
 * (na_pyre_matcher_error says which). */
int na_pyre_match(const na_pyre *re, na_pyre_matcher *m, const char *s, size_t n);
/* After a match: byte offsets of group g (0 = whole match); false when unset. */
bool na_pyre_group(const na_pyre_matcher *m, uint32_t g, size_t *start, size_t *end);
/* Why the last na_pyre_match returned -1. */
const char *na_pyre_matcher_error(const na_pyre_matcher *m);

#endif
