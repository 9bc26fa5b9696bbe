/* cli_args.h — how netauto reads its command line: the verb's option table together with the
 * global options (help.h) through na_doc_parse, the global settings they set (server, token,
 * pin, colour, --local) merged with the environment and the user configuration file
 * (cli_config.c), and the one decision that follows: does this verb run here or on a netautod.
 * Also the shared inventory options (-i several times, the vault options) and the checks that
 * keep typed words away from devices (cli_words.c). Not the verbs themselves (cmd_*.c). */
#ifndef NA_CLI_ARGS_H
#define NA_CLI_ARGS_H

#include "cli_inv.h"
#include "doc.h"
#include "help.h"
#include "inventory.h"
#include "transport.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#define CLI_MAX_ARGS 4096

/* A parsed command line (argv[0] is the verb). Every pointer borrows from argv or the tables. */
typedef struct cli_args {
    const cli_verb *verb;
    na_doc_arg v[CLI_MAX_ARGS]; /* everything typed after the verb, in order */
    size_t n;
    /* views of v: the verb's own options, and the words */
    struct cli_opt_val {
        int id;
        const char *val;   /* NULL for a flag */
        const char *typed; /* "--json", "-i" */
    } opts[CLI_MAX_ARGS];
    size_t nopts;
    const char *pos[CLI_MAX_ARGS];
    const na_doc_arg *pos_arg[CLI_MAX_ARGS]; /* the element of v each word is */
    size_t npos;
} cli_args;

/* Parse argv for verb v; the global options among them are applied to cli_g. Returns -1 when
 * the verb should run, else the exit status to return at once: 0 after --help (printed), 2
 * after a usage error (printed on stderr with what was understood). */
int cli_args_parse(cli_args *a, const cli_verb *v, int argc, char **argv);
/* Was the option with this id given? (the last value, or "" for a flag; NULL when not given) */
const char *cli_opt(const cli_args *a, int id);
/* Typed values of the option `id` (its last occurrence), checked: 0 (and *out set; left as it
 * is when the option was not given), or CLI_EXIT_INVALID after printing what was wrong. */
int cli_opt_seconds(const cli_args *a, int id, int *ms);          /* 0 < s <= 86400 */
int cli_opt_long(const cli_args *a, int id, long min, long max, long *out);
int cli_opt_size(const cli_args *a, int id, size_t *out);         /* 64M, 1G, 4096 */
int cli_opt_transport(const cli_args *a, na_transport_kind *out, bool *given);
/* Print "netauto VERB: message" (and the mode line when a server is in use) on stderr;
 * returns CLI_EXIT_INVALID. */
int cli_usage_error(const cli_verb *v, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* ---- global settings ------------------------------------------------------------------------ */

typedef enum { CLI_FROM_NONE, CLI_FROM_FLAG, CLI_FROM_ENV, CLI_FROM_CONFIG } cli_from;

typedef struct cli_global {
    const char *server;      cli_from server_from;
    bool local;              /* --local */
    const char *token;       bool token_on_argv;
    const char *token_file;
    const char *fingerprint, *cacert;
    int color;               /* -1 auto, 0 never, 1 always */
    char token_buf[512];
    /* from the user configuration file (cli_config.c); strings live as long as the process */
    const char *config_path; /* the file read, or NULL when there is none */
    const char *cfg_inventory[CLI_MAX_SOURCES];
    size_t cfg_n_inventory;
    long cfg_forks;          /* 0 = not set */
    const char *cfg_templates;
} cli_global;

extern cli_global cli_g;

/* The user configuration file into cli_g (cli_config.c); called by cli_global_init. */
int cli_config_load(na_err *err);
/* Read the environment and the user configuration file into cli_g (before any parsing).
 * -1 + err (a bad configuration file: FILE:LINE:COLUMN, exit 2). */
int cli_global_init(na_err *err);
/* Where verb v runs now (CLI_LOCAL or CLI_REMOTE), or 0 after printing why it cannot run with
 * the settings given (exit 2): a local-only verb with --server, a server-only verb without one,
 * an option for local use in remote mode. */
unsigned cli_mode(const cli_args *a);
/* "running here (no server)" / "running on https://... (NETAUTO_SERVER is set; --local or unset
 * NETAUTO_SERVER runs here)" into buf. */
void cli_mode_line(char *buf, size_t cap);

/* Colour on f? --color always / never, else a terminal without $NO_COLOR (nor TERM=dumb). Only
 * what netauto itself prints is coloured (headers, error lines); device output never is. */
bool cli_color(FILE *f);
/* code ("\033[1m", CLI_RED...) when f gets colour, else "". */
const char *cli_sgr(FILE *f, const char *code);
#define CLI_BOLD "\033[1m"
#define CLI_RED "\033[31m"
#define CLI_GREEN "\033[32m"
#define CLI_CYAN "\033[36m"
#define CLI_RESET "\033[0m"

/* The template directory to hand na_tfsm_lib_for as its option: --templates (opt), else the
 * user configuration's templates: when neither the inventory nor the environment names one. */
const char *cli_templates_dir(const char *opt, const char *inventory_dir);

/* ---- the inventory options -------------------------------------------------------------------- */

/* -i (several), --vault-password-file, --vault-id, --ask-vault-pass from a, with the defaults
 * ($NETAUTO_INVENTORY, the configuration's inventory:) when -i is not given. 0, or prints and
 * returns CLI_EXIT_INVALID. `required`: no inventory at all is an error naming the ways to give
 * one. */
int cli_inv_from_args(const cli_args *a, cli_inv_args *ia, bool required);

/* ---- typed words ------------------------------------------------------------------------------ */

/* The host and group names typed words are checked against: a local inventory's, or a
 * netautod's (GET /v1/inventory). Arrays owned (cli_names_free); the strings borrowed. */
typedef struct cli_names {
    const char **hosts;
    size_t nhosts;
    const char **groups;
    size_t ngroups;
    const char *source;     /* "lab.yaml", "the server's inventory" (for messages) */
    bool unknown;           /* the names could not be read (a netautod token without the read
                               scope): only the checks that need no names apply, and the server
                               checks the host */
} cli_names;

int cli_names_from_inv(cli_names *n, const na_inventory *inv); /* -1 on OOM */
/* The names of a netautod's GET /v1/inventory answer ({"hosts": {NAME: ...}, "groups": {...}});
 * the strings are borrowed from inv, which must outlive n. -1 on OOM. */
int cli_names_from_json(cli_names *n, json_t *inv, const char *source);
void cli_names_free(cli_names *n);
bool cli_names_has(const cli_names *n, const char *word); /* a host or a group */
/* A name close to `word` (edit distance, or the same letters with other digits), for "did you
 * mean"; NULL when none. */
const char *cli_close_name(const cli_names *n, const char *word);

/* `show`'s words: HOST (the first word; with --limit only when it names a host or group, or is
 * a pattern) and the commands (the -c values, or the words after HOST). Refuses — printing how
 * the line was read, returning CLI_EXIT_INVALID — an unknown HOST (with "did you mean"), and
 * any command word that is a host or group name, close to one, names a file or looks like a
 * file name, or came right after a flag, unless it was typed after "--" (or with -c). 0: *host
 * (may be NULL with --limit) and cmds[0..*ncmds) (borrowed from argv; cmds has a->npos +
 * a->nopts entries) may be used. */
int cli_show_words(const cli_args *a, const cli_names *names, const char **host,
                   const char **cmds, size_t *ncmds);

#endif
