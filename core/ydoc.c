/* ydoc.c — libyaml document loading with positioned errors and typed accessors (see ydoc.h).
 * Not a schema: each loader decides which keys it accepts. */
#include "ydoc.h"
#include "buf.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

struct keyref {
    const char *key;
    na_ynode *node;
    size_t index;
};

static int keyref_cmp(const void *a, const void *b)
{
    const struct keyref *x = a, *y = b;
    int c = strcmp(x->key, y->key);
    return c ? c : (x->index > y->index) - (x->index < y->index);
}

/* Duplicate keys of one mapping: pairwise for small mappings, sorted for large ones (an
 * inventory's `hosts:` can hold tens of thousands of keys). The error names the later one. */
static int map_dups(na_ydoc *d, na_ynode *n, na_err *err)
{
    size_t len = na_ymap_len(n);
    if (len <= 32) {
        for (size_t i = 1; i < len; i++) {
            na_ynode *ki = na_ymap_key(d, n, i);
            if (!na_yis_scalar(ki))
                continue;
            for (size_t j = 0; j < i; j++) {
                na_ynode *kj = na_ymap_key(d, n, j);
                if (na_yis_scalar(kj) && strcmp(na_yscalar(ki), na_yscalar(kj)) == 0)
                    return na_yerr_code(err, NA_E_YAML, d, ki,
                                        "duplicate key '%s' (first at line %u)", na_yscalar(ki),
                                        na_yline(kj));
            }
        }
        return 0;
    }
    struct keyref *refs = malloc(len * sizeof *refs);
    if (!refs)
        return na_err_set(err, NA_E_NOMEM, "out of memory");
    size_t m = 0;
    for (size_t i = 0; i < len; i++) {
        na_ynode *k = na_ymap_key(d, n, i);
        if (na_yis_scalar(k))
            refs[m++] = (struct keyref){na_yscalar(k), k, i};
    }
    qsort(refs, m, sizeof *refs, keyref_cmp);
    /* among equal keys, report the first duplicate in document order */
    const struct keyref *bad = NULL, *first = NULL;
    for (size_t i = 1; i < m; i++) {
        if (strcmp(refs[i].key, refs[i - 1].key) == 0) {
            size_t g = i - 1;
            while (g > 0 && strcmp(refs[g - 1].key, refs[i].key) == 0)
                g--;
            if (!bad || refs[i].index < bad->index) {
                bad = &refs[i];
                first = &refs[g];
            }
        }
    }
    int rc = 0;
    if (bad)
        rc = na_yerr_code(err, NA_E_YAML, d, bad->node, "duplicate key '%s' (first at line %u)",
                          bad->key, na_yline(first->node));
    free(refs);
    return rc;
}

/* The walk of the whole document at load time: duplicate keys, nesting depth, and how big the
 * document gets once aliases are expanded. libyaml shares an anchored node between its alias
 * uses, so every consumer that walks the tree (conversion to JSON, loaders) sees the expanded
 * document: ten nested lists of ten aliases are 10^10 nodes ("billion laughs") in a few hundred
 * bytes. Every node visited counts against a budget of the document's own node count plus
 * NA_YDOC_MAX_ALIAS_NODES; each mapping's keys are checked once however often it is reached. */
typedef struct dup_walk {
    na_ydoc *d;
    size_t budget;
    unsigned char *seen; /* per node index: mapping already checked */
} dup_walk;

static int check_dups(dup_walk *w, na_ynode *n, int depth, na_err *err)
{
    na_ydoc *d = w->d;
    if (!n || depth > 256)
        return depth > 256 ? na_yerr_code(err, NA_E_YAML, d, n, "document nested too deeply") : 0;
    if (w->budget == 0)
        return na_yerr_code(err, NA_E_YAML, d, n,
                            "aliases expand the document by more than %zu nodes (an alias "
                            "used too often?)", NA_YDOC_MAX_ALIAS_NODES);
    w->budget--;
    if (n->type == YAML_MAPPING_NODE) {
        size_t idx = (size_t)(n - d->doc.nodes.start);
        if (!w->seen[idx]) {
            w->seen[idx] = 1;
            if (map_dups(d, n, err) < 0)
                return -1;
        }
        size_t len = na_ymap_len(n);
        for (size_t i = 0; i < len; i++)
            if (check_dups(w, na_ymap_val(d, n, i), depth + 1, err) < 0)
                return -1;
    } else if (n->type == YAML_SEQUENCE_NODE) {
        size_t len = na_yseq_len(n);
        for (size_t i = 0; i < len; i++)
            if (check_dups(w, na_yseq_item(d, n, i), depth + 1, err) < 0)
                return -1;
    }
    return 0;
}

