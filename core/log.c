/* log.c — levelled, redacted, one-line log events (see log.h). Control characters are never
 * written as they are: a newline or carriage return becomes a space (one event, one line), any
 * other (ESC, BEL, DEL...) is shown as \xNN, so text from a client or a device (a request path,
 * an error message) cannot rewrite a terminal or forge log lines. */
#include "log.h"
#include "secret.h"

#include <stdarg.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>
#include <time.h>

static na_log_level cur_level = NA_LOG_WARN;
static FILE *out_file;
static na_log_hook hook_fn;
static void *hook_ud;

static const char *const names[] = {"ERROR", "WARN", "INFO", "DEBUG", "TRACE"};

void na_log_set_level(na_log_level lvl) { cur_level = lvl; }
na_log_level na_log_get_level(void) { return cur_level; }
void na_log_set_file(FILE *f) { out_file = f; }
void na_log_set_hook(na_log_hook hook, void *ud)
{
    hook_fn = hook;
    hook_ud = ud;
}

const char *na_log_level_name(na_log_level lvl)
{
    return (unsigned)lvl <= NA_LOG_TRACE ? names[lvl] : "?";
}

int na_log_level_parse(const char *s, na_log_level *out)
{
    for (int i = 0; i <= NA_LOG_TRACE; i++) {
        if (strcasecmp(s, names[i]) == 0) {
            *out = (na_log_level)i;
            return 0;
        }
    }
    return -1;
}

/* Copy in to out (cap bytes) with newlines folded and other control characters as \xNN. */
static void escape(const char *in, char *out, size_t cap)
{
    size_t o = 0;
    for (const unsigned char *p = (const unsigned char *)in; *p && o + 5 < cap; p++) {
        if (*p == '\n' || *p == '\r')
            out[o++] = ' ';
        else if ((*p < 0x20 && *p != '\t') || *p == 0x7f)
            o += (size_t)snprintf(out + o, cap - o, "\\x%02x", *p);
        else
            out[o++] = (char)*p;
    }
    out[o] = '\0';
}

void na_log(na_log_level lvl, const char *host, const char *fmt, ...)
{
    if (lvl > cur_level)
        return;
    char raw[2048], msg[2048 * 4], who[1100], line[9700], red[9900];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(raw, sizeof raw, fmt, ap);
    va_end(ap);
    /* one event, one line, nothing a terminal would act on */
    escape(raw, msg, sizeof msg);
    escape(host && *host ? host : "-", who, sizeof who);
    struct timeval tv;
    gettimeofday(&tv, NULL);
    struct tm tm;
    gmtime_r(&tv.tv_sec, &tm);
    char ts[32];
    strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(line, sizeof line, "%s.%03ldZ %-5s %s: %s", ts, (long)(tv.tv_usec / 1000),
             names[lvl], who, msg);
    na_redact_cstr(line, red, sizeof red);
    if (hook_fn)
        hook_fn(lvl, red, hook_ud);
    FILE *f = out_file ? out_file : stderr;
    if (!hook_fn || out_file) {
        fprintf(f, "%s\n", red);
        fflush(f);
    }
}
