/* secret.c — locked, wiped secret strings and the redaction registry (see secret.h).
 * Longest secrets are matched first so a secret containing another is redacted whole. */
#include "secret.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define MAX_SECRETS 4096

static pthread_mutex_t reg_lock = PTHREAD_MUTEX_INITIALIZER;
static char *reg[MAX_SECRETS];
static size_t reg_len[MAX_SECRETS];
static unsigned reg_refs[MAX_SECRETS]; /* registrations and holds */
static size_t reg_n;
static unsigned char first_byte[256]; /* quick reject: is any secret starting with this byte? */

void na_wipe(void *p, size_t n)
{
    volatile unsigned char *v = p;
    while (n--)
        *v++ = 0;
}

int na_secret_hold(const char *s)
{
    if (!s || !*s)
        return 0;
    size_t n = strlen(s);
    int rc = -1;
    pthread_mutex_lock(&reg_lock);
    for (size_t i = 0; i < reg_n; i++) {
        if (reg_len[i] == n && memcmp(reg[i], s, n) == 0) {
            reg_refs[i]++;
            pthread_mutex_unlock(&reg_lock);
            return 0;
        }
    }
    if (reg_n < MAX_SECRETS) {
        char *c = malloc(n + 1);
        if (c) {
            memcpy(c, s, n + 1);
            /* keep sorted by length, longest first */
            size_t at = reg_n;
            while (at > 0 && reg_len[at - 1] < n) {
                reg[at] = reg[at - 1];
                reg_len[at] = reg_len[at - 1];
                reg_refs[at] = reg_refs[at - 1];
                at--;
            }
            reg[at] = c;
            reg_len[at] = n;
            reg_refs[at] = 1;
            reg_n++;
            first_byte[(unsigned char)c[0]] = 1;
            rc = 0;
        }
    }
    pthread_mutex_unlock(&reg_lock);
    return rc;
}

void na_secret_register(const char *s) { (void)na_secret_hold(s); }

void na_secret_release(const char *s)
{
    if (!s || !*s)
        return;
    size_t n = strlen(s);
    pthread_mutex_lock(&reg_lock);
    for (size_t i = 0; i < reg_n; i++) {
        if (reg_len[i] != n || memcmp(reg[i], s, n) != 0)
            continue;
        if (--reg_refs[i] == 0) {
            na_wipe(reg[i], n);
            free(reg[i]);
            memmove(&reg[i], &reg[i + 1], (reg_n - i - 1) * sizeof *reg);
            memmove(&reg_len[i], &reg_len[i + 1], (reg_n - i - 1) * sizeof *reg_len);
            memmove(&reg_refs[i], &reg_refs[i + 1], (reg_n - i - 1) * sizeof *reg_refs);
            reg_n--;
            memset(first_byte, 0, sizeof first_byte);
            for (size_t k = 0; k < reg_n; k++)
                first_byte[(unsigned char)reg[k][0]] = 1;
        }
        break;
    }
    pthread_mutex_unlock(&reg_lock);
}

void na_secret_clear_registry(void)
{
    pthread_mutex_lock(&reg_lock);
    for (size_t i = 0; i < reg_n; i++) {
        na_wipe(reg[i], reg_len[i]);
        free(reg[i]);
    }
    reg_n = 0;
    memset(first_byte, 0, sizeof first_byte);
    pthread_mutex_unlock(&reg_lock);
}

char *na_secret_dup(const char *s)
{
    if (!s)
        return NULL;
    size_t n = strlen(s);
    char *c = malloc(n + 1);
    if (!c)
        return NULL;
    memcpy(c, s, n + 1);
    (void)mlock(c, n + 1); /* best effort: may fail without CAP_IPC_LOCK or over RLIMIT */
    na_secret_register(c);
    return c;
}

void na_secret_free(char *s)
{
    if (!s)
        return;
    size_t n = strlen(s);
    na_wipe(s, n);
    (void)munlock(s, n + 1);
    free(s);
}

