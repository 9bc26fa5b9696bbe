/* session_files.h — files to and from a device over the connection its session already has, and
 * the other side channels of a session (a command on an exec channel, a raw upload), so layers
 * above the session (the runner, the CLI, netautod) never touch the SSH transport themselves.
 *
 * A copy (na_copy) is one resumable operation, driven like a session operation (start, then step
 * whenever na_copy_fd() is ready in the na_copy_want() direction(s) or na_copy_deadline()
 * passes). It runs the platform's `files:` commands on the session's shell (server check, the
 * device's own digest of the file, free space, rename, remove) and moves the bytes on a second
 * channel of the same SSH connection (SCP or SFTP). A put:
 *
 *   digest the local file (once per file version, see core/digest.h)
 *   [server check] -> device's digest of DEST: the same -> done, changed = false
 *                                              different and !overwrite -> refused
 *   free space of DEST's file system >= size, else refused
 *   send to DEST.netauto-XXXXXXXX (XXXXXXXX: the start of the source's digest; an SFTP upload
 *     interrupted earlier continues where it stopped), stall and total deadlines
 *   device's digest of the part file == the local one, else the part file is removed and DEST
 *     is left as it was
 *   remove DEST when it existed (unless rename replaces), rename the part file to DEST
 *
 * A get asks the device's digest of the file first (the same as the local file's: nothing moves),
 * receives into a hidden part file next to the local destination, digests the bytes as they
 * arrive, and renames the part file over the destination only when the digests agree. A failed
 * verification never removes or changes a file the user had. Memory stays bounded whatever the
 * size: files are streamed in pieces. Not a sync tool: one file per copy, no directories. */
#ifndef NA_SESSION_FILES_H
#define NA_SESSION_FILES_H

#include "buf.h"
#include "digest.h"
#include "err.h"
#include "session.h"
#include "strv.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum { NA_COPY_PUT = 0, NA_COPY_GET = 1 } na_copy_dir;

#define NA_COPY_PROTO_AUTO (-1)   /* the platform's first offered protocol whose check passes */
#define NA_COPY_VERIFY_AUTO (-1)  /* the platform's preferred digest (files.hash, first) */

typedef struct na_copy_opts {
    na_copy_dir dir;
    const char *local;      /* put: the file to send; get: the local file to write (its
                               directory is made when missing, as the bytes start to move,
                               and removed again while empty when the get fails) */
    const char *remote;     /* the device's file; a bare name goes to files.default_dir */
    int proto;              /* NA_PF_SCP, NA_PF_SFTP or NA_COPY_PROTO_AUTO */
    int verify;             /* an na_hash_alg (NA_HASH_NONE: no digests at all: always sent, no
                               idempotence), or NA_COPY_VERIFY_AUTO */
    bool overwrite;         /* replace a different file already there */
    bool check_only;        /* find out what would be done (server, digests, free space) and
                               stop before anything changes */
    int timeout_ms;         /* the transfer itself, start to end (0 = 1 hour) */
    int stall_ms;           /* the transfer fails when nothing moves this long (0 = 30 s) */
    int command_timeout_ms; /* each device command (0 = the platform's files.timeout) */
} na_copy_opts;

typedef struct na_copy_result {
    bool changed;           /* the file was sent (--check: would be) */
    bool same;              /* already there with the same digest: nothing sent */
    bool existed;           /* the destination existed before */
    uint64_t size;          /* file size */
    uint64_t sent;          /* payload bytes moved by this copy */
    uint64_t resumed_at;    /* SFTP put: bytes kept from an earlier partial upload */
    na_hash_alg alg;        /* digest used (NA_HASH_NONE: none) */
    char digest[NA_HASH_HEX_MAX];        /* the file's digest (verified on both ends) */
    char remote_digest[NA_HASH_HEX_MAX]; /* the device's answer (put: for DEST or the part) */
    const char *proto;      /* "scp" / "sftp" */
    const char *remote;     /* the device path in full ("flash:c9300.bin") */
    const char *local;      /* the local path */
    const char *partial;    /* a partial file left for a later resume (device path), or NULL */
    int64_t elapsed_ms;     /* the whole copy */
    int64_t xfer_ms;        /* the transfer alone */
    na_strv log;            /* device commands sent and transfers made, in order */
} na_copy_result;

