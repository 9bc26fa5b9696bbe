/* backend_validate.c — job validation off the daemon's loop: one validator thread takes prepared
 * requests from a bounded queue (in arrival order, but never the same token twice in a row while
 * another token waits, so one busy token cannot hold everyone's jobs back), loads and validates
 * each (nd_be_job_validate) within
 * the request's budget (limits.validation_bytes of expanded text, limits.validation_time), and
 * hands the outcome back to the loop through a pipe, where `done` runs. So a big or hostile
 * playbook costs one thread's time, never the loop's: /healthz, event streams and running jobs
 * go on. The thread touches no reference count and no loop state; the inventory generation it
 * reads is held (by the loop) for it, and the platform registry is locked by its own mutex. Not
 * the validation itself (backend_jobs.c, playbooks/runner.c). */
#include "backend_int.h"
#include "clock.h"
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <unistd.h>

#define QUEUE_MAX 64 /* validations waiting; more: 429 */

struct nd_be_prep {
    nd_be *be;
    nd_be_inv *gen;           /* held by the loop for the thread; the job's once validated */
    char *playbook, *limit, *who;
    bool check;
    json_t *vars;             /* a deep copy: the thread's alone */
    nd_job_prepared_cb done;
    void *ud;
    bool abandoned;
    nd_be_job *job;           /* the outcome */
    json_t *targets;
    na_err err;
    TAILQ_ENTRY(nd_be_prep) link;
};
TAILQ_HEAD(prepq, nd_be_prep);

struct nd_be_validator {
    nd_be *be;
    pthread_t th;
    bool started;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct prepq todo, done; /* both under mu */
    unsigned n_todo;
    bool stop;
    char last_who[64];       /* the token served last (fairness) */
    int wake[2];             /* the thread writes a byte when something is done */
    struct event *ev;
};

static void prep_free(nd_be_prep *p)
{
    if (p->job)
        nd_be_job_discard(p->be, p->job);
    nd_be_inv_unref(p->gen);
    free(p->playbook);
    free(p->limit);
    free(p->who);
    json_decref(p->vars);
    json_decref(p->targets);
    free(p);
}

static void *thread_main(void *arg)
{
    nd_be_validator *v = arg;
    pthread_mutex_lock(&v->mu);
    for (;;) {
        while (!v->stop && TAILQ_EMPTY(&v->todo))
            pthread_cond_wait(&v->cv, &v->mu);
        if (v->stop)
            break;
        nd_be_prep *p = TAILQ_FIRST(&v->todo), *q;
        TAILQ_FOREACH(q, &v->todo, link) /* the oldest of another token, if any */
            if (strcmp(q->who, v->last_who)) {
                p = q;
                break;
            }
        snprintf(v->last_who, sizeof v->last_who, "%s", p->who);
        TAILQ_REMOVE(&v->todo, p, link);
        v->n_todo--;
        bool skip = p->abandoned;
        pthread_mutex_unlock(&v->mu);
        if (!skip) {
            nd_be *be = v->be;
            na_pb_budget b = {
                .bytes_left = be->validate_bytes,
                .bytes_max = be->validate_bytes,
                .deadline_ms = na_now_ms() + (int64_t)be->validate_s * 1000,
                .time_max_ms = (int64_t)be->validate_s * 1000,
            };
            nd_job_spec spec = {p->playbook, p->limit, p->check, p->vars, p->who};
            p->job = nd_be_job_validate(be, p->gen, &spec, &b, &p->targets, &p->err);
            if (p->job)
                p->gen = NULL; /* now the job's */
        }
        pthread_mutex_lock(&v->mu);
        TAILQ_INSERT_TAIL(&v->done, p, link);
        ssize_t w = write(v->wake[1], "x", 1); /* a full pipe already wakes the loop */
        (void)w;
    }
    pthread_mutex_unlock(&v->mu);
    return NULL;
}

/* On the loop: deliver what the thread finished. */
static void wake_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)what;
    nd_be_validator *v = arg;
    char buf[256];
    while (read(fd, buf, sizeof buf) > 0) {
    }
    struct prepq ready;
    TAILQ_INIT(&ready);
    pthread_mutex_lock(&v->mu);
    TAILQ_CONCAT(&ready, &v->done, link);
    pthread_mutex_unlock(&v->mu);
    nd_be_prep *p;
    while ((p = TAILQ_FIRST(&ready))) {
        TAILQ_REMOVE(&ready, p, link);
        if (!p->abandoned) {
            nd_be_job *job = p->job;
            p->job = NULL; /* the daemon's now (or nothing, on error) */
            p->done(p->ud, job, p->targets, job ? NULL : &p->err);
        }
        prep_free(p);
    }
}