static int is_word(unsigned char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

/* Secrets shorter than this are redacted only as whole tokens: a one-letter password must not
 * turn every 'p' in a log line into asterisks. Longer ones are redacted wherever they appear. */
#define SHORT_SECRET 4

static size_t match_at(const char *in, size_t n, size_t i)
{
    if (!first_byte[(unsigned char)in[i]])
        return 0;
    for (size_t k = 0; k < reg_n; k++) {
        size_t l = reg_len[k];
        if (l <= n - i && in[i] == reg[k][0] && memcmp(in + i, reg[k], l) == 0) {
            if (l < SHORT_SECRET && ((i > 0 && is_word((unsigned char)in[i - 1])) ||
                                     (i + l < n && is_word((unsigned char)in[i + l]))))
                continue;
            return l;
        }
    }
    return 0;
}

size_t na_redact(const char *in, size_t n, char *out, size_t cap)
{
    const size_t rl = sizeof NA_REDACTED - 1;
    size_t o = 0;
    pthread_mutex_lock(&reg_lock);
    for (size_t i = 0; i < n;) {
        size_t m = reg_n ? match_at(in, n, i) : 0;
        if (m) {
            for (size_t j = 0; j < rl; j++, o++)
                if (o + 1 < cap)
                    out[o] = NA_REDACTED[j];
            i += m;
        } else {
            if (o + 1 < cap)
                out[o] = in[i];
            o++;
            i++;
        }
    }
    pthread_mutex_unlock(&reg_lock);
    if (cap)
        out[o < cap ? o : cap - 1] = '\0';
    return o;
}

size_t na_redact_span(const char *in, size_t n, size_t stop, char *out, size_t cap, size_t *used)
{
    const size_t rl = sizeof NA_REDACTED - 1;
    size_t o = 0, i = 0;
    if (stop > n)
        stop = n;
    pthread_mutex_lock(&reg_lock);
    while (i < stop) {
        size_t m = reg_n ? match_at(in, n, i) : 0;
        if (m) {
            for (size_t j = 0; j < rl; j++, o++)
                if (o + 1 < cap)
                    out[o] = NA_REDACTED[j];
            i += m;
        } else {
            if (o + 1 < cap)
                out[o] = in[i];
            o++;
            i++;
        }
    }
    pthread_mutex_unlock(&reg_lock);
    if (cap)
        out[o < cap ? o : cap - 1] = '\0';
    *used = i;
    return o;
}

size_t na_secret_max_len(void)
{
    pthread_mutex_lock(&reg_lock);
    size_t m = reg_n ? reg_len[0] : 0; /* sorted longest first */
    pthread_mutex_unlock(&reg_lock);
    return m;
}

size_t na_redact_cstr(const char *in, char *out, size_t cap)
{
    return na_redact(in, strlen(in), out, cap);
}

char *na_redact_dup(const char *in, size_t n)
{
    if (!na_contains_secret(in, n)) { /* the common case: one scan and a copy */
        char *out = malloc(n + 1);
        if (out) {
            memcpy(out, in, n);
            out[n] = '\0';
        }
        return out;
    }
    size_t need = na_redact(in, n, NULL, 0);
    char *out = malloc(need + 1);
    if (!out)
        return NULL;
    na_redact(in, n, out, need + 1);
    return out;
}

int na_contains_secret(const char *in, size_t n)
{
    int found = 0;
    pthread_mutex_lock(&reg_lock);
    for (size_t i = 0; i < n && !found; i++)
        found = match_at(in, n, i) != 0;
    pthread_mutex_unlock(&reg_lock);
    return found;
}

size_t na_secret_spans(const char *in, size_t n, size_t (*spans)[2], size_t max)
{
    size_t k = 0;
    pthread_mutex_lock(&reg_lock);
    for (size_t i = 0; i < n && k < max && reg_n;) {
        size_t m = match_at(in, n, i);
        if (m) {
            spans[k][0] = i;
            spans[k][1] = i + m;
            k++;
            i += m;
        } else {
            i++;
        }
    }
    pthread_mutex_unlock(&reg_lock);
    return k;
}
