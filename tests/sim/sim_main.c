/* sim_main.c — netauto-sim's main(): parse the command line, build the devices and listeners,
 * announce readiness (stdout line, --ready-file, --inventory-out), run the one event loop until
 * SIGTERM/SIGINT, then write the final stats and free everything. Not the server itself
 * (sim_srv.c). Exit codes: 0 clean stop, 1 runtime failure, 2 bad usage. */
#include "log.h"
#include "sim_files.h"
#include "sim_opts.h"
#include "sim_srv.h"

#include <libssh/libssh.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
    sim_opts o;
    na_err err = NA_ERR_INIT;
    int rc = sim_opts_parse(argc, argv, &o, &err);
    if (rc != 0) {
        if (rc < 0)
            fprintf(stderr, "netauto-sim: %s\n", err.msg);
        sim_opts_free(&o);
        return rc < 0 ? 2 : 0;
    }
    na_log_set_level(o.verbose >= 2 ? NA_LOG_TRACE : o.verbose ? NA_LOG_DEBUG : NA_LOG_WARN);
    ssh_init();
    sim_srv s;
    memset(&s, 0, sizeof s);
    int code = 0;
    if (o.log_file && sim_files_log_open(o.log_file, &err) < 0) {
        code = 2;
    } else if (sim_srv_init(&s, &o, &err) < 0) {
        code = err.code == NA_E_USAGE ? 2 : 1;
    } else if ((o.ready_file || o.inventory_out) &&
               ((o.inventory_out && sim_files_inventory(&s, o.inventory_out, &err) < 0) ||
                (o.ready_file && sim_files_ready(&s, o.ready_file, &err) < 0))) {
        code = 1;
    }
    if (code) {
        fprintf(stderr, "netauto-sim: %s\n", err.msg);
    } else {
        printf("netauto-sim: ready: %zu devices\n", s.ndevs);
        fflush(stdout);
        NA_LOGI(NULL, "ready: %zu devices", s.ndevs);
        if (sim_srv_run(&s) < 0) {
            fprintf(stderr, "netauto-sim: the event loop failed\n");
            code = 1;
        }
        na_err_clear(&err);
        if (sim_srv_write_stats(&s, &err) < 0)
            fprintf(stderr, "netauto-sim: %s\n", err.msg);
    }
    sim_srv_free(&s);
    sim_files_log_close();
    sim_opts_free(&o);
    ssh_finalize();
    return code;
}
