/* inv_src.c — Ansible inventory sources, chosen as Ansible's plugins choose them: "h1,h2," (a
 * host list), a directory (every file in it, sorted, recursively, skipping hidden files,
 * group_vars/, host_vars/ and Ansible's ignored extensions such as .ini, .cfg, .md, .txt,
 * .orig, .retry, .bak, ~), an executable file (an inventory script, run with --list, bounded
 * time and output, its stderr shown on failure), a YAML/JSON file (all/children/hosts/vars, or
 * the JSON of a script / `ansible-inventory --list`), anything else an INI file. Every file
 * may be Ansible Vault encrypted. Also reading and parsing the files group_vars/host_vars
 * point at. Not the formats themselves (inv_ansible.c, inv_ini.c). */
#include "inv_ans_int.h"
#include "runproc.h"
#include "secret.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_WALK_DEPTH 16

/* ---- reading -------------------------------------------------------------------------------- */

int na_inv_ans_read(na_inventory *inv, const char *path, na_buf *out, bool *was_vault,
                 na_err *err)
{
    *was_vault = false;
    na_buf raw;
    if (na_vault_read_file(path, NA_YDOC_MAX_BYTES, &raw, err) < 0) {
        if (err && err->code == NA_E_NOTFOUND)
            err->code = NA_E_CONFIG;
        return -1;
    }
    if (!na_avault_is_vault(na_buf_cstr(&raw), raw.len)) {
        *out = raw;
        return 0;
    }
    na_buf_init(out, NA_YDOC_MAX_BYTES);
    int rc = na_avault_decrypt(inv->ans ? inv->ans->keys : NULL, path, raw.data, raw.len, out,
                               err);
    na_buf_free(&raw);
    if (rc < 0) {
        na_buf_free(out);
        return -1;
    }
    *was_vault = true;
    return 0;
}

static bool starts_json(const char *t, size_t n)
{
    size_t i = 0;
    while (i < n && (t[i] == ' ' || t[i] == '\t' || t[i] == '\r' || t[i] == '\n'))
        i++;
    return i < n && t[i] == '{';
}

json_t *na_inv_ans_parse(na_inventory *inv, const char *label, const char *text, size_t n,
                      bool json_first, inv_pos *pos, na_err *err)
{
    pos->file = label;
    if (json_first || starts_json(text, n)) { /* Ansible's loader tries JSON first */
        json_error_t je;
        json_t *j = json_loadb(text, n, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &je);
        if (j)
            return j;
    }
    na_ydoc d;
    if (na_ydoc_load_mem(&d, label, text, n, err) < 0)
        return NULL;
    na_ynode *root = na_ydoc_root(&d);
    json_t *j = root ? na_inv_y11(inv, &d, root, pos, err) : json_null();
    na_ydoc_free(&d);
    return j;
}

static void wipe_free(na_buf *b, bool wipe)
{
    if (wipe && b->data)
        na_wipe(b->data, b->cap);
    na_buf_free(b);
}

/* ---- scripts -------------------------------------------------------------------------------- */