static int check_doc(na_ydoc *d, na_err *err)
{
    size_t nodes = (size_t)(d->doc.nodes.top - d->doc.nodes.start);
    dup_walk w = {d, nodes + NA_YDOC_MAX_ALIAS_NODES, calloc(nodes ? nodes : 1, 1)};
    if (!w.seen)
        return na_err_set(err, NA_E_NOMEM, "out of memory");
    int rc = check_dups(&w, na_ydoc_root(d), 0, err);
    free(w.seen);
    return rc;
}

int na_ydoc_load_mem(na_ydoc *d, const char *name, const char *data, size_t n, na_err *err)
{
    memset(d, 0, sizeof *d);
    d->name = strdup(name ? name : "<input>");
    if (!d->name)
        return na_err_set(err, NA_E_NOMEM, "out of memory");
    if (n > NA_YDOC_MAX_BYTES) {
        na_err_set(err, NA_E_YAML, "%s: file is larger than %zu bytes", d->name,
                   NA_YDOC_MAX_BYTES);
        na_ydoc_free(d);
        return -1;
    }
    yaml_parser_t p;
    if (!yaml_parser_initialize(&p)) {
        na_ydoc_free(d);
        return na_err_set(err, NA_E_NOMEM, "out of memory");
    }
    yaml_parser_set_input_string(&p, (const unsigned char *)data, n);
    if (!yaml_parser_load(&p, &d->doc)) {
        const char *prob = p.problem ? p.problem : "invalid YAML";
        if (p.context)
            na_err_set(err, NA_E_YAML, "%s:%zu:%zu: %s %s", d->name, p.problem_mark.line + 1,
                       p.problem_mark.column + 1, prob, p.context);
        else
            na_err_set(err, NA_E_YAML, "%s:%zu:%zu: %s", d->name, p.problem_mark.line + 1,
                       p.problem_mark.column + 1, prob);
        yaml_parser_delete(&p);
        free(d->name);
        d->name = NULL;
        return -1;
    }
    yaml_parser_delete(&p);
    d->loaded = true;
    if (check_doc(d, err) < 0) {
        na_ydoc_free(d);
        return -1;
    }
    return 0;
}

int na_ydoc_load_file(na_ydoc *d, const char *path, na_err *err)
{
    memset(d, 0, sizeof *d);
    FILE *f = fopen(path, "rb");
    if (!f)
        return na_err_set(err, NA_E_IO, "%s: cannot open: %s", path, strerror(errno));
    na_buf b;
    na_buf_init(&b, NA_YDOC_MAX_BYTES);
    char chunk[65536];
    size_t r;
    int rc = 0;
    while ((r = fread(chunk, 1, sizeof chunk, f)) > 0) {
        if (na_buf_append(&b, chunk, r, path, err) < 0) {
            rc = -1;
            break;
        }
    }
    if (rc == 0 && ferror(f))
        rc = na_err_set(err, NA_E_IO, "%s: read error: %s", path, strerror(errno));
    fclose(f);
    if (rc == 0)
        rc = na_ydoc_load_mem(d, path, na_buf_cstr(&b), b.len, err);
    na_buf_free(&b);
    return rc;
}

void na_ydoc_free(na_ydoc *d)
{
    if (d->loaded)
        yaml_document_delete(&d->doc);
    d->loaded = false;
    free(d->name);
    d->name = NULL;
}

na_ynode *na_ydoc_root(na_ydoc *d)
{
    return d->loaded ? yaml_document_get_root_node(&d->doc) : NULL;
}

