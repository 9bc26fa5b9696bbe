/* test_platform_files.c — the `files:` block of the platforms (drivers/platform_files.c):
 *  - every recording in tests/fixtures/files/ (real devices' `dir`, `verify /md5`, NX-OS
 *    `show file ... md5sum`, each naming its source in its "#!" header) parsed with its
 *    platform's pattern gives the value the header expects;
 *  - the linux platform differentially against the real coreutils on this machine: the digests
 *    `sha256sum`, `md5sum` and `sha512sum` print, parsed with the platform's patterns, equal
 *    netauto's own; `df -Pk` parsed gives the free space statvfs(3) reports;
 *  - load errors name the file, line, column and field; the helpers (paths split, completed,
 *    mapped to the transfer path, quoted into commands, refused when unsafe). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "digest.h"
#include "platform.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>
#include <unistd.h>

static na_platforms *reg;

static int setup(void **st)
{
    (void)st;
    na_err e = NA_ERR_INIT;
    reg = na_platforms_new(NULL, 0, &e);
    return reg ? 0 : -1;
}

static int teardown(void **st)
{
    (void)st;
    na_platforms_free(reg);
    return 0;
}

static const na_pfiles *files_of(const char *name)
{
    na_err e = NA_ERR_INIT;
    const na_platform *p = na_platform_find(reg, name, &e);
    if (!p)
        fail_msg("%s: %s", name, e.msg);
    if (!p->files)
        fail_msg("%s has no files: block", name);
    return p->files;
}

static char *slurp(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    char *buf = malloc(1 << 20);
    assert_non_null(buf);
    *n = fread(buf, 1, (1 << 20) - 1, f);
    buf[*n] = '\0';
    fclose(f);
    return buf;
}

static void header(const char *text, const char *key, char *out, size_t cap)
{
    char want[64];
    snprintf(want, sizeof want, "#! %s: ", key);
    const char *p = strstr(text, want);
    if (!p)
        fail_msg("fixture without '#! %s:'", key);
    p += strlen(want);
    size_t k = strcspn(p, "\n");
    snprintf(out, cap, "%.*s", (int)k, p);
}

static void recordings(void **st)
{
    (void)st;
    char dir[512];
    snprintf(dir, sizeof dir, "%s/tests/fixtures/files",
             getenv("NETAUTO_ROOT") ? getenv("NETAUTO_ROOT") : ".");
    DIR *d = opendir(dir);
    assert_non_null(d);
    struct dirent *de;
    int n = 0;
    na_matcher *m = na_matcher_new(NULL);
    while ((de = readdir(d))) {
        if (de->d_name[0] == '.')
            continue;
        char path[800], plat[64], query[64], expect[200], src[600];
        snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
        size_t len;
        char *text = slurp(path, &len);
        header(text, "source", src, sizeof src);
        header(text, "platform", plat, sizeof plat);
        header(text, "query", query, sizeof query);
        header(text, "expect", expect, sizeof expect);
        assert_true(strlen(src) > 20); /* every fixture names where its bytes come from */
        const char *body = text;
        while (!strncmp(body, "#! ", 3))
            body = strchr(body, '\n') + 1;
        size_t blen = len - (size_t)(body - text);
        const na_pfiles *f = files_of(plat);
        char val[NA_HASH_HEX_MAX + 40] = "";
        if (!strcmp(query, "free")) {
            if (!na_pfiles_find(&f->free, m, body, blen, val, sizeof val))
                fail_msg("%s: the free pattern of %s finds nothing", de->d_name, plat);
        } else if (!strncmp(query, "hash ", 5)) {
            na_hash_alg a;
            assert_int_equal(na_hash_parse(query + 5, &a), 0);
            if (!na_pfiles_find(&f->hash[a], m, body, blen, val, sizeof val))
                fail_msg("%s: the %s pattern of %s finds nothing", de->d_name, query + 5, plat);
        } else if (!strcmp(query, "missing")) {
            snprintf(val, sizeof val, "%s",
                     na_pattern_find(f->missing, m, body, blen, false, NULL, NULL) ? "yes" : "no");
        } else {
            fail_msg("%s: unknown query '%s'", de->d_name, query);
        }
        if (strcmp(val, expect))
            fail_msg("%s: got '%s', want '%s'", de->d_name, val, expect);
        free(text);
        n++;
    }
    closedir(d);
    na_matcher_free(m);
    assert_true(n >= 10);
}

/* Run a shell command, return its stdout (malloc'd). */
static char *run(const char *cmd)
{
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    char *buf = calloc(1, 65536);
    size_t n = fread(buf, 1, 65535, p);
    buf[n] = '\0';
    assert_int_equal(pclose(p), 0);
    return buf;
}