static json_t *run_script(na_inventory *inv, const char *exe, const char *arg, const char *host,
                          bool *noexec, na_err *err)
{
    (void)inv;
    char *argv[4] = {(char *)exe, (char *)arg, (char *)host, NULL};
    na_buf out, errtext;
    na_buf_init(&out, INV_SCRIPT_MAX_OUT + 1);
    na_buf_init(&errtext, 8192);
    na_proc_opts o = {.timeout_ms = INV_SCRIPT_TIMEOUT_MS, .max_out = INV_SCRIPT_MAX_OUT,
                      .max_err = 4096};
    const char *env = getenv("NETAUTO_INVENTORY_SCRIPT_TIMEOUT"); /* seconds, for slow clouds */
    char *end;
    long sec = env ? strtol(env, &end, 10) : 0;
    if (env && *env && !*end && sec >= 1 && sec <= 3600)
        o.timeout_ms = (int)sec * 1000;
    char what[1200];
    snprintf(what, sizeof what, "inventory script %s %s%s%s", exe, arg, host ? " " : "",
             host ? host : "");
    int status = 0;
    json_t *j = NULL;
    na_err local = NA_ERR_INIT;
    if (na_proc_run(what, argv, &o, &out, &errtext, &status, &local) < 0) {
        if (noexec && strstr(local.msg, strerror(ENOEXEC)))
            *noexec = true;
        else
            na_err_set(err, local.code == NA_E_IO ? NA_E_CONFIG : local.code, "%s", local.msg);
        goto done;
    }
    size_t el = errtext.len;
    while (el && (errtext.data[el - 1] == '\n' || errtext.data[el - 1] == '\r'))
        el--;
    if (status != 0) {
        na_err_set(err, NA_E_CONFIG, "%s exited with status %d%s%.*s", what, status,
                   el ? "; its stderr: " : " (no stderr)", (int)(el > 400 ? 400 : el),
                   el ? errtext.data : "");
        goto done;
    }
    if (host && out.len == strspn(na_buf_cstr(&out), " \t\r\n")) {
        j = json_object(); /* no output: no variables */
        goto done;
    }
    json_error_t je;
    j = json_loadb(na_buf_cstr(&out), out.len, JSON_REJECT_DUPLICATES, &je);
    if (!j || !json_is_object(j)) {
        na_err_set(err, NA_E_CONFIG, "%s: its output is not a JSON mapping (%s at line %d, "
                   "column %d)%s%.*s", what, j ? "not a mapping" : je.text, je.line, je.column,
                   el ? "; its stderr: " : "", (int)(el > 300 ? 300 : el),
                   el ? errtext.data : "");
        json_decref(j);
        j = NULL;
    }
done:
    na_buf_free(&out);
    na_buf_free(&errtext);
    return j;
}

json_t *na_inv_ans_script_host(na_inventory *inv, const char *exe, const char *host, na_err *err)
{
    return run_script(inv, exe, "--host", host, NULL, err);
}

/* ---- one file ------------------------------------------------------------------------------- */

static bool has_ext(const char *path, const char *ext)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    const char *dot = strrchr(base, '.');
    if (!ext)
        return !dot || dot == base;
    return dot && dot != base && !strcmp(dot, ext);
}

/* The JSON an inventory script prints (groups as lists, children as lists, _meta). */
static bool script_shaped(json_t *root)
{
    if (json_object_get(root, "_meta"))
        return true;
    const char *k;
    json_t *v;
    json_object_foreach (root, k, v) {
        if (json_is_array(v))
            return true;
        if (json_is_object(v) && (json_is_array(json_object_get(v, "hosts")) ||
                                  json_is_array(json_object_get(v, "children"))))
            return true;
    }
    return false;
}

static int load_static(na_inventory *inv, const char *path, na_err *err)
{
    na_buf text;
    bool vaulted;
    if (na_inv_ans_read(inv, path, &text, &vaulted, err) < 0)
        return -1;
    int rc = -1;
    bool yaml_ext = has_ext(path, ".yml") || has_ext(path, ".yaml") || has_ext(path, ".json");
    if (has_ext(path, ".toml")) {
        rc = na_inv_err_origin(inv, err, path, "TOML inventories are not supported (convert it "
                            "with: ansible-inventory -i %s --list -y)", path);
        goto done;
    }
    if (yaml_ext || has_ext(path, NULL)) {
        inv_pos pos = {0};
        na_err yerr = NA_ERR_INIT;
        json_t *root = na_inv_ans_parse(inv, path, na_buf_cstr(&text), text.len,
                                     has_ext(path, ".json"), &pos, &yerr);
        if (root && json_is_object(root)) {
            json_t *plugin = json_object_get(root, "plugin");
            if (plugin && json_is_string(plugin))
                rc = na_inv_err_origin(inv, err, path, "an inventory plugin configuration "
                                    "(plugin: %s) is not supported; netauto reads static "
                                    "inventories and inventory scripts", json_string_value(plugin));
            else if (script_shaped(root))
                rc = na_inv_ans_script(inv, root, path, NULL, err);
            else
                rc = na_inv_ans_yaml(inv, root, &pos, err);
            json_decref(root);
            na_inv_pos_free(&pos);
            goto done;
        }
        na_inv_pos_free(&pos);
        if (yaml_ext) { /* a .yml file is YAML: its own error, not an INI one */
            if (root)
                rc = na_inv_err_origin(inv, err, path, "an Ansible YAML inventory is a mapping of "
                                    "groups (all: {hosts: ..., children: ..., vars: ...})");
            else if (yerr.code == NA_E_USAGE || yerr.code == NA_E_NOMEM)
                rc = na_err_set(err, yerr.code, "%s", yerr.msg);
            else
                rc = na_err_set(err, yerr.code == NA_E_NONE ? NA_E_YAML : yerr.code, "%s",
                                yerr.msg);
            json_decref(root);
            goto done;
        }
        json_decref(root);
        if (na_err_isset(&yerr) && yerr.code != NA_E_YAML) {
            /* valid YAML whose values failed (a !vault value, a tag): it is YAML, say why */
            rc = na_err_set(err, yerr.code, "%s", yerr.msg);
            goto done;
        }
    }
    rc = na_inv_ans_ini(inv, path, na_buf_cstr(&text), text.len, err);
done:
    wipe_free(&text, vaulted);
    return rc;
}

