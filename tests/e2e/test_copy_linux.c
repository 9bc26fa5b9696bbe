/* test_copy_linux.c — the session's file copy (drivers/session_files.h) with the linux platform
 * against Debian's OpenSSH server on loopback: put and get over SFTP and SCP, verified with the
 * host's own sha256sum / md5sum / sha512sum run through the session's shell; the second run sends
 * nothing (changed false); a different file already there is refused without overwrite and
 * replaced with it; a failed verification (the part file changed under our feet on the host)
 * removes the copy and leaves the user's file as it was; an interrupted SFTP put resumes; --check
 * changes nothing; a get never touches an existing local file unless it differs and overwrite is
 * given. The device commands the copy sent are what the platform data says. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "digest.h"
#include "platform.h"
#include "session.h"
#include "session_files.h"
#include "ssh_common.h"
#include "sshd.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static na_sshd D;
static na_platforms *reg;
static char dir[256], key[320], kh[320];
static na_conn_params P;

static int setup(void **st)
{
    (void)st;
    if (na_sshd_mkdtemp("copylinux", dir, sizeof dir) < 0)
        return -1;
    if (na_sshd_start_keyed(&D, dir, "id", "known_hosts", key, kh) < 0)
        return -1;
    na_err e = NA_ERR_INIT;
    reg = na_platforms_new(NULL, 0, &e);
    P = (na_conn_params){.name = "lnx1", .host = "127.0.0.1", .port = D.port,
                         .username = test_me(), .key_file = key, .known_hosts = kh};
    return reg ? 0 : -1;
}

static int teardown(void **st)
{
    (void)st;
    na_platforms_free(reg);
    na_sshd_stop(&D);
    na_sshd_rm_rf(dir);
    return 0;
}

static na_session *open_linux(void)
{
    na_err e = NA_ERR_INIT;
    const na_platform *plat = na_platform_find(reg, "linux", &e);
    assert_non_null(plat);
    na_transport *t = na_ssh_new(&P, &e);
    assert_non_null(t);
    na_session *s = na_session_new(t, plat, NULL, &e);
    assert_non_null(s);
    if (na_session_open(s, &e) < 0)
        fail_msg("open: %s\n%s", e.msg, na_sshd_log_tail(&D));
    return s;
}

static void make_file(const char *path, size_t n, unsigned seed)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    uint32_t s = seed * 2654435761u + 7;
    for (size_t i = 0; i < n; i++) {
        s = s * 1103515245u + 12345u;
        fputc((int)(s >> 16) & 0xff, f);
    }
    assert_int_equal(fclose(f), 0);
}

static void digest(const char *path, na_hash_alg a, char *hex)
{
    na_err e = NA_ERR_INIT;
    na_hash_file_cache_clear();
    if (na_hash_file(path, a, hex, NA_HASH_HEX_MAX, NULL, &e) < 0)
        fail_msg("%s", e.msg);
}

static bool log_has(const na_copy_result *r, const char *needle)
{
    for (size_t i = 0; i < r->log.n; i++)
        if (strstr(r->log.v[i], needle))
            return true;
    return false;
}

static void put_get_idempotent(void **st)
{
    (void)st;
    na_session *s = open_linux();
    char src[400], dst[400], back[400], h1[NA_HASH_HEX_MAX], h2[NA_HASH_HEX_MAX];
    snprintf(src, sizeof src, "%s/image.bin", dir);
    make_file(src, (3 << 20) + 5, 1);
    for (int p = 0; p < 2; p++) {
        snprintf(dst, sizeof dst, "%s/flash-%d/image.bin", dir, p);
        char d[400];
        snprintf(d, sizeof d, "%s/flash-%d", dir, p);
        assert_int_equal(mkdir(d, 0755), 0);
        na_copy_opts o = {.dir = NA_COPY_PUT, .local = src, .remote = dst,
                          .proto = p ? NA_PF_SCP : NA_PF_SFTP, .verify = NA_COPY_VERIFY_AUTO};
        na_copy_result r;
        na_err e = NA_ERR_INIT;
        if (na_copy_run(s, &o, &r, &e) < 0)
            fail_msg("put: %s", e.msg);
        assert_true(r.changed);
        assert_false(r.same);
        assert_int_equal(r.alg, NA_HASH_SHA256);
        assert_int_equal(r.sent, (3 << 20) + 5);
        digest(src, NA_HASH_SHA256, h1);
        digest(dst, NA_HASH_SHA256, h2);
        assert_string_equal(h1, h2);
        assert_string_equal(r.digest, h1);
        assert_string_equal(r.remote_digest, h1); /* what sha256sum said of the part file */
        assert_true(log_has(&r, "sha256sum -- "));
        assert_true(log_has(&r, "df -Pk -- "));
        assert_true(log_has(&r, "mv -f -- "));
        na_copy_result_free(&r);
        /* no part file left behind */
        char part[500];
        snprintf(part, sizeof part, "%s.netauto-%.8s", dst, h1);
        struct stat sb;
        assert_int_equal(stat(part, &sb), -1);
        /* again: nothing is sent */
        e = (na_err)NA_ERR_INIT;
        if (na_copy_run(s, &o, &r, &e) < 0)
            fail_msg("put again: %s", e.msg);
        assert_false(r.changed);
        assert_true(r.same);
        assert_int_equal(r.sent, 0);
        assert_false(log_has(&r, "put "));
        na_copy_result_free(&r);
        /* get it back with md5, twice */
        snprintf(back, sizeof back, "%s/back-%d/sub/image.bin", dir, p);
        na_copy_opts g = {.dir = NA_COPY_GET, .local = back, .remote = dst,
                          .proto = o.proto, .verify = NA_HASH_MD5};
        e = (na_err)NA_ERR_INIT;
        if (na_copy_run(s, &g, &r, &e) < 0)
            fail_msg("get: %s", e.msg);
        assert_true(r.changed);
        assert_true(log_has(&r, "md5sum -- "));
        na_copy_result_free(&r);
        digest(back, NA_HASH_SHA256, h2);
        assert_string_equal(h1, h2);
        e = (na_err)NA_ERR_INIT;
        if (na_copy_run(s, &g, &r, &e) < 0)
            fail_msg("get again: %s", e.msg);
        assert_false(r.changed);
        assert_true(r.same);
        na_copy_result_free(&r);
    }
    na_session_free(s);
}

