/* sim_term.h — one CLI session on a simulated device, independent of the transport: keystrokes
 * go in (sim_term_feed), terminal output comes out (sim_term_pull). It does the login dialog
 * (Telnet), line editing and echo, modes and prompts, command dispatch, the --More-- pager,
 * dialogs (enable secret, [confirm], copy destination) and the per-session faults (close-after,
 * stall-after, garbage, huge-output). Output is produced lazily as the caller pulls, so a
 * client that does not read stalls only its own session and a 50 MB show tech-support is never
 * held in memory; typed-ahead input waits until the previous command's output is drained, as on
 * a real device. Not a socket server: sim_srv.c moves the bytes. */
#ifndef SIM_TERM_H
#define SIM_TERM_H

#include "sim_device.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum { SIM_TR_SSH = 0, SIM_TR_TELNET = 1 } sim_transport;
const char *sim_transport_name(sim_transport t); /* "ssh", "telnet" */

typedef struct sim_term_cfg {
    sim_transport transport;
    bool login;            /* run the Username:/Password: dialog first (Telnet) */
    const char *user;      /* SSH: the authenticated user (copied) */
    const char *peer;      /* "127.0.0.1:40000" for show users and the log (copied) */
    int width, height;     /* terminal size from the PTY / NAWS; 0 = 80 x 24 */
    const char *exec_cmd;  /* SSH exec request: run this one command, no prompt, then close */
    uint32_t seed;         /* for the garbage fault */
} sim_term_cfg;

typedef enum {
    SIM_TS_OPEN = 0,  /* session goes on */
    SIM_TS_STALLED,   /* stall-after reached: never produces output again; keep the socket */
    SIM_TS_CLOSE,     /* close gracefully once everything pulled has been sent */
    SIM_TS_DROP,      /* drop the connection abruptly once the pulled bytes are sent */
} sim_term_status;

/* A new session on d (d must outlive it). Returns NULL on allocation failure. The initial
 * output (login banner or prompt) is ready to pull at once. Free with sim_term_free. */
sim_term *sim_term_new(sim_device *d, const sim_term_cfg *cfg);
void sim_term_free(sim_term *t);

/* Queue keystrokes. The queue holds 64 KiB; bytes beyond that are dropped (like a device's
 * type-ahead buffer). */
void sim_term_feed(sim_term *t, const void *data, size_t n);

/* Produce up to cap bytes of output into buf; returns the count. 0 means nothing more until
 * more input arrives (or ever, when the status is not SIM_TS_OPEN). */
size_t sim_term_pull(sim_term *t, char *buf, size_t cap);

/* The output is paused (a banner drawn slowly): ms until it goes on; <= 0 = not paused. */
int64_t sim_term_hold_ms(const sim_term *t);

/* Would sim_term_pull produce something now (output ready, or input or output generation
 * waiting)? Lets a rate-limited transport know whether to come back later. */
bool sim_term_pending(const sim_term *t);

/* What the transport should do; meaningful together with pull returning 0. */
sim_term_status sim_term_status_of(const sim_term *t);

void sim_term_resize(sim_term *t, int width, int height);
bool sim_term_logged_in(const sim_term *t);
unsigned sim_term_commands(const sim_term *t); /* commands run in this session */

/* Apply startup-config text to the running state (lines the simulator does not model are
 * ignored; interface addresses are marked as from NVRAM). */
void sim_config_apply(sim_device *d, const char *text, size_t len);
/* Start-up: apply the startup-config read by sim_device_init, if any. */
void sim_device_boot(sim_device *d);
/* reload: running-config = startup-config (or factory), uptime restarts, every session of an
 * older epoch is dropped. */
void sim_device_reload(sim_device *d);

/* Optional hook for the --log file: event is "login", "login-failed", "command". Set once by
 * the server before sessions start; NULL = no logging. */
typedef void (*sim_term_log_fn)(const sim_device *d, sim_transport tr, const char *peer,
                                const char *event, const char *text);
void sim_term_set_log_hook(sim_term_log_fn fn);

#endif
