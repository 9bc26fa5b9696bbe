/* backup.h — configuration backups as jobs: one command (`show running-config`) run on every
 * target host through the backend's command API, each capture kept in the store with a unified
 * diff against the previous capture of the same host and command. An executor for the job
 * manager (jobs.h). Used by schedule.c (schedules with `backup:`). Not the store (store.h). */
#ifndef ND_BACKUP_H
#define ND_BACKUP_H

#include "jobs.h"

/* Submit a backup job of `command` on the hosts `limit` selects (NULL: all), transport
 * ssh|telnet|NULL. Returns the job id or -1 + err (as nd_jobs_submit). */
int64_t nd_backup_submit(nd_jobs *m, const char *schedule, const char *command,
                         const char *transport, const char *limit, const char *who,
                         na_err *err);

#endif
