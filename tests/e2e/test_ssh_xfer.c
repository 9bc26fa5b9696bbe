/* test_ssh_xfer.c — the SSH transport's file transfers (drivers/ssh.h: SCP over exec, SFTP
 * through libssh2_sftp) against Debian's OpenSSH server on loopback (tests/lib/sshd.h; sshd
 * serves SFTP with internal-sftp, SCP runs /usr/bin/scp -t/-f): sizes around the chunk
 * boundaries up and down with both protocols, byte for byte; the tap sees exactly the payload;
 * a download refused over its limit before any data; the device's own refusal text; a stall
 * (the remote end writes into a FIFO nobody reads) ending within its stall deadline while the
 * connection stays usable; an SFTP upload resumed from a partial file, and one restarted when
 * the remote file is longer than the source; several transfers at once on one connection. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "clock.h"
#include "digest.h"
#include "ssh.h"
#include "ssh_common.h"
#include "sshd.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static na_sshd D;
static char dir[256], key[320], kh[320];
static na_conn_params P;

static int setup(void **st)
{
    (void)st;
    if (na_sshd_mkdtemp("sshxfer", dir, sizeof dir) < 0)
        return -1;
    if (na_sshd_start_keyed(&D, dir, "id", "known_hosts", key, kh) < 0)
        return -1;
    P = (na_conn_params){.name = "lnx1", .host = "127.0.0.1", .port = D.port,
                         .username = test_me(), .key_file = key, .known_hosts = kh,
                         .no_shell = true};
    return 0;
}

static int teardown(void **st)
{
    (void)st;
    na_sshd_stop(&D);
    na_sshd_rm_rf(dir);
    return 0;
}

static na_transport *conn(void)
{
    na_transport *t = NULL;
    na_err e = NA_ERR_INIT;
    if (test_connect(&P, &t, &e) != NA_OK)
        fail_msg("connect: %s\n%s", e.msg, na_sshd_log_tail(&D));
    return t;
}

/* A file of n pseudo-random bytes (seeded by n). */
static void make_file(const char *path, size_t n)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    uint32_t s = (uint32_t)n * 2654435761u + 1;
    for (size_t i = 0; i < n; i++) {
        s = s * 1103515245u + 12345u;
        fputc((int)(s >> 16) & 0xff, f);
    }
    assert_int_equal(fclose(f), 0);
}

static void sha(const char *path, char *hex)
{
    na_err e = NA_ERR_INIT;
    na_hash_file_cache_clear();
    if (na_hash_file(path, NA_HASH_SHA256, hex, NA_HASH_HEX_MAX, NULL, &e) < 0)
        fail_msg("%s", e.msg);
}

typedef struct tapsum {
    na_hash h;
    uint64_t n;
} tapsum;

static void tap(void *ud, const void *p, size_t n)
{
    tapsum *t = ud;
    na_hash_update(&t->h, p, n);
    t->n += n;
}

static void roundtrip(na_transport *t, na_xfer_proto proto, size_t n)
{
    char src[400], remote[400], back[400], h1[NA_HASH_HEX_MAX], h2[NA_HASH_HEX_MAX],
        h3[NA_HASH_HEX_MAX], ht[NA_HASH_HEX_MAX];
    snprintf(src, sizeof src, "%s/src-%zu", dir, n);
    snprintf(remote, sizeof remote, "%s/remote-%s-%zu", dir, na_xfer_proto_name(proto), n);
    snprintf(back, sizeof back, "%s/back-%s-%zu", dir, na_xfer_proto_name(proto), n);
    make_file(src, n);
    na_err e = NA_ERR_INIT;
    tapsum ts = {0};
    assert_int_equal(na_hash_init(&ts.h, NA_HASH_SHA256, &e), 0);
    na_ssh_put_opts po = {.local_path = src, .proto = proto, .timeout_ms = 60000,
                          .stall_ms = 10000, .tap = tap, .tap_ud = &ts};
    assert_status(na_ssh_put(t, remote, &po, &e), NA_OK, &e);
    assert_int_equal(ts.n, n);
    assert_int_equal(na_hash_final_hex(&ts.h, ht, sizeof ht, &e), 0);
    sha(src, h1);
    sha(remote, h2);
    assert_string_equal(h1, h2);
    assert_string_equal(h1, ht);
    na_ssh_get_opts go = {.local_path = back, .proto = proto, .timeout_ms = 60000,
                          .stall_ms = 10000, .max_bytes = (uint64_t)1 << 40};
    assert_status(na_ssh_get(t, remote, &go, NULL, &e), NA_OK, &e);
    sha(back, h3);
    assert_string_equal(h1, h3);
    unlink(src);
    unlink(remote);
    unlink(back);
}

static void sizes_both_protocols(void **st)
{
    (void)st;
    static const size_t sizes[] = {0, 1, 29999, 30000, 30001, 32767, 32768, 32769,
                                   (1 << 20) + 7, (5 << 20) + 3};
    na_transport *t = conn();
    for (int p = 0; p < 2; p++)
        for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++)
            roundtrip(t, p ? NA_XFER_SFTP : NA_XFER_SCP, sizes[i]);
    t->ops->destroy(t);
}

