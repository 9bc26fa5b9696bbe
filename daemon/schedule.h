/* schedule.h — scheduled jobs: the config's `schedules` (cron expressions, cron.h) fire playbook
 * jobs or backups (backup.h) through the job manager. A schedule whose previous run is still
 * active is skipped (logged), and runs missed while netautod was down are not made up. Used by
 * api.c (list, run now) and daemon.c. Not cron: only the daemon's own schedules. */
#ifndef ND_SCHEDULE_H
#define ND_SCHEDULE_H

#include "jobs.h"

typedef struct nd_sched nd_sched;

/* Start the one-second tick (none without schedules); registers with the job manager to learn
 * when a schedule's job ends. */
nd_sched *nd_sched_new(nd_jobs *jobs, const nd_conf *cfg, struct event_base *base, na_err *err);
void nd_sched_free(nd_sched *s);
/* Stop firing (drain); nd_sched_run still refuses through the job manager. */
void nd_sched_stop(nd_sched *s);
/* New reference: [{"name", "cron", "kind", "next", "playbook", "backup", "limit",
 * "running_job"}]. */
json_t *nd_sched_json(nd_sched *s);
/* Run a schedule now (POST /v1/schedules/{name}/run). Returns the job id (a backup), 0 when a
 * playbook job is being validated (done(ud, id, err) follows from the loop, as
 * nd_jobs_submit's), or -1 + err: NA_E_NOTFOUND no such schedule, NA_E_CONFIG its previous run
 * is still active, or what the job manager says. */
int64_t nd_sched_run(nd_sched *s, const char *name, const char *who, nd_jobs_submitted_cb done,
                     void *ud, na_err *err);

#endif
