/* inv_int.h — the inventory's private model, shared by its loaders (inv_native.c,
 * inv_ansible.c), the setting parser (inv_settings.c), the resolver (inv_resolve.c), --limit
 * (inv_limit.c) and the JSON rendering (inv_json.c). Not part of the public API (inventory.h).
 *
 * Loading builds "layers": the settings written at one place (defaults, a group, a host), each
 * already validated and carrying its file position. Resolution then walks a host's layers in
 * precedence order and fills the public na_inv_host. Layers are freed once load finishes. */
#ifndef NA_INV_INT_H
#define NA_INV_INT_H

#include "inventory.h"
#include "ydoc.h"

enum inv_slot {
    S_HOST, S_PORT, S_SSH_PORT, S_TELNET_PORT, S_PLATFORM, S_TRANSPORT, S_USERNAME, S_PASSWORD,
    S_SECRET, S_KEY_FILE, S_KEY_PASSPHRASE, S_USE_AGENT, S_HOST_KEY_POLICY, S_KNOWN_HOSTS,
    S_JUMP_HOST, S_ALG_KEX, S_ALG_HOST_KEYS, S_ALG_CIPHERS, S_ALG_MACS, S_TO_CONNECT,
    S_TO_NEGOTIATE, S_TO_AUTH, S_TO_SHELL, S_TO_COMMAND, S_SSH_CONFIG, S__COUNT
};

/* How a secret slot's text is to be resolved. */
enum { SEC_PLAIN = 0, SEC_ENV = 1, SEC_VAULT = 2 };

typedef struct inv_val {
    bool set;
    unsigned line, col;   /* position of the value in the file */
    const char *key;      /* the key as written ("password", "ansible_ssh_pass"), static */
    const char *s;        /* string value in the arena; plain secrets: a na_secret_dup copy;
                             ${ENV}/${vault:X}: the NAME */
    long n;               /* port, ms, bool, enum, or SEC_* for secrets */
    const char *resolved; /* secrets: the value once resolved (cached; owned elsewhere) */
    const char *origin;   /* Ansible: "FILE:LINE:COL" where the value was set (arena), or NULL
                             (then line/col are in the inventory file) */
} inv_val;

typedef struct inv_layer {
    inv_val v[S__COUNT];
    json_t *vars; /* owned; NULL = none */
} inv_layer;

typedef struct inv_link {
    size_t to;            /* group index */
    unsigned line, col;   /* where the reference is written */
    const char *origin;   /* Ansible: "FILE:LINE:COL" of the reference (arena), or NULL */
} inv_link;

/* Limits that keep hostile inventories from crashing or exhausting the machine (errors past
 * them name the place): group nesting through parents/children (walks recurse this deep). */
#define INV_MAX_GROUP_DEPTH 64
/* Every host gets its own group list and its own merged vars (defaults, groups, host): entries
 * in all of them together, so a few hundred KB of shared vars times many hosts cannot take
 * gigabytes (10000 default vars x 2000 hosts took 2 GB and 11 s before this limit). */
#define INV_MAX_RESOLVED 4000000

/* Ansible variables of one place with where each was set (inv_ans_int.h). */
typedef struct inv_avars {
    json_t *vars; /* object, NULL = none */
    json_t *orig; /* object: name -> "FILE:LINE:COL" of the value */
} inv_avars;

typedef struct inv_group {
    const char *name;     /* arena */
    unsigned line, col;
    inv_layer layer;
    inv_avars av;         /* Ansible: variables set in inventory sources */
    int priority;         /* Ansible: ansible_group_priority (1 by default) */
    inv_link *parents;
    size_t n_parents, cap_parents;
    int depth;            /* Ansible: longest path from "all" */
    int mark;             /* DFS scratch */
} inv_group;

typedef struct inv_hostdef {
    na_inv_host pub;
    unsigned line, col;
    inv_layer layer;
    inv_avars av;         /* Ansible: variables set in inventory sources */
    const char *origin;   /* Ansible: where the host was first named (arena), or NULL */
    inv_link *groups;     /* groups as listed, in order */
    size_t n_groups, cap_groups;
    size_t *order;        /* resolved group indices in precedence order (arena) */
    size_t n_order;
    na_conn_params jump_params; /* for a user@host:port jump */
} inv_hostdef;

typedef struct inv_chunk inv_chunk;

