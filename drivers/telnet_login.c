/* telnet_login.c — classifying the text a device sends during an in-band Telnet login (see
 * telnet_login.h). Pure text functions; not the login state machine (telnet.c) and not the
 * channel's prompt matching (PCRE2, per platform). */
#include "telnet_login.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#define LINE_WINDOW 1024 /* longer last lines are not prompts; only their tail is looked at */
#define STRICT_MAX 128

/* Copy s[0..n) into out (capacity cap) without ANSI escape sequences and control bytes.
 * Returns the length written (out is NUL-terminated). */
static size_t clean_line(const char *s, size_t n, char *out, size_t cap)
{
    size_t o = 0;
    for (size_t i = 0; i < n && o + 1 < cap; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == 0x1b) {
            if (i + 1 < n && s[i + 1] == '[') { /* CSI: params, intermediates, final byte */
                i += 2;
                while (i < n && !((unsigned char)s[i] >= 0x40 && (unsigned char)s[i] <= 0x7e))
                    i++;
            } else if (i + 1 < n && s[i + 1] == ']') { /* OSC: until BEL or ESC \ */
                i += 2;
                while (i < n && s[i] != '\a' && s[i] != 0x1b)
                    i++;
                if (i < n && s[i] == 0x1b)
                    i++;
            } else {
                i++; /* two-byte escape */
            }
            continue;
        }
        if (c < 0x20 && c != '\t')
            continue;
        if (c == 0x7f)
            continue;
        out[o++] = (char)c;
    }
    out[o] = '\0';
    return o;
}

static bool is_blank(char c) { return c == ' ' || c == '\t' || c == '\0'; }

/* Does line[0..len) end with word (ASCII, any case)? */
static bool ends_with_ci(const char *line, size_t len, const char *word)
{
    size_t w = strlen(word);
    if (w > len)
        return false;
    for (size_t i = 0; i < w; i++)
        if (tolower((unsigned char)line[len - w + i]) != word[i])
            return false;
    return true;
}

static bool starts_with_ci(const char *line, size_t len, const char *word)
{
    size_t w = strlen(word);
    if (w > len)
        return false;
    for (size_t i = 0; i < w; i++)
        if (tolower((unsigned char)line[i]) != word[i])
            return false;
    return true;
}

na_tl_kind na_tl_classify(const char *s, size_t n, bool strict)
{
    /* Both scans backwards stop after LINE_WINDOW bytes: the login calls this after every read,
     * and scanning a long unterminated tail each time would be quadratic. */
    size_t end = n;
    while (end > 0 && n - end <= LINE_WINDOW && is_blank(s[end - 1]))
        end--;
    if (end == 0 || n - end > LINE_WINDOW || s[end - 1] == '\r' || s[end - 1] == '\n')
        return NA_TL_NONE;
    size_t start = end;
    while (start > 0 && end - start <= LINE_WINDOW && s[start - 1] != '\r' && s[start - 1] != '\n')
        start--;
    bool cut = false;
    if (end - start > LINE_WINDOW) {
        start = end - LINE_WINDOW;
        cut = true;
    }
    char line[LINE_WINDOW + 1];
    size_t len = clean_line(s + start, end - start, line, sizeof line);
    size_t b = 0;
    while (b < len && is_blank(line[b]))
        b++;
    while (len > b && is_blank(line[len - 1]))
        len--;
    const char *l = line + b;
    len -= b;
    if (len == 0)
        return NA_TL_NONE;

    char last = l[len - 1];
    if (last == ':') {
        size_t k = len - 1;
        while (k > 0 && is_blank(l[k - 1]))
            k--;
        if (ends_with_ci(l, k, "username") || ends_with_ci(l, k, "user name"))
            return NA_TL_USER;
        /* "login:" but not a split "Last login: <date>" line */
        if (ends_with_ci(l, k, "login") && !starts_with_ci(l, k, "last login"))
            return NA_TL_USER;
        if (ends_with_ci(l, k, "password") || ends_with_ci(l, k, "passcode"))
            return NA_TL_PASS;
        return NA_TL_NONE;
    }
    if (!strchr(">#$%]", last))
        return NA_TL_NONE;
    if (strict) {
        if (cut || len > STRICT_MAX)
            return NA_TL_NONE;
        bool alnum = false;
        for (size_t i = 0; i < len && !alnum; i++)
            alnum = isalnum((unsigned char)l[i]) != 0;
        if (!alnum)
            return NA_TL_NONE;
    }
    return NA_TL_PROMPT;
}

static const char *const failures[] = {
    "login invalid", "authentication failed", "login incorrect", "access denied", "bad password",
};

/* First position of word (lower case ASCII) in s[0..n), any case; n when absent. */
static size_t find_ci(const char *s, size_t n, const char *word)
{
    size_t w = strlen(word);
    if (w > n)
        return n;
    for (size_t i = 0; i + w <= n; i++) {
        if (tolower((unsigned char)s[i]) != word[0])
            continue;
        size_t j = 1;
        while (j < w && tolower((unsigned char)s[i + j]) == word[j])
            j++;
        if (j == w)
            return i;
    }
    return n;
}

bool na_tl_failure(const char *s, size_t n, char *msg, size_t cap, bool *complete)
{
    size_t at = n;
    for (size_t i = 0; i < sizeof failures / sizeof failures[0]; i++) {
        size_t p = find_ci(s, n, failures[i]);
        if (p < at)
            at = p;
    }
    if (at == n)
        return false;
    size_t start = at, end = at;
    while (start > 0 && s[start - 1] != '\r' && s[start - 1] != '\n')
        start--;
    while (end < n && s[end] != '\r' && s[end] != '\n')
        end++;
    if (complete)
        *complete = end < n;
    if (msg && cap) {
        char line[256];
        size_t len = clean_line(s + start, end - start, line, sizeof line);
        size_t b = 0;
        while (b < len && is_blank(line[b]))
            b++;
        while (len > b && is_blank(line[len - 1]))
            len--;
        snprintf(msg, cap, "%.*s", (int)(len - b), line + b);
    }
    return true;
}

void na_tl_summary(const char *s, size_t n, size_t max, char *out, size_t cap)
{
    if (!cap)
        return;
    if (n == 0) {
        snprintf(out, cap, "(nothing)");
        return;
    }
    size_t from = n > max ? n - max : 0;
    size_t o = 0;
    out[0] = '\0';
    if (from > 0 && cap > 4) {
        memcpy(out, "...", 3);
        o = 3;
    }
    for (size_t i = from; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        char tmp[5];
        if (c == '\r')
            memcpy(tmp, "\\r", 3);
        else if (c == '\n')
            memcpy(tmp, "\\n", 3);
        else if (c == '\t')
            memcpy(tmp, "\\t", 3);
        else if (c == '"' || c == '\\')
            snprintf(tmp, sizeof tmp, "\\%c", c);
        else if (c < 0x20 || c >= 0x7f)
            snprintf(tmp, sizeof tmp, "\\x%02x", c);
        else
            snprintf(tmp, sizeof tmp, "%c", c);
        size_t tl = strlen(tmp);
        if (o + tl + 1 > cap)
            break;
        memcpy(out + o, tmp, tl + 1);
        o += tl;
    }
}
