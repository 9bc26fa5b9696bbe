/* test_ssh_hostkey_cache.c — the known_hosts cache (drivers/knownhosts.c) against the simulator's
 * devices, each with its own ed25519 key and a "[127.0.0.1]:PORT" line: one process connects to
 * many devices of one big file (each finds its own line among hundreds); a file rewritten in
 * place with the same size and mtime right after it was read (two devices' keys swapped) is
 * read again, so the swap is refused as a changed key and accepted again once swapped back;
 * a line listing the device among other names, a hashed line among plain ones, and a line
 * appended by accept-new are all found. Not the policies' messages (test_ssh_hostkey.c covers
 * those). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "simproc.h"
#include "ssh.h"
#include "ssh_common.h"

#include <fcntl.h>
#include <sys/stat.h>

#define NDEV 40

static simproc SP;
static char DIR_[256];
static char *LINES[NDEV]; /* the simulator's known_hosts line of device k (with newline) */

static int setup(void **st)
{
    (void)st;
    na_err e = NA_ERR_INIT;
    const char *args[] = {"--devices", "40", NULL};
    if (simproc_start(&SP, args, 20000, &e) < 0) {
        fprintf(stderr, "# simulator: %s\n", e.msg);
        return -1;
    }
    if (na_sshd_mkdtemp("khcache", DIR_, sizeof DIR_) < 0)
        return -1;
    FILE *f = fopen(SP.known_hosts_path, "r");
    if (!f)
        return -1;
    char line[2048];
    while (fgets(line, sizeof line, f)) {
        int port;
        if (sscanf(line, "[127.0.0.1]:%d ", &port) != 1)
            continue;
        for (size_t k = 0; k < SP.ndevs && k < NDEV; k++)
            if (SP.devs[k].ssh_port == port)
                LINES[k] = strdup(line);
    }
    fclose(f);
    for (int k = 0; k < NDEV; k++)
        if (!LINES[k])
            return -1;
    return 0;
}

static int teardown(void **st)
{
    (void)st;
    simproc_stop(&SP);
    na_sshd_rm_rf(DIR_);
    for (int k = 0; k < NDEV; k++)
        free(LINES[k]);
    return 0;
}

static na_status connect_dev(const char *kh, int k, na_hostkey_policy pol, na_err *e)
{
    na_conn_params p = {.name = SP.devs[k].name, .host = "127.0.0.1",
                        .port = SP.devs[k].ssh_port, .username = "admin",
                        .password = "lab-pass-1", .known_hosts = kh, .host_key_policy = pol,
                        .no_shell = true};
    na_transport *t = NULL;
    na_status s = test_connect(&p, &t, e);
    if (t)
        t->ops->destroy(t);
    return s;
}

/* Write text into path in place (same inode: O_TRUNC, no rename). */
static void write_in_place(const char *path, const char *text)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    assert_true(fd >= 0);
    size_t n = strlen(text);
    assert_int_equal(write(fd, text, n), (ssize_t)n);
    close(fd);
}

/* A file of `filler` lines for other ports, then every device's line, then more filler. */
static char *big_file(int filler, int swap_a, int swap_b)
{
    size_t cap = (size_t)filler * 120 + NDEV * 200 + 1;
    char *s = malloc(cap), *p = s;
    assert_non_null(s);
    const char *key = strchr(LINES[0], ' ') + 1; /* "ssh-ed25519 AAAA...\n" of device 0 */
    for (int i = 0; i < filler / 2; i++)
        p += sprintf(p, "[10.0.%d.%d]:22 %s", i / 250, i % 250, key);
    for (int k = 0; k < NDEV; k++) {
        int src = k == swap_a ? swap_b : k == swap_b ? swap_a : k;
        /* this device's host field with the key field of device src */
        const char *host_end = strchr(LINES[k], ' ');
        p += sprintf(p, "%.*s %s", (int)(host_end - LINES[k]), LINES[k],
                     strchr(LINES[src], ' ') + 1);
    }
    for (int i = filler / 2; i < filler; i++)
        p += sprintf(p, "[10.1.%d.%d]:2222 %s", i / 250, i % 250, key);
    return s;
}

static void many_devices_one_file(void **st)
{
    (void)st;
    char kh[400];
    snprintf(kh, sizeof kh, "%s/big_known_hosts", DIR_);
    char *text = big_file(2000, -1, -1);
    write_in_place(kh, text);
    free(text);
    na_err e = NA_ERR_INIT;
    for (int k = 0; k < NDEV; k++)
        assert_status(connect_dev(kh, k, NA_HOSTKEY_STRICT, &e), NA_OK, &e);
}

