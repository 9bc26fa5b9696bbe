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
 * emulator: there is one line of state, no screen. */
#ifndef NA_VTNORM_H
#define NA_VTNORM_H

#include "buf.h"
#include "err.h"

#include <stdbool.h>
#include <stddef.h>

#define NA_VTNORM_EDIT_MAX ((size_t)2048)

typedef struct na_vtnorm {
    size_t line_start; /* offset in the buffer where the current line starts */
    size_t col;        /* cursor, as an offset from line_start (<= current line length) */
    /* parser state (private) */
    unsigned char state;
    bool cr;           /* a CR was seen; the next byte decides (LF: newline, else: column 0) */
    unsigned char csi_priv;
    unsigned csi_arg;
    bool csi_has_arg;
    unsigned seq_len;  /* bytes in the escape sequence / string so far */
} na_vtnorm;

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

/* Convenience for tests and one-shot use: normalise a whole block into a new malloc'd string
 * (caller frees), NULL on OOM. */
char *na_vtnorm_string(const char *in, size_t n, size_t *out_len);

#endif
