/* vtnorm.h — streaming normaliser of what a device sends, from terminal bytes to plain text lines,
 * correct across arbitrary read splits (all state lives in na_vtnorm). The rules:
 *
 *   "\r\n", "\r\r\n"      -> "\n"   (any run of CRs followed by LF is one newline)
 *   "\r\0", bare "\r"     -> carriage return: the cursor goes to column 0 of the current line and
 *                            following characters overwrite it (as on a terminal); "\n" ends the
 *                            whole line, whatever the cursor position, except that blanks left
 *                            after the cursor (an erase by overwriting with spaces) are dropped
 *   "\b"                  -> erases the character before the cursor (a whole UTF-8 sequence);
 *                            never crosses a newline (IOS erases ` --More-- ` this way)
 *   ESC [ ... final       -> CSI sequences are removed; three are interpreted on the current line:
 *                            K (erase to end / start / whole line), D and C (cursor back/forward,
 *                            never past the line), G (cursor to column). Everything else (colours,
 *                            modes, bracketed paste, cursor addressing) is just dropped
 *   ESC ] ... BEL|ESC \   -> OSC (window titles...) removed; DCS/SOS/PM/APC (ESC P/X/^/_) likewise
 *                            up to ESC \ ; strings longer than 4096 bytes are abandoned (the bytes
 *                            after that point are text again) so a stray ESC ] cannot eat a prompt
 *   ESC x, ESC ( B ...    -> two-byte and intermediate-byte escapes removed
 *   NUL, BEL, DEL, other C0 controls (except TAB) -> dropped
 *   bytes >= 0x80         -> kept (UTF-8 passes through; C1 controls are not interpreted)
 *
 * Editing reaches back at most NA_VTNORM_EDIT_MAX bytes from the end of the current line: on a
 * longer line (no terminal is that wide) a carriage return, \b, D or G stops there instead of
 * at column 0, so every byte costs bounded work however the input is made.
 *
 * The output goes into a na_buf the caller owns; the normaliser edits only the current (last,
 * unterminated) line of it, so anything before na_vtnorm.line_start is final. Not a terminal
 * emulator: there is one line of state, no screen.
 *
 * A bare carriage return is ambiguous on real devices: a terminal overwrites the line (progress
 * counters, erase-by-overwrite), but NX-OS ends an output with a bare CR before its prompt
 * (`098f...f6` CR `switch# `) and readline-style editors (EOS) wrap a long input line at the
 * screen edge with ` \r`. The text follows terminal semantics, and the line's "CR history" (the
 * text each bare CR made the line overwrite, at most NA_VTNORM_CR_KEEP bytes per line) is kept
 * so that a reader can ask for the other readings: na_vtnorm_cr_split() (the CR was a line
 * break) for the unterminated line, and the on_cr_line hook with na_vtnorm_cr_wrapped() (the CR
 * was a soft wrap) when a rewritten line ends. */
#ifndef NA_VTNORM_H
#define NA_VTNORM_H

#include "buf.h"
#include "err.h"

#include <stdbool.h>
#include <stddef.h>

#define NA_VTNORM_EDIT_MAX ((size_t)2048)
#define NA_VTNORM_CR_KEEP 512 /* bytes of a line's CR history kept */
#define NA_VTNORM_CR_SEGS 8   /* rewrites of one line remembered */

typedef struct na_vtnorm na_vtnorm;
/* Called when a line that was rewritten after a bare CR ends: it is b->data[ls..nl) and the
 * newline is at nl. The CR history is still there (na_vtnorm_cr_wrapped). */
typedef void (*na_vtnorm_cr_hook)(void *ud, const na_vtnorm *v, const na_buf *b, size_t ls,
                                  size_t nl);

struct na_vtnorm {
    size_t line_start; /* offset in the buffer where the current line starts */
    size_t col;        /* cursor, as an offset from line_start (<= current line length) */
    /* parser state (private) */
    unsigned char state;
    bool cr;           /* a CR was seen; the next byte decides (LF: newline, else: column 0) */
    unsigned char csi_priv;
    unsigned csi_arg;
    bool csi_has_arg;
    unsigned seq_len;  /* bytes in the escape sequence / string so far */
    /* CR history of the current line (private) */
    bool cr_pending;   /* a bare CR came: the next character written rewrites the line */
    bool cr_rewritten; /* the line was rewritten after a bare CR */
    bool cr_lost;      /* its history did not fit */
    unsigned cr_nseg;
    size_t cr_ext;     /* columns written since the last rewrite began */
    size_t cr_len;     /* bytes in cr_prev */
    size_t cr_seg[NA_VTNORM_CR_SEGS]; /* end of each overwritten text in cr_prev */
    char cr_prev[NA_VTNORM_CR_KEEP];  /* the texts the rewrites overwrote, one after the other */
    na_vtnorm_cr_hook on_cr_line;     /* optional (set by the reader) */
    void *on_cr_line_ud;
};

void na_vtnorm_init(na_vtnorm *v);

/* Normalise in[0..n) into b (appending, or editing b's current line). Fails only when b would
 * pass its ceiling (NA_E_OVERFLOW, `what` names it) or on OOM; b then holds what fitted. The
 * result never grows by more than n bytes. */
int na_vtnorm_feed(na_vtnorm *v, na_buf *b, const char *in, size_t n, const char *what,
                   na_err *err);

/* The caller dropped k bytes from the front of the buffer (k <= line_start). */
void na_vtnorm_shifted(na_vtnorm *v, size_t k);
/* The caller truncated the buffer to b->len (>= line_start): cursor goes to the new line end. */
void na_vtnorm_truncated(na_vtnorm *v, const na_buf *b);

/* The current, unterminated line was rewritten after a bare CR: *now_len bytes at its start were
 * written since the last CR, and *prev / *prev_len is the text the CRs overwrote (in order, raw).
 * Reading the CR as a line break gives prev, a newline, then now. false when the line was not
 * rewritten or its history did not fit. */
bool na_vtnorm_cr_split(const na_vtnorm *v, const na_buf *b, const char **prev, size_t *prev_len,
                        size_t *now_len);
/* Rewrite the current line as its line-break reading: each text a CR overwrote on a line of its
 * own, then what was written since the last CR as the (new) current line. 1 = done, 0 = the line
 * was not rewritten (nothing changed), -1 = b's ceiling or OOM (err). */
int na_vtnorm_cr_break(na_vtnorm *v, na_buf *b, const char *what, na_err *err);
/* The soft-wrap reading of the rewritten line b->data[ls..le) (the current line, or the one the
 * hook is told about): every overwritten text without the one blank before its CR, then what was
 * written since the last CR. Writes up to cap bytes into out; returns the length (0 when the
 * line was not rewritten or its history did not fit). */
size_t na_vtnorm_cr_wrapped(const na_vtnorm *v, const na_buf *b, size_t ls, size_t le, char *out,
                            size_t cap);

/* Convenience for tests and one-shot use: normalise a whole block into a new malloc'd string
 * (caller frees), NULL on OOM. */
char *na_vtnorm_string(const char *in, size_t n, size_t *out_len);

#endif
