/* jobs_recover.c — taking up, at start, the jobs a previous netautod accepted and did not finish
 * (see jobs.h, nd_jobs_recover; docs/daemon.md, Durability). Per job, from what the store kept:
 * hosts with a result keep it; hosts in flight (their write-ahead record says something may have
 * been sent, and they have no result) run again when the job is resumable ("rerun"), else get
 * an `interrupted` result listing exactly what they had been sent; the other hosts run
 * ("resumed" when the job had started). A job whose cancel was accepted ends cancelled. Jobs are
 * queued again in their original order, before anything new, each with a job_recovered event
 * and a job.recover audit row; playbook jobs are validated again by the backend, one at a time,
 * with their vars unsealed. Not the job manager's running of them (jobs.c) nor the store's
 * reads (store_durable.c). */
#include "api_req.h"
#include "clock.h"
#include "jobs.h"
#include "jobs_int.h"
#include "log.h"
#include "secret.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The result of a host left interrupted: what it had been sent, as the records say. */
static json_t *interrupted_result(const char *host, const json_t *records, const char *why)
{
    json_t *sent = json_array();
    bool may_change = false;
    size_t i;
    json_t *r;
    json_array_foreach(records, i, r) {
        const char *kind = json_string_value(json_object_get(r, "kind"));
        may_change |= kind && strcmp(kind, "command") != 0;
        json_array_append(sent, r);
    }
    char msg[400];
    snprintf(msg, sizeof msg, "%s: %s; what it had been sent is listed in 'sent' (each "
             "operation's lines, and how many of them the device answered)", host, why);
    return json_pack("{s:b,s:b,s:b,s:s,s:s,s:o,s:b,s:[]}", "ok", 0, "changed", 0, "failed", 1,
                     "error", msg, "recovery", "interrupted", "sent", sent, "may_have_changed",
                     may_change, "tasks");
}

static void store_result(nd_job *j, const char *host, json_t *res)
{
    na_err e = NA_ERR_INIT;
    if (!res || nd_store_host_result(j->m->env.store, j->id, host, res, na_wall_ms(), &e) < 0)
        NA_LOGE("jobs", "job %lld: %s: %s", (long long)j->id, host,
                res ? e.msg : "out of memory");
    j->hosts_done++;
    j->hosts_failed++;
    j->hosts_interrupted++;
    nd_jobs_emit(j, "host_finished", json_pack("{s:s,s:O}", "host", host, "result", res));
    json_decref(res);
}

/* ---- playbook jobs are validated again, one at a time ---------------------------------------- */

static void unqueue(nd_job *j)
{
    TAILQ_REMOVE(&j->m->queued, j, link);
    j->m->n_queued--;
}

static void reprepared(void *ud, nd_be_job *bj, const json_t *targets, const na_err *verr)
{
    (void)targets;
    nd_job *j = ud;
    nd_jobs *m = j->m;
    j->prep = NULL;
    j->need_prep = false;
    if (!bj) {
        char msg[600];
        snprintf(msg, sizeof msg, "after the restart, the job could not be prepared again: %s",
                 verr && verr->msg[0] ? verr->msg : "unknown error");
        unqueue(j);
        nd_jobs_settle(j, ND_JOB_FAILED, msg);
    } else {
        j->exec = &nd_jobs_backend_exec;
        j->exec_state = bj;
    }
    nd_jobs_prep_next(m);
    nd_jobs_schedule_pump(m);
}

/* The vars the job was submitted with: unsealed, or as stored when nothing was secret. New
 * reference, or NULL + err. */
static json_t *job_vars(nd_jobs *m, nd_job *j, const json_t *request, na_err *err)
{
    const json_t *stored = json_object_get(request, "vars");
    void *blob = NULL;
    size_t len = 0;
    if (nd_store_job_sealed(m->env.store, j->id, &blob, &len, err) < 0)
        return NULL;
    if (!blob) {
        json_t *masked = nd_vars_secrets(stored);
        bool secret = json_array_size(masked) > 0;
        json_decref(masked);
        if (secret) {
            na_err_set(err, NA_E_CONFIG, "its secret vars were not kept (netautod had no key to "
                       "seal them), so it cannot run again");
            return NULL;
        }
        return json_is_object(stored) ? json_deep_copy(stored) : json_object();
    }
    char *plain = NULL;
    size_t plen = 0;
    int rc = m->env.seal ? nd_seal_open(m->env.seal, blob, len, &plain, &plen, err)
                         : na_err_set(err, NA_E_CONFIG, "no key to open its sealed vars");
    free(blob);
    if (rc < 0) {
        na_err_prefix(err, "its secret vars: ");
        return NULL;
    }
    json_t *v = json_loadb(plain, plen, 0, NULL);
    na_wipe(plain, plen);
    free(plain);
    if (!json_is_object(v)) {
        json_decref(v);
        na_err_set(err, NA_E_CONFIG, "its sealed vars are not a JSON object");
        return NULL;
    }
    return v;
}

