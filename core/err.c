/* err.c — the error type: first error wins, messages redacted, stable code names.
 * Not a logger: nothing here prints. */
#include "err.h"
#include "secret.h"

#include <stdio.h>
#include <string.h>

static const char *const code_names[NA_E__COUNT] = {
    [NA_E_NONE] = "ok",
    [NA_E_USAGE] = "usage",
    [NA_E_YAML] = "yaml",
    [NA_E_CONFIG] = "config",
    [NA_E_NOTFOUND] = "not-found",
    [NA_E_NOMEM] = "no-memory",
    [NA_E_IO] = "io",
    [NA_E_DNS] = "dns",
    [NA_E_BADADDR] = "bad-address",
    [NA_E_REFUSED] = "refused",
    [NA_E_UNREACHABLE] = "unreachable",
    [NA_E_TIMEOUT] = "timeout",
    [NA_E_AUTH] = "auth",
    [NA_E_HOSTKEY_UNKNOWN] = "hostkey-unknown",
    [NA_E_HOSTKEY_CHANGED] = "hostkey-changed",
    [NA_E_ALGO] = "algorithm",
    [NA_E_PROTOCOL] = "protocol",
    [NA_E_CLOSED] = "closed",
    [NA_E_OVERFLOW] = "overflow",
    [NA_E_DEVICE] = "device-error",
    [NA_E_PROMPT] = "prompt",
    [NA_E_UNSUPPORTED] = "unsupported",
    [NA_E_CANCELLED] = "cancelled",
    [NA_E_PARSE] = "parse",
    [NA_E_ASSERT] = "assert",
    [NA_E_INTERNAL] = "internal",
};

const char *na_code_name(na_code code)
{
    if ((int)code < 0 || code >= NA_E__COUNT || !code_names[code])
        return "unknown";
    return code_names[code];
}

/* A message cut at the buffer's end must not end inside a UTF-8 sequence (it goes into JSON). */
static void utf8_tail(char *s)
{
    size_t n = strlen(s), k = n;
    while (k > 0 && n - k < 4 && ((unsigned char)s[k - 1] & 0xC0) == 0x80)
        k--;
    if (k == 0 || (unsigned char)s[k - 1] < 0xC0)
        return; /* ASCII last, or only continuation bytes: leave it */
    unsigned char lead = (unsigned char)s[k - 1];
    size_t want = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : 2;
    if (n - (k - 1) < want)
        s[k - 1] = '\0';
}

int na_err_vset(na_err *err, na_code code, const char *fmt, va_list ap)
{
    if (!err || err->code != NA_E_NONE)
        return -1;
    char raw[NA_ERR_MSG_MAX];
    vsnprintf(raw, sizeof raw, fmt, ap);
    na_redact_cstr(raw, err->msg, sizeof err->msg);
    utf8_tail(err->msg);
    err->code = code == NA_E_NONE ? NA_E_INTERNAL : code;
    return -1;
}

int na_err_vset_exact(na_err *err, na_code code, const char *fmt, va_list ap)
{
    if (!err || err->code != NA_E_NONE)
        return -1;
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    utf8_tail(err->msg);
    err->code = code == NA_E_NONE ? NA_E_INTERNAL : code;
    return -1;
}

int na_err_set_exact(na_err *err, na_code code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    na_err_vset_exact(err, code, fmt, ap);
    va_end(ap);
    return -1;
}

int na_err_set(na_err *err, na_code code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    na_err_vset(err, code, fmt, ap);
    va_end(ap);
    return -1;
}

void na_err_prefix(na_err *err, const char *fmt, ...)
{
    if (!err || err->code == NA_E_NONE)
        return;
    char pre[NA_ERR_MSG_MAX], joined[NA_ERR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(pre, sizeof pre, fmt, ap);
    va_end(ap);
    char safe[NA_ERR_MSG_MAX];
    na_redact_cstr(pre, safe, sizeof safe);
    snprintf(joined, sizeof joined, "%s%s", safe, err->msg);
    snprintf(err->msg, sizeof err->msg, "%s", joined);
    utf8_tail(err->msg);
}

void na_err_clear(na_err *err)
{
    if (!err)
        return;
    err->code = NA_E_NONE;
    err->msg[0] = '\0';
}
