/* net.h — non-blocking name resolution and TCP connect with a deadline, shared by the Telnet and
 * SSH transports. Resolution runs in the background (getaddrinfo_a) and wakes the caller through
 * an eventfd, so an event loop never blocks on DNS. Each failure has its own code and a message
 * a network engineer understands:
 *   NA_E_DNS         "cannot resolve 'sw9.lab': Name or service not known"
 *   NA_E_BADADDR     "'300.1.1.1' is not a valid IPv4 address" / "port 70000 is out of range"
 *   NA_E_REFUSED     "connection refused by 127.0.0.1:2201 (nothing listening on that port?)"
 *   NA_E_UNREACHABLE "no route to 10.9.9.9:22 (network unreachable)"
 *   NA_E_TIMEOUT     "TCP connect to 10.9.9.9:22 timed out after 5.0 s (host down or filtered?)"
 * Not a transport: it hands over a connected socket and is done. */
#ifndef NA_NET_H
#define NA_NET_H

#include "err.h"

#include <stdint.h>

typedef struct na_tcp na_tcp;

/* Prepare a connection to host:port (no I/O yet). host may be a name, an IPv4 or IPv6 literal
 * (with or without brackets). label names the device in messages (may be NULL). NULL + err on
 * bad input. */
na_tcp *na_tcp_new(const char *host, int port, const char *label, na_err *err);
/* Advance. NA_OK: connected (na_tcp_take_fd). NA_AGAIN: wait for na_tcp_fd() in the direction
 * of na_tcp_want() or until deadline_ms. NA_ERROR: see err. Past deadline_ms it fails with
 * NA_E_TIMEOUT (DNS or TCP, whichever was running). */
na_status na_tcp_step(na_tcp *c, int64_t deadline_ms, na_err *err);
int na_tcp_fd(const na_tcp *c);
int na_tcp_want(const na_tcp *c); /* NA_WANT_READ while resolving, NA_WANT_WRITE while connecting */
/* After NA_OK: the connected, non-blocking, TCP_NODELAY socket; the caller owns it. */
int na_tcp_take_fd(na_tcp *c);
/* "127.0.0.1:2201" of the connected peer (valid after NA_OK). */
const char *na_tcp_peer(const na_tcp *c);
int64_t na_tcp_resolve_us(const na_tcp *c); /* time spent resolving */
int64_t na_tcp_connect_us(const na_tcp *c); /* time spent in TCP connect */
/* Cancel, close and free (safe at any point, including while a lookup is still running). */
void na_tcp_free(na_tcp *c);

#endif
