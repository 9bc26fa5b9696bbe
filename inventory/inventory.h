/* inventory.h — netauto's inventory: a YAML file (native, or an Ansible YAML inventory detected
 * automatically) loaded and resolved into ready-to-use hosts. This is the API the runner, the CLI
 * and the daemon use:
 *
 *   na_err err = NA_ERR_INIT;
 *   na_inventory *inv = na_inv_load("lab.yaml", NULL, &err);        // NULL + err on failure
 *   na_inv_selection sel;
 *   if (na_inv_select(inv, "switches:!sw3", &sel, &err) == 0) {
 *       for (size_t i = 0; i < sel.n; i++) {
 *           const na_inv_host *h = sel.hosts[i];
 *           na_transport *t = h->transport == NA_TRANSPORT_SSH ? na_ssh_new(&h->ssh, &err)
 *                                                               : na_telnet_new(&h->telnet, &err);
 *           ...
 *       }
 *       na_inv_selection_free(&sel);
 *   }
 *   na_inv_free(inv);
 *
 * Everything is resolved at load time (precedence, ports, secrets, jump hosts, paths), so every
 * error — bad YAML, unknown key, unknown group, group cycle, missing ${ENV_VAR}, wrong vault
 * passphrase — surfaces before anything is sent to a device, as "FILE:LINE:COLUMN: host 'sw1':
 * ..." (code NA_E_YAML for syntax, NA_E_USAGE when no vault passphrase source is available,
 * NA_E_CONFIG otherwise). All of them mean "invalid input" (exit status 2). The format is
 * docs/inventory.md.
 *
 * Ownership: the inventory owns every string, json_t and na_conn_params it hands out; they stay
 * valid, unchanged, until na_inv_free. A loaded inventory is read-only, so several threads may
 * read it at once. Secrets (password, enable secret, key passphrase) are held with
 * na_secret_dup (registered for redaction) and wiped by na_inv_free. To reload (the daemon's
 * SIGHUP), load the new file, switch to it, and free the old inventory only once no session
 * still uses its na_conn_params.
 *
 * Not a connection manager and not a platform loader: it only names the platform. */
#ifndef NA_INVENTORY_H
#define NA_INVENTORY_H

#include "err.h"
#include "transport.h"
#include "vault.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

typedef enum { NA_INV_NATIVE = 0, NA_INV_ANSIBLE = 1 } na_inv_format;

/* One resolved host. All pointers are owned by the inventory. */
typedef struct na_inv_host {
    const char *name;             /* inventory name ("sw1") */
    const char *address;          /* `host`, default: the name */
    const char *platform;         /* "cisco_ios"...; "generic" when not set */
    na_transport_kind transport;  /* the host's default transport */
    int ssh_port, telnet_port;    /* resolved: ssh_port/telnet_port, else `port` for the host's own
                                     transport, else 22/23 */
    const char *username;         /* NULL when not set */
    const char *password;         /* secret, NULL when not set */
    const char *secret;           /* enable secret, NULL when not set */
    const char *jump;             /* jump_host as written (a host name or user@host:port), or NULL */
    const struct na_inv_host *jump_host; /* when jump names an inventory host, else NULL */

    /* Ready-to-use connection parameters, one per transport; they point into the inventory.
     * ssh.jump is set when the host has a jump_host (the jump host's own SSH parameters); the
     * Telnet parameters never carry a jump (transport.h: jumps are SSH direct-tcpip). */
    na_conn_params ssh;
    na_conn_params telnet;

    /* Groups the host belongs to, in precedence order (lowest first): "all", then each group
     * after its parents (native: in the host's order; Ansible: by depth, then name). Includes
     * every ancestor group; Ansible inventories also have "ungrouped". */
    const char *const *groups;
    size_t n_groups;

    json_t *vars;                 /* merged vars (a JSON object, never NULL); borrowed: do not
                                     modify or decref */
    size_t index;                 /* position in the inventory (file order) */
} na_inv_host;

typedef struct na_inventory na_inventory;

/* Where the vault passphrase comes from (first that applies): opts->vault_password (a string),
 * opts->vault_password_file (its first line), $NETAUTO_VAULT_PASSWORD, then opts->prompt. The
 * vault is only opened when some secret says ${vault:NAME}. */
typedef struct na_avault_keys na_avault_keys; /* Ansible Vault passwords (avault.h) */

typedef struct na_inv_opts {
    const char *vault_password;      /* borrowed; NULL = not given */
    const char *vault_password_file; /* borrowed path; NULL = not given */
    na_vault_prompt_fn prompt;       /* NULL = never prompt (no terminal) */
    void *prompt_ud;
    /* Ansible Vault (encrypted files and !vault values of Ansible inventories): avault_keys
     * when given (borrowed), else a key ring made from vault_ids ("[LABEL@]SOURCE"), then
     * vault_password_file, then $ANSIBLE_VAULT_PASSWORD_FILE, then $NETAUTO_VAULT_PASSWORD,
     * and a terminal prompt when none of these is given. */
    na_avault_keys *avault_keys;
    const char *const *vault_ids;
    size_t n_vault_ids;
} na_inv_opts;

