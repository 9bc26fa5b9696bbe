/* tfsm_index.h — one ntc-templates `index` file, read like TextFSM's clitable.IndexTable (a
 * comma-separated table with a header line, '#' comments, rows of the wrong width silently
 * dropped, `[[...]]` completion in the Command column, every other column but Template compiled
 * as a Python regex) and matched like IndexTable.GetRowMatch (re.match on Command, then
 * Platform; empty cells match anything). Internal to tfsm_lib.c. */
#ifndef NA_TFSM_INDEX_H
#define NA_TFSM_INDEX_H

#include "err.h"
#include "pyre.h"

#include <stddef.h>

typedef struct tfi_row {
    char *templates;   /* the Template cell */
    na_pyre *command;  /* NULL: empty cell, or no such column */
    na_pyre *platform;
    unsigned line;
} tfi_row;

typedef struct tfi_index {
    char *label;       /* "DIR/index" for messages */
    tfi_row *rows;
    size_t n;
} tfi_index;

/* Read index text (label names it in messages). 0, or -1 + err (NA_E_CONFIG). */
int na_tfi_load(tfi_index *ix, const char *label, const char *text, size_t len, na_err *err);
void na_tfi_free(tfi_index *ix);
/* The first row matching platform and command (valid UTF-8), or NULL. -1 + err only when a
 * match hits a regex limit. */
int na_tfi_match(const tfi_index *ix, const char *platform, const char *command,
              const tfi_row **row, na_err *err);

#endif
