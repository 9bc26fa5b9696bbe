/* runner_batch.c — how a run is cut into phases and batches, and the failure budget: which tasks
 * --tags/--skip-tags select; one phase with every play, or one per play when a play has serial,
 * max_fail_percentage or any_errors_fatal; the batches of a phase (Ansible's sizes); after each
 * host, whether the batch spent its budget, and then stopping the run: nothing new starts, the
 * hosts that did not run are reported skipped. Not the scheduling loop itself (runner.c). */
#include "log.h"
#include "pb_int.h"
#include "runner_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int na_rn_copy_tags(const char *const **out, size_t *n, const char *const *in, size_t cnt)
{
    *out = NULL;
    *n = 0;
    if (!cnt)
        return 0;
    char **a = calloc(cnt, sizeof *a);
    if (!a)
        return -1;
    *out = (const char *const *)a;
    for (size_t i = 0; i < cnt; i++) {
        if (!(a[i] = strdup(in[i])))
            return -1;
        *n = i + 1;
    }
    return 0;
}

void na_rn_free_tags(const char *const *a, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free((char *)a[i]);
    free((void *)a);
}

/* Which tasks --tags/--skip-tags select, once. */
int na_rn_select_tasks(na_runner *r, na_err *err)
{
    size_t np = na_pb_play_count(r->pb), total = 0;
    if (!(r->sel_off = calloc(np + 1, sizeof *r->sel_off)))
        return na_err_set(err, NA_E_NOMEM, "out of memory");
    for (size_t p = 0; p < np; p++) {
        r->sel_off[p] = total;
        total += na_play_task_count(na_pb_play(r->pb, p));
        size_t nh = na_play_handler_count(na_pb_play(r->pb, p));
        if (nh > r->max_handlers)
            r->max_handlers = nh;
    }
    if (!(r->selected = calloc(total + 1, 1)))
        return na_err_set(err, NA_E_NOMEM, "out of memory");
    for (size_t p = 0; p < np; p++) {
        const na_play *pl = na_pb_play(r->pb, p);
        for (size_t t = 0; t < na_play_task_count(pl); t++)
            r->selected[r->sel_off[p] + t] = na_task_selected(na_play_task(pl, t), &r->tags);
    }
    return 0;
}

bool na_rn_selected(const na_runner *r, size_t play, size_t task)
{
    return r->selected[r->sel_off[play] + task] != 0;
}

/* One phase with every play, or (when any play batches) one phase per play. */
int na_rn_prepare_phases(na_runner *r, na_err *err)
{
    size_t np = na_pb_play_count(r->pb);
    bool batched = false;
    for (size_t p = 0; p < np; p++)
        batched |= na_play_batched(na_pb_play(r->pb, p));
    r->batched = batched;
    r->nphases = batched ? np : 1;
    r->pending = calloc(r->nhosts + 1, sizeof *r->pending);
    r->batch_sizes = calloc(r->nhosts + 1, sizeof *r->batch_sizes);
    for (size_t i = 0; i < r->nhosts; i++) {
        if (r->max_handlers &&
            !(r->hosts[i].notified = calloc(r->max_handlers, 1)))
            return na_err_set(err, NA_E_NOMEM, "out of memory");
    }
    if (!r->pending || !r->batch_sizes)
        return na_err_set(err, NA_E_NOMEM, "out of memory");
    return 0;
}

static bool phase_includes(const na_runner *r, const rn_host *h, size_t phase)
{
    size_t np = na_pb_play_count(r->pb);
    size_t from = r->batched ? phase : 0, to = r->batched ? phase + 1 : np;
    for (size_t p = from; p < to; p++)
        if (h->plays[p])
            return true;
    return false;
}

bool na_rn_host_is_final(const rn_host *h)
{
    const na_runner *r = h->r;
    if (!h->ok || h->cancelled || r->stopping || r->cancelled)
        return true;
    for (size_t ph = r->cur_phase + 1; ph < r->nphases; ph++)
        if (phase_includes(r, h, ph))
            return false;
    return true;
}

void na_rn_count_final(na_runner *r, rn_host *h)
{
    if (h->skipped)
        r->prog.skipped++;
    else if (h->cancelled)
        r->prog.cancelled++;
    else if (h->ok)
        r->prog.ok++;
    else
        r->prog.failed++;
    r->prog.changed += h->changed;
}

