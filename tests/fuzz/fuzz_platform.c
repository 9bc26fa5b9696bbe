/* fuzz_platform.c — fuzz target: a platform YAML loaded from memory and, when it loads, every
 * mode looked up by name, every route between two modes computed and every prompt specialised to
 * a host. Checks: a failure always says why; indexes and routes stay in range; a route is a chain
 * of transitions from `from` to `to`. Prompt patterns are compiled but not run against text
 * (a platform file is trusted configuration; its regexes are the user's). Not a driver test. */
#include "fuzz.h"

#include "platform.h"

#include <string.h>

#define MAX_MODES 32

static void check(const na_platform *p)
{
    FUZZ_CHECK(p->name && p->nmodes > 0 && p->modes && p->prompts);
    FUZZ_CHECK(p->default_mode == NA_NO_MODE || p->default_mode < p->nmodes);
    FUZZ_CHECK(p->config_mode == NA_NO_MODE || p->config_mode < p->nmodes);
    for (size_t i = 0; i < p->ntransitions; i++)
        FUZZ_CHECK(p->transitions[i].from < p->nmodes && p->transitions[i].to < p->nmodes);
    size_t n = p->nmodes < MAX_MODES ? p->nmodes : MAX_MODES;
    for (size_t i = 0; i < n; i++) {
        FUZZ_CHECK(na_platform_mode(p, p->modes[i].name) <= i); /* first of that name */
        char *s = na_platform_subst_host(p->modes[i].prompt_src, "sw\\-1");
        FUZZ_CHECK(s != NULL);
        free(s);
        for (size_t j = 0; j < n; j++) {
            size_t path[8];
            int k = na_platform_route(p, i, j, path, 8);
            FUZZ_CHECK(k >= -1 && k <= 8);
            FUZZ_CHECK(i != j || k == 0);
            size_t at = i;
            for (int s2 = 0; s2 < k; s2++) {
                FUZZ_CHECK(path[s2] < p->ntransitions);
                FUZZ_CHECK(p->transitions[path[s2]].from == at);
                at = p->transitions[path[s2]].to;
            }
            FUZZ_CHECK(k <= 0 || at == j);
        }
    }
    FUZZ_CHECK(na_platform_mode(p, "no such mode \x01") == NA_NO_MODE);
}

int fuzz_platform(const uint8_t *data, size_t size)
{
    fuzz_init();
    na_err e = NA_ERR_INIT;
    na_platform *p = na_platform_load_mem("fuzz.yaml", (const char *)data, size, NULL, &e);
    if (p) {
        check(p);
        na_platform_free(p);
    } else {
        FUZZ_CHECK(na_err_isset(&e));
    }
    fuzz_done();
    return 0;
}

#ifdef NA_LIBFUZZER
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fuzz_platform(data, size);
}
#endif