static void overwrite_rules(void **st)
{
    (void)st;
    na_session *s = open_linux();
    char a[400], b[400], dst[400], h[NA_HASH_HEX_MAX];
    snprintf(a, sizeof a, "%s/ow-a.bin", dir);
    snprintf(b, sizeof b, "%s/ow-b.bin", dir);
    snprintf(dst, sizeof dst, "%s/ow-dst.bin", dir);
    make_file(a, 100000, 2);
    make_file(b, 120000, 3);
    na_copy_opts o = {.dir = NA_COPY_PUT, .local = a, .remote = dst, .proto = NA_PF_SFTP,
                      .verify = NA_HASH_SHA512};
    na_err e = NA_ERR_INIT;
    assert_int_equal(na_copy_run(s, &o, NULL, &e), 0);
    /* another file to the same name: refused, the first one stays */
    o.local = b;
    e = (na_err)NA_ERR_INIT;
    assert_int_equal(na_copy_run(s, &o, NULL, &e), -1);
    assert_int_equal(e.code, NA_E_DEVICE);
    assert_non_null(strstr(e.msg, "is already on the device with another content"));
    assert_non_null(strstr(e.msg, "give overwrite to replace it"));
    char ha[NA_HASH_HEX_MAX];
    digest(a, NA_HASH_SHA256, ha);
    digest(dst, NA_HASH_SHA256, h);
    assert_string_equal(h, ha);
    /* with overwrite: replaced */
    o.overwrite = true;
    na_copy_result r;
    e = (na_err)NA_ERR_INIT;
    assert_int_equal(na_copy_run(s, &o, &r, &e), 0);
    assert_true(r.changed);
    assert_true(r.existed);
    na_copy_result_free(&r);
    digest(b, NA_HASH_SHA256, ha);
    digest(dst, NA_HASH_SHA256, h);
    assert_string_equal(h, ha);
    /* --check: says it would send, sends nothing */
    o.local = a;
    o.check_only = true;
    e = (na_err)NA_ERR_INIT;
    assert_int_equal(na_copy_run(s, &o, &r, &e), 0);
    assert_true(r.changed);
    assert_false(log_has(&r, "put "));
    na_copy_result_free(&r);
    digest(dst, NA_HASH_SHA256, h);
    assert_string_equal(h, ha);
    /* a get onto a different local file: refused, then replaced with overwrite */
    na_copy_opts g = {.dir = NA_COPY_GET, .local = a, .remote = dst, .proto = NA_PF_SCP,
                      .verify = NA_COPY_VERIFY_AUTO};
    e = (na_err)NA_ERR_INIT;
    assert_int_equal(na_copy_run(s, &g, NULL, &e), -1);
    assert_non_null(strstr(e.msg, "exists and differs from"));
    digest(a, NA_HASH_SHA256, h);
    assert_string_not_equal(h, ha); /* untouched */
    g.overwrite = true;
    e = (na_err)NA_ERR_INIT;
    assert_int_equal(na_copy_run(s, &g, NULL, &e), 0);
    digest(a, NA_HASH_SHA256, h);
    assert_string_equal(h, ha);
    na_session_free(s);
}