/* Load and resolve an inventory file. Relative paths in it (vault, platform_dirs, key_file,
 * known_hosts) are relative to the file's directory; `~/` is $HOME. opts may be NULL.
 * Returns a new inventory (free with na_inv_free) or NULL + err. path may also be anything
 * Ansible takes as an inventory source: a directory, an INI file, an executable inventory
 * script, "h1,h2," (docs/inventory.md). */
na_inventory *na_inv_load(const char *path, const na_inv_opts *opts, na_err *err);
/* Several sources (-i given several times), merged as Ansible merges them. A native inventory
 * must be the only source. */
na_inventory *na_inv_load_sources(const char *const *paths, size_t n, const na_inv_opts *opts,
                                  na_err *err);
/* The same from memory: `name` labels messages, `base_dir` anchors relative paths (NULL = "."). */
na_inventory *na_inv_load_mem(const char *name, const char *data, size_t n, const char *base_dir,
                              const na_inv_opts *opts, na_err *err);
void na_inv_free(na_inventory *inv); /* NULL is fine; wipes every secret */

na_inv_format na_inv_get_format(const na_inventory *inv);
const char *na_inv_path(const na_inventory *inv);  /* as given to na_inv_load */
const char *na_inv_vault_path(const na_inventory *inv); /* resolved `vault:` path, or NULL */
/* Resolved `templates:` directory (TextFSM templates with an ntc-templates index), NULL when
 * not set. */
const char *na_inv_templates_dir(const na_inventory *inv);
/* Resolved platform_dirs (absolute or relative to the cwd), in order; NULL-terminated array. */
const char *const *na_inv_platform_dirs(const na_inventory *inv, size_t *n);

/* Iteration in inventory order and lookup by name (O(log n)); NULL when out of range/absent. */
size_t na_inv_count(const na_inventory *inv);
const na_inv_host *na_inv_host_at(const na_inventory *inv, size_t i);
const na_inv_host *na_inv_find(const na_inventory *inv, const char *name);
/* Groups: every group name ("all" first), and membership. */
size_t na_inv_group_count(const na_inventory *inv);
const char *na_inv_group_name(const na_inventory *inv, size_t i);
bool na_inv_group_exists(const na_inventory *inv, const char *name);
bool na_inv_host_in_group(const na_inv_host *h, const char *group);

/* The connection parameters of h for a transport. */
const na_conn_params *na_inv_conn(const na_inv_host *h, na_transport_kind k);

/* --limit with Ansible semantics: host names, group names, globs (fnmatch; matched against host
 * and group names), "a:b" or "a,b" unions, "a:&b" intersections, "!a" exclusions (intersections
 * apply after unions, exclusions last; only "&"/"!" parts start from "all"). NULL or "" = all
 * hosts. Result in inventory order, each host once. A part that matches nothing is an error
 * (NA_E_NOTFOUND, "--limit: 'sw9' matches no host or group"); bad syntax is NA_E_USAGE.
 * sel->hosts is allocated (free with na_inv_selection_free); the hosts are the inventory's. */
typedef struct na_inv_selection {
    const na_inv_host **hosts;
    size_t n;
} na_inv_selection;
int na_inv_select(const na_inventory *inv, const char *pattern, na_inv_selection *sel,
                  na_err *err);
void na_inv_selection_free(na_inv_selection *sel);

/* A resolved host as JSON (new reference, caller decrefs; NULL on OOM): name, address, ports,
 * platform, transport, username, password/secret/key_passphrase as "********" (null when unset),
 * key_file, use_agent, host_key_policy, known_hosts, jump_host, ssh_algorithms, timeouts_ms,
 * groups, vars. Secrets never appear: vars strings are passed through the redaction registry. */
json_t *na_inv_host_json(const na_inv_host *h);
/* {"inventory": path, "format": "native"|"ansible", "hosts": [host...], "warnings": [...]} for a
 * selection (sel may be NULL = every host). New reference. For Ansible inventories each host's
 * vars are its variables as Ansible computes them (ansible-inventory --host), connection
 * variables included. */
json_t *na_inv_json(const na_inventory *inv, const na_inv_selection *sel);

const char *na_hostkey_policy_name(na_hostkey_policy p); /* "strict", "accept-new", "off" */

/* Warnings found while loading (Ansible connection variables netauto does not honour, ...),
 * one line each ("host 'sw1' (and 3 more): ansible_ssh_pipelining is not honoured by netauto").
 * Owned by the inventory. */
size_t na_inv_warning_count(const na_inventory *inv);
const char *na_inv_warning(const na_inventory *inv, size_t i);

/* The netauto platform of an ansible_network_os name, short or collection form
 * ("cisco.iosxr.iosxr" and "iosxr" -> "cisco_iosxr"), or NULL when it is not in the table. */
const char *na_inv_ansible_platform(const char *network_os);

#endif
