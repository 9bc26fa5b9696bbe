/* ssh.h — what the SSH transport offers beyond the transport.h vtable: running commands on new
 * channels (exec) and copying files (SCP or SFTP) over an open SSH transport, with or without an
 * interactive shell. Everything is non-blocking and resumable like open()/read(): *_start()
 * allocates and begins, *_step() advances and returns NA_AGAIN while it must wait for
 * t->ops->fd(t) in the direction(s) t->ops->want(t) says (or the operation's own deadline), NA_OK
 * when done, NA_ERROR with the na_err filled. Blocking wrappers (na_ssh_run, na_ssh_put,
 * na_ssh_get) drive the same step functions with na_transport_wait() for the CLI and tests.
 *
 * The transport itself is created with na_ssh_new() (transport.h). Exec and transfer objects
 * borrow the transport: free them before destroying it. Any number may run at once on one
 * transport, each on its own channel. Not a shell/CLI abstraction: the channel layer
 * (channel.h) drives interactive devices. Layers above the session reach exec and transfers
 * through the session (session_files.h), not through this header.
 *
 * SCP is spoken over an ordinary exec channel rather than through libssh2_scp_send64/scp_recv2:
 * in libssh2 (checked again in 1.11.1's source) those spin in a busy loop on their error path in
 * non-blocking mode (`while (libssh2_channel_free(...) == EAGAIN);` — one refused transfer would
 * freeze every session of the event loop), replace the device's own error text ("scp: /x:
 * Permission denied") with "failed to send file", and keep their set-up state per session so
 * only one transfer could start at a time. SFTP uses libssh2_sftp_* (non-blocking, pipelined).
 */
#ifndef NA_SSH_H
#define NA_SSH_H

#include "buf.h"
#include "err.h"
#include "transport.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Is t an SSH transport made by na_ssh_new()? */
bool na_is_ssh(const na_transport *t);

/* ---- exec: one command on its own channel ------------------------------------------------ */

typedef struct na_ssh_exec_opts {
    size_t max_stdout;      /* ceiling on collected stdout (0 = 16 MiB); past it: NA_E_OVERFLOW */
    size_t max_stderr;      /* ceiling on collected stderr (0 = 1 MiB) */
    int timeout_ms;         /* whole command, start to exit (0 = the transport's command timeout) */
    const char *stdin_data; /* optional bytes sent to the command's stdin, then EOF (borrowed
                               until the exec is done); NULL = EOF right away */
    size_t stdin_len;
} na_ssh_exec_opts;

typedef struct na_ssh_exec na_ssh_exec;

/* Start `cmd` (run by the remote user's shell) on a new channel of the open transport t. opts may
 * be NULL (defaults). cmd and opts are copied except opts->stdin_data. NULL + err if t is not an
 * open SSH transport or on allocation failure. Free with na_ssh_exec_free. */
na_ssh_exec *na_ssh_exec_start(na_transport *t, const char *cmd, const na_ssh_exec_opts *opts,
                               na_err *err);
/* Advance: NA_AGAIN (wait on the transport), NA_OK (the command ended and the channel closed:
 * results below are final), NA_ERROR (err: timeout, overflow, channel refused, connection lost). */
na_status na_ssh_exec_step(na_ssh_exec *x, na_err *err);
/* Deadline of the whole command (absolute na_now_ms), for the caller's wait. */
int64_t na_ssh_exec_deadline(const na_ssh_exec *x);
/* Collected output so far (owned by x; valid until na_ssh_exec_free). */
const na_buf *na_ssh_exec_stdout(const na_ssh_exec *x);
const na_buf *na_ssh_exec_stderr(const na_ssh_exec *x);
/* After NA_OK: exit status (-1 if the command was killed by a signal or the server sent none)
 * and the signal name without "SIG" ("KILL"), or "" when it exited normally. */
int na_ssh_exec_exit_status(const na_ssh_exec *x);
const char *na_ssh_exec_exit_signal(const na_ssh_exec *x);
/* Close the channel (best effort, non-blocking) and free. NULL is fine. */
void na_ssh_exec_free(na_ssh_exec *x);

/* Blocking wrapper: start, step with na_transport_wait until done. The result owns its buffers:
 * release with na_ssh_exec_result_free. On NA_ERROR the buffers hold what arrived before. */
typedef struct na_ssh_exec_result {
    na_buf out, err_out;
    int exit_status;
    char exit_signal[32];
} na_ssh_exec_result;
na_status na_ssh_run(na_transport *t, const char *cmd, const na_ssh_exec_opts *opts,
                     na_ssh_exec_result *res, na_err *err);
void na_ssh_exec_result_free(na_ssh_exec_result *res);

/* ---- file transfer: SCP or SFTP --------------------------------------------------------------
 * One transfer runs on its own channel of the open transport (SCP: an exec channel running the
 * device's "scp -t/-f"; SFTP: the "sftp" subsystem through libssh2_sftp_*), next to the shell.
 * Local files are streamed in pieces (never read whole); memory stays bounded whatever the size.
 * Deadlines: the whole transfer (timeout_ms) and a stall deadline (stall_ms: no progress at all,
 * in either direction, for that long), each an NA_E_TIMEOUT naming how far it got. */