/* A host whose digest of the copy disagrees with ours (a corrupted byte): the linux platform
 * with its sha256 command digesting the file plus one more byte, as a user platform. The part
 * file is removed and the user's file is left as it was. */
static void failed_verification_keeps_the_old_file(void **st)
{
    (void)st;
    char pdir[400], ppath[500];
    snprintf(pdir, sizeof pdir, "%s/platforms", dir);
    assert_int_equal(mkdir(pdir, 0755), 0);
    snprintf(ppath, sizeof ppath, "%s/linux_corrupt.yaml", pdir);
    const char *text = NULL;
    for (size_t i = 0; i < na_builtin_platforms_count; i++)
        if (!strcmp(na_builtin_platforms[i].name, "linux.yaml"))
            text = na_builtin_platforms[i].data;
    assert_non_null(text);
    FILE *f = fopen(ppath, "w");
    assert_non_null(f);
    for (const char *p = text; *p;) {
        const char *nl = strchr(p, '\n');
        size_t n = nl ? (size_t)(nl - p + 1) : strlen(p);
        if (!strncmp(p, "name: linux", 11))
            fputs("name: linux_corrupt\n", f);
        else if (!strncmp(p, "      command: 'sha256sum -- {path}'", 36))
            fputs("      command: '(cat -- {path}; printf x) | sha256sum'\n", f);
        else
            fwrite(p, 1, n, f);
        p += n;
    }
    fclose(f);
    na_err e = NA_ERR_INIT;
    const char *dirs[] = {pdir};
    na_platforms *r2 = na_platforms_new(dirs, 1, &e);
    assert_non_null(r2);
    const na_platform *plat = na_platform_find(r2, "linux_corrupt", &e);
    if (!plat)
        fail_msg("%s", e.msg);
    na_transport *t = na_ssh_new(&P, &e);
    na_session *s = na_session_new(t, plat, NULL, &e);
    assert_non_null(s);
    assert_int_equal(na_session_open(s, &e), 0);
    char oldf[400], newf[400], dst[400], h[NA_HASH_HEX_MAX], hold[NA_HASH_HEX_MAX], cmd[1400];
    snprintf(oldf, sizeof oldf, "%s/fv-old.bin", dir);
    snprintf(newf, sizeof newf, "%s/fv-new.bin", dir);
    snprintf(dst, sizeof dst, "%s/fv-dst.bin", dir);
    make_file(oldf, 50000, 4);
    make_file(newf, 60000, 5);
    snprintf(cmd, sizeof cmd, "cp '%s' '%s'", oldf, dst); /* the file the user had */
    assert_int_equal(system(cmd), 0);
    digest(oldf, NA_HASH_SHA256, hold);
    char hn[NA_HASH_HEX_MAX], part[600];
    digest(newf, NA_HASH_SHA256, hn);
    snprintf(part, sizeof part, "%s.netauto-%.8s", dst, hn);
    for (int p = 0; p < 2; p++) {
        na_copy_opts o = {.dir = NA_COPY_PUT, .local = newf, .remote = dst,
                          .proto = p ? NA_PF_SFTP : NA_PF_SCP, .verify = NA_HASH_SHA256,
                          .overwrite = true};
        e = (na_err)NA_ERR_INIT;
        assert_int_equal(na_copy_run(s, &o, NULL, &e), -1);
        assert_int_equal(e.code, NA_E_DEVICE);
        assert_non_null(strstr(e.msg, "verification failed"));
        assert_non_null(strstr(e.msg, "the copy is removed and"));
        assert_non_null(strstr(e.msg, "is left as it was"));
        struct stat sb;
        assert_int_equal(stat(part, &sb), -1); /* removed */
        digest(dst, NA_HASH_SHA256, h);
        assert_string_equal(h, hold);          /* the user's file as it was */
        assert_true(na_session_usable(s));
    }
    /* a get verified by the same host fails too, and writes nothing */
    char back[400];
    snprintf(back, sizeof back, "%s/fv-back.bin", dir);
    na_copy_opts g = {.dir = NA_COPY_GET, .local = back, .remote = dst, .proto = NA_PF_SFTP,
                      .verify = NA_HASH_SHA256};
    e = (na_err)NA_ERR_INIT;
    assert_int_equal(na_copy_run(s, &g, NULL, &e), -1);
    assert_non_null(strstr(e.msg, "verification failed"));
    struct stat sb;
    assert_int_equal(stat(back, &sb), -1);
    na_session_free(s);
    na_platforms_free(r2);
}