/* A host that will not run (again): skipped, recorded, closed for the hooks. */
void na_rn_skip_host(na_runner *r, rn_host *h)
{
    if (h->final)
        return;
    h->final = true;
    h->skipped = true;
    h->ok = false;
    na_err_clear(&h->err);
    na_err_set(&h->err, NA_E_CANCELLED, "not run: %s", r->stop_reason);
    na_rn_host_record(h);
    na_rn_count_final(r, h);
    if (h->begun && r->hooks.host_finished) {
        json_t *j = json_object_get(r->hosts_json, h->inv->name);
        if (j)
            r->hooks.host_finished(r->hooks.ud, h->inv->name, j);
    }
}

/* The failure budget is spent: nothing new starts; running hosts stop at their next task. */
static void stop_run(na_runner *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void stop_run(na_runner *r, const char *fmt, ...)
{
    if (r->stopping)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->stop_reason, sizeof r->stop_reason, fmt, ap);
    va_end(ap);
    r->stopping = true;
    NA_LOGW(r->owner, "stopping: %s", r->stop_reason);
    for (size_t i = 0; i < r->nhosts; i++) {
        rn_host *h = &r->hosts[i];
        if (!h->final && h->state != RH_RUNNING && h->state != RH_WAITING)
            na_rn_skip_host(r, h);
    }
    r->next = r->batch_n;
    r->pending_pos = r->npending;
    r->cur_phase = r->nphases;
}

/* The next batch of the current phase, or the first batch of the next phase with hosts.
 * false when there is none left. */
bool na_rn_next_batch(na_runner *r)
{
    for (;;) {
        if (r->cur_batch < r->nbatches && r->pending_pos < r->npending) {
            size_t size = r->batch_sizes[r->cur_batch++];
            if (size > r->npending - r->pending_pos)
                size = r->npending - r->pending_pos;
            r->batch = r->pending + r->pending_pos;
            r->batch_n = size;
            r->pending_pos += size;
            r->next = r->batch_done = r->batch_failed = 0;
            for (size_t i = 0; i < size; i++)
                r->hosts[r->batch[i]].state = RH_QUEUED;
            return true;
        }
        if (r->started_phase)
            r->cur_phase++;
        r->started_phase = true;
        if (r->cur_phase >= r->nphases)
            return false;
        size_t np = na_pb_play_count(r->pb);
        r->phase_from = r->batched ? r->cur_phase : 0;
        r->phase_to = r->batched ? r->cur_phase + 1 : np;
        r->npending = r->pending_pos = r->cur_batch = 0;
        for (size_t i = 0; i < r->nhosts; i++) {
            rn_host *h = &r->hosts[i];
            if (!h->final && phase_includes(r, h, r->cur_phase))
                r->pending[r->npending++] = i;
        }
        const na_play *pl = na_pb_play(r->pb, r->phase_from);
        if (r->batched && na_play_batched(pl)) {
            r->nbatches = na_play_batches(pl, r->npending, r->batch_sizes, r->nhosts + 1);
        } else {
            r->nbatches = 1;
            r->batch_sizes[0] = r->npending;
        }
        if (r->batched && r->npending)
            NA_LOGI(r->owner, "play '%s': %zu host%s in %zu batch%s", na_play_name(pl),
                    r->npending, r->npending == 1 ? "" : "s", r->nbatches,
                    r->nbatches == 1 ? "" : "es");
    }
}

/* After a host of the batch ended: is the failure budget spent? */
void na_rn_check_budget(na_runner *r)
{
    if (!r->batched || r->stopping || r->cur_phase >= r->nphases)
        return;
    const na_play *pl = na_pb_play(r->pb, r->phase_from);
    double mf = na_play_max_fail(pl);
    if (r->batch_failed && na_play_any_errors_fatal(pl))
        stop_run(r, "a host failed in batch %zu of play '%s', which has any_errors_fatal",
                 r->cur_batch, na_play_name(pl));
    else if (mf >= 0 && r->batch_n && (double)r->batch_failed * 100.0 / (double)r->batch_n > mf)
        stop_run(r, "%zu of %zu hosts failed in batch %zu of play '%s' (max_fail_percentage "
                 "%g)", r->batch_failed, r->batch_n, r->cur_batch, na_play_name(pl), mf);
    else if (r->batch_done == r->batch_n && r->batch_failed == r->batch_n && r->batch_n &&
             na_play_batched(pl))
        stop_run(r, "every host of batch %zu of play '%s' failed", r->cur_batch,
                 na_play_name(pl));
}

