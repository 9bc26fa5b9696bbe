/* sim_archive.c — IOS's configuration archive and its safe changes, what commit-confirmed on
 * IOS needs (issue 13): `archive` / ` path URL` (the prerequisite, shown in the running-config),
 * `configure terminal revert timer MINUTES` (enters configuration mode and remembers the
 * configuration to go back to), `configure confirm` (keep the change), `configure revert now`
 * (go back at once). When the timer expires without a confirmation the device goes back by
 * itself: the simulator checks the timer whenever the device is looked at (any command on any
 * session, the stats file), which no observer can tell from a real timer. `--opt
 * SEL:revert-minute=MS` makes a minute of the timer last MS milliseconds, for tests. Going back
 * = the factory state, then the remembered configuration replayed through the CLI (what
 * `configure replace` does). Not the archive's files, `show archive`, or `configure replace`
 * itself. IOS personality; the timer is also Junos' `commit confirmed` (sim_junos.c), which
 * goes back to a snapshot of the tables. */
#include "sim_show.h"
#include "sim_term_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static unsigned minute_ms(const sim_device *d)
{
    return d->f.revert_minute_ms ? d->f.revert_minute_ms : 60000;
}

static void go_back(sim_device *d)
{
    char *cfg = d->revert_cfg;
    size_t len = d->revert_len;
    d->revert_cfg = NULL;
    d->revert_at_ms = 0;
    if (!cfg)
        return;
    char *path = d->archive_path; /* the archive survives its own rollback */
    d->archive_path = NULL;
    sim_device_factory(d);
    sim_config_apply(d, cfg, len);
    if (!d->archive_path)
        d->archive_path = path;
    else
        free(path);
    free(cfg);
}

void sim_revert_tick(sim_device *d)
{
    if (!d->revert_at_ms || d->clock_ms() < d->revert_at_ms)
        return;
    if (d->revert_snap) { /* junos: commit confirmed not confirmed in time */
        sim_snapshot_restore(d, d->revert_snap);
        sim_snapshot_free(d->revert_snap);
        d->revert_snap = NULL;
        d->revert_at_ms = 0;
        return;
    }
    go_back(d);
}

void sim_c_archive(sim_term *t, const sim_args *a)
{
    (void)a;
    sim_t_set_mode(t, SIM_M_ARCH);
}

void sim_c_no_archive(sim_term *t, const sim_args *a)
{
    (void)a;
    free(t->dev->archive_path);
    t->dev->archive_path = NULL;
}

void sim_c_archive_path(sim_term *t, const sim_args *a)
{
    char *p = strdup(a->line + a->off[1]);
    if (!p)
        return;
    free(t->dev->archive_path);
    t->dev->archive_path = p;
}

void sim_c_revert_timer(sim_term *t, const sim_args *a)
{
    sim_device *d = t->dev;
    if (!d->archive_path) {
        sim_t_puts(t, "%Error: Archive feature is not configured (archive / path)\n");
        return;
    }
    if (!d->revert_cfg) { /* a second change inside the window keeps the first snapshot */
        na_buf b;
        na_buf_init(&b, 1 << 24);
        na_err e = NA_ERR_INIT;
        if (sim_render_config(d, &b, &e) < 0) {
            na_buf_free(&b);
            sim_t_puts(t, "% Not enough memory\n");
            return;
        }
        d->revert_len = b.len;
        d->revert_cfg = na_buf_steal(&b);
        na_buf_free(&b);
        if (!d->revert_cfg)
            return;
    }
    d->revert_at_ms = d->clock_ms() + (int64_t)a->num[4] * minute_ms(d);
    sim_t_puts(t, "Enter configuration commands, one per line.  End with CNTL/Z.\n");
    sim_t_set_mode(t, SIM_M_CONF);
}

void sim_c_configure_confirm(sim_term *t, const sim_args *a)
{
    (void)a;
    sim_device *d = t->dev;
    if (!d->revert_cfg) {
        sim_t_puts(t, "%Error: No Rollback Confirmation Pending\n");
        return;
    }
    free(d->revert_cfg);
    d->revert_cfg = NULL;
    d->revert_at_ms = 0;
}

void sim_c_revert_now(sim_term *t, const sim_args *a)
{
    (void)a;
    if (!t->dev->revert_cfg) {
        sim_t_puts(t, "%Error: No Rollback Confirmation Pending\n");
        return;
    }
    sim_t_async(t, "ARCHIVE_DIFF-5-ROLLBK_CNFMD_CHG_ROLLBACK_START",
                "Start rolling to: %s", t->dev->archive_path);
    go_back(t->dev);
}

int sim_archive_render(const sim_device *d, na_buf *o, na_err *e)
{
    if (!d->archive_path)
        return 0;
    return na_buf_printf(o, e, "archive\n path %s\n!\n", d->archive_path);
}
