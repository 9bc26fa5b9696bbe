/* inventory.c — loading entry points (format detection: native or Ansible YAML), the string
 * arena, lookups and freeing. Not the parsers (inv_native.c, inv_ansible.c, inv_settings.c) nor
 * the resolver (inv_resolve.c). */
#include "inv_ans_int.h"
#include "secret.h"

#include <libgen.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct inv_chunk {
    inv_chunk *next;
    size_t used, cap;
    _Alignas(max_align_t) char data[];
};

#define CHUNK_SIZE ((size_t)64 << 10)

void *na_inv_alloc(na_inventory *inv, size_t n, na_err *err)
{
    n = (n + 15) & ~(size_t)15;
    inv_chunk *c = inv->arena;
    if (!c || c->cap - c->used < n) {
        size_t cap = n > CHUNK_SIZE / 4 ? n : CHUNK_SIZE;
        inv_chunk *nc = malloc(sizeof *nc + cap);
        if (!nc) {
            na_err_set(err, NA_E_NOMEM, "out of memory");
            return NULL;
        }
        nc->used = 0;
        nc->cap = cap;
        if (c && cap != CHUNK_SIZE) { /* a big one-off: keep the current chunk in front */
            nc->next = c->next;
            c->next = nc;
        } else {
            nc->next = c;
            inv->arena = nc;
        }
        c = nc;
    }
    void *p = c->data + c->used;
    c->used += n;
    memset(p, 0, n);
    return p;
}

const char *na_inv_strdup(na_inventory *inv, const char *s, na_err *err)
{
    if (!s)
        return NULL;
    size_t n = strlen(s) + 1;
    char *p = na_inv_alloc(inv, n, err);
    if (p)
        memcpy(p, s, n);
    return p;
}

const char *na_inv_secret(na_inventory *inv, const char *s, na_err *err)
{
    if (inv->n_secrets == inv->cap_secrets) {
        size_t nc = inv->cap_secrets ? inv->cap_secrets * 2 : 16;
        char **a = realloc(inv->secrets, nc * sizeof *a);
        if (!a) {
            na_err_set(err, NA_E_NOMEM, "out of memory");
            return NULL;
        }
        inv->secrets = a;
        inv->cap_secrets = nc;
    }
    char *c = na_secret_dup(s);
    if (!c) {
        na_err_set(err, NA_E_NOMEM, "out of memory");
        return NULL;
    }
    inv->secrets[inv->n_secrets++] = c;
    return c;
}

const char *na_inv_resolve_path(na_inventory *inv, const char *s, na_err *err)
{
    char buf[4096];
    if (s[0] == '~' && (s[1] == '/' || s[1] == '\0')) {
        const char *home = getenv("HOME");
        if (!home || !*home) {
            struct passwd *pw = getpwuid(getuid());
            home = pw ? pw->pw_dir : "/";
        }
        snprintf(buf, sizeof buf, "%s%s", home, s + 1);
    } else if (s[0] == '/' || !strcmp(inv->dir, ".")) {
        snprintf(buf, sizeof buf, "%s", s);
    } else {
        snprintf(buf, sizeof buf, "%s/%s", inv->dir, s);
    }
    return na_inv_strdup(inv, buf, err);
}

