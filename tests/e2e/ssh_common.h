/* ssh_common.h — small helpers shared by the SSH transport's end-to-end tests (test_ssh_*.c):
 * drive a transport's open()/read() the way a blocking caller does, find the current user, run
 * ssh-keygen -lf for reference fingerprints. Header-only (static functions); not a library. */
#ifndef NA_TEST_SSH_COMMON_H
#define NA_TEST_SSH_COMMON_H

#include "clock.h"
#include "sshd.h"
#include "transport.h"

#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* assert a status, showing the error message when it differs (needs cmocka.h first) */
#define assert_status(expr, want, e)                                                           \
    do {                                                                                       \
        na_status s_ = (expr);                                                                 \
        if (s_ != (want))                                                                      \
            fail_msg("status %d, wanted %d: %s", (int)s_, (int)(want), (e)->msg);              \
    } while (0)

/* The account key authentication uses: root in CI, else whoever runs the tests. */
static inline const char *test_me(void)
{
    struct passwd *pw = getpwuid(getuid());
    return pw ? pw->pw_name : "root";
}

/* open() until it is no longer NA_AGAIN, waiting with poll between calls. */
static inline na_status test_open(na_transport *t, na_err *e)
{
    for (;;) {
        na_status s = t->ops->open(t, e);
        if (s != NA_AGAIN)
            return s;
        if (na_transport_wait(t, 0, e) < 0)
            return NA_ERROR;
    }
}

/* Create and open; *t gets the transport even on failure (caller destroys). */
static inline na_status test_connect(const na_conn_params *p, na_transport **t, na_err *e)
{
    *t = na_ssh_new(p, e);
    if (!*t)
        return NA_ERROR;
    return test_open(*t, e);
}

/* Read from the shell until `needle` appears in what was read, EOF, error or ms pass.
 * Returns the status that ended it: NA_OK when found. out collects what was read (the older
 * half is dropped when it fills up). */
static inline na_status test_read_until(na_transport *t, const char *needle, char *out,
                                        size_t cap, int ms, na_err *e)
{
    int64_t dl = na_now_ms() + ms;
    size_t used = strlen(out);
    for (;;) {
        if (strstr(out, needle))
            return NA_OK;
        if (na_now_ms() >= dl)
            return NA_AGAIN;
        size_t n = 0;
        char buf[4096];
        na_status s = t->ops->read(t, buf, sizeof buf, &n, e);
        if (s == NA_OK) {
            if (n > cap - 1 - used) { /* full: keep the newer half */
                size_t keep = (cap - 1) / 2;
                memmove(out, out + used - keep, keep);
                used = keep;
            }
            size_t k = n < cap - 1 - used ? n : cap - 1 - used;
            memcpy(out + used, buf, k);
            used += k;
            out[used] = '\0';
            continue;
        }
        if (s != NA_AGAIN)
            return s;
        na_transport_wait(t, dl, e);
    }
}

/* SHA256 fingerprint of a public key file as OpenSSH prints it (ssh-keygen -lf), into out. */
static inline int test_ssh_keygen_fp(const char *pubfile, char *out, size_t cap)
{
    char cmd[600];
    snprintf(cmd, sizeof cmd, "/usr/bin/ssh-keygen -E sha256 -lf '%s'", pubfile);
    FILE *f = popen(cmd, "r");
    if (!f)
        return -1;
    char line[512] = "";
    char *ok = fgets(line, sizeof line, f);
    pclose(f);
    char fp[128];
    if (!ok || sscanf(line, "%*d %127s", fp) != 1)
        return -1;
    snprintf(out, cap, "%s", fp);
    return 0;
}

#endif
