/* transport.c — what all transports share: phase names, default timeouts, and a poll()-based
 * wait for blocking callers. Not an implementation of any protocol (see telnet.c, ssh.c). */
#include "transport.h"
#include "clock.h"

#include <errno.h>
#include <poll.h>
#include <string.h>

const char *na_phase_name(na_phase p)
{
    static const char *const names[NA_PHASE__COUNT] = {
        "resolve", "connect", "negotiate", "auth", "shell", "ready", "closed",
    };
    return (unsigned)p < NA_PHASE__COUNT ? names[p] : "?";
}

na_transport *na_transport_new(na_transport_kind kind, const na_conn_params *p, na_err *err)
{
    switch (kind) {
    case NA_TRANSPORT_SSH: return na_ssh_new(p, err);
    case NA_TRANSPORT_TELNET: return na_telnet_new(p, err);
    }
    na_err_set(err, NA_E_INTERNAL, "unknown transport kind %d", (int)kind);
    return NULL;
}

const char *na_transport_kind_name(na_transport_kind kind)
{
    return kind == NA_TRANSPORT_TELNET ? "telnet" : "ssh";
}

int na_transport_kind_parse(const char *s, na_transport_kind *out)
{
    if (s && !strcmp(s, "ssh"))
        *out = NA_TRANSPORT_SSH;
    else if (s && !strcmp(s, "telnet"))
        *out = NA_TRANSPORT_TELNET;
    else
        return -1;
    return 0;
}

static int pick(int v, int dflt) { return v > 0 ? v : dflt; }

int na_timeout_ms(const na_timeouts *t, na_phase phase)
{
    static const na_timeouts zero;
    if (!t)
        t = &zero;
    switch (phase) {
    case NA_PHASE_RESOLVE:
    case NA_PHASE_CONNECT: return pick(t->connect_ms, 10000);
    case NA_PHASE_NEGOTIATE: return pick(t->negotiate_ms, 10000);
    case NA_PHASE_AUTH: return pick(t->auth_ms, 15000);
    case NA_PHASE_SHELL: return pick(t->shell_ms, 15000);
    default: return pick(t->command_ms, 30000);
    }
}

int na_command_timeout_ms(const na_timeouts *t)
{
    return pick(t ? t->command_ms : 0, 30000);
}

int na_transport_wait(na_transport *t, int64_t deadline_ms, na_err *err)
{
    int64_t dl = t->deadline_ms;
    if (deadline_ms > 0 && (dl <= 0 || deadline_ms < dl))
        dl = deadline_ms;
    if (t->wake_ms > 0 && (dl <= 0 || t->wake_ms < dl))
        dl = t->wake_ms;
    int fd = t->ops->fd(t);
    int want = t->ops->want(t);
    struct pollfd p = {.fd = fd, .events = 0};
    if (want & NA_WANT_READ)
        p.events |= POLLIN;
    if (want & NA_WANT_WRITE)
        p.events |= POLLOUT;
    int64_t ms = na_ms_until(dl);
    if (fd < 0 || !p.events) {
        /* nothing to wait on: only a deadline (or nothing at all) */
        if (ms < 0)
            return 0;
        p.fd = -1;
    }
    for (;;) {
        int r = poll(&p, 1, ms > (int64_t)1 << 30 ? 1 << 30 : (int)ms);
        if (r >= 0)
            return 0;
        if (errno != EINTR)
            return na_err_set(err, NA_E_IO, "poll failed: %s", strerror(errno));
        ms = na_ms_until(dl);
    }
}
