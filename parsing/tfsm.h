/* tfsm.h — netauto's TextFSM engine: Google's TextFSM template language (python3-textfsm 1.1.0
 * is the reference; docs/parsing.md) compiled once, then run over text to give records.
 *
 *   na_err err = NA_ERR_INIT;
 *   na_tfsm *t = na_tfsm_load_file("cisco_ios_show_vlan.textfsm", &err);  // NULL + err
 *   na_tfsm_result *r = na_tfsm_parse(t, output, len, NULL, &err);          // NULL + err
 *   json_t *records = na_tfsm_result_json(r, NA_TFSM_KEYS_LOWER);          // [{...}, ...]
 *   na_tfsm_result_free(r);
 *   na_tfsm_free(t);
 *
 * Everything behaves as under python3-textfsm: Value options Filldown, Fillup, Key, Required,
 * List (nested named groups give lists of mappings), states, Start/End/EOF, rule actions
 * Next/Continue/Error + Record/NoRecord/Clear/Clearall + a new state, ${VALUE} substitution
 * ($$ for a literal $), comments; regexes are Python's (pyre.h); the input is decoded as UTF-8
 * with invalid bytes replaced by U+FFFD and split like str.splitlines().
 *
 * Errors (na_err): a bad template is NA_E_CONFIG "FILE:LINE:COLUMN: MESSAGE", where MESSAGE is
 * python3-textfsm's own message (so "Line: N." appears in it as there), optionally followed by
 * " [" + more detail + "]"; a pattern python3-textfsm also fails on with another exception gets
 * NA_E_CONFIG too. The template's Error action at parse time is NA_E_PARSE with TextFSM's message
 * (and the input line number in the detail). A template Python accepts that netauto cannot run
 * the same way is NA_E_UNSUPPORTED. Limits (input size, result size, time, regex backtracking)
 * give NA_E_OVERFLOW / NA_E_TIMEOUT. Nothing is printed.
 *
 * A loaded template is read-only: several threads may parse with it at once. Results own all
 * their memory. Depends on core/ only (no driver, no inventory). */
#ifndef NA_TFSM_H
#define NA_TFSM_H

#include "err.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

typedef struct na_tfsm na_tfsm;
typedef struct na_tfsm_result na_tfsm_result;

/* Templates larger than this are refused (a template is a few KiB). */
#define NA_TFSM_MAX_TEMPLATE ((size_t)4 << 20)

/* Compile a template from memory; `name` labels messages (a file path). NULL + err. */
na_tfsm *na_tfsm_load(const char *name, const char *text, size_t len, na_err *err);
/* Read and compile a template file. NULL + err (NA_E_IO when unreadable). */
na_tfsm *na_tfsm_load_file(const char *path, na_err *err);
void na_tfsm_free(na_tfsm *t);

const char *na_tfsm_name(const na_tfsm *t);
/* Values in declaration order (the header). */
size_t na_tfsm_value_count(const na_tfsm *t);
const char *na_tfsm_value_name(const na_tfsm *t, size_t i);
/* Option bits of value i. */
enum { NA_TFSM_OPT_FILLDOWN = 1, NA_TFSM_OPT_FILLUP = 2, NA_TFSM_OPT_KEY = 4,
       NA_TFSM_OPT_REQUIRED = 8, NA_TFSM_OPT_LIST = 16 };
unsigned na_tfsm_value_options(const na_tfsm *t, size_t i);

/* Bounds of one parse; zero members take the defaults. */
typedef struct na_tfsm_limits {
    size_t max_input;       /* bytes of text, default 256 MiB */
    size_t max_result;      /* bytes the records may hold (text + per-cell overhead), 512 MiB */
    int64_t timeout_ms;     /* whole parse, default 60,000 */
    uint32_t match_limit;   /* PCRE2 backtracking steps per match, default 250,000,000 */
    bool borrow_text;       /* when the text is valid UTF-8, the records point into it instead
                               of a copy: the caller keeps it unchanged while using them */
} na_tfsm_limits;

/* Run the template over text[0..len) (any bytes). NULL + err. The result is independent of
 * the text (unless lim->borrow_text) and of the template afterwards. */
na_tfsm_result *na_tfsm_parse(const na_tfsm *t, const char *text, size_t len,
                              const na_tfsm_limits *lim, na_err *err);
void na_tfsm_result_free(na_tfsm_result *r);

/* The records. A cell is a string, or a list (List values) whose items are strings, nulls
 * (a group that did not take part) or mappings (nested named groups). */
size_t na_tfsm_result_rows(const na_tfsm_result *r);
size_t na_tfsm_result_cols(const na_tfsm_result *r);
const char *na_tfsm_result_header(const na_tfsm_result *r, size_t col);

typedef enum { NA_TFSM_KEYS_ASIS, NA_TFSM_KEYS_LOWER } na_tfsm_keys;
/* [{NAME: value, ...}, ...] in row order, keys in header order (lowercased like
 * ntc-templates' parse_output with NA_TFSM_KEYS_LOWER). New reference; NULL on OOM. */
json_t *na_tfsm_result_json(const na_tfsm_result *r, na_tfsm_keys keys);
/* The same array written straight to f (no JSON tree: fast for big results), laid out like
 * jansson's JSON_INDENT(2). 0, or -1 + err (NA_E_IO) when writing fails. */
int na_tfsm_result_write_json(const na_tfsm_result *r, na_tfsm_keys keys, FILE *f, na_err *err);
/* {"header": [...], "rows": [[...], ...]} (TextFSM's ParseText shape). New reference. */
json_t *na_tfsm_result_table_json(const na_tfsm_result *r);

#endif
