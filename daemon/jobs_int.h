/* jobs_int.h — what the job manager's files share: jobs.c (accept, queue, run, the write-ahead
 * sink, cancel, drain, settle) and jobs_recover.c (taking up the unfinished jobs a restart
 * finds). Private to them; everyone else uses jobs.h. */
#ifndef ND_JOBS_INT_H
#define ND_JOBS_INT_H

#include "jobs.h"
#include "strmap.h"

#include <sys/queue.h>

#define ND_JOBS_MAX_OBSERVERS 4
#define ND_JOBS_MAX_RESUMERS 4

struct nd_job {
    nd_jobs *m;
    int64_t id;
    nd_job_state state;
    char kind[16];            /* "playbook" | "backup" */
    char *submitted_by;
    json_t *targets;          /* host names (array) */
    const nd_job_exec *exec;  /* NULL while a recovered job is prepared again */
    void *exec_state;         /* playbook jobs: the backend's nd_be_job */
    int64_t next_seq;
    int hosts_total, hosts_done, hosts_ok, hosts_failed, hosts_changed;
    bool started;             /* exec->start succeeded */
    bool cancel_requested;    /* DELETE /v1/jobs/{id} */
    char **secrets;           /* held (na_secret_hold) while the job lives */
    size_t n_secrets;
    bool lost;                /* some of its events or results could not be stored */
    char lost_why[300];
    char *final_error;        /* unsettled: the final state waits to be stored */
    int64_t finished_ms;
    /* the write-ahead record of what is sent (jobs.c) */
    int64_t sent_seq;         /* the job's last record */
    na_strmap *rec_seq;       /* host -> its operation's record (int64_t *seq) */
    /* after a restart (jobs_recover.c) */
    bool recovered;           /* went through a restart: the summary says what it did */
    bool was_running;         /* had started before the restart */
    int hosts_resumed, hosts_rerun, hosts_interrupted;
    json_t *recovery;         /* host -> "resumed" | "rerun", for their results */
    json_t *resume_request;   /* the request as stored, until prepared again */
    json_t *resume_hosts;     /* the hosts to run (array) */
    nd_be_prep *prep;         /* being prepared again (validated by the backend) */
    bool need_prep;           /* waits for its turn to be prepared again */
    TAILQ_ENTRY(nd_job) link;
};
TAILQ_HEAD(nd_jobq, nd_job);

/* A playbook job being validated by the backend. */
struct nd_jobs_sub {
    nd_jobs *m;
    nd_be_prep *prep;
    char *who;
    json_t *masked;           /* the request as stored */
    char what[200];           /* for the audit and the log */
    char **secrets;
    size_t n_secrets;
    unsigned char *sealed;    /* the real vars sealed for a restart (NULL: nothing secret) */
    size_t sealed_len;
    char *idem_key, *idem_fp; /* Idempotency-Key and the request's fingerprint, or NULL */
    nd_jobs_submitted_cb done;
    void *ud;
    TAILQ_ENTRY(nd_jobs_sub) link;
};
TAILQ_HEAD(nd_subq, nd_jobs_sub);

typedef struct nd_jobs_resumer_ent {
    char kind[16];
    nd_jobs_resume_fn fn;
} nd_jobs_resumer_ent;

struct nd_jobs {
    nd_jobs_env env;
    struct nd_jobq queued, running;
    struct nd_jobq unsettled; /* finished, but the store refused the final state: retried */
    struct event *retry_ev;
    struct nd_subq subs;
    unsigned n_queued, n_running, n_subs;
    struct event *pump_ev;
    bool draining;
    nd_jobs_observer obs[ND_JOBS_MAX_OBSERVERS];
    int n_obs;
    nd_jobs_resumer_ent resumers[ND_JOBS_MAX_RESUMERS];
    int n_resumers;
};

/* jobs.c, for jobs_recover.c */
/* A job in memory (state queued); NULL on OOM. */
nd_job *nd_jobs_job_new(nd_jobs *m, int64_t id, const char *kind, const char *who,
                        const json_t *targets);
void nd_jobs_job_free(nd_job *j);
/* Store and broadcast one event (data consumed). */
void nd_jobs_emit(nd_job *j, const char *type, json_t *data);
/* Settle j's final state (unlinked from every queue): stored, job_finished, observers, freed. */
void nd_jobs_settle(nd_job *j, nd_job_state st, const char *error);
/* The final state of a job whose hosts all ran (or could not): from its counters. *msg may be
 * set to a static message. */
nd_job_state nd_jobs_outcome(const nd_job *j, const char **msg);
/* Start the queue pump (from the loop). */
void nd_jobs_schedule_pump(nd_jobs *m);
/* The executor of playbook jobs (the backend). */
extern const nd_job_exec nd_jobs_backend_exec;
/* Hold the secret values of vars for a job's lifetime (*out, *n); 0 or -1 + err. */
int nd_jobs_hold_secrets(const json_t *vars, char ***out, size_t *n, na_err *err);
/* jobs_recover.c: start preparing the first recovered job that waits for it (one at a time;
 * nothing while another is being prepared). */
void nd_jobs_prep_next(nd_jobs *m);

#endif
