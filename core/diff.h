/* diff.h — unified diff of two texts (running-config before/after a change), in the format of
 * `diff -u` (@@ hunks, 3 lines of context by default, "\ No newline at end of file"). Myers'
 * O((N+M)D) algorithm in linear space, with a bound on input size and on work: past either, a
 * clear NA_E_OVERFLOW error instead of unbounded time or memory. Not a patch tool.
 *
 * Volatile lines are removed from both texts before comparing (unless keep_volatile), because
 * they change on every read without any configuration change; line numbers in the hunks then
 * count only the compared lines. A line is volatile when it starts with one of:
 *   "Building configuration..."                 (IOS show running-config preamble)
 *   "Current configuration :"                   (IOS, "Current configuration : 1234 bytes")
 *   "! Last configuration change at "           (IOS)
 *   "! NVRAM config last updated at "           (IOS)
 *   "! No configuration change since last restart" (IOS)
 *   "!Time:"                                    (NX-OS)
 *   "!Running configuration last done at:"      (NX-OS)
 *   "ntp clock-period "                         (IOS adjusts it by itself)
 *   "Using "                                    (IOS show startup-config, "Using 1234 out of
 *                                                524288 bytes") */
#ifndef NA_DIFF_H
#define NA_DIFF_H

#include "buf.h"
#include "err.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define NA_DIFF_MAX_LINES ((size_t)1000000)   /* per text */
#define NA_DIFF_MAX_WORK ((uint64_t)200000000) /* comparison steps */

typedef struct na_diff_opts {
    unsigned context;      /* unchanged lines around each change */
    bool keep_volatile;    /* compare volatile lines too */
    const char *label_a;   /* "--- " line; NULL = "before" */
    const char *label_b;   /* "+++ " line; NULL = "after" */
    size_t max_lines;      /* 0 = NA_DIFF_MAX_LINES */
    uint64_t max_work;     /* 0 = NA_DIFF_MAX_WORK */
} na_diff_opts;

#define NA_DIFF_OPTS_DEFAULT {3, false, NULL, NULL, 0, 0}

/* Append the unified diff of a[0..an) -> b[0..bn) to out (nothing at all when they are equal
 * after removing volatile lines). *changed (may be NULL) tells whether they differ. opts NULL =
 * NA_DIFF_OPTS_DEFAULT. Fails with NA_E_OVERFLOW past the bounds (or out's ceiling). */
int na_diff_unified(const char *a, size_t an, const char *b, size_t bn, const na_diff_opts *opts,
                    na_buf *out, bool *changed, na_err *err) NA_MUST_CHECK;

/* Is this line (without its newline) volatile? */
bool na_diff_is_volatile(const char *line, size_t n);

#endif