static void linux_against_coreutils(void **st)
{
    (void)st;
    const na_pfiles *f = files_of("linux");
    char dir[] = "/tmp/na-pfiles-XXXXXX";
    assert_non_null(mkdtemp(dir));
    /* a name that needs quoting, and one sha256sum escapes (a backslash) */
    static const char *const names[] = {"plain.bin", "it's a file.bin", "back\\slash.bin"};
    na_matcher *m = na_matcher_new(NULL);
    for (size_t i = 0; i < 3; i++) {
        char path[300];
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        FILE *fp = fopen(path, "w");
        assert_non_null(fp);
        for (int k = 0; k < 100000; k++)
            fprintf(fp, "%d\n", k * (int)(i + 3));
        fclose(fp);
        for (size_t h = 0; h < f->nhash; h++) {
            na_hash_alg a = f->hash_order[h];
            na_err e = NA_ERR_INIT;
            const char *vars[] = {"path", path, NULL};
            char *cmd = na_pfiles_render(f, f->hash[a].command, vars, &e);
            assert_non_null(cmd);
            char *out = run(cmd);
            char got[NA_HASH_HEX_MAX], want[NA_HASH_HEX_MAX];
            if (!na_pfiles_find(&f->hash[a], m, out, strlen(out), got, sizeof got))
                fail_msg("'%s' printed '%s': no digest found", cmd, out);
            na_hash_file_cache_clear();
            assert_int_equal(na_hash_file(path, a, want, sizeof want, NULL, &e), 0);
            assert_string_equal(got, want);
            free(cmd);
            free(out);
        }
    }
    /* free space: df -Pk against statvfs (other writers may change it a little meanwhile) */
    char d[300];
    const char *name;
    char path[300];
    snprintf(path, sizeof path, "%s/plain.bin", dir);
    na_pfiles_split(path, d, sizeof d, &name);
    assert_string_equal(d, dir);
    na_err e = NA_ERR_INIT;
    const char *vars[] = {"dir", d, NULL};
    char *cmd = na_pfiles_render(f, f->free.command, vars, &e);
    char *out = run(cmd);
    char val[64];
    assert_true(na_pfiles_find(&f->free, m, out, strlen(out), val, sizeof val));
    unsigned long long got = strtoull(val, NULL, 10) * f->free_unit;
    struct statvfs sv;
    assert_int_equal(statvfs(dir, &sv), 0);
    unsigned long long want = (unsigned long long)sv.f_bavail * sv.f_frsize;
    unsigned long long diff = got > want ? got - want : want - got;
    if (diff > want / 100 + (1 << 20))
        fail_msg("df says %llu bytes free, statvfs %llu", got, want);
    free(cmd);
    free(out);
    na_matcher_free(m);
    char rm[400];
    snprintf(rm, sizeof rm, "rm -rf '%s'", dir);
    assert_int_equal(system(rm), 0);
}

static void every_platform_with_files(void **st)
{
    (void)st;
    static const char *const with[] = {"cisco_ios", "cisco_nxos", "arista_eos", "linux"};
    for (size_t i = 0; i < 4; i++) {
        const na_pfiles *f = files_of(with[i]);
        assert_true(f->nhash >= 1);
        assert_true(f->nprotocols >= 1);
        assert_non_null(f->rename.command);
        assert_non_null(f->remove.command);
    }
    na_err e = NA_ERR_INIT;
    const na_platform *g = na_platform_find(reg, "generic", &e);
    assert_non_null(g);
    assert_null(g->files); /* an unknown device: no guesses about its file system */
    const na_pfiles *ios = files_of("cisco_ios");
    assert_int_equal(ios->hash_order[0], NA_HASH_MD5);
    assert_non_null(ios->hash[NA_HASH_SHA512].command);
    assert_null(ios->hash[NA_HASH_SHA256].command);
    assert_true(na_pfiles_offers(ios, NA_PF_SCP));
    assert_false(na_pfiles_offers(ios, NA_PF_SFTP));
    assert_non_null(ios->server[NA_PF_SCP].check.command);
    assert_int_equal(files_of("linux")->hash_order[0], NA_HASH_SHA256);
}

