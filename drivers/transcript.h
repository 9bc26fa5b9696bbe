/* transcript.h — recording of a session's byte stream (both directions, as read from / written to
 * the transport) in a readable text format, one event per line, and parsing it back (for the
 * replay transport, drivers/replay.h). Not a log: logs are lines about events, transcripts are the
 * exact bytes.
 *
 * Format (UTF-8 text; lines end in "\n"):
 *
 *     netauto-transcript 1
 *     # any comment (ignored by replay)
 *     0.000152 < "sw1>"
 *     0.000981 > "enable\n"
 *     0.001873 < "enable\r\nPassword: "
 *     0.001901 > secret
 *     0.004120 < "\r\nsw1#"
 *     5.200000 eof
 *
 *   - the first field is seconds since recording started (microsecond resolution; replay ignores
 *     it); then `<` (received from the device), `>` (sent to the device), `> secret` (a write
 *     flagged secret: its bytes are never recorded, not even their length), or `eof` (the device
 *     closed the connection);
 *   - hand-written files (test fixtures) may leave out the time, put several quoted strings on one
 *     line (they are concatenated), and use `pause`: the replay's next read returns NA_AGAIN once,
 *     so the bytes after it arrive in a separate read (a split across network reads);
 *   - data is a double-quoted string with C escapes: \r \n \t \0 \b \a \e \\ \" and \xHH for every
 *     other byte outside printable ASCII (0x20-0x7e), so files are byte-exact and diff well;
 *   - received data is recorded byte for byte: it is the device's, and never redacted, with one
 *     exception: the echo of what netauto typed. When netauto sends a line holding a registered
 *     secret (a vault value in a config line), the secret goes out as its own write flagged
 *     secret (recorded `> secret`) and is announced with na_transcript_echo_secret(): its
 *     appearances in the received data (the device's echo of the line, the device quoting it
 *     back in an error; also split across reads) are recorded as ********, until the
 *     announcement is dropped by na_transcript_echo_done() (the end of the operation).
 *     Non-secret writes (commands, the keys typed in `netauto shell`) still go through
 *     na_redact(): what is sent is never a device's output.
 */
#ifndef NA_TRANSCRIPT_H
#define NA_TRANSCRIPT_H

#include "err.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

typedef struct na_transcript na_transcript; /* a recorder */

typedef enum {
    NA_TR_IN = 0,
    NA_TR_OUT = 1,
    NA_TR_SECRET = 2,
    NA_TR_EOF = 3,
    NA_TR_PAUSE = 4, /* replay only (never recorded): the next read returns NA_AGAIN once */
} na_tr_kind;

/* Start recording into the file at path (created or truncated, mode 0600). label (may be NULL)
 * is written as a comment. Caller owns the recorder: na_transcript_close(). */
na_transcript *na_transcript_open(const char *path, const char *label, na_err *err);
/* Record into a FILE the caller keeps owning (not closed by na_transcript_close). */
na_transcript *na_transcript_to_file(FILE *f, const char *label, na_err *err);

/* Record one event. dir is NA_TR_IN or NA_TR_OUT; secret (only meaningful for NA_TR_OUT) records
 * the marker instead of the bytes. Never fails: a write error is remembered and reported by
 * na_transcript_close() (a full disk must not break a config push). NULL tr is a no-op. */
void na_transcript_data(na_transcript *tr, na_tr_kind dir, const char *p, size_t n, bool secret);
void na_transcript_eof(na_transcript *tr);
/* A secret netauto typed inside a visible line (copied, wiped when done): mask its echo. */
void na_transcript_echo_secret(na_transcript *tr, const char *s, size_t n);
/* Forget the announced secrets (recording anything held back while looking for them). */
void na_transcript_echo_done(na_transcript *tr);
void na_transcript_comment(na_transcript *tr, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Flush and free. Returns -1 (with err) if any write failed during recording. NULL is fine. */
int na_transcript_close(na_transcript *tr, na_err *err);

/* ---- parsing (used by replay) ---- */

typedef struct na_tr_event {
    na_tr_kind kind;
    char *data;     /* decoded bytes (NA_TR_IN / NA_TR_OUT), NUL-terminated; NULL otherwise */
    size_t len;
    int64_t t_us;   /* recorded time */
    unsigned line;  /* line number in the file, for messages */
} na_tr_event;

typedef struct na_tr_script {
    na_tr_event *ev;
    size_t n;
    char *name;     /* file name or label, for messages */
} na_tr_script;

/* Parse a transcript. Errors are NA_E_CONFIG "name:line: message". The caller owns *out and frees
 * it with na_tr_script_free() (also safe after a failed parse). */
int na_tr_script_parse(const char *name, const char *text, size_t n, na_tr_script *out,
                       na_err *err);
int na_tr_script_load(const char *path, na_tr_script *out, na_err *err);
void na_tr_script_free(na_tr_script *s);

/* Append bytes as a quoted, escaped string (the format above) to a FILE. */
void na_tr_write_quoted(FILE *f, const char *p, size_t n);

#endif
