/* help.h — netauto's help as data (core/doc.h): the verbs with their synopses, texts and option
 * tables (help_verbs.c), the program's global options and sections, and the two file-format
 * pages netauto-inventory(5) and netauto-playbook(5) (help_formats.c). The verbs parse their
 * options with these same tables (cli_args.h), `--help` and `netauto help` print them, and
 * `netauto help --man PAGE` writes the manual pages the build installs: one source, so the
 * parser, the help and the manual cannot disagree. Not the parsing itself (cli_args.c). */
#ifndef NA_CLI_HELP_H
#define NA_CLI_HELP_H

#include "doc.h"

#include <stdbool.h>
#include <stdio.h>

#define NETAUTO_VERSION "0.2.0"
#define NETAUTO_DATE "2026-12-08"

/* What getopt_long returns for each option (short letters are their own value). */
enum cli_opt_id {
    O_INVENTORY = 'i', O_LIMIT = 'l', O_VERBOSE = 'v', O_HELP = 'h', O_FORKS = 'f',
    O_TRANSPORT = 't', O_COMMAND = 'c', O_EXTRA = 'e', O_CHECK = 'C', O_DIFF = 'D',
    O_JSON = 256, O_JSON_FILE, O_TRANSCRIPT, O_TRANSCRIPTS, O_TIMEOUT, O_HOST_TIMEOUT,
    O_MAX_OUTPUT, O_WINDOW, O_VAULT_FILE, O_VAULT_ID, O_ASK_VAULT, O_PARSE, O_TEMPLATES,
    O_TAGS, O_SKIP_TAGS, O_SYNTAX, O_LIST_HOSTS, O_LIST_TASKS, O_IN_PLACE, O_TEMPLATE,
    O_PLATFORM, O_TABLE, O_MAX_INPUT, O_STATE, O_MAN, O_BACKUP_DIR, O_PROTOCOL, O_VERIFY,
    O_OVERWRITE, O_STALL_TIMEOUT,
    /* global options (any verb, before or after it) */
    O_SERVER, O_LOCAL, O_TOKEN, O_TOKEN_FILE, O_FINGERPRINT, O_CACERT, O_COLOR, O_VERSION,
};

/* na_doc_opt.flags: an option that only works here (refused with --server, which says why). */
#define CLI_OPT_LOCAL 0x100u

/* Where a verb runs. */
enum { CLI_LOCAL = 1, CLI_REMOTE = 2 };

typedef struct cli_verb {
    na_doc_cmd doc;
    unsigned where;       /* CLI_LOCAL | CLI_REMOTE */
    const char *no_remote; /* for a local-only verb: why it does not go to a netautod */
} cli_verb;

/* The verbs, in the order `netauto --help` lists them. */
extern const cli_verb cli_verbs[];
extern const size_t cli_n_verbs;
/* The verb named name, or NULL. */
const cli_verb *cli_verb_find(const char *name);

/* The global options (--server, --local, --token-file, ...) and the whole netauto(1) page. */
extern const na_doc_opt cli_global_opts[];
const na_doc_page *cli_page_netauto(void);
/* netauto-inventory(5), netauto-playbook(5) (help_formats.c). */
const na_doc_page *cli_page_inventory(void);
const na_doc_page *cli_page_playbook(void);

/* `netauto --help` (the verb list, the global options, the mode in use) on f. */
void cli_print_overview(FILE *f);
/* `netauto VERB --help` on f. */
void cli_print_verb_help(FILE *f, const cli_verb *v);
/* The `help` verb: netauto help [VERB | inventory | playbook | --man PAGE]. */
int cli_cmd_help(int argc, char **argv);

#endif
