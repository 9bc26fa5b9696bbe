/* cli_inv.h — helpers shared by the CLI verbs that read an inventory or a vault (inventory, vault,
 * and later show/run/compare/shell): the terminal passphrase prompt, loading `-i FILE` with every
 * vault passphrase source, and how an error becomes stderr text and an exit status. Also the entry
 * points of the verbs in this area. Not an option parser: each verb uses getopt_long. */
#ifndef NA_CLI_INV_H
#define NA_CLI_INV_H

#include "err.h"
#include "inventory.h"

#include <stddef.h>

/* Exit statuses (DESIGN.md): everything succeeded / a host or task failed / invalid input. */
enum { CLI_EXIT_OK = 0, CLI_EXIT_FAILED = 1, CLI_EXIT_INVALID = 2 };
/* The "schema" field of every JSON result (show, run, compare, and the same with --server;
 * docs/results.md). Bumped when a field changes meaning or goes away. */
#define CLI_RESULT_SCHEMA 1

/* na_vault_prompt_fn that asks on /dev/tty with echo off (restored even on Ctrl-C). Fails with a
 * message naming the other passphrase sources when there is no terminal. */
int cli_tty_prompt(const char *prompt, char *buf, size_t cap, void *ud, na_err *err);

/* Load an inventory for a verb: vault passphrase from vault_password_file (may be NULL),
 * $NETAUTO_VAULT_PASSWORD or the terminal. NULL + err on failure (every failure is invalid
 * input: exit CLI_EXIT_INVALID). The caller frees with na_inv_free. Warnings (Ansible
 * connection variables netauto does not honour) are printed on stderr. */
na_inventory *cli_load_inventory(const char *path, const char *vault_password_file, na_err *err);

/* The inventory options of `inventory` and `run`: -i given several times, and the vault
 * passwords as ansible-playbook takes them. */
#define CLI_MAX_SOURCES 64
#define CLI_MAX_VAULT_IDS 16
typedef struct cli_inv_args {
    const char *paths[CLI_MAX_SOURCES];
    size_t n_paths;
    const char *vault_password_file;               /* --vault-password-file */
    const char *vault_ids[CLI_MAX_VAULT_IDS];      /* --vault-id [LABEL@]SOURCE */
    size_t n_vault_ids;
} cli_inv_args;
/* Record -i PATH (which = 'i'), --vault-id (which = 'I') or --ask-vault-pass (which = 'A').
 * -1 + err (NA_E_USAGE) when there are too many. */
int cli_inv_arg(cli_inv_args *a, int which, const char *arg, na_err *err);
/* The Ansible Vault key ring of a, with the terminal prompt (caller frees with
 * na_avault_keys_free). NULL + err. */
na_avault_keys *cli_vault_keys(const cli_inv_args *a, na_err *err);
/* Load every -i source with keys (may be NULL: made from a); warnings printed on stderr. */
na_inventory *cli_load_inventories(const cli_inv_args *a, na_avault_keys *keys, na_err *err);

/* A byte count with an optional K/M/G suffix (binary: 64M = 64 MiB), > 0: 0 or -1. */
int cli_parse_size(const char *s, size_t *out);

/* -v/-vv/-vvv of show, compare and shell: info, debug, trace log lines on stderr (0: as is). */
void cli_set_verbosity(int verbose);

/* Print err's message (already redacted) on stderr, one line. */
void cli_print_err(const na_err *err);

#endif
