/* sim_files.h — the simulator's instrumentation files (docs/simulator.md): the ready file, the
 * netauto inventory with its known_hosts file, the stats JSON and the --log file. Files other
 * programs wait for are written atomically (temporary file + rename). Not the server. */
#ifndef SIM_FILES_H
#define SIM_FILES_H

#include "err.h"
#include "sim_srv.h"
#include "sim_term.h"

/* "# netauto-sim ready pid=N" then "NAME PERSONALITY ADDR SSH_PORT TELNET_PORT" per device. */
int sim_files_ready(const sim_srv *s, const char *path, na_err *err);
/* The inventory (docs/inventory.md) and PATH.known_hosts ("[ADDR]:PORT TYPE BASE64" with each
 * device's usual host key). */
int sim_files_inventory(const sim_srv *s, const char *path, na_err *err);
/* {"seq": N, "pid": P, "devices": {NAME: {...counters...}}} */
int sim_files_stats(const sim_srv *s, const char *path, unsigned seq, na_err *err);

/* The --log file: opened once (append), one line per event, secrets redacted. */
int sim_files_log_open(const char *path, na_err *err);
void sim_files_log_close(void);
void sim_files_log(const sim_device *d, sim_transport tr, const char *peer, const char *event,
                   const char *text);

#endif
