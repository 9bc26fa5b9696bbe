/* inv_ans_int.h — the Ansible side of the inventory, shared by its files: sources (-i files,
 * directories, scripts, host lists: inv_src.c), the YAML/JSON loader (inv_ansible.c), the INI
 * loader (inv_ini.c), PyYAML-exact typing of YAML (inv_y11.c), Python literals of INI values
 * (inv_pylit.c), host patterns and ranges (inv_hostpat.c), group_vars/host_vars and Ansible's
 * variable precedence (inv_avars.c), and the connection variables mapped to netauto settings
 * (inv_amap.c). Not public: callers use inventory.h.
 *
 * Ansible inventories are kept as Ansible keeps them: each group and host has the variables
 * its sources set on it (with where each was set: "FILE:LINE:COL"), groups have children,
 * depth and priority; group_vars/host_vars are read next to each source. Resolution computes
 * each host's variables exactly as Ansible does (ansible-inventory --host), keeps them as the
 * host's vars, and maps the connection variables onto the native settings. */
#ifndef NA_INV_ANS_INT_H
#define NA_INV_ANS_INT_H

#include "avault.h"
#include "inv_int.h"

/* Hosts one pattern ("sw[1:99999]") may expand to. */
#define INV_MAX_RANGE 100000
/* An executable inventory script: its --list run (and each --host run). */
#define INV_SCRIPT_TIMEOUT_MS 60000
#define INV_SCRIPT_MAX_OUT ((size_t)64 << 20)

/* ---- strings ---------------------------------------------------------------------------- */

typedef struct inv_strlist {
    char **v;
    size_t n, cap;
} inv_strlist;
void na_inv_strlist_free(inv_strlist *l);
int na_inv_strlist_push(inv_strlist *l, const char *s, size_t n, na_err *err);

/* POSIX shell-like split with '#' comments (Python's shlex.split(s, comments=True)): -1 with
 * why ("No closing quotation") when malformed. */
int na_inv_shlex(const char *s, inv_strlist *out, char *why, size_t whycap);
/* Ansible's parse_address(allow_ranges=True): a host name or IPv4 address (ranges allowed) with
 * an optional ":PORT" ("[v6]:PORT" form too); false when it is not one. port -1: none. */
bool na_inv_parse_address(const char *s, char *host, size_t cap, long *port);
/* Ansible's _expand_hostpattern: "sw[01:03]:2222" -> sw01 sw02 sw03 and port 2222 (-1: none).
 * -1 with why on a bad range. */
int na_inv_expand_hostpattern(const char *pattern, inv_strlist *hosts, long *port, char *why,
                           size_t whycap);

/* Python's ast.literal_eval of an INI value, as JSON: numbers, strings, None/True/False,
 * lists, tuples, dicts. NULL when literal_eval would fail (the value is then the text itself)
 * or give something JSON cannot hold (sets, complex numbers). New reference. */
json_t *na_inv_pylit(const char *s);

/* ---- variables with their origins --------------------------------------------------------- */

/* Set (replace) one variable; takes val's reference. origin may be NULL. */
int na_inv_avars_set(inv_avars *a, const char *key, json_t *val, const char *origin, na_err *err);
/* a |= b (top-level keys replaced, Ansible's combine_vars). */
int na_inv_avars_merge(inv_avars *a, const inv_avars *b, na_err *err);
void na_inv_avars_free(inv_avars *a);
/* Where a variable was set ("FILE:LINE:COL"), or "" when unknown. */
const char *na_inv_avars_origin(const inv_avars *a, const char *key);

/* ---- positions of YAML values once converted to JSON ------------------------------------- */

/* The converted tree keeps no positions, so they are kept beside it: for a mapping object and
 * one of its keys, the position of the value. */
typedef struct inv_pos {
    json_t *map;      /* "%p=KEY" -> "LINE:COL"; NULL when unknown (JSON input) */
    const char *file; /* label for origins */
} inv_pos;
/* "FILE:LINE:COL" of the value obj[key] (or "FILE") into buf. */
const char *na_inv_pos_origin(const inv_pos *p, const json_t *obj, const char *key, char *buf,
                           size_t cap);
/* ... and of the key itself. */
const char *na_inv_pos_key_origin(const inv_pos *p, const json_t *obj, const char *key, char *buf,
                               size_t cap);
void na_inv_pos_free(inv_pos *p);

/* Convert a YAML node as Ansible's loader (PyYAML, YAML 1.1) would: plain scalars typed by
 * YAML 1.1 rules (yes/no/on/off, 0o17 and 017 octal, 1_000, 1:30 sexagesimal, 1.5e+3),
 * `!vault` values decrypted with inv's keys (and registered as secrets), `!unsafe` as strings,
 * `<<` merge keys. Positions go to pos (may be NULL). New reference, or NULL + positioned err. */
