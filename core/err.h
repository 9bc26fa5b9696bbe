/* err.h — netauto's one error type: a code plus a message, filled by the innermost failing
 * function and passed down by the caller. Not a logging facility: functions never print. */
#ifndef NA_ERR_H
#define NA_ERR_H

#include <stdarg.h>

/* Status of a resumable, non-blocking step. NA_AGAIN: wait (for a socket or a deadline) and call
 * again. NA_EOF: the peer closed cleanly. NA_ERROR: failed, see the na_err. */
typedef enum { NA_ERROR = -1, NA_OK = 0, NA_AGAIN = 1, NA_EOF = 2 } na_status;
/* What a step that returned NA_AGAIN waits for on its socket (a mask). */
enum { NA_WANT_NONE = 0, NA_WANT_READ = 1, NA_WANT_WRITE = 2 };

/* Error codes. Each user-visible failure mode has its own code so that callers (and tests) can
 * tell them apart without parsing text; the message says it in a network engineer's words. */
typedef enum {
    NA_E_NONE = 0,
    NA_E_USAGE,            /* bad command-line usage or argument */
    NA_E_YAML,             /* malformed YAML (message has file:line:column) */
    NA_E_CONFIG,           /* well-formed but invalid inventory/playbook/platform/config */
    NA_E_NOTFOUND,         /* unknown host, group, playbook, platform, variable */
    NA_E_NOMEM,            /* allocation failed */
    NA_E_IO,               /* local file or system call failed */
    NA_E_DNS,              /* host name does not resolve */
    NA_E_BADADDR,          /* malformed address or port */
    NA_E_REFUSED,          /* TCP connection refused (nothing listening) */
    NA_E_UNREACHABLE,      /* no route / network or host unreachable */
    NA_E_TIMEOUT,          /* a deadline passed (the message names the phase) */
    NA_E_AUTH,             /* login refused: bad credentials or no usable method */
    NA_E_HOSTKEY_UNKNOWN,  /* strict policy and the host key is not known */
    NA_E_HOSTKEY_CHANGED,  /* the host key differs from the recorded one */
    NA_E_ALGO,             /* no common SSH algorithm (kex, cipher, host key, mac) */
    NA_E_PROTOCOL,         /* SSH/Telnet protocol error */
    NA_E_CLOSED,           /* the device closed the connection */
    NA_E_OVERFLOW,         /* output exceeded a configured limit */
    NA_E_DEVICE,           /* the device rejected a command (% Invalid input, ...) */
    NA_E_PROMPT,           /* could not find or learn the device prompt */
    NA_E_UNSUPPORTED,      /* operation not supported by this transport/platform */
    NA_E_CANCELLED,        /* cancelled by the user or the daemon */
    NA_E_INTERNAL,         /* a bug in netauto */
    NA_E_PARSE,            /* text could not be parsed into records (no template for it, the
                              template's Error action) */
    NA_E_ASSERT,           /* a playbook's assert found a condition false */
    NA_E__COUNT
} na_code;

/* On a core function that returns a status (0 / -1): the caller must look at it (-Werror makes
 * ignoring it a build failure; GCC does not accept a (void) cast). A deliberately ignored status
 * is written `if (f(...) < 0) { ...a comment saying why it does not matter... }`. */
#define NA_MUST_CHECK __attribute__((warn_unused_result))

#define NA_ERR_MSG_MAX 512

typedef struct na_err {
    na_code code;
    char msg[NA_ERR_MSG_MAX];
} na_err;

#define NA_ERR_INIT {NA_E_NONE, {0}}

/* Record an error. The first error wins: if err already holds one, nothing changes. err may be
 * NULL. The message is redacted of registered secrets. Always returns -1 so callers can write
 * `return na_err_set(err, ...)`. */
int na_err_set(na_err *err, na_code code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int na_err_vset(na_err *err, na_code code, const char *fmt, va_list ap);
/* The same without redaction, for a message whose caller already masked netauto's own secrets and
 * quotes a device's words, which must stay exactly as the device sent them. */
int na_err_set_exact(na_err *err, na_code code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int na_err_vset_exact(na_err *err, na_code code, const char *fmt, va_list ap);

/* Prepend context ("sw1: ") to an existing message, keeping its code. No-op without an error.
 * Only the context is redacted (the message was made safe when it was set). */
void na_err_prefix(na_err *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

void na_err_clear(na_err *err);
static inline int na_err_isset(const na_err *err) { return err && err->code != NA_E_NONE; }

/* Stable short name for a code ("timeout", "auth", "hostkey-changed"...), used in JSON results. */
const char *na_code_name(na_code code);

#endif
