/* replay.h — a transport (transport.h vtable) that plays a recorded transcript back, so the
 * channel and the driver can be tested byte-exactly, one fixture per failure mode, with no device.
 *
 * Semantics:
 *   - received chunks (`<`) are delivered by read() in order, one recorded chunk per read() (a
 *     smaller caller buffer gets the chunk in pieces), but never before every write recorded
 *     ahead of them has been made: the device answers only what it was sent;
 *   - write() must match the recorded outgoing bytes (`>`), whatever the chunking on either side;
 *     a recorded `> secret` matches exactly one write flagged secret, whatever its bytes; any
 *     mismatch is NA_E_PROTOCOL naming the transcript line, what was expected and what came;
 *   - `pause` makes one read() return NA_AGAIN (the bytes after it come in a later read);
 *   - `eof` makes read() return NA_EOF once everything before it was consumed; after that
 *     read, write() fails with NA_E_CLOSED, as Telnet and SSH do once they have seen the close;
 *   - the end of the recording without `eof` is silence: read() returns NA_AGAIN forever, so
 *     deadlines fire exactly as with a stalled device; writes past the end are a mismatch.
 *   - fd() is a real eventfd, readable exactly when read() has something to return, so the
 *     transport works with poll()/epoll like the real ones.
 * Not a simulator: it does not react to what is written beyond checking it. */
#ifndef NA_REPLAY_H
#define NA_REPLAY_H

#include "transcript.h"
#include "transport.h"

/* From a transcript file / text. p (may be NULL) is borrowed and must outlive the transport
 * (its name is used in messages). Free with t->ops->destroy(t). */
na_transport *na_replay_new(const char *path, const na_conn_params *p, na_err *err);
na_transport *na_replay_new_mem(const char *name, const char *text, size_t n,
                                const na_conn_params *p, na_err *err);

/* True when every recorded event was consumed (tests assert a script was played to its end). */
bool na_replay_finished(const na_transport *t);
/* "line N: <event>" of the next unconsumed event, for test diagnostics (static storage in t). */
const char *na_replay_position(const na_transport *t);

#endif
