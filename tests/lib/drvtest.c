/* drvtest.c — the simulator + inventory + session helpers of drvtest.h for the driver's
 * end-to-end tests. Not a mock of anything. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "drvtest.h"

#include "clock.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const na_transport_kind drvt_ssh = NA_TRANSPORT_SSH, drvt_telnet = NA_TRANSPORT_TELNET;

int drvt_sim_start(drvt_sim *d, const char *const *args, na_err *err)
{
    memset(d, 0, sizeof *d);
    if (simproc_start(&d->sp, args, 30000, err) < 0)
        return -1;
    d->inv = na_inv_load(d->sp.inventory_path, NULL, err);
    if (d->inv)
        d->reg = na_platforms_new(NULL, 0, err);
    if (!d->inv || !d->reg) {
        drvt_sim_stop(d);
        return -1;
    }
    return 0;
}

void drvt_sim_stop(drvt_sim *d)
{
    na_platforms_free(d->reg);
    d->reg = NULL;
    na_inv_free(d->inv);
    d->inv = NULL;
    simproc_stop(&d->sp);
}

const na_inv_host *drvt_host(drvt_sim *d, const char *dev)
{
    return d->inv ? na_inv_find(d->inv, dev) : NULL;
}

na_conn_params drvt_params(drvt_sim *d, const char *dev, na_transport_kind kind)
{
    const na_inv_host *h = drvt_host(d, dev);
    if (!h)
        fail_msg("device %s is not in the simulator's inventory", dev);
    return *na_inv_conn(h, kind);
}

na_session *drvt_session(drvt_sim *d, const char *dev, na_transport_kind kind,
                         const na_conn_params *p, const na_session_opts *o, na_err *err)
{
    const na_inv_host *h = drvt_host(d, dev);
    if (!h) {
        na_err_set(err, NA_E_NOTFOUND, "no device %s", dev);
        return NULL;
    }
    const na_platform *plat = na_platform_find(d->reg, h->platform, err);
    if (!plat)
        return NULL;
    na_session_opts so = {0};
    if (o)
        so = *o;
    if (!so.secret)
        so.secret = h->secret;
    na_transport *t = na_transport_new(kind, p, err);
    if (!t)
        return NULL;
    return na_session_new(t, plat, &so, err);
}

na_session *drvt_open(drvt_sim *d, const char *dev, na_transport_kind kind,
                      const na_conn_params *p, const na_session_opts *o, na_err *err)
{
    na_session *s = drvt_session(d, dev, kind, p, o, err);
    if (s && na_session_open(s, err) < 0) {
        na_session_free(s);
        return NULL;
    }
    return s;
}

char *drvt_cmd(na_session *s, const char *cmd, na_err *err)
{
    na_result r;
    if (na_session_command(s, cmd, NULL, &r, err) < 0) {
        na_result_free(&r);
        return NULL;
    }
    char *out = r.output;
    r.output = NULL;
    na_result_free(&r);
    return out ? out : strdup("");
}

int64_t drvt_since(int64_t t0)
{
    return na_now_ms() - t0;
}

char *drvt_slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    size_t r;
    while (buf && (r = fread(buf + n, 1, cap - n - 1, f)) > 0) {
        n += r;
        if (cap - n - 1 == 0) {
            char *nb = realloc(buf, cap * 2);
            if (!nb) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = nb;
            cap *= 2;
        }
    }
    fclose(f);
    if (buf)
        buf[n] = '\0';
    if (len)
        *len = n;
    return buf;
}

const char *drvt_kind(na_transport_kind k)
{
    return na_transport_kind_name(k);
}