typedef struct na_copy na_copy;

/* Start a copy on an open session (SSH transport, platform with a files: block). o's strings are
 * copied. No I/O yet: the first step comes at once (deadline "now"). NULL + err (NA_E_USAGE /
 * NA_E_UNSUPPORTED / NA_E_IO: bad paths, no files support, not SSH, an unreadable local file).
 * Free with na_copy_free (which also stops a copy in progress, removing what it started). */
na_copy *na_copy_start(na_session *s, const na_copy_opts *o, na_err *err);
/* NA_AGAIN / NA_OK / NA_ERROR (err: NA_E_DEVICE refusals and verification failures,
 * NA_E_TIMEOUT, NA_E_UNSUPPORTED for a server that is off, NA_E_IO locally...). The result
 * (na_copy_result_of) is filled in either case. */
na_status na_copy_step(na_copy *c, na_err *err);
int na_copy_fd(const na_copy *c);
int na_copy_want(const na_copy *c);
int64_t na_copy_deadline(const na_copy *c);
/* What it does now ("check", "send", "receive", "verify", "rename", "done"), bytes moved and the
 * file's size (0 while unknown). */
void na_copy_progress(const na_copy *c, const char **phase, uint64_t *done, uint64_t *total);
const na_copy_result *na_copy_result_of(const na_copy *c); /* owned by c */
/* Is the session still usable for more operations after this copy? */
bool na_copy_session_ok(const na_copy *c);
void na_copy_free(na_copy *c);

/* Arm a core event watch (core/evwatch.h) for what the copy waits for, capped by
 * cap_deadline_ms (> 0). */
struct na_evwatch;
int na_evwatch_copy(struct na_evwatch *w, const na_copy *c, int64_t cap_deadline_ms,
                    na_err *err);

/* Blocking: start, step, wait with poll. res (may be NULL) gets a copy of the result; free it
 * with na_copy_result_free. 0 or -1 + err. */
int na_copy_run(na_session *s, const na_copy_opts *o, na_copy_result *res, na_err *err);
void na_copy_result_free(na_copy_result *res);

/* ---- side channels: a command on an exec channel, a raw upload -------------------------- */

typedef struct na_sexec na_sexec;

/* Run cmd on its own exec channel of the session's SSH connection (the shell is not involved):
 * stdout and stderr collected, exit status. timeout_ms 0 = the session's command timeout.
 * NULL + err (not SSH, not open). Free with na_sexec_free. */
na_sexec *na_session_exec_start(na_session *s, const char *cmd, int timeout_ms, na_err *err);
na_status na_sexec_step(na_sexec *x, na_err *err);
int64_t na_sexec_deadline(const na_sexec *x);
const na_buf *na_sexec_stdout(const na_sexec *x);
const na_buf *na_sexec_stderr(const na_sexec *x);
int na_sexec_exit_status(const na_sexec *x);   /* after NA_OK; -1 when killed by a signal */
const char *na_sexec_exit_signal(const na_sexec *x); /* "KILL", or "" */
void na_sexec_free(na_sexec *x);

typedef struct na_supload na_supload;

/* Upload a local file as-is to remote (SCP, mode bits given), nothing else: no digests, no part
 * file (the script task's upload to /tmp). NULL + err. */
na_supload *na_session_upload_start(na_session *s, const char *local, const char *remote,
                                    int mode, int timeout_ms, na_err *err);
na_status na_supload_step(na_supload *u, na_err *err);
int64_t na_supload_deadline(const na_supload *u);
void na_supload_free(na_supload *u);

/* fd / direction of the session's connection, for waiting on side channels. */
int na_session_side_fd(const na_session *s);
int na_session_side_want(const na_session *s);
/* Does the session run over SSH (side channels and copies possible)? */
bool na_session_has_ssh(const na_session *s);

#endif
