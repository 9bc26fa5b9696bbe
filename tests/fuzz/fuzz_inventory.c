/* fuzz_inventory.c — fuzz target: an inventory (native or Ansible YAML) loaded from memory and,
 * when it loads, every read-only accessor and the JSON rendering; then the same input (up to its
 * first NUL) as a --limit pattern against a fixed inventory. Checks: a failed load always says
 * why; lookups agree with iteration; a selection is in inventory order without duplicates.
 * No vault passphrase source is given, so nothing prompts and no vault file is read.
 * Not a test of the resolution rules (tests/unit/test_inventory.c has those). */
#include "fuzz.h"

#include "inventory.h"

#include <jansson.h>
#include <string.h>

#define MAX_PATTERN 4096

static void check_selection(const na_inventory *inv, const na_inv_selection *sel)
{
    FUZZ_CHECK(sel->n <= na_inv_count(inv));
    size_t last = 0;
    for (size_t i = 0; i < sel->n; i++) {
        FUZZ_CHECK(sel->hosts[i] != NULL);
        FUZZ_CHECK(na_inv_host_at(inv, sel->hosts[i]->index) == sel->hosts[i]);
        FUZZ_CHECK(i == 0 || sel->hosts[i]->index > last); /* inventory order, each host once */
        last = sel->hosts[i]->index;
    }
}

static void select_one(const na_inventory *inv, const char *pattern)
{
    na_err e = NA_ERR_INIT;
    na_inv_selection sel = {0};
    if (na_inv_select(inv, pattern, &sel, &e) == 0) {
        check_selection(inv, &sel);
        na_inv_selection_free(&sel);
    } else {
        FUZZ_CHECK(na_err_isset(&e));
    }
}

static void walk(const na_inventory *inv)
{
    size_t n = na_inv_count(inv);
    (void)na_inv_get_format(inv);
    (void)na_inv_path(inv);
    (void)na_inv_vault_path(inv);
    size_t nd = 0;
    const char *const *dirs = na_inv_platform_dirs(inv, &nd);
    for (size_t i = 0; dirs && i < nd; i++)
        FUZZ_CHECK(dirs[i] != NULL);
    for (size_t i = 0; i < n; i++) {
        const na_inv_host *h = na_inv_host_at(inv, i);
        FUZZ_CHECK(h && h->name && h->index == i);
        FUZZ_CHECK(na_inv_find(inv, h->name) == h);
        FUZZ_CHECK(json_is_object(h->vars));
        for (size_t g = 0; g < h->n_groups; g++) {
            FUZZ_CHECK(na_inv_group_exists(inv, h->groups[g]));
            FUZZ_CHECK(na_inv_host_in_group(h, h->groups[g]));
        }
        FUZZ_CHECK(na_inv_conn(h, NA_TRANSPORT_SSH) != NULL);
        FUZZ_CHECK(na_inv_conn(h, NA_TRANSPORT_TELNET) != NULL);
        json_t *j = na_inv_host_json(h);
        FUZZ_CHECK(j != NULL);
        char *txt = json_dumps(j, JSON_COMPACT);
        free(txt);
        json_decref(j);
    }
    for (size_t i = 0; i < na_inv_group_count(inv); i++)
        FUZZ_CHECK(na_inv_group_exists(inv, na_inv_group_name(inv, i)));
    FUZZ_CHECK(na_inv_host_at(inv, n) == NULL);
    json_t *all = na_inv_json(inv, NULL);
    FUZZ_CHECK(all != NULL);
    json_decref(all);
    select_one(inv, NULL);
    select_one(inv, "all");
    select_one(inv, "*:!ungrouped");
    if (n)
        select_one(inv, na_inv_host_at(inv, n - 1)->name);
}

int fuzz_inventory(const uint8_t *data, size_t size)
{
    fuzz_init();
    const na_inventory *fixed = fuzz_fixed_inventory();
    na_inv_opts opts = {0};
    na_err e = NA_ERR_INIT;
    na_inventory *inv = na_inv_load_mem("fuzz.yaml", (const char *)data, size,
                                        "/nonexistent/fuzz", &opts, &e);
    if (inv) {
        walk(inv);
        na_inv_free(inv);
    } else {
        FUZZ_CHECK(na_err_isset(&e));
    }

    size_t plen = strnlen((const char *)data, size);
    if (plen <= MAX_PATTERN) {
        char *pattern = fuzz_strndup(data, plen);
        select_one(fixed, pattern);
        free(pattern);
    }
    fuzz_done();
    return 0;
}

#ifdef NA_LIBFUZZER
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fuzz_inventory(data, size);
}
#endif
