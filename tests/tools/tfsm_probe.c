/* tfsm_probe.c — a test tool: runs netauto's TextFSM engine (parsing/tfsm.h) over many cases
 * in one process and prints one JSON line per case, so that differential tests
 * (tests/e2e/test_textfsm_diff.py, tests/parsing/ntc_diff.py, the fuzzer's replay) can compare
 * it with python3-textfsm quickly. Records on stdin, parts separated by one space, each part
 * "LEN:BYTES":
 *   T NAME TEMPLATE INPUT            -> {"ok": true, "header": [...], "rows": [[...]]}
 *   I DIR PLATFORM COMMAND INPUT     -> {"ok": true, "records": [{...}]} (index, lowercased)
 * and on failure {"ok": false, "code": "config|parse|unsupported|...", "message": "..."}.
 * Not a test by itself. */
#include "tfsm.h"
#include "tfsm_lib.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *read_all(size_t *n)
{
    size_t cap = 1 << 16, len = 0, got;
    char *b = malloc(cap);
    while (b && (got = fread(b + len, 1, cap - len, stdin)) > 0) {
        len += got;
        if (len == cap) {
            cap *= 2;
            b = realloc(b, cap);
        }
    }
    *n = len;
    return b;
}

/* One "LEN:BYTES" part at *p; advances past it and the separator. */
static const char *part(const char **p, const char *end, size_t *len)
{
    char *colon;
    *len = strtoul(*p, &colon, 10);
    if (colon >= end || *colon != ':' || (size_t)(end - colon - 1) < *len)
        return NULL;
    const char *s = colon + 1;
    *p = s + *len + 1;
    return s;
}

static json_t *error_json(const na_err *e)
{
    return json_pack("{s:b,s:s,s:s}", "ok", 0, "code", na_code_name(e->code), "message", e->msg);
}

int main(void)
{
    size_t n;
    char *in = read_all(&n);
    if (!in)
        return 1;
    const char *p = in, *end = in + n;
    na_tfsm_lib *lib = NULL;
    char *lib_dir = NULL;
    while (p < end) {
        char kind = *p;
        p += 2;
        json_t *o = NULL;
        na_err err = NA_ERR_INIT;
        if (kind == 'T') {
            size_t l1, l2, l3;
            const char *name = part(&p, end, &l1), *tpl = part(&p, end, &l2),
                       *txt = part(&p, end, &l3);
            if (!name || !tpl || !txt)
                break;
            char *nm = strndup(name, l1);
            na_tfsm *t = na_tfsm_load(nm, tpl, l2, &err);
            free(nm);
            na_tfsm_result *r = t ? na_tfsm_parse(t, txt, l3, NULL, &err) : NULL;
            if (r) {
                o = na_tfsm_result_table_json(r);
                json_object_set_new(o, "ok", json_true());
            } else {
                o = error_json(&err);
            }
            na_tfsm_result_free(r);
            na_tfsm_free(t);
        } else if (kind == 'I') {
            size_t l1, l2, l3, l4;
            const char *dir = part(&p, end, &l1), *plat = part(&p, end, &l2),
                       *cmd = part(&p, end, &l3), *txt = part(&p, end, &l4);
            if (!dir || !plat || !cmd || !txt)
                break;
            char *d = strndup(dir, l1), *pl = strndup(plat, l2), *c = strndup(cmd, l3);
            if (!lib || strcmp(lib_dir, d)) {
                na_tfsm_lib_free(lib);
                free(lib_dir);
                lib_dir = strdup(d);
                const char *dirs[] = {d, NULL};
                lib = na_tfsm_lib_new(dirs, false, &err);
            }
            json_t *recs = lib ? na_tfsm_lib_parse(lib, pl, c, txt, l4, NULL, &err) : NULL;
            o = recs ? json_pack("{s:b,s:o}", "ok", 1, "records", recs) : error_json(&err);
            free(d);
            free(pl);
            free(c);
        } else {
            break;
        }
        char *s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
        if (s)
            puts(s);
        free(s);
        json_decref(o);
    }
    na_tfsm_lib_free(lib);
    free(lib_dir);
    free(in);
    return 0;
}