static void helpers(void **st)
{
    (void)st;
    const na_pfiles *ios = files_of("cisco_ios"), *eos = files_of("arista_eos"),
                    *lnx = files_of("linux");
    char *p = na_pfiles_full_path(ios, "c9300.bin");
    assert_string_equal(p, "flash:c9300.bin");
    free(p);
    p = na_pfiles_full_path(ios, "bootflash:/x.bin");
    assert_string_equal(p, "bootflash:/x.bin");
    free(p);
    p = na_pfiles_full_path(lnx, "x.bin");
    assert_string_equal(p, "x.bin");
    free(p);
    struct {
        const char *path, *dir, *name;
    } sp[] = {{"flash:x.bin", "flash:", "x.bin"},         {"flash:/x.bin", "flash:/", "x.bin"},
              {"bootflash:d/x", "bootflash:d", "x"},      {"/tmp/x", "/tmp", "x"},
              {"/x", "/", "x"},                           {"x", ".", "x"},
              {"a/b/c", "a/b", "c"}};
    for (size_t i = 0; i < sizeof sp / sizeof *sp; i++) {
        char d[64];
        const char *n;
        na_pfiles_split(sp[i].path, d, sizeof d, &n);
        assert_string_equal(d, sp[i].dir);
        assert_string_equal(n, sp[i].name);
    }
    p = na_pfiles_transfer_path(eos, "flash:EOS.swi");
    assert_string_equal(p, "/mnt/flash/EOS.swi");
    free(p);
    p = na_pfiles_transfer_path(eos, "flash:/a/EOS.swi");
    assert_string_equal(p, "/mnt/flash/a/EOS.swi");
    free(p);
    p = na_pfiles_transfer_path(ios, "flash:x");
    assert_string_equal(p, "flash:x");
    free(p);
    na_err e = NA_ERR_INIT;
    const char *v1[] = {"src", "flash:a.part", "dst", "flash:a", NULL};
    p = na_pfiles_render(ios, ios->rename.command, v1, &e);
    assert_string_equal(p, "rename flash:a.part flash:a");
    free(p);
    const char *v2[] = {"path", "/tmp/it's", "dir", "/tmp", "name", "it's", NULL};
    p = na_pfiles_render(lnx, lnx->remove.command, v2, &e);
    assert_string_equal(p, "rm -f -- '/tmp/it'\\''s'");
    free(p);
    /* what may not reach a device's command line */
    assert_int_equal(na_pfiles_check_path(ios, "flash:ok-name_1.bin", &e), 0);
    assert_int_equal(na_pfiles_check_path(ios, "flash:my file.bin", &e), -1);
    assert_int_equal(e.code, NA_E_USAGE);
    e = (na_err)NA_ERR_INIT;
    assert_int_equal(na_pfiles_check_path(ios, "flash:x;reload", &e), -1);
    e = (na_err)NA_ERR_INIT;
    assert_int_equal(na_pfiles_check_path(lnx, "/tmp/my file;x", &e), 0); /* quoted there */
    assert_int_equal(na_pfiles_check_path(lnx, "/tmp/a\nreboot", &e), -1);
    e = (na_err)NA_ERR_INIT;
    assert_int_equal(na_pfiles_check_path(lnx, "-rf", &e), -1);
}

static void load_errors(void **st)
{
    (void)st;
    static const char head[] = "name: t\nmodes:\n  m:\n    prompt: '^x#$'\nfiles:\n";
    struct {
        const char *files, *want;
    } cases[] = {
        {"  protocols: [scp]\n  free: {command: 'dir {dir}', pattern: '(\\d+) bytes free'}\n",
         "t.yaml:7:41: files.free.pattern: needs a named group (?<free>...) around the value"},
        {"  protocols: [ftp]\n", "t.yaml:6:15: files.protocols[0]: expected scp or sftp"},
        {"  protocols: [scp]\n  free: {command: 'dir {folder}', pattern: '(?<free>\\d+)'}\n",
         "t.yaml:7:19: files.free.command: unknown placeholder in 'dir {folder}' (this command "
         "knows {dir})"},
        {"  protocols: [scp]\n  sftp: {hint: x}\n",
         "t.yaml:7:9: files.sftp: the platform does not list sftp in files.protocols"},
        {"  protocols: [scp]\n  frees: 1\n", "t.yaml:7:3: unknown key 'frees' in files"},
        {"  protocols: [scp]\n  free: {command: 'dir {dir}', pattern: '(?<free>\\d+) free'}\n"
         "  hash: {md4: {command: 'x {path}', pattern: '(?<hash>x)'}}\n",
         "t.yaml:8:10: files.hash: unknown algorithm 'md4' (md5, sha256, sha512)"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char yaml[1024];
        snprintf(yaml, sizeof yaml, "%s%s", head, cases[i].files);
        na_err e = NA_ERR_INIT;
        na_platform *p = na_platform_load_mem("t.yaml", yaml, strlen(yaml), NULL, &e);
        assert_null(p);
        if (getenv("SHOW"))
            fprintf(stderr, "%s\n", e.msg);
        else if (!strstr(e.msg, cases[i].want))
            fail_msg("case %zu:\n got: %s\nwant: %s", i, e.msg, cases[i].want);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(recordings),
        cmocka_unit_test(linux_against_coreutils),
        cmocka_unit_test(every_platform_with_files),
        cmocka_unit_test(helpers),
        cmocka_unit_test(load_errors),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
