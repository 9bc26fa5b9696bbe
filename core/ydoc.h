/* ydoc.h — a loaded YAML document (libyaml's node tree) with helpers that turn every problem into
 * "FILE:LINE:COLUMN: message". Shared by the platform, inventory, playbook and daemon-config
 * loaders so that all of them report errors the same way. Not a schema validator by itself. */
#ifndef NA_YDOC_H
#define NA_YDOC_H

#include "err.h"

#include <stdbool.h>
#include <stddef.h>
#include <yaml.h>

typedef yaml_node_t na_ynode;

typedef struct na_ydoc {
    yaml_document_t doc;
    char *name;   /* file path or label used in messages (owned) */
    bool loaded;
} na_ydoc;

#define NA_YDOC_MAX_BYTES ((size_t)16 << 20)
/* Nodes that aliases (*name) may add to a document when it is expanded: past it, loading fails
 * (NA_E_YAML) instead of every later walk of the tree taking exponential time and memory. */
#define NA_YDOC_MAX_ALIAS_NODES ((size_t)100000)

/* Load the first document of a file / memory block. Syntax errors, duplicate mapping keys,
 * nesting deeper than 256 and alias bombs (NA_YDOC_MAX_ALIAS_NODES) are NA_E_YAML with
 * name:line:column. A file larger than NA_YDOC_MAX_BYTES is refused. On failure
 * the document is left freed (na_ydoc_free is still safe). */
int na_ydoc_load_file(na_ydoc *d, const char *path, na_err *err) NA_MUST_CHECK;
int na_ydoc_load_mem(na_ydoc *d, const char *name, const char *data, size_t n,
                     na_err *err) NA_MUST_CHECK;
void na_ydoc_free(na_ydoc *d);

na_ynode *na_ydoc_root(na_ydoc *d); /* NULL for an empty document */

static inline bool na_yis_map(const na_ynode *n) { return n && n->type == YAML_MAPPING_NODE; }
static inline bool na_yis_seq(const na_ynode *n) { return n && n->type == YAML_SEQUENCE_NODE; }
static inline bool na_yis_scalar(const na_ynode *n) { return n && n->type == YAML_SCALAR_NODE; }
/* A plain (unquoted) `~`, `null`, `Null`, `NULL` or empty scalar. */
bool na_yis_null(const na_ynode *n);
/* Scalar text (NUL-terminated), or NULL if n is not a scalar. */
const char *na_yscalar(const na_ynode *n);

/* Mapping access. na_ymap_get returns NULL when the key is absent. */
na_ynode *na_ymap_get(na_ydoc *d, const na_ynode *map, const char *key);
size_t na_ymap_len(const na_ynode *map);
na_ynode *na_ymap_key(na_ydoc *d, const na_ynode *map, size_t i);
na_ynode *na_ymap_val(na_ydoc *d, const na_ynode *map, size_t i);
/* Sequence access. */
size_t na_yseq_len(const na_ynode *seq);
na_ynode *na_yseq_item(na_ydoc *d, const na_ynode *seq, size_t i);

/* 1-based position of a node. */
unsigned na_yline(const na_ynode *n);
unsigned na_ycol(const na_ynode *n);

/* Record "name:line:col: message" (code NA_E_CONFIG unless given) at node n (n may be NULL:
 * then just "name: message"). Returns -1. */
int na_yerr(na_err *err, const na_ydoc *d, const na_ynode *n, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
int na_yerr_code(na_err *err, na_code code, const na_ydoc *d, const na_ynode *n,
                 const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* Typed scalar reads; each fails with a positioned message ("expected an integer"...). */
int na_ystr(const na_ydoc *d, const na_ynode *n, const char **out, na_err *err) NA_MUST_CHECK;
int na_ylong(const na_ydoc *d, const na_ynode *n, long min, long max, long *out,
             na_err *err) NA_MUST_CHECK;
int na_ydouble(const na_ydoc *d, const na_ynode *n, double min, double max, double *out,
               na_err *err) NA_MUST_CHECK;
/* true/false/yes/no/on/off (any case). */
int na_ybool(const na_ydoc *d, const na_ynode *n, bool *out, na_err *err) NA_MUST_CHECK;

/* Fail on the first key of `map` not in the NULL-terminated `allowed` list, naming the key and
 * its position. */
int na_ycheck_keys(na_ydoc *d, const na_ynode *map, const char *const *allowed, const char *what,
                   na_err *err) NA_MUST_CHECK;

#endif
