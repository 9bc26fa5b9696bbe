/* fuzz_ansinv.c — fuzz target: the hand-written parsers of Ansible inventories. The input (up to
 * its first NUL, bounded) goes through Python's literal rules (an INI value), shell-like
 * splitting (an INI host line), host pattern expansion, and, whole, an INI inventory loaded from
 * memory; input starting with $ANSIBLE_VAULT is decrypted with a fixed password. Checks: a
 * failure always says why; a literal is valid JSON; split tokens have no NUL; a pattern never
 * expands past the range limit; a loaded inventory's hosts are all findable by name.
 * Not the YAML side (fuzz_inventory.c) nor the resolution rules (tests/unit). */
#include "fuzz.h"

#include "avault.h"
#include "inv_ans_int.h"

#include <string.h>

#define MAX_LINE 4096

int fuzz_ansinv(const uint8_t *data, size_t size)
{
    fuzz_init();
    size_t n = strnlen((const char *)data, size);
    if (n <= MAX_LINE) {
        char *s = fuzz_strndup(data, n);
        json_t *lit = na_inv_pylit(s);
        if (lit) {
            char *d = json_dumps(lit, JSON_ENCODE_ANY);
            FUZZ_CHECK(d != NULL);
            free(d);
            json_decref(lit);
        }
        inv_strlist toks = {0};
        char why[300] = "";
        if (na_inv_shlex(s, &toks, why, sizeof why) < 0)
            FUZZ_CHECK(why[0] != '\0');
        for (size_t i = 0; i < toks.n; i++)
            FUZZ_CHECK(toks.v[i] != NULL);
        na_inv_strlist_free(&toks);
        inv_strlist hosts = {0};
        long port = 0;
        why[0] = '\0';
        if (na_inv_expand_hostpattern(s, &hosts, &port, why, sizeof why) < 0)
            FUZZ_CHECK(why[0] != '\0');
        else
            FUZZ_CHECK(hosts.n <= INV_MAX_RANGE);
        na_inv_strlist_free(&hosts);
        free(s);
    }
    na_inv_opts opts = {0};
    na_err e = NA_ERR_INIT;
    na_inventory *inv = na_inv_load_mem("hosts", (const char *)data, size, "/nonexistent/fuzz",
                                        &opts, &e);
    if (inv) {
        for (size_t i = 0; i < na_inv_count(inv); i++)
            FUZZ_CHECK(na_inv_find(inv, na_inv_host_at(inv, i)->name) == na_inv_host_at(inv, i));
        na_inv_free(inv);
    } else {
        FUZZ_CHECK(na_err_isset(&e));
    }
    if (size > 15 && na_avault_is_vault((const char *)data, size)) {
        na_avault_keys *k = na_avault_keys_new(NULL, NULL);
        na_buf out;
        na_buf_init(&out, 0);
        na_err_clear(&e);
        na_avault_keys_add_pass(k, "default", "fuzz", &e);
        if (na_avault_decrypt(k, "fuzz", (const char *)data, size, &out, &e) < 0)
            FUZZ_CHECK(na_err_isset(&e));
        na_buf_free(&out);
        na_avault_keys_free(k);
    }
    fuzz_done();
    return 0;
}

#ifdef NA_LIBFUZZER
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fuzz_ansinv(data, size);
}
#endif