static void memory_source_and_sink(void **st)
{
    (void)st;
    na_transport *t = conn();
    char remote[400];
    static const char data[] = "hostname r1\n!\nend\n";
    for (int p = 0; p < 2; p++) {
        na_xfer_proto proto = p ? NA_XFER_SFTP : NA_XFER_SCP;
        snprintf(remote, sizeof remote, "%s/mem-%d.cfg", dir, p);
        na_err e = NA_ERR_INIT;
        na_ssh_put_opts po = {.data = data, .len = sizeof data - 1, .proto = proto};
        assert_status(na_ssh_put(t, remote, &po, &e), NA_OK, &e);
        na_buf out;
        na_buf_init(&out, 1 << 20);
        na_ssh_get_opts go = {.proto = proto};
        assert_status(na_ssh_get(t, remote, &go, &out, &e), NA_OK, &e);
        assert_int_equal(out.len, sizeof data - 1);
        assert_memory_equal(out.data, data, out.len);
        na_buf_free(&out);
        /* over the limit: refused before any data moves, nothing written locally */
        char local[400];
        snprintf(local, sizeof local, "%s/over-%d", dir, p);
        go = (na_ssh_get_opts){.proto = proto, .local_path = local, .max_bytes = 5};
        e = (na_err)NA_ERR_INIT;
        assert_status(na_ssh_get(t, remote, &go, NULL, &e), NA_ERROR, &e);
        assert_int_equal(e.code, NA_E_OVERFLOW);
        assert_non_null(strstr(e.msg, "more than the download limit of 5 bytes"));
        struct stat sb;
        assert_int_equal(stat(local, &sb), -1);
    }
    t->ops->destroy(t);
}

static void device_refusals(void **st)
{
    (void)st;
    na_transport *t = conn();
    char remote[400];
    snprintf(remote, sizeof remote, "%s/no-such-dir/x.bin", dir);
    static const char data[] = "x";
    na_err e = NA_ERR_INIT;
    na_ssh_put_opts po = {.data = data, .len = 1, .proto = NA_XFER_SCP};
    assert_status(na_ssh_put(t, remote, &po, &e), NA_ERROR, &e);
    assert_int_equal(e.code, NA_E_DEVICE);
    assert_non_null(strstr(e.msg, "refused by the device: scp: "));
    assert_non_null(strstr(e.msg, "No such file or directory"));
    e = (na_err)NA_ERR_INIT;
    po.proto = NA_XFER_SFTP;
    assert_status(na_ssh_put(t, remote, &po, &e), NA_ERROR, &e);
    assert_int_equal(e.code, NA_E_DEVICE);
    assert_non_null(strstr(e.msg, "cannot open the file: No such file or directory"));
    e = (na_err)NA_ERR_INIT;
    na_buf out;
    na_buf_init(&out, 1024);
    na_ssh_get_opts go = {.proto = NA_XFER_SFTP};
    assert_status(na_ssh_get(t, remote, &go, &out, &e), NA_ERROR, &e);
    assert_int_equal(e.code, NA_E_DEVICE);
    na_buf_free(&out);
    /* the connection is still good for the next transfer */
    snprintf(remote, sizeof remote, "%s/after-refusal", dir);
    e = (na_err)NA_ERR_INIT;
    po.proto = NA_XFER_SCP;
    assert_status(na_ssh_put(t, remote, &po, &e), NA_OK, &e);
    t->ops->destroy(t);
}

/* The remote end writes into a FIFO that nobody reads: it stops reading, the window closes,
 * and the stall deadline ends the transfer, not the much longer total deadline. */
static void stall_ends_within_its_deadline(void **st)
{
    (void)st;
    char src[400], fifo[400];
    snprintf(src, sizeof src, "%s/stall-src", dir);
    make_file(src, 16 << 20);
    for (int p = 0; p < 2; p++) {
        na_transport *t = conn();
        snprintf(fifo, sizeof fifo, "%s/fifo-%d", dir, p);
        assert_int_equal(mkfifo(fifo, 0600), 0);
        na_err e = NA_ERR_INIT;
        na_ssh_put_opts po = {.local_path = src, .proto = p ? NA_XFER_SFTP : NA_XFER_SCP,
                              .timeout_ms = 60000, .stall_ms = 1500};
        int64_t t0 = na_now_ms();
        assert_status(na_ssh_put(t, fifo, &po, &e), NA_ERROR, &e);
        int64_t took = na_now_ms() - t0;
        assert_int_equal(e.code, NA_E_TIMEOUT);
        assert_non_null(strstr(e.msg, "stalled: nothing moved for 1.5 s"));
        assert_true(took >= 1500);
        assert_true(took < 10000);
        /* the connection still serves another transfer on a new channel */
        char remote[400];
        snprintf(remote, sizeof remote, "%s/after-stall-%d", dir, p);
        static const char data[] = "still here\n";
        na_ssh_put_opts ok = {.data = data, .len = sizeof data - 1, .proto = NA_XFER_SCP};
        e = (na_err)NA_ERR_INIT;
        assert_status(na_ssh_put(t, remote, &ok, &e), NA_OK, &e);
        /* unblock the remote writer so sshd's child can end */
        int fd = open(fifo, O_RDONLY | O_NONBLOCK);
        t->ops->destroy(t);
        if (fd >= 0)
            close(fd);
        unlink(fifo);
    }
    unlink(src);
}

