/* test_drv_eof.c — regression: a device that sends its last output and closes the connection at
 * once (the simulator's close-after fault) must have that output delivered before the EOF, over
 * SSH too. The client reads only after both the data and the FIN have arrived, so libssh2 meets
 * the end of the stream in the same read that brings the last packets (libssh2 1.10 then returns
 * the socket error and keeps the packets, which were lost). Transport API directly, no session. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "clock.h"
#include "inventory.h"
#include "simproc.h"
#include "transport.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

static simproc S;
static na_inventory *inv;

static int setup(void **st)
{
    (void)st;
    const char *args[] = {"--devices", "1", "--fault", "sw1:close-after=1", NULL};
    na_err e = NA_ERR_INIT;
    if (simproc_start(&S, args, 30000, &e) < 0 || !(inv = na_inv_load(S.inventory_path, NULL, &e))) {
        fprintf(stderr, "# %s\n", e.msg);
        simproc_stop(&S);
        return -1;
    }
    return 0;
}

static int teardown(void **st)
{
    (void)st;
    na_inv_free(inv);
    simproc_stop(&S);
    return 0;
}

/* Read until `want` is in acc, EOF, error or 10 s. Returns the final status. */
static na_status read_until(na_transport *t, const char *want, char *acc, size_t cap,
                            na_err *e)
{
    size_t len = strlen(acc);
    int64_t dl = na_now_ms() + 10000;
    while (!(want && strstr(acc, want)) && na_now_ms() < dl) {
        char buf[4096];
        size_t n = 0;
        na_status s = t->ops->read(t, buf, sizeof buf, &n, e);
        if (s == NA_OK) {
            if (n > cap - 1 - len)
                n = cap - 1 - len;
            memcpy(acc + len, buf, n);
            len += n;
            acc[len] = '\0';
            continue;
        }
        if (s != NA_AGAIN)
            return s;
        na_transport_wait(t, dl, e);
    }
    return want && strstr(acc, want) ? NA_OK : NA_AGAIN;
}

static void last_output_before_eof(void **st)
{
    na_transport_kind k = *(na_transport_kind *)*st;
    const na_inv_host *h = na_inv_find(inv, "sw1");
    assert_non_null(h);
    na_err e = NA_ERR_INIT;
    na_transport *t = na_transport_new(k, na_inv_conn(h, k), &e);
    assert_non_null(t);
    na_status s;
    while ((s = t->ops->open(t, &e)) == NA_AGAIN)
        na_transport_wait(t, 0, &e);
    if (s != NA_OK)
        fail_msg("open: %s", e.msg);
    char acc[65536] = "";
    assert_int_equal(read_until(t, "sw1>", acc, sizeof acc, &e), NA_OK);
    acc[0] = '\0';
    assert_int_equal(t->ops->write(t, "show clock\n", 11, false, &e), NA_OK);
    while ((s = t->ops->flush(t, &e)) == NA_AGAIN)
        na_transport_wait(t, 0, &e);
    assert_int_equal(s, NA_OK);
    /* let the answer, the prompt and the close all arrive before reading anything */
    struct timespec ts = {0, 400 * 1000000L};
    nanosleep(&ts, NULL);
    s = read_until(t, NULL, acc, sizeof acc, &e);
    if (s != NA_EOF)
        fail_msg("ended with status %d (%s) after '%s'", (int)s, e.msg, acc);
    assert_non_null(strstr(acc, "UTC"));
    assert_non_null(strstr(acc, "sw1>"));
    t->ops->destroy(t);
}

int main(void)
{
    static na_transport_kind ssh = NA_TRANSPORT_SSH, telnet = NA_TRANSPORT_TELNET;
    const struct CMUnitTest tests[] = {
        {"last_output_before_eof (ssh)", last_output_before_eof, NULL, NULL, &ssh},
        {"last_output_before_eof (telnet)", last_output_before_eof, NULL, NULL, &telnet},
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
