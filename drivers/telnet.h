/* telnet.h — Telnet-specific additions to the transport interface (transport.h declares
 * na_telnet_new). The Telnet transport runs libtelnet over our own non-blocking socket: option
 * negotiation (remote ECHO, SGA both ways, NAWS, TTYPE; everything else refused), NVT newlines,
 * and the in-band login (Username/Password dialog) as the AUTH phase of open().
 *
 * Notes for callers:
 *  - After open() returns NA_OK, bytes that followed the login (banner, first prompt) are
 *    already buffered: call read() until NA_AGAIN before waiting on the fd.
 *  - info.data_in / data_out count every decoded / encoded data byte, including the login
 *    dialog the transport reads and writes itself; wire_in / wire_out count socket bytes.
 * Not a channel: no prompt matching beyond what the login needs (see telnet_login.h). */
#ifndef NA_TELNET_H
#define NA_TELNET_H

#include "transport.h"

/* Bytes received but not yet read() by the caller (including everything received during the
 * login before a credential was sent); past it, NA_E_OVERFLOW. */
#define NA_TELNET_MAX_IN ((size_t)1 << 20)
/* Bytes queued for the socket and not yet sent; past it, write() fails with NA_E_OVERFLOW. */
#define NA_TELNET_MAX_OUT ((size_t)1 << 20)

/* Like na_telnet_new, over an already connected stream socket (a socketpair in tests, a
 * console server's connection, a proxy): no resolve/connect phase, open() starts with the
 * negotiation. Takes ownership of fd in every case: it is closed by destroy(), or right away
 * when this returns NULL. p is borrowed and must outlive the transport. */
na_transport *na_telnet_new_fd(const na_conn_params *p, int fd, na_err *err);

#endif
