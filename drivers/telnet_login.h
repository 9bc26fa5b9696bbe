/* telnet_login.h — reading the text of an in-band Telnet login: is the device asking for a
 * username, a password, or showing a CLI prompt at the end of what it sent; did it print a
 * login-failure message; a short printable summary of received text for error messages.
 * Pure functions over byte ranges (no I/O, no allocation), used by telnet.c's AUTH phase.
 * Not a prompt matcher for the CLI: the channel matches platform prompts with PCRE2. */
#ifndef NA_TELNET_LOGIN_H
#define NA_TELNET_LOGIN_H

#include <stdbool.h>
#include <stddef.h>

typedef enum {
    NA_TL_NONE = 0, /* nothing recognisable at the end (yet) */
    NA_TL_USER,     /* "Username:", "login:", "User Name:" (any case) */
    NA_TL_PASS,     /* "Password:", "Passcode:" (any case) */
    NA_TL_PROMPT,   /* last line ends in > # $ % ] (optional trailing space) */
} na_tl_kind;

/* Classify the end of s[0..n): only the last line counts, and only when no line break follows
 * it (trailing spaces, tabs and NULs are allowed, up to 1024 of them). Looks at most at the
 * last ~2 KiB, so calling it after every read costs no more as the text grows. ANSI escape sequences and control characters
 * in that line are ignored. strict (used before any credential was sent, when a false "prompt"
 * would skip a login) also requires the prompt line to hold a letter or digit and be at most
 * 128 characters, so a banner's "#####" cut by a TCP segment is not taken for a prompt. */
na_tl_kind na_tl_classify(const char *s, size_t n, bool strict);

/* Look for a login-failure message ("% Login invalid", "% Authentication failed",
 * "Login incorrect", "Access denied", "% Bad passwords", any case) in s[0..n). On a match,
 * writes the whole line holding it, cleaned and trimmed, into msg (capacity cap, always
 * NUL-terminated) and sets *complete to whether that line has ended (a line break follows).
 * Returns false when there is none. */
bool na_tl_failure(const char *s, size_t n, char *msg, size_t cap, bool *complete);

/* A one-line printable summary of the last bytes of s[0..n) for error messages: at most `max`
 * source bytes, \r \n \t shown as escapes, other control bytes as \xHH, "..." in front when cut.
 * Writes into out (capacity cap, always NUL-terminated); "(nothing)" when n == 0. */
void na_tl_summary(const char *s, size_t n, size_t max, char *out, size_t cap);

#endif
