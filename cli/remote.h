/* remote.h — `netauto --server https://HOST:PORT ...`: the CLI verbs (run, show, jobs, job,
 * cancel, inventory, backups) executed by a netautod server instead of locally. main.c hands
 * over here when --server (or NETAUTO_SERVER) is present. Not the local runner. */
#ifndef NA_REMOTE_H
#define NA_REMOTE_H

/* Parses the whole command line (global options may appear anywhere). Exit status: 0 success;
 * 1 a job, host or command failed, or the server could not be reached / verified; 2 invalid
 * input (usage, or the server answered 400: nothing was sent to any device). */
int na_remote_main(int argc, char **argv);

#endif
