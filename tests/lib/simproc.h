/* simproc.h — run netauto-sim from C tests: start it with your arguments in a private temporary
 * directory, wait (with a deadline) until it is ready, read its devices and ports, ask for its
 * counters, and stop it — always reaping it and removing the directory, even when a test fails
 * half-way (an atexit hook stops anything still running). Not a simulator: the simulator is
 * tests/sim/ (docs/simulator.md).
 *
 * Typical use:
 *     simproc sp;
 *     na_err e = NA_ERR_INIT;
 *     const char *args[] = {"--devices", "3", "--fault", "sw2:slow=2000", NULL};
 *     if (simproc_start(&sp, args, 10000, &e) < 0) fail_msg("%s", e.msg);
 *     const simproc_dev *d = simproc_find(&sp, "sw1");      // d->ssh_port, d->telnet_port
 *     json_t *st;  simproc_stats(&sp, 5000, &st, &e);      // SIGUSR1 + wait for a newer file
 *     long n = simproc_counter(st, "sw1", "logins.ssh");
 *     json_decref(st);
 *     simproc_stop(&sp);
 */
#ifndef NA_SIMPROC_H
#define NA_SIMPROC_H

#include "err.h"

#include <jansson.h>
#include <stddef.h>
#include <sys/types.h>

typedef struct simproc_dev {
    char name[64];
    char personality[8];  /* "ios", "nxos", "eos" */
    char addr[64];        /* "127.0.0.1" */
    int ssh_port, telnet_port;
} simproc_dev;

typedef struct simproc {
    pid_t pid;                 /* 0 when not running */
    char dir[128];             /* the private temporary directory (removed by simproc_stop) */
    char ready_path[192];      /* DIR/ready */
    char stats_path[192];      /* DIR/stats.json */
    char inventory_path[192];  /* DIR/inventory.yaml (netauto inventory of every device) */
    char known_hosts_path[224];/* DIR/inventory.yaml.known_hosts */
    char log_path[192];        /* DIR/sim.log (--log: logins and commands) */
    char stderr_path[192];     /* DIR/sim.stderr (the simulator's own stderr) */
    simproc_dev *devs;         /* ndevs devices in order (owned) */
    size_t ndevs;
    long stats_seq;            /* seq of the last stats read */
} simproc;

/* Start $NETAUTO_BUILD/netauto-sim (default ./build/netauto-sim) with args (NULL-terminated
 * extra arguments, may be NULL) plus --ready-file, --stats-file, --inventory-out and --log in a
 * fresh directory. $NETAUTO_WRAP (e.g. valgrind ...) is put in front when set. Waits up to
 * timeout_ms for the ready file; on any failure the process is stopped, the directory removed,
 * and err says why (including the simulator's stderr). */
int simproc_start(simproc *sp, const char *const *args, int timeout_ms, na_err *err);

/* The device called name, or NULL. The pointer stays valid until simproc_stop. */
const simproc_dev *simproc_find(const simproc *sp, const char *name);

/* Send SIGUSR1 and wait up to timeout_ms for a stats file whose "seq" is newer than the last
 * one read. *out is a new reference (caller json_decref's it). */
int simproc_stats(simproc *sp, int timeout_ms, json_t **out, na_err *err);

/* One number from a stats document: device dev, then a dotted path ("commands",
 * "logins.telnet", "max_concurrent_config"). -1 when absent. */
long simproc_counter(json_t *stats, const char *dev, const char *path);

/* SIGTERM, wait up to 5 s (30 s under $NETAUTO_WRAP), then SIGKILL; always reaped. Removes
 * the directory. Returns the exit status (0 = clean stop), or -1 if it had to be killed or
 * was not running. Safe to call more than once. */
int simproc_stop(simproc *sp);

#endif