static void sftp_resume(void **st)
{
    (void)st;
    char src[400], remote[400], h1[NA_HASH_HEX_MAX], h2[NA_HASH_HEX_MAX];
    snprintf(src, sizeof src, "%s/resume-src", dir);
    snprintf(remote, sizeof remote, "%s/resume-remote", dir);
    size_t n = (3 << 20) + 11;
    make_file(src, n);
    /* a partial upload: the first 1 MiB + 5 bytes of the source */
    char cmd[1000];
    snprintf(cmd, sizeof cmd, "head -c %d '%s' > '%s'", (1 << 20) + 5, src, remote);
    assert_int_equal(system(cmd), 0);
    na_transport *t = conn();
    na_err e = NA_ERR_INIT;
    tapsum ts = {0};
    assert_int_equal(na_hash_init(&ts.h, NA_HASH_SHA256, &e), 0);
    na_ssh_put_opts po = {.local_path = src, .proto = NA_XFER_SFTP, .resume = true,
                          .tap = tap, .tap_ud = &ts};
    na_ssh_xfer *x = na_ssh_put_start(t, remote, &po, &e);
    assert_non_null(x);
    na_status s;
    while ((s = na_ssh_xfer_step(x, &e)) == NA_AGAIN)
        assert_int_equal(na_transport_wait(t, na_ssh_xfer_deadline(x), &e), 0);
    assert_status(s, NA_OK, &e);
    assert_int_equal(na_ssh_xfer_resumed_at(x), (1 << 20) + 5);
    assert_int_equal(na_ssh_xfer_bytes(x), n);
    assert_int_equal(ts.n, n - ((1 << 20) + 5)); /* only what was sent */
    na_hash_free(&ts.h);
    na_ssh_xfer_free(x);
    sha(src, h1);
    sha(remote, h2);
    assert_string_equal(h1, h2);
    /* a remote file longer than the source is not a partial upload of it: start over */
    snprintf(cmd, sizeof cmd, "head -c %zu /dev/zero > '%s'", n + 100, remote);
    assert_int_equal(system(cmd), 0);
    x = na_ssh_put_start(t, remote, &po, &e);
    assert_non_null(x);
    while ((s = na_ssh_xfer_step(x, &e)) == NA_AGAIN)
        assert_int_equal(na_transport_wait(t, na_ssh_xfer_deadline(x), &e), 0);
    assert_status(s, NA_OK, &e);
    assert_int_equal(na_ssh_xfer_resumed_at(x), 0);
    na_ssh_xfer_free(x);
    sha(remote, h2);
    assert_string_equal(h1, h2);
    t->ops->destroy(t);
    unlink(src);
    unlink(remote);
}

/* Four transfers at once on one connection, driven by one loop, each on its own channel. */
static void concurrent_on_one_connection(void **st)
{
    (void)st;
    na_transport *t = conn();
    char src[400], remote[4][400];
    snprintf(src, sizeof src, "%s/conc-src", dir);
    make_file(src, 3 << 20);
    na_ssh_xfer *x[4];
    na_err e = NA_ERR_INIT;
    for (int i = 0; i < 4; i++) {
        snprintf(remote[i], sizeof remote[i], "%s/conc-%d", dir, i);
        na_ssh_put_opts po = {.local_path = src, .proto = i % 2 ? NA_XFER_SFTP : NA_XFER_SCP};
        x[i] = na_ssh_put_start(t, remote[i], &po, &e);
        assert_non_null(x[i]);
    }
    int done = 0;
    bool fin[4] = {false};
    while (done < 4) {
        int64_t dl = 0;
        for (int i = 0; i < 4; i++) {
            if (fin[i])
                continue;
            na_status s = na_ssh_xfer_step(x[i], &e);
            if (s == NA_ERROR)
                fail_msg("transfer %d: %s", i, e.msg);
            if (s == NA_OK) {
                fin[i] = true;
                done++;
            } else if (!dl || na_ssh_xfer_deadline(x[i]) < dl) {
                dl = na_ssh_xfer_deadline(x[i]);
            }
        }
        if (done < 4)
            assert_int_equal(na_transport_wait(t, dl, &e), 0);
    }
    char h1[NA_HASH_HEX_MAX], h2[NA_HASH_HEX_MAX];
    sha(src, h1);
    for (int i = 0; i < 4; i++) {
        na_ssh_xfer_free(x[i]);
        sha(remote[i], h2);
        assert_string_equal(h1, h2);
        unlink(remote[i]);
    }
    unlink(src);
    t->ops->destroy(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(sizes_both_protocols),
        cmocka_unit_test(memory_source_and_sink),
        cmocka_unit_test(device_refusals),
        cmocka_unit_test(stall_ends_within_its_deadline),
        cmocka_unit_test(sftp_resume),
        cmocka_unit_test(concurrent_on_one_connection),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
