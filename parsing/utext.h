/* utext.h — the parts of Python's str behaviour that TextFSM templates rely on, over UTF-8 text:
 * bytes.decode('utf-8', 'replace'), str.splitlines(), str.isspace()/strip()/rstrip(), len() in
 * code points, str.isidentifier(), str.isprintable() and repr(), ASCII-and-beyond lower().
 * The TextFSM engine (tfsm_*.c) and the Python-regex translator (pyre_*.c) use these so that a
 * template behaves exactly as under python3-textfsm. Not a general Unicode library: only what
 * those two need, with PCRE2's Unicode tables answering property questions. */
#ifndef NA_UTEXT_H
#define NA_UTEXT_H

#include "buf.h"
#include "err.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Length of the valid UTF-8 sequence at s[0..n) (1-4), 0 when it is not valid UTF-8 (overlong
 * forms, surrogates and code points above U+10FFFF are invalid, as in Python). */
size_t na_ut_seqlen(const unsigned char *s, size_t n);
/* Decode one code point of VALID UTF-8 at s[0..n) (n >= 1); returns the bytes used. */
size_t na_ut_decode(const char *s, size_t n, uint32_t *cp);
/* Append the UTF-8 encoding of cp (<= 0x10FFFF) to out[0..4); returns its length. */
size_t na_ut_encode(uint32_t cp, char *out);
/* Whether s[0..n) is valid UTF-8; *bad (may be NULL) gets the offset of the first bad byte. */
bool na_ut_valid(const char *s, size_t n, size_t *bad);
/* bytes.decode('utf-8', 'replace') re-encoded: every maximal invalid subpart becomes U+FFFD
 * (Unicode's "maximal subpart" practice, which Python follows). *out is NULL when s is already
 * valid (use s itself), else a malloc'd NUL-terminated copy (caller frees), *outn its length.
 * -1 + err on OOM or when the result would pass max bytes. */
int na_ut_sanitize(const char *s, size_t n, size_t max, char **out, size_t *outn, na_err *err);

/* Code points in valid UTF-8 s[0..n) (Python's len()). */
size_t na_ut_len(const char *s, size_t n);
/* str.isspace() of one code point (the 29 characters Python treats as whitespace). */
bool na_ut_isspace(uint32_t c);
/* str.rstrip() / str.strip() with no argument over valid UTF-8: new length / new start. */
size_t na_ut_rstrip(const char *s, size_t n);
size_t na_ut_lstrip(const char *s, size_t n); /* bytes of leading whitespace */

/* str.splitlines() over valid UTF-8: line boundaries are \n, \r, \r\n, \v, \f, \x1c, \x1d,
 * \x1e, U+0085, U+2028 and U+2029; a final boundary does not start an empty line. Iterate with
 * *pos = 0 first: returns false at the end, else the line's start and length. */
bool na_ut_next_line(const char *s, size_t n, size_t *pos, const char **line, size_t *len);

/* str.isidentifier(): XID_Start or '_' then XID_Continue characters (no normalisation). */
bool na_ut_isidentifier(const char *s, size_t n);
/* str.isalpha() of one code point (category L). */
bool na_ut_isalpha(uint32_t c);
/* str.isprintable() of one code point. */
bool na_ut_isprintable(uint32_t c);
/* Whether c is a Unicode decimal digit (category Nd); *value gets its digit value. */
bool na_ut_decimal(uint32_t c, int *value);
/* repr() of a str: quotes and escapes exactly as Python writes them. Appends to out. */
int na_ut_repr(const char *s, size_t n, na_buf *out, na_err *err);
/* str.lower() for mapping keys: ASCII exactly; other letters by the C library's simple
 * lowercase mapping (C.UTF-8), U+0130 as "i\u0307" like Python. malloc'd, NULL on OOM. */
char *na_ut_lower(const char *s, size_t n);

#endif