int na_inv_err_at(na_inventory *inv, na_err *err, unsigned line, unsigned col, const char *fmt, ...)
{
    char msg[NA_ERR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (line)
        return na_err_set(err, NA_E_CONFIG, "%s:%u:%u: %s", inv->path, line, col, msg);
    return na_err_set(err, NA_E_CONFIG, "%s: %s", inv->path, msg);
}

int na_inv_val_err(na_inventory *inv, na_err *err, const inv_val *v, const char *fmt, ...)
{
    char msg[NA_ERR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (v && v->origin && *v->origin)
        return na_err_set(err, NA_E_CONFIG, "%s: %s", v->origin, msg);
    return na_inv_err_at(inv, err, v ? v->line : 0, v ? v->col : 0, "%s", msg);
}

bool na_inv_valid_name(const char *s)
{
    if (!s || !*s)
        return false;
    for (; *s; s++)
        if ((unsigned char)*s <= ' ' || strchr(",:!&", *s))
            return false;
    return true;
}

static size_t ix_get(json_t *ix, const char *name)
{
    json_t *v = ix ? json_object_get(ix, name) : NULL;
    return v ? (size_t)json_integer_value(v) : (size_t)-1;
}

static int ix_put(json_t **ix, const char *name, size_t i, na_err *err)
{
    if (!*ix && !(*ix = json_object()))
        return na_err_set(err, NA_E_NOMEM, "out of memory");
    if (json_object_set_new(*ix, name, json_integer((json_int_t)i)) < 0)
        return na_err_set(err, NA_E_CONFIG, "bad name '%s' (not UTF-8?)", name);
    return 0;
}

size_t na_inv_group_index(const na_inventory *inv, const char *name)
{
    return ix_get(inv->group_ix, name);
}

size_t na_inv_host_index(const na_inventory *inv, const char *name)
{
    return ix_get(inv->host_ix, name);
}

size_t na_inv_add_group(na_inventory *inv, const char *name, unsigned line, unsigned col,
                     na_err *err)
{
    if (inv->n_groups == inv->cap_groups) {
        size_t nc = inv->cap_groups ? inv->cap_groups * 2 : 16;
        inv_group *a = realloc(inv->groups, nc * sizeof *a);
        if (!a) {
            na_err_set(err, NA_E_NOMEM, "out of memory");
            return (size_t)-1;
        }
        inv->groups = a;
        inv->cap_groups = nc;
    }
    if (ix_put(&inv->group_ix, name, inv->n_groups, err) < 0)
        return (size_t)-1;
    inv_group *g = &inv->groups[inv->n_groups];
    memset(g, 0, sizeof *g);
    g->name = name;
    g->line = line;
    g->col = col;
    return inv->n_groups++;
}

size_t na_inv_add_host(na_inventory *inv, const char *name, unsigned line, unsigned col,
                    na_err *err)
{
    if (inv->n_hosts == inv->cap_hosts) {
        size_t nc = inv->cap_hosts ? inv->cap_hosts * 2 : 64;
        inv_hostdef *a = realloc(inv->hosts, nc * sizeof *a);
        if (!a) {
            na_err_set(err, NA_E_NOMEM, "out of memory");
            return (size_t)-1;
        }
        inv->hosts = a;
        inv->cap_hosts = nc;
    }
    if (ix_put(&inv->host_ix, name, inv->n_hosts, err) < 0)
        return (size_t)-1;
    inv_hostdef *h = &inv->hosts[inv->n_hosts];
    memset(h, 0, sizeof *h);
    h->pub.name = name;
    h->pub.index = inv->n_hosts;
    h->line = line;
    h->col = col;
    return inv->n_hosts++;
}

int na_inv_add_link(inv_link **a, size_t *n, size_t *cap, size_t to, unsigned line, unsigned col,
                 na_err *err)
{
    for (size_t i = 0; i < *n; i++)
        if ((*a)[i].to == to)
            return 0;
    if (*n == *cap) {
        size_t nc = *cap ? *cap * 2 : 4;
        inv_link *na = realloc(*a, nc * sizeof *na);
        if (!na)
            return na_err_set(err, NA_E_NOMEM, "out of memory");
        *a = na;
        *cap = nc;
    }
    (*a)[(*n)++] = (inv_link){.to = to, .line = line, .col = col};
    return 0;
}

void na_inv_layer_free(inv_layer *l)
{
    json_decref(l->vars);
    l->vars = NULL;
}

/* ---- loading ------------------------------------------------------------------------------ */

static bool is_ansible(na_ydoc *d, na_ynode *root)
{
    if (na_ymap_get(d, root, "all"))
        return true;
    static const char *const native[] = {"vault", "platform_dirs", "templates", "defaults",
                                         "groups", "hosts"};
    for (size_t i = 0; i < sizeof native / sizeof *native; i++)
        if (na_ymap_get(d, root, native[i]))
            return false;
    size_t n = na_ymap_len(root);
    for (size_t i = 0; i < n; i++) {
        na_ynode *v = na_ymap_val(d, root, i);
        if (na_yis_null(v))
            continue;
        if (!na_yis_map(v))
            return false;
        size_t m = na_ymap_len(v);
        for (size_t j = 0; j < m; j++) {
            const char *k = na_yscalar(na_ymap_key(d, v, j));
            if (!k || (strcmp(k, "hosts") && strcmp(k, "children") && strcmp(k, "vars")))
                return false;
        }
    }
    return n > 0;
}

static int finish(na_inventory *inv, na_err *err)
{
    if (na_inv_check_cycles(inv, err) < 0)
        return -1;
    return na_inv_resolve(inv, err);
}

static int load_native(na_inventory *inv, na_ydoc *d, na_err *err)
{
    na_ynode *root = na_ydoc_root(d);
    const char *all = na_inv_strdup(inv, "all", err);
    if (!all || na_inv_add_group(inv, all, 0, 0, err) == (size_t)-1)
        return -1;
    inv->format = NA_INV_NATIVE;
    inv->ctx_kind = "parents";
    if (na_inv_load_native(inv, d, root, err) < 0)
        return -1;
    return finish(inv, err);
}

/* The Ansible Vault key ring for a load: the caller's, or one made from the options. */
static int make_keys(na_inventory *inv, na_err *err)
{
    const na_inv_opts *o = inv->opts;
    if (o->avault_keys) {
        inv->ans->keys = o->avault_keys;
        inv->ans->borrowed_keys = true;
        return 0;
    }
    na_avault_keys *k = na_avault_keys_new(o->prompt, o->prompt_ud);
    if (!k)
        return na_err_set(err, NA_E_NOMEM, "out of memory");
    inv->ans->keys = k;
    for (size_t i = 0; i < o->n_vault_ids; i++)
        if (na_avault_keys_add_id(k, o->vault_ids[i], err) < 0)
            return -1;
    const char *env = getenv("ANSIBLE_VAULT_PASSWORD_FILE");
    const char *files[2] = {o->vault_password_file, env && *env ? env : NULL};
    for (int i = 0; i < 2; i++) {
        if (!files[i])
            continue;
        char id[4200];
        snprintf(id, sizeof id, "default@%s", files[i]);
        if (na_avault_keys_add_id(k, id, err) < 0)
            return -1;
    }
    const char *pw = o->vault_password ? o->vault_password : getenv("NETAUTO_VAULT_PASSWORD");
    if (pw && *pw && na_avault_keys_add_pass(k, "default", pw, err) < 0)
        return -1;
    if (na_avault_keys_count(k) == 0 && o->prompt)
        return na_avault_keys_add_id(k, "default@prompt", err);
    return 0;
}

static int load_ansible(na_inventory *inv, const char *const *paths, size_t n, na_err *err)
{
    if (na_inv_ans_init(inv, err) < 0 || make_keys(inv, err) < 0)
        return -1;
    for (size_t i = 0; i < n; i++)
        if (na_inv_ans_source(inv, paths[i], err) < 0)
            return -1;
    if (na_inv_ans_reconcile(inv, err) < 0)
        return -1;
    return finish(inv, err);
}

static na_inventory *inv_new(const char *path, const char *dir, const na_inv_opts *opts,
                             na_err *err)
{
    na_inventory *inv = calloc(1, sizeof *inv);
    if (!inv) {
        na_err_set(err, NA_E_NOMEM, "out of memory");
        return NULL;
    }
    static const na_inv_opts no_opts;
    inv->opts = opts ? opts : &no_opts;
    inv->path = strdup(path);
    inv->dir = strdup(dir);
    if (!inv->path || !inv->dir) {
        na_err_set(err, NA_E_NOMEM, "out of memory");
        na_inv_free(inv);
        return NULL;
    }
    return inv;
}

/* After loading: what only loading needed goes (layers, Ansible variables by place, the
 * borrowed options); the inventory itself on failure. */
static na_inventory *done_load(na_inventory *inv, int rc)
{
    inv->opts = NULL;
    for (size_t i = 0; i < inv->n_groups; i++) {
        na_inv_layer_free(&inv->groups[i].layer);
        na_inv_avars_free(&inv->groups[i].av);
    }
    for (size_t i = 0; i < inv->n_hosts; i++) {
        na_inv_layer_free(&inv->hosts[i].layer);
        na_inv_avars_free(&inv->hosts[i].av);
    }
    na_inv_layer_free(&inv->defaults);
    if (inv->ans) {
        if (inv->ans->borrowed_keys)
            inv->ans->keys = NULL;
        na_avault_keys_free(inv->ans->keys); /* passwords are not kept past loading */
        inv->ans->keys = NULL;
    }
    if (rc < 0) {
        na_inv_free(inv);
        return NULL;
    }
    return inv;
}

/* 2: .yml/.yaml/.json (YAML only), 1: no extension (YAML, else INI), 0: INI */
static int yaml_kind(const char *name)
{
    const char *base = strrchr(name, '/');
    base = base ? base + 1 : name;
    const char *dot = strrchr(base, '.');
    if (!dot || dot == base)
        return 1;
    return !strcmp(dot, ".yml") || !strcmp(dot, ".yaml") || !strcmp(dot, ".json") ? 2 : 0;
}

static bool yaml_name(const char *name) { return yaml_kind(name) != 0; }

na_inventory *na_inv_load_mem(const char *name, const char *data, size_t n, const char *base_dir,
                              const na_inv_opts *opts, na_err *err)
{
    na_inventory *inv = inv_new(name, base_dir ? base_dir : ".", opts, err);
    if (!inv)
        return NULL;
    na_ydoc d;
    na_err yerr = NA_ERR_INIT;
    int rc, kind = yaml_kind(name);
    bool yaml_ok = kind && na_ydoc_load_mem(&d, name, data, n, &yerr) == 0;
    if (yaml_ok && kind == 1 && !na_yis_map(na_ydoc_root(&d))) { /* not YAML: INI */
        na_ydoc_free(&d);
        yaml_ok = false;
        kind = 0;
    }
    if (yaml_ok) {
        na_ynode *root = na_ydoc_root(&d);
        if (!root || na_yis_null(root))
            rc = na_err_set(err, NA_E_CONFIG, "%s: the inventory is empty", name);
        else if (!na_yis_map(root))
            rc = na_yerr(err, &d, root, "an inventory is a YAML mapping (native: "
                         "defaults/groups/hosts; Ansible: all/children/hosts/vars), or an "
                         "Ansible INI file");
        else if (!is_ansible(&d, root))
            rc = load_native(inv, &d, err);
        else if ((rc = na_inv_ans_init(inv, err)) == 0 && (rc = make_keys(inv, err)) == 0) {
            inv_pos pos = {.file = name};
            json_t *j = na_inv_y11(inv, &d, root, &pos, err);
            rc = j ? na_inv_ans_yaml(inv, j, &pos, err) : -1;
            json_decref(j);
            na_inv_pos_free(&pos);
            if (rc == 0 && (rc = na_inv_ans_reconcile(inv, err)) == 0)
                rc = finish(inv, err);
        }
        na_ydoc_free(&d);
    } else if (kind == 2) {
        rc = na_err_set(err, yerr.code, "%s", yerr.msg);
    } else { /* an INI inventory */
        rc = na_inv_ans_init(inv, err);
        if (rc == 0)
            rc = make_keys(inv, err);
        if (rc == 0)
            rc = na_inv_ans_ini(inv, name, data, n, err);
        if (rc == 0 && (rc = na_inv_ans_reconcile(inv, err)) == 0)
            rc = finish(inv, err);
    }
    return done_load(inv, rc);
}

/* Is this single source a native inventory? 1 yes (d loaded), 0 no, -1 error. */
static int native_source(const char *path, na_ydoc *d, na_err *err)
{
    struct stat st;
    if (stat(path, &st) < 0 || !S_ISREG(st.st_mode) || !yaml_name(path))
        return 0;
    if ((st.st_mode & 0111) && access(path, X_OK) == 0)
        return 0; /* an inventory script */
    na_buf head;
    if (na_vault_read_file(path, NA_YDOC_MAX_BYTES, &head, err) < 0)
        return -1;
    bool vaulted = na_avault_is_vault(na_buf_cstr(&head), head.len);
    bool json = head.len && strspn(na_buf_cstr(&head), " \t\r\n") < head.len &&
                na_buf_cstr(&head)[strspn(na_buf_cstr(&head), " \t\r\n")] == '{';
    int rc = 0;
    if (!vaulted && !json) {
        na_err yerr = NA_ERR_INIT;
        if (na_ydoc_load_mem(d, path, na_buf_cstr(&head), head.len, &yerr) == 0) {
            na_ynode *root = na_ydoc_root(d);
            if (root && na_yis_map(root) && !is_ansible(d, root))
                rc = 1;
            else
                na_ydoc_free(d);
        }
    }
    na_buf_free(&head);
    return rc;
}

na_inventory *na_inv_load_sources(const char *const *paths, size_t n, const na_inv_opts *opts,
                                  na_err *err)
{
    if (n == 0) {
        na_err_set(err, NA_E_USAGE, "no inventory given");
        return NULL;
    }
    char label[4096] = "";
    size_t o = 0;
    for (size_t i = 0; i < n && o < sizeof label; i++)
        o += (size_t)snprintf(label + o, sizeof label - o, "%s%s", i ? ", " : "", paths[i]);
    struct stat st;
    char *copy = strdup(paths[0]);
    if (!copy) {
        na_err_set(err, NA_E_NOMEM, "out of memory");
        return NULL;
    }
    bool isdir = stat(paths[0], &st) == 0 && S_ISDIR(st.st_mode);
    na_inventory *inv = inv_new(label, isdir ? paths[0] : dirname(copy), opts, err);
    free(copy);
    if (!inv)
        return NULL;
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        na_ydoc d;
        int nat = native_source(paths[i], &d, err);
        if (nat < 0) {
            rc = -1;
        } else if (nat == 1) {
            if (n > 1)
                rc = na_err_set(err, NA_E_CONFIG, "%s: a native netauto inventory cannot be "
                                "combined with other -i sources", paths[i]);
            else
                rc = load_native(inv, &d, err);
            na_ydoc_free(&d);
            if (rc < 0 || n == 1)
                return done_load(inv, rc);
        }
    }
    if (rc == 0)
        rc = load_ansible(inv, paths, n, err);
    return done_load(inv, rc);
}

na_inventory *na_inv_load(const char *path, const na_inv_opts *opts, na_err *err)
{
    return na_inv_load_sources(&path, 1, opts, err);
}

void na_inv_free(na_inventory *inv)
{
    if (!inv)
        return;
    for (size_t i = 0; i < inv->n_hosts; i++) {
        inv_hostdef *h = &inv->hosts[i];
        na_inv_layer_free(&h->layer);
        json_decref(h->pub.vars);
        free(h->groups);
    }
    for (size_t i = 0; i < inv->n_groups; i++) {
        na_inv_layer_free(&inv->groups[i].layer);
        free(inv->groups[i].parents);
    }
    na_inv_layer_free(&inv->defaults);
    for (size_t i = 0; i < inv->n_groups; i++)
        na_inv_avars_free(&inv->groups[i].av);
    for (size_t i = 0; i < inv->n_hosts; i++)
        na_inv_avars_free(&inv->hosts[i].av);
    if (inv->ans && inv->ans->borrowed_keys)
        inv->ans->keys = NULL;
    na_inv_ans_free(inv->ans);
    for (size_t i = 0; i < inv->n_secrets; i++)
        na_secret_free(inv->secrets[i]);
    free(inv->secrets);
    na_vault_free(inv->vault);
    free(inv->hosts);
    free(inv->groups);
    json_decref(inv->host_ix);
    json_decref(inv->group_ix);
    while (inv->arena) {
        inv_chunk *n = inv->arena->next;
        free(inv->arena);
        inv->arena = n;
    }
    free(inv->path);
    free(inv->dir);
    free(inv);
}

/* ---- accessors ---------------------------------------------------------------------------- */

na_inv_format na_inv_get_format(const na_inventory *inv) { return inv->format; }
const char *na_inv_path(const na_inventory *inv) { return inv->path; }
const char *na_inv_vault_path(const na_inventory *inv) { return inv->vault_path; }
const char *na_inv_templates_dir(const na_inventory *inv) { return inv->templates_dir; }

const char *const *na_inv_platform_dirs(const na_inventory *inv, size_t *n)
{
    static const char *const none[] = {NULL};
    if (n)
        *n = inv->n_platform_dirs;
    return inv->platform_dirs ? inv->platform_dirs : none;
}

size_t na_inv_count(const na_inventory *inv) { return inv->n_hosts; }

const na_inv_host *na_inv_host_at(const na_inventory *inv, size_t i)
{
    return i < inv->n_hosts ? &inv->hosts[i].pub : NULL;
}

const na_inv_host *na_inv_find(const na_inventory *inv, const char *name)
{
    size_t i = name ? na_inv_host_index(inv, name) : (size_t)-1;
    return i == (size_t)-1 ? NULL : &inv->hosts[i].pub;
}

size_t na_inv_group_count(const na_inventory *inv) { return inv->n_groups; }

const char *na_inv_group_name(const na_inventory *inv, size_t i)
{
    return i < inv->n_groups ? inv->groups[i].name : NULL;
}

bool na_inv_group_exists(const na_inventory *inv, const char *name)
{
    return name && na_inv_group_index(inv, name) != (size_t)-1;
}

bool na_inv_host_in_group(const na_inv_host *h, const char *group)
{
    for (size_t i = 0; h && group && i < h->n_groups; i++)
        if (!strcmp(h->groups[i], group))
            return true;
    return false;
}

const na_conn_params *na_inv_conn(const na_inv_host *h, na_transport_kind k)
{
    return k == NA_TRANSPORT_TELNET ? &h->telnet : &h->ssh;
}

size_t na_inv_warning_count(const na_inventory *inv)
{
    return inv && inv->ans ? inv->ans->warnings.n : 0;
}

const char *na_inv_warning(const na_inventory *inv, size_t i)
{
    return i < na_inv_warning_count(inv) ? inv->ans->warnings.v[i] : NULL;
}

const char *na_hostkey_policy_name(na_hostkey_policy p)
{
    switch (p) {
    case NA_HOSTKEY_STRICT: return "strict";
    case NA_HOSTKEY_ACCEPT_NEW: return "accept-new";
    case NA_HOSTKEY_OFF: return "off";
    }
    return "strict";
}