void nd_jobs_prep_next(nd_jobs *m)
{
    nd_job *j;
    TAILQ_FOREACH(j, &m->queued, link)
        if (j->prep)
            return; /* one at a time */
    TAILQ_FOREACH(j, &m->queued, link)
        if (j->need_prep)
            break;
    if (!j || m->draining)
        return;
    na_err e = NA_ERR_INIT;
    const json_t *rq = j->resume_request;
    json_t *vars = job_vars(m, j, rq, &e);
    size_t n = json_array_size(j->resume_hosts);
    const char **hosts = calloc(n ? n : 1, sizeof *hosts);
    if (vars && hosts && !j->secrets &&
        nd_jobs_hold_secrets(vars, &j->secrets, &j->n_secrets, &e) < 0) {
        json_decref(vars);
        vars = NULL;
    }
    if (vars && hosts) {
        for (size_t i = 0; i < n; i++)
            hosts[i] = json_string_value(json_array_get(j->resume_hosts, i));
        nd_job_spec spec = {
            .playbook = json_string_value(json_object_get(rq, "playbook")),
            .limit = json_string_value(json_object_get(rq, "limit")),
            .check = json_is_true(json_object_get(rq, "check")),
            .vars = vars,
            .submitted_by = j->submitted_by,
            .hosts = hosts,
            .n_hosts = n,
        };
        if (!spec.playbook)
            na_err_set(&e, NA_E_CONFIG, "its stored request names no playbook");
        else
            j->prep = m->env.be_ops->job_prepare(m->env.be, &spec, reprepared, j, &e);
    } else if (!hosts) {
        na_err_set(&e, NA_E_NOMEM, "out of memory");
    }
    free(hosts);
    json_decref(vars);
    if (j->prep)
        return;
    /* could not even begin: the job ends failed; try the next one */
    char msg[600];
    snprintf(msg, sizeof msg, "after the restart, the job could not be prepared again: %s",
             e.msg[0] ? e.msg : "unknown error");
    j->need_prep = false;
    unqueue(j);
    nd_jobs_settle(j, ND_JOB_FAILED, msg);
    nd_jobs_prep_next(m);
}

/* ---- one job ------------------------------------------------------------------------------ */

static nd_jobs_resume_fn resumer_of(nd_jobs *m, const char *kind)
{
    for (int i = 0; i < m->n_resumers; i++)
        if (!strcmp(m->resumers[i].kind, kind))
            return m->resumers[i].fn;
    return NULL;
}