static void same_size_rewrite_is_seen(void **st)
{
    (void)st;
    char kh[400];
    snprintf(kh, sizeof kh, "%s/racy_known_hosts", DIR_);
    char *good = big_file(100, -1, -1), *swapped = big_file(100, 3, 4);
    assert_int_equal(strlen(good), strlen(swapped));
    na_err e = NA_ERR_INIT;
    struct stat a, b;
    write_in_place(kh, good);
    assert_status(connect_dev(kh, 3, NA_HOSTKEY_STRICT, &e), NA_OK, &e);
    assert_int_equal(stat(kh, &a), 0);
    write_in_place(kh, swapped); /* same size, same inode, at once */
    /* and the same mtime, as on a file system with coarse timestamps */
    struct timespec ts[2] = {a.st_atim, a.st_mtim};
    assert_int_equal(utimensat(AT_FDCWD, kh, ts, 0), 0);
    assert_int_equal(stat(kh, &b), 0);
    assert_int_equal(a.st_ino, b.st_ino);
    assert_int_equal(a.st_size, b.st_size);
    assert_int_equal(a.st_mtim.tv_sec, b.st_mtim.tv_sec);
    assert_int_equal(a.st_mtim.tv_nsec, b.st_mtim.tv_nsec);
    na_err_clear(&e);
    assert_int_equal(connect_dev(kh, 3, NA_HOSTKEY_STRICT, &e), NA_ERROR);
    assert_int_equal(e.code, NA_E_HOSTKEY_CHANGED);
    na_err_clear(&e);
    assert_int_equal(connect_dev(kh, 4, NA_HOSTKEY_STRICT, &e), NA_ERROR);
    assert_int_equal(e.code, NA_E_HOSTKEY_CHANGED);
    write_in_place(kh, good);
    na_err_clear(&e);
    assert_status(connect_dev(kh, 3, NA_HOSTKEY_STRICT, &e), NA_OK, &e);
    assert_status(connect_dev(kh, 4, NA_HOSTKEY_STRICT, &e), NA_OK, &e);
    free(good);
    free(swapped);
}

static void name_lists_and_hashed_lines(void **st)
{
    (void)st;
    char kh[400], hashed[400], cmd[1400];
    snprintf(kh, sizeof kh, "%s/mixed_known_hosts", DIR_);
    snprintf(hashed, sizeof hashed, "%s/hashed_part", DIR_);
    /* device 5 hashed (ssh-keygen -H), device 6 in a list of names, the rest plain */
    FILE *f = fopen(hashed, "w");
    fputs(LINES[5], f);
    fclose(f);
    snprintf(cmd, sizeof cmd, "/usr/bin/ssh-keygen -q -H -f '%s' >/dev/null 2>&1 && "
             "grep -q '^|1|' '%s'", hashed, hashed);
    assert_int_equal(system(cmd), 0);
    f = fopen(kh, "w");
    for (int k = 0; k < NDEV; k++) {
        if (k == 5) {
            FILE *h = fopen(hashed, "r");
            char line[2048];
            while (fgets(line, sizeof line, h))
                if (line[0] == '|')
                    fputs(line, f);
            fclose(h);
        } else if (k == 6) {
            fprintf(f, "sw6.lab.example,10.9.9.9,%s", LINES[k]);
        } else {
            fputs(LINES[k], f);
        }
    }
    fclose(f);
    na_err e = NA_ERR_INIT;
    for (int k = 4; k < 8; k++)
        assert_status(connect_dev(kh, k, NA_HOSTKEY_STRICT, &e), NA_OK, &e);
}

static void accept_new_line_is_found_by_the_next_session(void **st)
{
    (void)st;
    char kh[400];
    snprintf(kh, sizeof kh, "%s/grow_known_hosts", DIR_);
    FILE *f = fopen(kh, "w");
    for (int k = 0; k < NDEV; k++)
        if (k != 9)
            fputs(LINES[k], f);
    fclose(f);
    na_err e = NA_ERR_INIT;
    assert_status(connect_dev(kh, 8, NA_HOSTKEY_STRICT, &e), NA_OK, &e); /* cached now */
    assert_int_equal(connect_dev(kh, 9, NA_HOSTKEY_STRICT, &e), NA_ERROR);
    assert_int_equal(e.code, NA_E_HOSTKEY_UNKNOWN);
    na_err_clear(&e);
    assert_status(connect_dev(kh, 9, NA_HOSTKEY_ACCEPT_NEW, &e), NA_OK, &e); /* appends */
    assert_status(connect_dev(kh, 9, NA_HOSTKEY_STRICT, &e), NA_OK, &e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(many_devices_one_file),
        cmocka_unit_test(same_size_rewrite_is_seen),
        cmocka_unit_test(name_lists_and_hashed_lines),
        cmocka_unit_test(accept_new_line_is_found_by_the_next_session),
    };
    return cmocka_run_group_tests_name("ssh_hostkey_cache", tests, setup, teardown);
}
