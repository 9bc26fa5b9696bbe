/* secret.h — secrets in memory, and the process-wide registry of what netauto must never write.
 * Every password, enable secret, key passphrase, vault passphrase and vault-held value netauto
 * loads is registered here. The registry masks what netauto itself writes from its own text
 * (log lines, error messages, the inventory it prints, the commands and config lines it sent as
 * shown in results and transcripts); it is never applied to what a device sent, which stays byte
 * for byte (see docs/driver.md, "Secrets"). Not a vault: see inventory/vault.h. */
#ifndef NA_SECRET_H
#define NA_SECRET_H

#include <stddef.h>

#define NA_REDACTED "********"

/* Copy a secret into memory that is locked (best effort) and wiped on free. Returns NULL on
 * allocation failure. The copy is also registered for redaction. Free with na_secret_free. */
char *na_secret_dup(const char *s);
void na_secret_free(char *s);

/* Add a string to the redaction registry (copied; empty strings are ignored). Thread-safe. */
void na_secret_register(const char *s);
/* The same for a secret needed only for a while (a job's secret vars): 0, or -1 when the
 * registry is full (the caller must not go on). Each hold is matched by one release; a secret
 * stays registered while anyone (a register, a hold) still needs it. */
int na_secret_hold(const char *s);
void na_secret_release(const char *s);
/* Forget every registered secret (tests). */
void na_secret_clear_registry(void);

/* Redact registered secrets from in[0..n) into out (secrets shorter than 4 bytes only where
 * they stand as a whole token, so a one-letter password does not mangle every word) (capacity cap, always NUL-terminated when
 * cap > 0). Returns the length the full redacted text needs (like snprintf). */
size_t na_redact(const char *in, size_t n, char *out, size_t cap);
/* Convenience for C strings. */
size_t na_redact_cstr(const char *in, char *out, size_t cap);
/* Redact a heap string: returns a new malloc'd string (caller frees), NULL on OOM. */
char *na_redact_dup(const char *in, size_t n);
/* Redact a long text a piece at a time: emit in[0..stop) redacted into out (as na_redact), where
 * a secret that starts before stop is matched whole even when it runs past it (in[stop..n) is
 * lookahead, at least na_secret_max_len() - 1 bytes of it unless the text ends). *used is how
 * much of in was consumed (stop, or more when a secret crossed it): the next piece starts
 * there. */
size_t na_redact_span(const char *in, size_t n, size_t stop, char *out, size_t cap,
                      size_t *used);
/* The length of the longest registered secret (0: none). */
size_t na_secret_max_len(void);
/* Does in[0..n) contain any registered secret? */
int na_contains_secret(const char *in, size_t n);
/* Where registered secrets occur in in[0..n) (same rules as na_redact): up to max [start, end)
 * pairs into spans, in order, not overlapping. Returns how many were written. */
size_t na_secret_spans(const char *in, size_t n, size_t (*spans)[2], size_t max);
/* Overwrite memory so the compiler cannot elide it. */
void na_wipe(void *p, size_t n);

#endif