json_t *na_inv_y11(na_inventory *inv, na_ydoc *d, const na_ynode *n, inv_pos *pos, na_err *err);

/* "ORIGIN: message" (code NA_E_CONFIG); origin "" falls back to the inventory path. -1. */
int na_inv_err_origin(na_inventory *inv, na_err *err, const char *origin, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* ---- the Ansible model ---------------------------------------------------------------------- */

typedef struct inv_ans {
    inv_strlist sources;   /* every source as given, in order */
    inv_strlist vars_dirs; /* per source: where its group_vars/ and host_vars/ are (in order,
                              duplicates kept as Ansible keeps them) */
    na_avault_keys *keys;  /* Ansible Vault passwords (during loading only) */
    bool borrowed_keys;    /* keys are the caller's (na_inv_opts.avault_keys) */
    inv_strlist warnings;  /* connection variables netauto does not honour, ... */
    json_t *warned;        /* de-duplication of warnings */
    struct fvars *fv;      /* group_vars files during resolution (inv_avars.c) */
} inv_ans;

/* Start the Ansible model: groups "all" and "ungrouped" (NA_INV_ANSIBLE). */
int na_inv_ans_init(na_inventory *inv, na_err *err);
/* Load one -i source (a file, a directory of files, an executable script, "h1,h2,"). */
int na_inv_ans_source(na_inventory *inv, const char *source, na_err *err);
/* Ansible's reconcile: hosts in no group go to "ungrouped" (and leave it when they have one). */
int na_inv_ans_reconcile(na_inventory *inv, na_err *err);

/* Loaders of one file's parsed contents (file names the origin). */
int na_inv_ans_yaml(na_inventory *inv, json_t *root, const inv_pos *pos, na_err *err);
/* script: label for messages; exe: the executable for `--host NAME` when the output has no
 * _meta.hostvars (NULL for a static JSON file: the hosts then have no variables of their own) */
int na_inv_ans_script(na_inventory *inv, json_t *root, const char *script, const char *exe,
                   na_err *err);
/* Run `exe --host NAME` (bounded like --list): its JSON mapping (new ref), {} for no output. */
json_t *na_inv_ans_script_host(na_inventory *inv, const char *exe, const char *host, na_err *err);
int na_inv_ans_ini(na_inventory *inv, const char *file, const char *text, size_t n, na_err *err);

/* Entities, as Ansible's InventoryData adds them. */
size_t na_inv_ans_group(na_inventory *inv, const char *name, const char *origin, na_err *err);
/* Add host (or find it) and make it a member of group gi ((size_t)-1: none); port >= 0 sets
 * ansible_port when the host is new. */
size_t na_inv_ans_host(na_inventory *inv, const char *name, size_t gi, long port,
                    const char *origin, na_err *err);
int na_inv_ans_child(na_inventory *inv, size_t parent, size_t child, const char *origin,
                  na_err *err);
/* set_variable on a group (ansible_group_priority sets the priority instead) or a host. */
int na_inv_ans_group_var(na_inventory *inv, size_t gi, const char *key, json_t *val,
                      const char *origin, na_err *err);
int na_inv_ans_host_var(na_inventory *inv, size_t hi, const char *key, json_t *val,
                     const char *origin, na_err *err);

/* Read a file an Ansible source or vars file points at: decrypted when it is Ansible Vault
 * data. out is initialised here; the caller frees (and wipes when *was_vault). */
int na_inv_ans_read(na_inventory *inv, const char *path, na_buf *out, bool *was_vault,
                 na_err *err);
/* Parse text as YAML or JSON into a JSON value (positions into pos). */
json_t *na_inv_ans_parse(na_inventory *inv, const char *label, const char *text, size_t n,
                      bool json_first, inv_pos *pos, na_err *err);

/* Resolution (inv_avars.c): begin (group_vars files are read on demand and kept until end),
 * then per host (after its group order is known): its variables (group_vars/host_vars
 * included) become h->layer.vars and its connection variables its settings (inv_amap.c); end
 * frees the files and turns the warnings into lines. */
int na_inv_ans_resolve_begin(na_inventory *inv, na_err *err);
int na_inv_ans_resolve_host(na_inventory *inv, inv_hostdef *h, na_err *err);
void na_inv_ans_resolve_end(na_inventory *inv);
int na_inv_ans_map_host(na_inventory *inv, inv_hostdef *h, const inv_avars *v, na_err *err);
/* Add a warning (de-duplicated by key; `host` is named in the first one and counted after). */
void na_inv_ans_warn(na_inventory *inv, const char *key, const char *host, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

void na_inv_ans_free(inv_ans *a);

#endif