nd_be_validator *nd_be_validator_new(nd_be *be, na_err *err)
{
    nd_be_validator *v = calloc(1, sizeof *v);
    if (!v) {
        na_err_set(err, NA_E_NOMEM, "out of memory");
        return NULL;
    }
    v->be = be;
    v->wake[0] = v->wake[1] = -1;
    TAILQ_INIT(&v->todo);
    TAILQ_INIT(&v->done);
    pthread_mutex_init(&v->mu, NULL);
    pthread_cond_init(&v->cv, NULL);
    if (pipe2(v->wake, O_CLOEXEC | O_NONBLOCK) != 0 ||
        !(v->ev = event_new(be->svc.base, v->wake[0], EV_READ | EV_PERSIST, wake_cb, v)) ||
        event_add(v->ev, NULL) != 0) {
        na_err_set(err, NA_E_IO, "cannot set up the playbook validator: %s", strerror(errno));
        nd_be_validator_free(v);
        return NULL;
    }
    if (pthread_create(&v->th, NULL, thread_main, v) != 0) {
        na_err_set(err, NA_E_IO, "cannot start the playbook validator thread");
        nd_be_validator_free(v);
        return NULL;
    }
    v->started = true;
    return v;
}

void nd_be_validator_free(nd_be_validator *v)
{
    if (!v)
        return;
    if (v->started) {
        pthread_mutex_lock(&v->mu);
        v->stop = true; /* a validation in progress ends within its budget's time */
        pthread_cond_signal(&v->cv);
        pthread_mutex_unlock(&v->mu);
        pthread_join(v->th, NULL);
    }
    nd_be_prep *p;
    while ((p = TAILQ_FIRST(&v->todo))) {
        TAILQ_REMOVE(&v->todo, p, link);
        prep_free(p);
    }
    while ((p = TAILQ_FIRST(&v->done))) {
        TAILQ_REMOVE(&v->done, p, link);
        prep_free(p);
    }
    if (v->ev)
        event_free(v->ev);
    if (v->wake[0] >= 0)
        close(v->wake[0]);
    if (v->wake[1] >= 0)
        close(v->wake[1]);
    pthread_cond_destroy(&v->cv);
    pthread_mutex_destroy(&v->mu);
    free(v);
}

nd_be_prep *nd_be_job_prepare(nd_be *be, const nd_job_spec *spec, nd_job_prepared_cb done,
                              void *ud, na_err *err)
{
    nd_be_validator *v = be->validator;
    if (!be->cur) {
        na_err_set(err, NA_E_CONFIG, "netautod has no inventory (set 'inventory:' in its "
                                     "configuration)");
        return NULL;
    }
    pthread_mutex_lock(&v->mu);
    unsigned waiting = v->n_todo;
    pthread_mutex_unlock(&v->mu);
    if (waiting >= QUEUE_MAX) {
        na_err_set(err, NA_E_OVERFLOW, "%u playbooks are waiting to be validated; try again "
                                       "shortly", waiting);
        return NULL;
    }
    nd_be_prep *p = calloc(1, sizeof *p);
    if (!p || !(p->playbook = strdup(spec->playbook)) ||
        (spec->limit && !(p->limit = strdup(spec->limit))) ||
        !(p->who = strdup(spec->submitted_by ? spec->submitted_by : "?")) ||
        !(p->vars = spec->vars ? json_deep_copy(spec->vars) : json_object())) {
        if (p) {
            p->be = be;
            prep_free(p);
        }
        na_err_set(err, NA_E_NOMEM, "out of memory");
        return NULL;
    }
    p->be = be;
    p->check = spec->check;
    p->gen = nd_be_inv_ref(be->cur);
    p->done = done;
    p->ud = ud;
    pthread_mutex_lock(&v->mu);
    TAILQ_INSERT_TAIL(&v->todo, p, link);
    v->n_todo++;
    pthread_cond_signal(&v->cv);
    pthread_mutex_unlock(&v->mu);
    return p;
}

void nd_be_job_prepare_abandon(nd_be *be, nd_be_prep *p)
{
    pthread_mutex_lock(&be->validator->mu);
    p->abandoned = true; /* dropped when the thread hands it back (or never takes it) */
    pthread_mutex_unlock(&be->validator->mu);
}
