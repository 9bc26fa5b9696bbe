/* common.c — helpers shared by the fuzz targets (fuzz.h): one-time quiet set-up, the per-input
 * clean-up, a deterministic generator for split points and the fixed inventory that --limit
 * patterns run against. Not a target itself. */
#include "fuzz.h"

#include "inventory.h"
#include "log.h"
#include "secret.h"

#include <string.h>

static void drop_line(na_log_level lvl, const char *line, void *ud)
{
    (void)lvl;
    (void)line;
    (void)ud;
}

void fuzz_init(void)
{
    static int done;
    if (done)
        return;
    done = 1;
    /* every line is still formatted and redacted (that code runs), then dropped */
    na_log_set_level(NA_LOG_TRACE);
    na_log_set_hook(drop_line, NULL);
    unsetenv("NETAUTO_VAULT_PASSWORD");
}

int fuzz_verbose(void)
{
    static int v = -1;
    if (v < 0) {
        const char *e = getenv("FUZZ_VERBOSE");
        v = e && *e && strcmp(e, "0") != 0;
    }
    return v;
}

void fuzz_done(void)
{
    na_secret_clear_registry();
}

char *fuzz_strndup(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    if (!s)
        abort();
    if (size)
        memcpy(s, data, size);
    s[size] = '\0';
    return s;
}

void fuzz_rng_seed(fuzz_rng *r, const uint8_t *data, size_t size)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < size; i++) {
        h ^= data[i];
        h *= 0x100000001b3ull;
    }
    r->s = h ? h : 1;
}

uint32_t fuzz_rng_next(fuzz_rng *r)
{
    uint64_t x = r->s;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    r->s = x;
    return (uint32_t)((x * 0x2545F4914F6CDD1Dull) >> 32);
}

size_t fuzz_rng_len(fuzz_rng *r, size_t max)
{
    return max ? 1 + fuzz_rng_next(r) % max : 0;
}

static const char fixed_inventory_yaml[] =
    "defaults:\n"
    "  platform: cisco_ios\n"
    "  username: admin\n"
    "  password: fixed-pass-1\n"
    "groups:\n"
    "  core: {vars: {role: core}}\n"
    "  access: {parents: [campus]}\n"
    "  campus: {vars: {site: lab}}\n"
    "  edge: {transport: telnet}\n"
    "hosts:\n"
    "  sw1: {host: 127.0.0.1, port: 2201, groups: [core]}\n"
    "  sw2: {host: 127.0.0.1, port: 2202, groups: [access]}\n"
    "  sw3: {host: 127.0.0.1, port: 2203, groups: [access, edge]}\n"
    "  rtr-a.lab: {groups: [edge]}\n"
    "  rtr-b.lab: {groups: [edge, core]}\n"
    "  linux1: {platform: linux}\n";

const struct na_inventory *fuzz_fixed_inventory(void)
{
    static na_inventory *inv;
    if (!inv) {
        na_err e = NA_ERR_INIT;
        inv = na_inv_load_mem("fixed.yaml", fixed_inventory_yaml, strlen(fixed_inventory_yaml),
                              "/nonexistent", NULL, &e);
        if (!inv) {
            fprintf(stderr, "fuzz: fixed inventory: %s\n", e.msg);
            abort();
        }
    }
    return inv;
}
