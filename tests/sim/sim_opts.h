/* sim_opts.h — netauto-sim's command line (docs/simulator.md) parsed into a plain struct, and
 * the --fault / --opt specifications applied to devices. Pure parsing: no sockets, no files.
 * Errors are NA_E_USAGE with a message naming the option. */
#ifndef SIM_OPTS_H
#define SIM_OPTS_H

#include "err.h"
#include "sim_device.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#define SIM_MAX_DEVICE_SPECS 64

typedef struct sim_devspec {
    unsigned count;
    sim_persona persona;
    char prefix[32];
} sim_devspec;

/* One --fault SEL:KIND[=ARG] or --opt SEL:KEY[=VAL] (strings owned). */
typedef struct sim_faultspec {
    char *sel, *kind, *arg; /* arg NULL when absent */
    bool is_opt;
} sim_faultspec;

typedef struct sim_opts {
    sim_devspec specs[SIM_MAX_DEVICE_SPECS];
    size_t nspecs;
    const char *listen;        /* borrowed from argv or a literal */
    int base_port;             /* 0 = kernel-chosen ports */
    const char *username, *password, *secret;
    const char *authorized_keys, *banner, *host_key, *state_dir;
    const char *inventory_out, *ready_file, *stats_file, *log_file;
    sim_faultspec *faults;     /* owned array */
    size_t nfaults;
    int verbose;
    int login_timeout_s;       /* drop connections not logged in after this (default 60) */
    unsigned seed;             /* garbage fault PRNG seed (default 1) */
} sim_opts;

/* Parse argv (borrowed: strings must outlive o). Returns 0, 1 when --help was printed to
 * stdout, or -1 with err (NA_E_USAGE). Free with sim_opts_free even after a failure. */
int sim_opts_parse(int argc, char **argv, sim_opts *o, na_err *err);
void sim_opts_free(sim_opts *o);
void sim_opts_usage(FILE *f);

/* Total number of devices the specs describe. */
size_t sim_opts_ndevices(const sim_opts *o);
/* Name of device number k (0-based, in order) into out ("sw3"). */
void sim_opts_device(const sim_opts *o, size_t k, char *out, size_t cap, sim_persona *p);

/* Apply one fault or option to a device. */
int sim_fault_apply(sim_device *d, const sim_faultspec *f, na_err *err);
/* Apply every --fault/--opt to the devices their selector matches (name, glob or "all"); a
 * selector matching no device is an error. */
int sim_faults_apply_all(sim_device *devs, size_t n, const sim_opts *o, na_err *err);

#endif