typedef enum { NA_XFER_SCP = 0, NA_XFER_SFTP = 1 } na_xfer_proto;
const char *na_xfer_proto_name(na_xfer_proto p); /* "scp", "sftp" */

/* Sees every payload piece as it moves: upload, as read from the source; download, as written
 * to the local file (for a digest computed on the way). */
typedef void (*na_xfer_tap)(void *ud, const void *p, size_t n);

typedef struct na_ssh_xfer na_ssh_xfer;

typedef struct na_ssh_put_opts {
    const char *local_path; /* upload this local file, or ... */
    const void *data;       /* ... these bytes when local_path is NULL (borrowed until done) */
    size_t len;
    int mode;               /* permission bits of the remote file (0 = 0644, or the local file's
                               bits when local_path is given) */
    int timeout_ms;         /* whole transfer (0 = the transport's command timeout) */
    int stall_ms;           /* no progress for this long fails it (0 = no stall deadline) */
    na_xfer_proto proto;    /* SCP (default) or SFTP */
    bool resume;            /* SFTP: a remote file already there is a partial upload of this
                               source: keep its bytes and send the rest (when it is larger than
                               the source, start over) */
    na_xfer_tap tap;        /* optional */
    void *tap_ud;
} na_ssh_put_opts;

typedef struct na_ssh_get_opts {
    const char *local_path; /* write the file here, or NULL to collect it in memory
                               (na_ssh_xfer_data) */
    bool in_place;          /* write local_path itself (created/truncated, mode 0600; a failure
                               leaves what was written for the caller to remove) instead of
                               local_path.netauto-part-PID renamed over it when complete (mode
                               0600 | remote bits & 0755) */
    uint64_t max_bytes;     /* refuse files larger than this (0 = 64 MiB): NA_E_OVERFLOW before
                               any data is read */
    int timeout_ms;         /* whole transfer (0 = the transport's command timeout) */
    int stall_ms;           /* as for put */
    na_xfer_proto proto;
    na_xfer_tap tap;
    void *tap_ud;
} na_ssh_get_opts;

/* Upload to remote_path (a file path; the directory must exist). Strings and opts are copied
 * except opts->data. NULL + err on bad input (unreadable local file, no source). */
na_ssh_xfer *na_ssh_put_start(na_transport *t, const char *remote_path, const na_ssh_put_opts *o,
                              na_err *err);
/* Download remote_path (a regular file). o may be NULL (into memory, SCP, defaults). */
na_ssh_xfer *na_ssh_get_start(na_transport *t, const char *remote_path, const na_ssh_get_opts *o,
                              na_err *err);
/* Advance: NA_AGAIN / NA_OK (transferred and acknowledged by the remote side) / NA_ERROR (err:
 * remote refusal such as "scp: /x: Permission denied" or the SFTP status, size limit, timeout,
 * stall, local I/O). */
na_status na_ssh_xfer_step(na_ssh_xfer *x, na_err *err);
/* The sooner of the whole-transfer deadline and the stall deadline (absolute na_now_ms). */
int64_t na_ssh_xfer_deadline(const na_ssh_xfer *x);
uint64_t na_ssh_xfer_bytes(const na_ssh_xfer *x); /* payload bytes in the remote file so far
                                                     (a resumed upload counts what was there) */
uint64_t na_ssh_xfer_size(const na_ssh_xfer *x);  /* file size (download: known once started) */
uint64_t na_ssh_xfer_resumed_at(const na_ssh_xfer *x); /* SFTP put: bytes kept from a partial
                                                          remote file (0 = from the start) */
int na_ssh_xfer_mode(const na_ssh_xfer *x);       /* download: the remote file's mode bits */
/* Download into memory: the file's bytes (owned by x). Empty for other transfers. */
const na_buf *na_ssh_xfer_data(const na_ssh_xfer *x);
/* Stop (best effort, non-blocking: the channel is closed later by the transport) and free.
 * A download not finished removes its local part file (in_place: not). NULL is fine. */
void na_ssh_xfer_free(na_ssh_xfer *x);

/* Blocking wrappers. na_ssh_get with o->local_path == NULL appends the file to *out (out may be
 * NULL otherwise; its ceiling still applies). */
na_status na_ssh_put(na_transport *t, const char *remote_path, const na_ssh_put_opts *o,
                     na_err *err);
na_status na_ssh_get(na_transport *t, const char *remote_path, const na_ssh_get_opts *o,
                     na_buf *out, na_err *err);

/* ---- helpers ------------------------------------------------------------------------------- */

/* Read an na_conn_params.ssh_config value early (a path, NA_SSH_CONFIG_DEFAULT or "none") so a
 * syntax error surfaces before any connection: 0, or -1 + err "ssh_config FILE:LINE: ..."
 * (NA_E_CONFIG). The file is cached for the transports made later. */
int na_ssh_check_config(const char *ssh_config, na_err *err);

/* netauto's secure default preference list for one category ("kex", "host_keys", "ciphers",
 * "macs"), as offered to servers: static string, NULL for an unknown category. */
const char *na_ssh_default_algos(const char *category);
/* OpenSSH-style fingerprint "SHA256:<base64 without padding>" of a raw public key blob into out
 * (cap >= 52). Returns 0, or -1 if cap is too small. */
int na_ssh_fingerprint(const void *key, size_t len, char *out, size_t cap);

#endif
