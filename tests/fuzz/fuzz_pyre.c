/* fuzz_pyre.c — fuzz target: the Python-regex translator (parsing/pyre.h). The first line of the
 * input is a pattern, the rest a subject; the pattern is compiled for re.match and re.search
 * and matched (with a small step limit). Checks: a refusal has a status and a message; a match
 * and its groups lie inside the subject on character boundaries; group names are identifiers
 * with group numbers in range. Not a comparison with Python (tests/e2e/test_pyre_diff.py). */
#include "fuzz.h"

#include "pyre.h"
#include "utext.h"

#include <string.h>

int fuzz_pyre(const uint8_t *data, size_t size)
{
    fuzz_init();
    const char *s = (const char *)data;
    const char *nl = memchr(s, '\n', size);
    size_t plen = nl ? (size_t)(nl - s) : size;
    const char *subj = nl ? nl + 1 : "";
    size_t slen = nl ? size - plen - 1 : 0;
    if (!na_ut_valid(subj, slen, NULL)) {
        fuzz_done();
        return 0; /* subjects are valid UTF-8 by contract (na_ut_sanitize) */
    }
    na_pyre_limits lim = {.match_limit = 200000};
    na_pyre_matcher *m = na_pyre_matcher_new(&lim);
    FUZZ_CHECK(m != NULL);
    for (int mode = 0; mode < 2; mode++) {
        na_pyre_err e;
        na_pyre *re = na_pyre_compile(s, (long)plen, mode ? 0 : NA_PYRE_MATCH, &e);
        if (!re) {
            FUZZ_CHECK(e.status != NA_PYRE_OK && e.msg[0]);
            continue;
        }
        for (size_t i = 0; i < na_pyre_named_count(re); i++) {
            uint32_t g;
            const char *name = na_pyre_named(re, i, &g);
            FUZZ_CHECK(na_ut_isidentifier(name, strlen(name)));
            FUZZ_CHECK(g >= 1 && g <= na_pyre_groups(re));
        }
        int rc = na_pyre_match(re, m, subj, slen);
        FUZZ_CHECK(rc >= -1 && rc <= 1);
        for (uint32_t g = 0; rc == 1 && g <= na_pyre_groups(re); g++) {
            size_t a, b;
            if (!na_pyre_group(m, g, &a, &b)) {
                FUZZ_CHECK(g > 0);
                continue;
            }
            FUZZ_CHECK(a <= b && b <= slen);
            FUZZ_CHECK(a == slen || ((unsigned char)subj[a] & 0xC0) != 0x80);
            FUZZ_CHECK(b == slen || ((unsigned char)subj[b] & 0xC0) != 0x80);
        }
        na_pyre_free(re);
    }
    na_pyre_matcher_free(m);
    fuzz_done();
    return 0;
}

#ifdef NA_LIBFUZZER
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fuzz_pyre(data, size);
}
#endif