struct na_inventory {
    char *path;           /* as given */
    char *dir;            /* directory relative paths start from */
    na_inv_format format;
    inv_chunk *arena;
    inv_layer defaults;
    inv_group *groups;    /* [0] is "all" */
    size_t n_groups, cap_groups;
    inv_hostdef *hosts;
    size_t n_hosts, cap_hosts;
    json_t *host_ix;      /* name -> index (jansson objects are hash tables) */
    json_t *group_ix;
    const char *vault_path;
    unsigned vault_line, vault_col;
    na_vault *vault;
    const char *templates_dir;  /* `templates:` (resolved), NULL when not set */
    const char **platform_dirs; /* NULL-terminated */
    size_t n_platform_dirs;
    char **secrets;       /* na_secret_dup copies to free */
    size_t n_secrets, cap_secrets;
    const na_inv_opts *opts; /* only during load */
    const char *ctx_kind; /* "parents" (native) or "children" (Ansible) for cycle messages */
    size_t resolved;      /* entries in every host's group list and merged vars so far */
    struct inv_ans *ans;  /* Ansible inventories: sources, vault keys, warnings (inv_ans_int.h) */
};

/* ---- arena and small helpers (inventory.c) ---- */
void *na_inv_alloc(na_inventory *inv, size_t n, na_err *err);
const char *na_inv_strdup(na_inventory *inv, const char *s, na_err *err);
/* Keep a na_secret_dup'd string until na_inv_free; NULL + err on OOM. */
const char *na_inv_secret(na_inventory *inv, const char *s, na_err *err);
/* A path from the file: "~/" expanded, relative ones joined to inv->dir. Arena string. */
const char *na_inv_resolve_path(na_inventory *inv, const char *s, na_err *err);
/* Positioned error "FILE:LINE:COL: " + message (code NA_E_CONFIG). Returns -1. */
int na_inv_err_at(na_inventory *inv, na_err *err, unsigned line, unsigned col, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
/* Names of hosts and groups: no whitespace and none of , : ! & (they separate --limit parts). */
bool na_inv_valid_name(const char *s);
/* Index by name, or (size_t)-1 (hash lookup). */
size_t na_inv_group_index(const na_inventory *inv, const char *name);
size_t na_inv_host_index(const na_inventory *inv, const char *name);
/* Add a group / host (names are arena strings). Returns the index or (size_t)-1 + err. */
size_t na_inv_add_group(na_inventory *inv, const char *name, unsigned line, unsigned col,
                     na_err *err);
size_t na_inv_add_host(na_inventory *inv, const char *name, unsigned line, unsigned col,
                    na_err *err);
int na_inv_add_link(inv_link **a, size_t *n, size_t *cap, size_t to, unsigned line, unsigned col,
                 na_err *err);
void na_inv_layer_free(inv_layer *l);

/* ---- settings (inv_settings.c) ---- */
/* Parse one native setting `key: node` into layer l. Returns 1 when handled, 0 when key is not a
 * setting (the caller deals with it), -1 + err. ctx names the place ("host 'sw1'"). */
int na_inv_setting(na_inventory *inv, na_ydoc *d, inv_layer *l, const char *ctx, const char *key,
                na_ynode *keynode, na_ynode *node, na_err *err);
/* Store a validated value for slot (used by the Ansible mapping). */
int na_inv_set_string(na_inventory *inv, na_ydoc *d, inv_layer *l, const char *ctx, int slot,
                   const char *key, na_ynode *node, na_err *err);
int na_inv_set_port(na_inventory *inv, na_ydoc *d, inv_layer *l, const char *ctx, int slot,
                 const char *key, na_ynode *node, na_err *err);
int na_inv_set_secret(na_inventory *inv, na_ydoc *d, inv_layer *l, const char *ctx, int slot,
                   const char *key, na_ynode *node, na_err *err);
int na_inv_set_path(na_inventory *inv, na_ydoc *d, inv_layer *l, const char *ctx, int slot,
                 const char *key, na_ynode *node, na_err *err);
/* The secret setter on text: plain, ${ENV_VAR} or ${vault:NAME}; v's position (line/col or
 * origin) must be set by the caller afterwards. */
int na_inv_set_secret_text(na_inventory *inv, inv_layer *l, const char *ctx, int slot,
                        const char *key, const char *s, unsigned line, unsigned col,
                        const char *origin, na_err *err);
/* An error at a value's place ("FILE:LINE:COL: ..."). Returns -1. */
int na_inv_val_err(na_inventory *inv, na_err *err, const inv_val *v, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
void na_inv_set_raw(inv_layer *l, int slot, const char *key, na_ynode *node, const char *s, long n);
/* Merge a vars mapping node into l->vars (key by key). */
int na_inv_merge_vars(na_inventory *inv, na_ydoc *d, inv_layer *l, const char *ctx, na_ynode *node,
                   na_err *err);
/* The keys na_inv_setting accepts (NULL-terminated), for na_ycheck_keys lists. */
extern const char *const na_inv_setting_keys[];

/* ---- loaders ---- */
int na_inv_load_native(na_inventory *inv, na_ydoc *d, na_ynode *root, na_err *err);
/* Cycle check over group parents; on success computes depth. (inv_native.c) */
int na_inv_check_cycles(na_inventory *inv, na_err *err);

/* ---- resolution (inv_resolve.c) ---- */
int na_inv_resolve(na_inventory *inv, na_err *err);

#endif
