/* diff.h — a small line-based unified diff (Myers' O(ND) algorithm after trimming the common
 * head and tail) for the daemon's configuration backups: "what changed since the last
 * capture". The output has the `diff -u` shape (---/+++ headers, @@ hunks, "\ No newline at end
 * of file"). Kept isolated so a shared diff (playbooks/diff.c) can replace it. Not a patch tool:
 * when the texts differ in more than NA_DIFF_MAX_EDITS lines, the whole differing middle is
 * shown as removed and re-added (still a correct diff, just not a minimal one). */
#ifndef NA_DIFF_H
#define NA_DIFF_H

#include "err.h"

#include <stddef.h>

#define NA_DIFF_MAX_EDITS 2000

/* Unified diff of a -> b with `context` lines around changes, labels for the --- / +++ lines.
 * Returns a malloc'd string (caller frees): "" when the texts are identical. NULL + err on OOM
 * or when the diff would exceed max_out bytes (NA_E_OVERFLOW; 0 = 16 MiB). */
char *na_udiff(const char *a, size_t alen, const char *b, size_t blen, const char *label_a,
               const char *label_b, int context, size_t max_out, na_err *err);

#endif