static void recover_one(nd_jobs *m, const json_t *row)
{
    int64_t id = json_integer_value(json_object_get(row, "id"));
    const char *kind = json_string_value(json_object_get(row, "kind"));
    const char *state = json_string_value(json_object_get(row, "state"));
    const char *who = json_string_value(json_object_get(row, "submitted_by"));
    const json_t *targets = json_object_get(row, "targets");
    const json_t *results = json_object_get(row, "results");
    const json_t *inflight = json_object_get(row, "inflight");
    const char *cancel_by = json_string_value(json_object_get(row, "cancel_by"));
    bool resumable = json_is_true(json_object_get(row, "resumable"));
    json_t *empty = json_array();
    nd_job *j = nd_jobs_job_new(m, id, kind ? kind : "?", who ? who : "?",
                                json_is_array(targets) ? targets : empty);
    json_decref(empty);
    char target[40];
    snprintf(target, sizeof target, "job %lld", (long long)id);
    if (!j || !(j->recovery = json_object())) {
        NA_LOGE("jobs", "%s: out of memory while taking it up again; it stays unfinished",
                target);
        if (j)
            nd_jobs_job_free(j);
        return;
    }
    j->next_seq = json_integer_value(json_object_get(row, "last_seq")) + 1;
    j->sent_seq = json_integer_value(json_object_get(row, "sent_seq"));
    j->recovered = true;
    j->was_running = json_is_true(json_object_get(row, "started")); /* also before a restart */
    const char *h;
    json_t *r;
    json_object_foreach((json_t *)results, h, r) {
        nd_store_sum c = {0};
        j->hosts_done++;
        if (json_is_true(json_object_get(r, "ok")))
            j->hosts_ok++;
        else
            j->hosts_failed++;
        if (json_is_true(json_object_get(r, "changed")))
            j->hosts_changed++;
        nd_store_recovery_count(&c, json_string_value(json_object_get(r, "recovery")));
        j->hosts_resumed += c.resumed;
        j->hosts_rerun += c.rerun;
        j->hosts_interrupted += c.interrupted;
    }
    /* what happens to each host without a result */
    json_t *run = json_array(), *rerun = json_array(), *resumed = json_array(),
           *left = json_array();
    size_t i;
    json_t *v;
    json_array_foreach(targets, i, v) {
        const char *host = json_string_value(v);
        if (!host || json_object_get(results, host))
            continue;
        const json_t *recs = json_object_get(inflight, host);
        if (recs && (cancel_by || !resumable)) {
            json_array_append_new(left, json_string(host));
            continue;
        }
        if (cancel_by)
            continue;
        json_array_append_new(run, json_string(host));
        if (recs) {
            json_array_append_new(rerun, json_string(host));
            json_object_set_new(j->recovery, host, json_string("rerun"));
        } else if (j->was_running) {
            json_array_append_new(resumed, json_string(host));
            json_object_set_new(j->recovery, host, json_string("resumed"));
        }
    }
    nd_jobs_emit(j, "job_recovered",
                 json_pack("{s:s,s:b,s:s?,s:O,s:O,s:O,s:i}", "was", state ? state : "?",
                           "resumable", resumable, "cancelled_by", cancel_by, "resumed", resumed,
                           "rerun", rerun, "interrupted", left, "kept", j->hosts_done));
    json_array_foreach(left, i, v) {
        const char *host = json_string_value(v);
        store_result(j, host,
                     interrupted_result(host, json_object_get(inflight, host),
                                        cancel_by ? "netautod stopped while this host was in "
                                                    "flight, after the job's cancel was accepted"
                                                  : "netautod stopped while this host was in "
                                                    "flight; it is not run again (the playbook "
                                                    "is not resumable: say `resumable: true` "
                                                    "when its tasks converge)"));
    }
    char detail[300];
    snprintf(detail, sizeof detail, "was %s; %zu hosts kept, %zu resumed, %zu re-run, %zu left "
             "interrupted%s%s", state ? state : "?", json_object_size(results),
             json_array_size(resumed), json_array_size(rerun), json_array_size(left),
             cancel_by ? "; cancel by " : "", cancel_by ? cancel_by : "");
    nd_audit(m->env.store, "netautod", "job.recover", target, detail);
    NA_LOGW("jobs", "%s was unfinished when netautod stopped: %s", target, detail);
    json_decref(resumed);
    json_decref(rerun);
    json_decref(left);
    na_err e = NA_ERR_INIT;
    bool queue = !cancel_by && json_array_size(run) > 0;
    if (nd_store_job_requeued(m->env.store, id, queue, &e) < 0) {
        NA_LOGE("jobs", "%s: %s; it stays unfinished", target, e.msg);
        json_decref(run);
        nd_jobs_job_free(j);
        return;
    }
    if (cancel_by) {
        char msg[300];
        snprintf(msg, sizeof msg, "cancelled by %s (accepted before netautod stopped, honoured "
                 "at its restart)", cancel_by);
        json_decref(run);
        nd_jobs_settle(j, ND_JOB_CANCELLED, msg);
        return;
    }
    if (json_array_size(run) == 0) { /* nothing left to do */
        json_decref(run);
        const char *msg;
        nd_job_state st = nd_jobs_outcome(j, &msg);
        nd_jobs_settle(j, st, msg);
        return;
    }
    j->resume_request = json_incref(json_object_get(row, "request"));
    if (kind && !strcmp(kind, "playbook")) {
        j->resume_hosts = run;
        j->need_prep = true;
    } else {
        nd_jobs_resume_fn fn = kind ? resumer_of(m, kind) : NULL;
        const nd_job_exec *exec = NULL;
        void *st = fn ? fn(m, j->resume_request, run, &exec, &e) : NULL;
        json_decref(run);
        if (!st) {
            char msg[600];
            snprintf(msg, sizeof msg, "after the restart, the job could not be taken up again: %s",
                     fn ? e.msg : "netautod does not know how to resume this kind of job");
            nd_jobs_settle(j, ND_JOB_FAILED, msg);
            return;
        }
        j->exec = exec;
        j->exec_state = st;
    }
    TAILQ_INSERT_TAIL(&m->queued, j, link);
    m->n_queued++;
}

int nd_jobs_recover(nd_jobs *m, na_err *err)
{
    json_t *rows = nd_store_unfinished(m->env.store, err);
    if (!rows)
        return -1;
    size_t i;
    json_t *row;
    json_array_foreach(rows, i, row)
        recover_one(m, row);
    json_decref(rows);
    nd_jobs_prep_next(m);
    nd_jobs_schedule_pump(m);
    return 0;
}