static bool shebang(const char *path)
{
    char b[2] = {0};
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return false;
    ssize_t r = read(fd, b, 2);
    close(fd);
    return r == 2 && b[0] == '#' && b[1] == '!';
}

static int load_file(na_inventory *inv, const char *path, na_err *err)
{
    struct stat st;
    if (stat(path, &st) < 0)
        return na_inv_err_origin(inv, err, path, "cannot read: %s", strerror(errno));
    bool exec = S_ISREG(st.st_mode) && (st.st_mode & 0111) && access(path, X_OK) == 0;
    if (exec || shebang(path)) {
        if (!exec)
            return na_inv_err_origin(inv, err, path, "an inventory script (it starts with #!) "
                                  "that is not executable: chmod +x it, or remove the #! line");
        bool noexec = false;
        json_t *root = run_script(inv, path, "--list", NULL, &noexec, err);
        if (root) {
            char label[1200];
            snprintf(label, sizeof label, "inventory script %s", path);
            int rc = na_inv_ans_script(inv, root, label, path, err);
            json_decref(root);
            return rc;
        }
        if (!noexec)
            return -1;
        /* executable but not a program (a text file with the x bit): read it as a file */
    }
    return load_static(inv, path, err);
}

static bool ignored(const char *name)
{
    static const char *const exts[] = {".pyc", ".pyo", ".swp", ".bak", "~", ".rpm", ".md",
                                       ".txt", ".rst", ".orig", ".ini", ".cfg", ".retry"};
    if (name[0] == '.' || !strcmp(name, "host_vars") || !strcmp(name, "group_vars") ||
        !strcmp(name, "vars_plugins"))
        return true;
    size_t n = strlen(name);
    for (size_t i = 0; i < sizeof exts / sizeof *exts; i++) {
        size_t e = strlen(exts[i]);
        if (n >= e && !strcmp(name + n - e, exts[i]))
            return true;
    }
    return false;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted names in dir (caller frees with na_inv_strlist_free). */
static int list_dir(const char *dir, inv_strlist *out, na_err *err)
{
    DIR *d = opendir(dir);
    if (!d)
        return na_err_set(err, NA_E_CONFIG, "%s: cannot read the directory: %s", dir,
                          strerror(errno));
    struct dirent *e;
    int rc = 0;
    while (rc == 0 && (e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        rc = na_inv_strlist_push(out, e->d_name, strlen(e->d_name), err);
    }
    closedir(d);
    if (rc == 0 && out->n)
        qsort(out->v, out->n, sizeof *out->v, cmp_str);
    return rc;
}

static int walk(na_inventory *inv, const char *dir, int depth, na_err *err)
{
    if (depth > MAX_WALK_DEPTH)
        return na_inv_err_origin(inv, err, dir, "directories nested more than %d levels deep",
                              MAX_WALK_DEPTH);
    inv_strlist names = {0};
    int rc = list_dir(dir, &names, err);
    for (size_t i = 0; rc == 0 && i < names.n; i++) {
        if (ignored(names.v[i]))
            continue;
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, names.v[i]);
        struct stat st;
        if (stat(path, &st) < 0)
            continue; /* a dangling link */
        if (S_ISDIR(st.st_mode))
            rc = walk(inv, path, depth + 1, err);
        else if (S_ISREG(st.st_mode))
            rc = load_file(inv, path, err);
    }
    na_inv_strlist_free(&names);
    return rc;
}

/* ---- sources -------------------------------------------------------------------------------- */

/* "h1,h2:2222,10.0.0.1": the host_list plugin (no ranges; hosts already known stay as they
 * are) */
static int host_list(na_inventory *inv, const char *src, na_err *err)
{
    size_t ug = na_inv_group_index(inv, "ungrouped");
    const char *p = src;
    while (*p) {
        size_t l = strcspn(p, ",");
        char item[1024], host[1024];
        snprintf(item, sizeof item, "%.*s", (int)(l < sizeof item ? l : sizeof item - 1), p);
        p += l + (p[l] == ',');
        char *s = item;
        while (*s == ' ' || *s == '\t')
            s++;
        size_t n = strlen(s);
        while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
            s[--n] = '\0';
        if (!*s)
            continue;
        long port = -1;
        if (!na_inv_parse_address(s, host, sizeof host, &port) || strchr(host, '[')) {
            snprintf(host, sizeof host, "%s", s);
            port = -1;
        }
        if (na_inv_host_index(inv, host) != (size_t)-1)
            continue;
        if (na_inv_ans_host(inv, host, ug, port, src, err) == (size_t)-1)
            return -1;
    }
    return 0;
}

int na_inv_ans_source(na_inventory *inv, const char *source, na_err *err)
{
    inv_ans *a = inv->ans;
    if (na_inv_strlist_push(&a->sources, source, strlen(source), err) < 0)
        return -1;
    struct stat st;
    if (stat(source, &st) < 0) {
        if (strchr(source, ','))
            return host_list(inv, source, err);
        return na_err_set(err, errno == ENOENT ? NA_E_NOTFOUND : NA_E_IO,
                          "%s: cannot open the inventory: %s", source, strerror(errno));
    }
    if (S_ISDIR(st.st_mode)) {
        if (na_inv_strlist_push(&a->vars_dirs, source, strlen(source), err) < 0)
            return -1;
        return walk(inv, source, 0, err);
    }
    char *copy = strdup(source);
    if (!copy)
        return na_err_set(err, NA_E_NOMEM, "out of memory");
    const char *dir = dirname(copy);
    int rc = na_inv_strlist_push(&a->vars_dirs, dir, strlen(dir), err);
    free(copy);
    if (rc < 0)
        return -1;
    return load_file(inv, source, err);
}

int na_inv_ans_init(na_inventory *inv, na_err *err)
{
    if (!inv->ans && !(inv->ans = calloc(1, sizeof *inv->ans)))
        return na_err_set(err, NA_E_NOMEM, "out of memory");
    inv->format = NA_INV_ANSIBLE;
    inv->ctx_kind = "children";
    if (inv->n_groups == 0) {
        const char *all = na_inv_strdup(inv, "all", err);
        if (!all || na_inv_add_group(inv, all, 0, 0, err) == (size_t)-1)
            return -1;
        inv->groups[0].priority = 1;
    }
    return na_inv_ans_group(inv, "ungrouped", NULL, err) == (size_t)-1 ? -1 : 0;
}

int na_inv_ans_reconcile(na_inventory *inv, na_err *err)
{
    size_t ug = na_inv_group_index(inv, "ungrouped");
    for (size_t i = 0; i < inv->n_hosts; i++) {
        inv_hostdef *h = &inv->hosts[i];
        bool in_ug = false;
        for (size_t j = 0; j < h->n_groups; j++)
            in_ug |= h->groups[j].to == ug;
        if (in_ug && h->n_groups > 1) { /* listed in ungrouped and elsewhere: not ungrouped */
            for (size_t j = 0; j < h->n_groups; j++) {
                if (h->groups[j].to == ug) {
                    memmove(&h->groups[j], &h->groups[j + 1],
                            (h->n_groups - j - 1) * sizeof *h->groups);
                    h->n_groups--;
                    break;
                }
            }
        } else if (h->n_groups == 0 &&
                   na_inv_add_link(&h->groups, &h->n_groups, &h->cap_groups, ug, 0, 0, err) < 0) {
            return -1;
        }
    }
    return 0;
}

void na_inv_ans_free(inv_ans *a)
{
    if (!a)
        return;
    na_inv_strlist_free(&a->sources);
    na_inv_strlist_free(&a->vars_dirs);
    na_inv_strlist_free(&a->warnings);
    json_decref(a->warned);
    na_avault_keys_free(a->keys);
    free(a);
}
