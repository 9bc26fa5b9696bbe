/* fuzz_sshfiles.c — fuzz target: the input as an OpenSSH client configuration (ssh_config.c,
 * ssh_config_eval.c) and as a known_hosts file (knownhosts.c), the two files netauto reads from
 * an engineer's ~/.ssh. The configuration is parsed and evaluated for a few host names, with and
 * without a preset user and port, and each path it names is expanded; known_hosts is searched for
 * a few names. Checks: a failure always has a message naming "ssh_config"; values obtained are
 * sane (ports in range, at most 100 identity files); every known_hosts entry found has a key
 * whose type is the one the line says, and a 1-based line number within the file. Include lines
 * are defused (the input may not make the parser read other files of the machine).
 * Not a test of the rules themselves (tests/unit/test_ssh_config.c, test_knownhosts.c). */
#include "fuzz.h"

#include "knownhosts.h"
#include "ssh_config.h"

#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

static char d[256];

static void remove_dir(void) { rmdir(d); }

static const char *dir(void)
{
    if (!d[0]) {
        snprintf(d, sizeof d, "%s/netauto-fuzz-sshfiles-%d",
                 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp", (int)getpid());
        mkdir(d, 0700);
        atexit(remove_dir);
    }
    return d;
}

static void write_input(const char *path, const uint8_t *data, size_t size)
{
    FILE *f = fopen(path, "wb");
    FUZZ_CHECK(f != NULL);
    /* "Include" would read other files of this machine: make it an unknown keyword */
    char *copy = fuzz_strndup(data, size);
    for (size_t i = 0; i + 7 <= size; i++)
        if (!strncasecmp(copy + i, "include", 7))
            copy[i + 4] = 'x';
    fwrite(copy, 1, size, f);
    free(copy);
    fclose(f);
}

static void check_config(const char *path)
{
    static const char *const hosts[] = {"sw1", "10.0.0.1", "core.lab", "x"};
    for (size_t i = 0; i < sizeof hosts / sizeof *hosts; i++) {
        for (int preset = 0; preset < 2; preset++) {
            na_ssh_cfg_query q = {.host = hosts[i], .user = preset ? "ops" : NULL,
                                  .port = preset ? 2222 : 0, .home = dir(),
                                  .local_user = "fuzz"};
            na_ssh_cfg c;
            na_err e = NA_ERR_INIT;
            int rc = na_ssh_config_lookup(path, true, &q, &c, &e);
            if (rc < 0) {
                FUZZ_CHECK(na_err_isset(&e) && strstr(e.msg, "ssh_config") != NULL);
                na_ssh_cfg_free(&c);
                continue;
            }
            FUZZ_CHECK(c.port >= 0 && c.port <= 65535);
            FUZZ_CHECK(!preset || !c.port); /* a preset port is never overridden */
            FUZZ_CHECK(!preset || !c.user);
            FUZZ_CHECK(c.n_identity_files <= NA_SSH_CFG_MAX_IDS);
            na_ssh_cfg_tokens tk = {.host = c.hostname ? c.hostname : hosts[i],
                                    .original = hosts[i], .user = "ops", .port = 22,
                                    .home = dir(), .local_user = "fuzz"};
            for (size_t k = 0; k < c.n_identity_files; k++) {
                char *x = na_ssh_config_expand(c.identity_files[k], &tk, "IdentityFile", &e);
                free(x);
            }
            for (size_t k = 0; k < c.n_user_known_hosts; k++) {
                char *x = na_ssh_config_expand(c.user_known_hosts[k], &tk, "UserKnownHostsFile",
                                               &e);
                free(x);
            }
            na_ssh_cfg_free(&c);
        }
    }
}

static void check_known_hosts(const char *path, size_t size)
{
    static const char *const names[] = {"sw1", "[10.0.0.1]:2222", "core.lab", "127.0.0.1"};
    size_t lines = 1;
    FILE *f = fopen(path, "rb");
    FUZZ_CHECK(f != NULL);
    int ch;
    while ((ch = fgetc(f)) != EOF)
        lines += ch == '\n';
    fclose(f);
    (void)size;
    const char *files[] = {path};
    for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
        na_kh_result r;
        na_err e = NA_ERR_INIT;
        FUZZ_CHECK(na_kh_lookup(files, 1, names[i], &r, &e) == 0);
        for (size_t k = 0; k < r.n; k++) {
            char type[64];
            FUZZ_CHECK(r.v[k].len > 0 && r.v[k].line >= 1 && r.v[k].line <= lines);
            FUZZ_CHECK(na_kh_blob_type(r.v[k].blob, r.v[k].len, type, sizeof type) == 0);
            FUZZ_CHECK(!strcmp(type, r.v[k].type));
            FUZZ_CHECK(r.v[k].host_matched || r.v[k].marker == NA_KH_REVOKED);
        }
        na_kh_result_free(&r);
    }
}

int fuzz_sshfiles(const uint8_t *data, size_t size)
{
    fuzz_init();
    char path[320];
    snprintf(path, sizeof path, "%s/input", dir());
    write_input(path, data, size);
    check_config(path);
    check_known_hosts(path, size);
    unlink(path);
    na_ssh_config_flush();
    fuzz_done();
    return 0;
}

#ifdef NA_LIBFUZZER
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fuzz_sshfiles(data, size);
}
#endif