static void sftp_put_resumes(void **st)
{
    (void)st;
    na_session *s = open_linux();
    char src[400], dst[400], h1[NA_HASH_HEX_MAX], h2[NA_HASH_HEX_MAX], part[600], cmd[1400];
    snprintf(src, sizeof src, "%s/rs.bin", dir);
    snprintf(dst, sizeof dst, "%s/rs-dst.bin", dir);
    make_file(src, (2 << 20) + 3, 6);
    digest(src, NA_HASH_SHA256, h1);
    snprintf(part, sizeof part, "%s.netauto-%.8s", dst, h1);
    /* what an interrupted run left: the first 700001 bytes under the part name */
    snprintf(cmd, sizeof cmd, "head -c 700001 '%s' > '%s'", src, part);
    assert_int_equal(system(cmd), 0);
    na_copy_opts o = {.dir = NA_COPY_PUT, .local = src, .remote = dst, .proto = NA_PF_SFTP,
                      .verify = NA_HASH_SHA256};
    na_copy_result r;
    na_err e = NA_ERR_INIT;
    assert_int_equal(na_copy_run(s, &o, &r, &e), 0);
    assert_int_equal(r.resumed_at, 700001);
    assert_int_equal(r.sent, (2 << 20) + 3 - 700001);
    na_copy_result_free(&r);
    digest(dst, NA_HASH_SHA256, h2);
    assert_string_equal(h1, h2);
    na_session_free(s);
}

static void refusals(void **st)
{
    (void)st;
    na_session *s = open_linux();
    char src[400];
    snprintf(src, sizeof src, "%s/ref.bin", dir);
    make_file(src, 1000, 7);
    na_err e = NA_ERR_INIT;
    /* a get of a file that is not there */
    na_copy_opts g = {.dir = NA_COPY_GET, .local = src, .remote = "/nonexistent/x.bin",
                      .proto = NA_COPY_PROTO_AUTO, .verify = NA_COPY_VERIFY_AUTO};
    assert_int_equal(na_copy_run(s, &g, NULL, &e), -1);
    assert_non_null(strstr(e.msg, "/nonexistent/x.bin: no such file on the device"));
    /* an algorithm the platform has no command for */
    e = (na_err)NA_ERR_INIT;
    na_copy_opts o = {.dir = NA_COPY_PUT, .local = src, .remote = "/tmp/x", .verify = 99};
    assert_int_equal(na_copy_run(s, &o, NULL, &e), -1);
    /* a directory that is not there: the device's own words */
    e = (na_err)NA_ERR_INIT;
    o = (na_copy_opts){.dir = NA_COPY_PUT, .local = src, .remote = "/nonexistent/x.bin",
                       .proto = NA_PF_SCP, .verify = NA_HASH_NONE};
    assert_int_equal(na_copy_run(s, &o, NULL, &e), -1);
    assert_non_null(strstr(e.msg, "No such file or directory"));
    assert_true(na_session_usable(s));
    na_session_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(put_get_idempotent),
        cmocka_unit_test(overwrite_rules),
        cmocka_unit_test(failed_verification_keeps_the_old_file),
        cmocka_unit_test(sftp_put_resumes),
        cmocka_unit_test(refusals),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