bool na_yis_null(const na_ynode *n)
{
    if (!n)
        return true;
    if (n->type != YAML_SCALAR_NODE || n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
        return false;
    const char *s = (const char *)n->data.scalar.value;
    return !*s || !strcmp(s, "~") || !strcmp(s, "null") || !strcmp(s, "Null") ||
           !strcmp(s, "NULL");
}

const char *na_yscalar(const na_ynode *n)
{
    return na_yis_scalar(n) ? (const char *)n->data.scalar.value : NULL;
}

size_t na_ymap_len(const na_ynode *map)
{
    return na_yis_map(map) ? (size_t)(map->data.mapping.pairs.top - map->data.mapping.pairs.start)
                           : 0;
}

na_ynode *na_ymap_key(na_ydoc *d, const na_ynode *map, size_t i)
{
    if (i >= na_ymap_len(map))
        return NULL;
    return yaml_document_get_node(&d->doc, map->data.mapping.pairs.start[i].key);
}

na_ynode *na_ymap_val(na_ydoc *d, const na_ynode *map, size_t i)
{
    if (i >= na_ymap_len(map))
        return NULL;
    return yaml_document_get_node(&d->doc, map->data.mapping.pairs.start[i].value);
}

na_ynode *na_ymap_get(na_ydoc *d, const na_ynode *map, const char *key)
{
    size_t len = na_ymap_len(map);
    for (size_t i = 0; i < len; i++) {
        const char *k = na_yscalar(na_ymap_key(d, map, i));
        if (k && strcmp(k, key) == 0)
            return na_ymap_val(d, map, i);
    }
    return NULL;
}

size_t na_yseq_len(const na_ynode *seq)
{
    return na_yis_seq(seq) ? (size_t)(seq->data.sequence.items.top - seq->data.sequence.items.start)
                           : 0;
}

na_ynode *na_yseq_item(na_ydoc *d, const na_ynode *seq, size_t i)
{
    if (i >= na_yseq_len(seq))
        return NULL;
    return yaml_document_get_node(&d->doc, seq->data.sequence.items.start[i]);
}

unsigned na_yline(const na_ynode *n) { return n ? (unsigned)n->start_mark.line + 1 : 0; }
unsigned na_ycol(const na_ynode *n) { return n ? (unsigned)n->start_mark.column + 1 : 0; }

static int vyerr(na_err *err, na_code code, const na_ydoc *d, const na_ynode *n, const char *fmt,
                 va_list ap)
{
    char msg[NA_ERR_MSG_MAX];
    vsnprintf(msg, sizeof msg, fmt, ap);
    const char *name = d && d->name ? d->name : "<input>";
    if (n)
        return na_err_set(err, code, "%s:%u:%u: %s", name, na_yline(n), na_ycol(n), msg);
    return na_err_set(err, code, "%s: %s", name, msg);
}

int na_yerr(na_err *err, const na_ydoc *d, const na_ynode *n, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vyerr(err, NA_E_CONFIG, d, n, fmt, ap);
    va_end(ap);
    return -1;
}

int na_yerr_code(na_err *err, na_code code, const na_ydoc *d, const na_ynode *n, const char *fmt,
                 ...)
{
    va_list ap;
    va_start(ap, fmt);
    vyerr(err, code, d, n, fmt, ap);
    va_end(ap);
    return -1;
}

int na_ystr(const na_ydoc *d, const na_ynode *n, const char **out, na_err *err)
{
    if (!na_yis_scalar(n))
        return na_yerr(err, d, n, "expected a string");
    *out = na_yscalar(n);
    return 0;
}

int na_ylong(const na_ydoc *d, const na_ynode *n, long min, long max, long *out, na_err *err)
{
    const char *s = na_yscalar(n);
    if (!s || !*s)
        return na_yerr(err, d, n, "expected an integer");
    char *end;
    errno = 0;
    long v = strtol(s, &end, 0);
    if (errno || *end)
        return na_yerr(err, d, n, "expected an integer, got '%s'", s);
    if (v < min || v > max)
        return na_yerr(err, d, n, "%ld is out of range (%ld..%ld)", v, min, max);
    *out = v;
    return 0;
}

int na_ydouble(const na_ydoc *d, const na_ynode *n, double min, double max, double *out,
               na_err *err)
{
    const char *s = na_yscalar(n);
    if (!s || !*s)
        return na_yerr(err, d, n, "expected a number");
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || *end || isnan(v))
        return na_yerr(err, d, n, "expected a number, got '%s'", s);
    if (v < min || v > max)
        return na_yerr(err, d, n, "%g is out of range (%g..%g)", v, min, max);
    *out = v;
    return 0;
}

int na_ybool(const na_ydoc *d, const na_ynode *n, bool *out, na_err *err)
{
    const char *s = na_yscalar(n);
    static const char *const t[] = {"true", "yes", "on", NULL};
    static const char *const f[] = {"false", "no", "off", NULL};
    if (s) {
        for (int i = 0; t[i]; i++) {
            if (!strcasecmp(s, t[i])) {
                *out = true;
                return 0;
            }
            if (!strcasecmp(s, f[i])) {
                *out = false;
                return 0;
            }
        }
    }
    return na_yerr(err, d, n, "expected true or false");
}

int na_ycheck_keys(na_ydoc *d, const na_ynode *map, const char *const *allowed, const char *what,
                   na_err *err)
{
    if (!na_yis_map(map))
        return na_yerr(err, d, map, "%s must be a mapping", what ? what : "this");
    size_t len = na_ymap_len(map);
    for (size_t i = 0; i < len; i++) {
        na_ynode *k = na_ymap_key(d, map, i);
        const char *ks = na_yscalar(k);
        if (!ks)
            return na_yerr(err, d, k, "keys must be strings");
        bool ok = false;
        for (size_t j = 0; allowed[j] && !ok; j++)
            ok = strcmp(ks, allowed[j]) == 0;
        if (!ok) {
            char list[300] = "";
            size_t o = 0;
            for (size_t j = 0; allowed[j] && o < sizeof list - 1; j++)
                o += (size_t)snprintf(list + o, sizeof list - o, "%s%s", j ? ", " : "", allowed[j]);
            return na_yerr(err, d, k, "unknown key '%s' in %s (expected one of: %s)", ks,
                           what ? what : "mapping", list);
        }
    }
    return 0;
}
