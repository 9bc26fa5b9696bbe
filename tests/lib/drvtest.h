/* drvtest.h — helpers for the driver's end-to-end tests (tests/e2e/test_drv_*.c): start the
 * simulator (simproc.h) and load the inventory it writes, so every test gets real connection
 * parameters (ports, credentials, known_hosts) for a device over either transport; build and open
 * sessions on the built-in platforms; run a command and keep its output; measure how long an
 * operation took. Not a test framework (cmocka is) and not a fake: everything speaks real SSH
 * and Telnet over loopback. */
#ifndef NA_DRVTEST_H
#define NA_DRVTEST_H

#include "err.h"
#include "inventory.h"
#include "platform.h"
#include "session.h"
#include "simproc.h"
#include "transport.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct drvt_sim {
    simproc sp;
    na_inventory *inv;  /* the simulator's --inventory-out, loaded */
    na_platforms *reg;  /* built-in platforms */
} drvt_sim;

/* Start netauto-sim with args (NULL-terminated, may be NULL) and load its inventory. On failure
 * everything is stopped again and err says why. Stop with drvt_sim_stop (idempotent). */
int drvt_sim_start(drvt_sim *d, const char *const *args, na_err *err);
void drvt_sim_stop(drvt_sim *d);

/* A copy of device dev's connection parameters for kind (strings stay owned by the inventory,
 * valid until drvt_sim_stop). Aborts the test (cmocka fail) when dev is unknown. */
na_conn_params drvt_params(drvt_sim *d, const char *dev, na_transport_kind kind);
/* The inventory host for dev (NULL if unknown). */
const na_inv_host *drvt_host(drvt_sim *d, const char *dev);

/* A session for dev over kind with parameters p (borrowed: must outlive the session) on the
 * device's platform. o may be NULL; when o->secret is NULL the inventory's enable secret is
 * used. NULL + err on failure. Free with na_session_free. */
na_session *drvt_session(drvt_sim *d, const char *dev, na_transport_kind kind,
                         const na_conn_params *p, const na_session_opts *o, na_err *err);

/* The same, opened (blocking). NULL + err (the session freed) when the open fails. */
na_session *drvt_open(drvt_sim *d, const char *dev, na_transport_kind kind,
                      const na_conn_params *p, const na_session_opts *o, na_err *err);

/* Run cmd; return its output (malloc'd, caller frees) or NULL + err. */
char *drvt_cmd(na_session *s, const char *cmd, na_err *err);

/* Milliseconds since t0 (na_now_ms()). */
int64_t drvt_since(int64_t t0);

/* Read a whole file (malloc'd, NUL-terminated; NULL when unreadable). */
char *drvt_slurp(const char *path, size_t *len);

/* cmocka entries running test f once per transport, named "f (ssh)" and "f (telnet)"; f reads
 * its transport with drvt_state_kind(state). Needs cmocka.h first. */
extern const na_transport_kind drvt_ssh, drvt_telnet;
#define DRVT_BOTH(f)                                                                           \
    {#f " (ssh)", f, NULL, NULL, (void *)&drvt_ssh},                                           \
    {                                                                                          \
        #f " (telnet)", f, NULL, NULL, (void *)&drvt_telnet                                    \
    }
static inline na_transport_kind drvt_state_kind(void **state)
{
    return *(const na_transport_kind *)*state;
}

/* Transport name for test labels. */
const char *drvt_kind(na_transport_kind k);

#endif
