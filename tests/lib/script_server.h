/* script_server.h — a scripted TCP server for tests: listens on 127.0.0.1 (a port the kernel
 * picks), accepts one connection in a thread and plays a script of steps — send these bytes,
 * pause, wait until the client has sent those bytes, close — recording everything it receives. It
 * plays a device (or a misbehaving one) byte-exactly in transport and login tests. Not a
 * device simulator (tests/sim/) and not a protocol implementation: bytes in, bytes out. */
#ifndef NA_SCRIPT_SERVER_H
#define NA_SCRIPT_SERVER_H

#include <stddef.h>

typedef enum {
    SS_OP_END = 0, /* script done: keep the connection open, recording, until the client closes
                      or ss_finish() */
    SS_OP_SEND,    /* send data[0..len) */
    SS_OP_EXPECT,  /* wait (up to expect_ms) until the client has sent data[0..len), searching
                      from the end of the previous match */
    SS_OP_CLOSE,   /* close the connection now (the script ends) */
    SS_OP_PAUSE,   /* send nothing for len milliseconds (recording what the client sends) */
} ss_op;

typedef struct ss_step {
    ss_op op;
    const char *data;
    size_t len;
} ss_step;

#define SS_SEND(lit) {SS_OP_SEND, (lit), sizeof(lit) - 1}
#define SS_EXPECT(lit) {SS_OP_EXPECT, (lit), sizeof(lit) - 1}
#define SS_CLOSE {SS_OP_CLOSE, NULL, 0}
#define SS_PAUSE(ms) {SS_OP_PAUSE, NULL, (ms)}
#define SS_END {SS_OP_END, NULL, 0}

typedef struct ss_server ss_server;

/* Start serving `steps` (terminated by SS_END or SS_CLOSE; borrowed, must outlive the server).
 * NULL if the socket or thread cannot be created. */
ss_server *ss_start(const ss_step *steps, int expect_ms);
int ss_port(const ss_server *s);
/* Stop (closes the connection if still open), join the thread and free the server. Returns 0
 * when every step ran, -1 otherwise with the reason in why (capacity cap). When got is not
 * NULL it receives a malloc'd, NUL-terminated copy of every byte received (caller frees) and
 * *got_len its length. */
int ss_finish(ss_server *s, char *why, size_t cap, char **got, size_t *got_len);

#endif
