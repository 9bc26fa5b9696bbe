/* pyre_probe.c — a test tool: compiles Python-syntax regexes with netauto's translator
 * (parsing/pyre.h) and matches them, printing one JSON line per case, so that
 * tests/e2e/test_pyre_diff.py can compare every answer with Python's own `re`. Input on stdin:
 * records "F LEN:PATTERN LEN:SUBJECT" (F "m" = re.match, "s" = re.search; LEN in bytes, the
 * bytes follow the colon; one space between the parts). Output per
 * record: {"error": "...", "status": "syntax|lookbehind|pyerror|depth|unsupported"} or
 * {"match": null} or {"match": [[start, end] | null, ...], "names": [[name, group], ...]} with
 * offsets in code points, like Python's spans. Not a test by itself. */
#include "pyre.h"
#include "utext.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *read_all(size_t *n)
{
    size_t cap = 1 << 16, len = 0;
    char *b = malloc(cap);
    size_t got;
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

int main(void)
{
    size_t n;
    char *in = read_all(&n);
    if (!in)
        return 1;
    static const char *const st[] = {"ok", "syntax", "lookbehind", "pyerror", "depth",
                                      "unsupported", "nomem"};
    na_pyre_matcher *m = na_pyre_matcher_new(NULL);
    size_t i = 0;
    while (i < n) {
        char flag = in[i];
        char *end;
        size_t plen = strtoul(in + i + 2, &end, 10);
        const char *pat = end + 1;
        size_t slen = strtoul(pat + plen + 1, &end, 10);
        const char *subj = end + 1;
        i = (size_t)(subj + slen - in) + 1;
        if (i > n + 1)
            break;
        na_pyre_err e;
        na_pyre *re = na_pyre_compile(pat, (long)plen, flag == 'm' ? NA_PYRE_MATCH : 0, &e);
        json_t *o;
        if (!re) {
            char msg[512];
            na_pyre_err_str(&e, msg, sizeof msg);
            o = json_pack("{s:s,s:s}", "error", msg, "status", st[e.status]);
        } else {
            int rc = na_pyre_match(re, m, subj, slen);
            if (rc < 0) {
                o = json_pack("{s:s,s:s}", "error", na_pyre_matcher_error(m), "status", "limit");
            } else if (rc == 0) {
                o = json_pack("{s:n}", "match");
            } else {
                json_t *g = json_array();
                for (uint32_t k = 0; k <= na_pyre_groups(re); k++) {
                    size_t s, e2;
                    if (na_pyre_group(m, k, &s, &e2))
                        json_array_append_new(g, json_pack("[I,I]", (json_int_t)na_ut_len(subj, s),
                                                           (json_int_t)na_ut_len(subj, e2)));
                    else
                        json_array_append_new(g, json_null());
                }
                json_t *nm = json_array();
                for (size_t k = 0; k < na_pyre_named_count(re); k++) {
                    uint32_t gi;
                    const char *name = na_pyre_named(re, k, &gi);
                    json_array_append_new(nm, json_pack("[s,I]", name, (json_int_t)gi));
                }
                o = json_pack("{s:o,s:o,s:s}", "match", g, "names", nm, "pcre2",
                              na_pyre_pcre2_source(re));
            }
            na_pyre_free(re);
        }
        char *s = json_dumps(o, JSON_COMPACT);
        puts(s);
        free(s);
        json_decref(o);
    }
    na_pyre_matcher_free(m);
    free(in);
    return 0;
}
