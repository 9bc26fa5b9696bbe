/* verbs.h — the entry points of netauto's verbs, each given its parsed command line (cli_args.h):
 * cmd_* run here (cmd_*.c), remote_* on a netautod (remote*.c). main.c picks one with cli_mode().
 * They return the process's exit status. Not the help text (help.h). */
#ifndef NA_CLI_VERBS_H
#define NA_CLI_VERBS_H

#include "cli_args.h"

int cli_cmd_show(const cli_args *a);
int cli_cmd_run(const cli_args *a);
int cli_cmd_compare(const cli_args *a);
int cli_cmd_put(const cli_args *a);
int cli_cmd_get(const cli_args *a);
int cli_cmd_shell(const cli_args *a);
int cli_cmd_inventory(const cli_args *a);
int cli_cmd_vault(const cli_args *a);
int cli_cmd_parse(const cli_args *a);
int cli_cmd_version(const cli_args *a);
/* `netauto _complete verbs|options VERB|hosts WORDS...` for the shell completions (complete.c). */
int cli_cmd_complete(int argc, char **argv);

int cli_remote_show(const cli_args *a);
int cli_remote_run(const cli_args *a);
int cli_remote_inventory(const cli_args *a);
int cli_remote_jobs(const cli_args *a);
int cli_remote_job(const cli_args *a);
int cli_remote_cancel(const cli_args *a);
int cli_remote_backups(const cli_args *a);
int cli_remote_shell(const cli_args *a);

#endif
