/* pb_expand.c — expand a task for one host: loop items, `when` per item, then the concrete
 * strings of its action (commands + expect patterns, config lines as ONE push, VLANs wanted,
 * script path + args). The same code validates (registered results unknown) and expands at
 * runtime, so both report the same positioned errors. Not rendering for --check (pb_render.c). */
#include "pb_int.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define PB_MAX_LOOP 100000

/* Called for every string a list-of-strings value produces, with the node it came from.
 * `unknown`: the string still holds `{{ ... }}` waiting for a registered result. */
typedef int (*str_fn)(pb_scope *s, const na_ynode *n, const char *str, bool unknown, void *ud,
                      na_err *err);

/* Count a produced string against PB_MAX_EXPANSION (and the request's budget, when
 * validating) before it is kept. */
static int produced(pb_scope *s, const na_ynode *n, size_t len, na_err *err)
{
    s->out_bytes += len + 1;
    if (s->out_bytes > PB_MAX_EXPANSION)
        return na_pb_err(s, err, NA_E_OVERFLOW, n,
                         "expands to more than %zu MiB of commands or lines",
                         PB_MAX_EXPANSION >> 20);
    return na_pb_charge(s, n, len + 1, err);
}

static int each_value(pb_scope *s, const na_ynode *n, const json_t *j, const char *what,
                      str_fn fn, void *ud, na_err *err)
{
    if (json_is_object(j) || json_is_array(j) || json_is_null(j))
        return na_pb_err(s, err, NA_E_CONFIG, n, "%s must be a string, got %s", what,
                      json_is_null(j) ? "none" : json_is_array(j) ? "a list" : "a mapping");
    na_buf b;
    na_buf_init(&b, NA_TPL_MAX_OUT);
    int rc = na_tpl_stringify(j, &b, err);
    if (rc == 0)
        rc = produced(s, n, b.len, err);
    if (rc == 0)
        rc = fn(s, n, na_buf_cstr(&b), false, ud, err);
    na_buf_free(&b);
    return rc;
}

static int each_item(pb_scope *s, const na_ynode *n, const char *what, str_fn fn, void *ud,
                     na_err *err)
{
    const na_tpl *t = na_pb_tpl(s->pb, n);
    if (!t) {
        const char *txt = na_yscalar(n);
        if (produced(s, n, txt ? strlen(txt) : 0, err) < 0)
            return -1;
        return fn(s, n, txt, false, ud, err);
    }
    if (na_tpl_is_single_expr(t)) { /* may be a list: its items are spliced in */
        json_t *j;
        int rc = na_pb_eval(s, n, &j, err);
        if (rc < 0)
            return -1;
        if (rc == NA_TPL_UNKNOWN_VALUE) {
            if (produced(s, n, strlen(na_tpl_source(t)), err) < 0)
                return -1;
            return fn(s, n, na_tpl_source(t), true, ud, err);
        }
        if (json_is_array(j)) {
            size_t i;
            json_t *v;
            json_array_foreach (j, i, v) {
                if ((rc = each_value(s, n, v, what, fn, ud, err)) < 0)
                    break;
            }
        } else {
            rc = each_value(s, n, j, what, fn, ud, err);
        }
        json_decref(j);
        return rc;
    }
    na_buf b;
    na_buf_init(&b, NA_TPL_MAX_OUT);
    int rc = na_pb_render_text(s, n, &b, err);
    if (rc >= 0 && produced(s, n, b.len, err) < 0)
        rc = -1;
    if (rc >= 0)
        rc = fn(s, n, na_buf_cstr(&b), rc == NA_TPL_UNKNOWN_VALUE, ud, err);
    na_buf_free(&b);
    return rc;
}

/* A string or a list of strings (each item may be a template giving a string or a list). */
static int each_string(pb_scope *s, const na_ynode *n, const char *what, str_fn fn, void *ud,
                       na_err *err)
{
    na_ydoc *d = (na_ydoc *)&s->pb->doc;
    if (!na_yis_seq(n))
        return each_item(s, n, what, fn, ud, err);
    for (size_t i = 0; i < na_yseq_len(n); i++)
        if (each_item(s, na_yseq_item(d, n, i), what, fn, ud, err) < 0)
            return -1;
    return 0;
}

static int add_command(pb_scope *s, const na_ynode *n, const char *str, bool unknown, void *ud,
                       na_err *err)
{
    (void)unknown;
    if (strchr(str, '\n') || strchr(str, '\r'))
        return na_pb_err(s, err, NA_E_CONFIG, n, "a command must be one line, got '%.60s'", str);
    if (!*str)
        return na_pb_err(s, err, NA_E_CONFIG, n, "empty command");
    return na_strv_push(ud, str, err);
}

static int add_config(pb_scope *s, const na_ynode *n, const char *str, bool unknown, void *ud,
                      na_err *err)
{
    (void)s;
    (void)n;
    (void)unknown;
    while (*str) { /* a multi-line string is several lines; blank lines are dropped */
        const char *nl = strchr(str, '\n');
        size_t len = nl ? (size_t)(nl - str) : strlen(str);
        size_t l = len;
        while (l && str[l - 1] == '\r')
            l--;
        bool blank = true;
        for (size_t i = 0; i < l && blank; i++)
            blank = str[i] == ' ' || str[i] == '\t';
        if (!blank && na_strv_pushn(ud, str, l, err) < 0)
            return -1;
        str += len + (nl ? 1 : 0);
    }
    return 0;
}

/* config in the mapping form: one block for this item; its lines also go to x->config in the
 * order they would be sent when all are missing. */
static int expand_cfg(pb_scope *s, na_task_exp *x, na_err *err)
{
    const na_task *t = s->task;
    na_task_cfg *nb = realloc(x->cfg, (x->n_cfg + 1) * sizeof *nb);
    if (!nb)
        return na_err_set(err, NA_E_NOMEM, "out of memory");
    x->cfg = nb;
    na_task_cfg *b = &x->cfg[x->n_cfg++];
    memset(b, 0, sizeof *b);
    b->match = t->cfg_match;
    b->replace = t->cfg_replace;
    x->config_map = true;
    if ((t->cfg_before &&
         each_string(s, t->cfg_before, "a config line", add_config, &b->before, err) < 0) ||
        (t->cfg_parents &&
         each_string(s, t->cfg_parents, "a config parent", add_command, &b->parents, err) < 0) ||
        each_string(s, t->cfg_lines, "a config line", add_config, &b->lines, err) < 0 ||
        (t->cfg_after &&
         each_string(s, t->cfg_after, "a config line", add_config, &b->after, err) < 0))
        return -1;
    const na_strv *parts[] = {&b->before, &b->parents, &b->lines, &b->after};
    for (size_t k = 0; k < 4; k++)
        for (size_t i = 0; i < parts[k]->n; i++)
            if (na_strv_push(&x->config, parts[k]->v[i], err) < 0)
                return -1;
    return 0;
}

static int add_arg(pb_scope *s, const na_ynode *n, const char *str, bool unknown, void *ud,
                   na_err *err)
{
    (void)s;
    (void)n;
    (void)unknown;
    return na_strv_push(ud, str, err);
}

static int add_expect(pb_scope *s, const na_ynode *n, const char *str, bool unknown, void *ud,
                      na_err *err)
{
    na_task_iter *it = ud;
    pcre2_code **re = realloc(it->expect_re, (it->expect.n + 1) * sizeof *re);
    if (!re)
        return na_err_set(err, NA_E_NOMEM, "out of memory");
    it->expect_re = re;
    re[it->expect.n] = NULL;
    if (!unknown) {
        int ec;
        PCRE2_SIZE eo;
        re[it->expect.n] = pcre2_compile((PCRE2_SPTR)str, PCRE2_ZERO_TERMINATED, PCRE2_MULTILINE,
                                         &ec, &eo, NULL);
        if (!re[it->expect.n]) {
            PCRE2_UCHAR m[200];
            pcre2_get_error_message(ec, m, sizeof m);
            return na_pb_err(s, err, NA_E_CONFIG, n, "bad regex in expect '%s': %s at offset %zu",
                          str, (char *)m, (size_t)eo);
        }
    }
    if (na_strv_push(&it->expect, str, err) < 0) {
        pcre2_code_free(re[it->expect.n]);
        return -1;
    }
    return 0;
}

/* ---- vlans ---- */

static int vlan_id(pb_scope *s, const na_ynode *n, const json_t *j, int *id, na_err *err)
{
    if (json_is_integer(j) && json_integer_value(j) >= -100000 &&
        json_integer_value(j) <= 100000) {
        *id = (int)json_integer_value(j);
        return 0;
    }
    if (json_is_string(j)) {
        char *e;
        long v = strtol(json_string_value(j), &e, 10);
        if (*json_string_value(j) && !*e && v >= -100000 && v <= 100000) {
            *id = (int)v;
            return 0;
        }
        return na_pb_err(s, err, NA_E_CONFIG, n, "VLAN id must be a number, got '%s'",
                      json_string_value(j));
    }
    return na_pb_err(s, err, NA_E_CONFIG, n, "VLAN id must be a number, got %s",
                     na_tpl_type_name(j));
}

static int add_want(pb_scope *s, na_task_exp *x, const na_ynode *pos, const json_t *id,
                    const json_t *name, na_err *err)
{
    na_vlan_want w = {0, NULL};
    if (vlan_id(s, pos, id, &w.id, err) < 0)
        return -1;
    if (name && !json_is_null(name)) {
        if (!json_is_string(name) && !json_is_integer(name))
            return na_pb_err(s, err, NA_E_CONFIG, pos, "VLAN %d: name must be a string", w.id);
        na_buf b;
        na_buf_init(&b, 1024);
        if (na_tpl_stringify(name, &b, err) < 0 || !(w.name = na_buf_steal(&b))) {
            na_buf_free(&b);
            return na_err_isset(err) ? -1 : na_err_set(err, NA_E_NOMEM, "out of memory");
        }
    }
    na_err local = NA_ERR_INIT;
    if (na_vlans_check(&w, 1, &local) < 0) {
        free(w.name);
        return na_pb_err(s, err, NA_E_CONFIG, pos, "%s", local.msg);
    }
    for (size_t i = 0; i < x->n_vlans; i++)
        if (x->vlans[i].id == w.id) {
            free(w.name);
            return na_pb_err(s, err, NA_E_CONFIG, pos, "VLAN %d is listed twice", w.id);
        }
    if (x->n_vlans >= NA_VLANS_MAX) {
        free(w.name);
        return na_pb_err(s, err, NA_E_CONFIG, pos, "more than %d VLANs", NA_VLANS_MAX);
    }
    na_vlan_want *nv = realloc(x->vlans, (x->n_vlans + 1) * sizeof *nv);
    if (!nv) {
        free(w.name);
        return na_err_set(err, NA_E_NOMEM, "out of memory");
    }
    x->vlans = nv;
    x->vlans[x->n_vlans++] = w;
    return 0;
}

/* A VLAN given as a value (from a template): {id, name}. */
static int want_from_json(pb_scope *s, na_task_exp *x, const na_ynode *pos, const json_t *j,
                          na_err *err)
{
    if (!json_is_object(j))
        return na_pb_err(s, err, NA_E_CONFIG, pos, "each VLAN must be a mapping {id, name}, got %s",
                      na_tpl_type_name(j));
    const char *k;
    json_t *v;
    json_object_foreach ((json_t *)j, k, v)
        if (strcmp(k, "id") != 0 && strcmp(k, "name") != 0)
            return na_pb_err(s, err, NA_E_CONFIG, pos, "unknown key '%s' in a VLAN (id, name)", k);
    json_t *id = json_object_get(j, "id");
    if (!id)
        return na_pb_err(s, err, NA_E_CONFIG, pos, "VLAN without an id");
    return add_want(s, x, pos, id, json_object_get(j, "name"), err);
}

static int want_list_json(pb_scope *s, na_task_exp *x, const na_ynode *pos, const json_t *j,
                          na_err *err)
{
    if (json_is_null(j))
        return 0;
    if (!json_is_array(j))
        return want_from_json(s, x, pos, j, err);
    size_t i;
    json_t *v;
    json_array_foreach ((json_t *)j, i, v)
        if (want_from_json(s, x, pos, v, err) < 0)
            return -1;
    return 0;
}

static int expand_vlans(pb_scope *s, na_task_exp *x, bool *state_set, na_err *err)
{
    na_ydoc *d = (na_ydoc *)&s->pb->doc;
    const na_ynode *body = s->task->body;
    na_ynode *st = na_ymap_get(d, body, "state");
    if (st) {
        na_buf b;
        na_buf_init(&b, 256);
        int rc = na_pb_render_text(s, st, &b, err);
        int state = rc == 0 ? na_vlans_state_parse(na_buf_cstr(&b)) : (int)NA_VLANS_MERGED;
        if (rc == 0 && state < 0)
            rc = na_pb_err(s, err, NA_E_CONFIG, st, "vlans state must be merged, replaced, "
                        "overridden or deleted, got '%s'", na_buf_cstr(&b));
        na_buf_free(&b);
        if (rc < 0)
            return -1;
        if (rc == 0) {
            if (*state_set && (na_vlans_state)state != x->vlan_state)
                return na_pb_err(s, err, NA_E_CONFIG, st,
                              "vlans state differs between loop items ('%s' and '%s')",
                              na_vlans_state_name(x->vlan_state),
                              na_vlans_state_name((na_vlans_state)state));
            x->vlan_state = (na_vlans_state)state;
            *state_set = true;
        }
    }
    na_ynode *cfg = na_ymap_get(d, body, "config");
    if (!cfg || na_yis_null(cfg))
        return 0;
    size_t len = na_yis_seq(cfg) ? na_yseq_len(cfg) : 1;
    for (size_t i = 0; i < len; i++) {
        na_ynode *it = na_yis_seq(cfg) ? na_yseq_item(d, cfg, i) : cfg;
        if (na_yis_map(it)) {
            na_ynode *idn = na_ymap_get(d, it, "id"), *nmn = na_ymap_get(d, it, "name");
            json_t *id = NULL, *nm = NULL;
            int r1 = na_pb_eval(s, idn, &id, err);
            int r2 = r1 < 0 ? -1 : na_pb_eval(s, nmn, &nm, err);
            int rc = r1 < 0 || r2 < 0 ? -1 : 0;
            if (rc == 0 && r1 == 0 && r2 == 0)
                rc = add_want(s, x, idn, id, nm, err);
            json_decref(id);
            json_decref(nm);
            if (rc < 0)
                return -1;
        } else {
            json_t *j;
            int rc = na_pb_eval(s, it, &j, err);
            if (rc < 0)
                return -1;
            if (rc == 0) {
                rc = want_list_json(s, x, it, j, err);
                json_decref(j);
                if (rc < 0)
                    return -1;
            }
        }
    }
    return 0;
}

/* ---- script ---- */

/* path with "." and ".." resolved and slashes collapsed, by text alone (no file is looked at);
 * NULL on OOM. ".." above "/" stays at "/". */
static char *lexical_clean(const char *path)
{
    size_t n = strlen(path);
    char *out = malloc(n + 2);
    if (!out)
        return NULL;
    size_t o = 0;
    out[o++] = '/';
    for (const char *p = path; *p;) {
        while (*p == '/')
            p++;
        size_t len = strcspn(p, "/");
        if (len == 0)
            break;
        if (len == 1 && p[0] == '.') {
            /* nothing */
        } else if (len == 2 && p[0] == '.' && p[1] == '.') {
            while (o > 1 && out[o - 1] != '/')
                o--;
            if (o > 1)
                o--; /* the slash before the dropped segment */
        } else {
            if (o > 1)
                out[o++] = '/';
            memcpy(out + o, p, len);
            o += len;
        }
        p += len;
    }
    out[o] = '\0';
    return out;
}

static bool under(const char *path, const char *root)
{
    size_t n = strlen(root);
    if (n == 1 && root[0] == '/')
        return path[0] == '/';
    return !strncmp(path, root, n) && (path[n] == '/' || path[n] == '\0');
}

/* netautod's confinement (na_pb_confine_scripts): full must resolve inside pb->script_root, and
 * a path outside gets one message whether or not such a file exists. */
static int confined(pb_scope *s, const na_ynode *src, const char *given, const char *full,
                    na_err *err)
{
    const char *root = s->pb->script_root;
    char *clean = lexical_clean(full), *real = NULL;
    int rc = 0;
    if (!clean)
        rc = na_err_set(err, NA_E_NOMEM, "out of memory");
    else if (!under(clean, root) || ((real = realpath(clean, NULL)) && !under(real, root)))
        rc = na_pb_err(s, err, NA_E_CONFIG, src,
                    "script '%s' is outside netautod's playbook directory (scripts must be "
                    "files under it)",
                    given);
    free(clean);
    free(real);
    return rc;
}

static int expand_script(pb_scope *s, na_task_iter *it, na_err *err)
{
    na_ydoc *d = (na_ydoc *)&s->pb->doc;
    const na_ynode *body = s->task->body;
    na_ynode *src = na_ymap_get(d, body, "src"), *args = na_ymap_get(d, body, "args");
    na_buf b;
    na_buf_init(&b, 4096);
    int rc = na_pb_render_text(s, src, &b, err);
    if (rc == 0 && b.len == 0)
        rc = na_pb_err(s, err, NA_E_CONFIG, src, "script src is empty");
    if (rc == 0) {
        const char *p = na_buf_cstr(&b);
        na_buf full;
        na_buf_init(&full, 8192);
        if (p[0] == '/')
            rc = na_buf_puts(&full, p, err);
        else
            rc = na_buf_printf(&full, err, "%s/%s", s->pb->dir, p);
        if (rc == 0 && s->pb->script_root)
            rc = confined(s, src, p, na_buf_cstr(&full), err);
        struct stat stt;
        if (rc == 0 && (stat(na_buf_cstr(&full), &stt) < 0 || !S_ISREG(stt.st_mode)))
            rc = na_pb_err(s, err, NA_E_CONFIG, src, "script '%s' not found (%s)", p,
                        na_buf_cstr(&full));
        if (rc == 0 && !(it->script = na_buf_steal(&full)))
            rc = na_err_set(err, NA_E_NOMEM, "out of memory");
        na_buf_free(&full);
    } else if (rc == NA_TPL_UNKNOWN_VALUE) {
        it->script = na_buf_steal(&b);
        rc = it->script ? 0 : na_err_set(err, NA_E_NOMEM, "out of memory");
    }
    na_buf_free(&b);
    if (rc < 0)
        return -1;
    return args ? each_string(s, args, "a script argument", add_arg, &it->args, err) : 0;
}

/* ---- copy ---- */

/* A copy field rendered to text: 0, 1 (NA_TPL_UNKNOWN_VALUE: validating), -1. Missing: "". */
static int copy_text(pb_scope *s, const char *key, na_buf *out, na_err *err)
{
    na_ynode *n = na_ymap_get((na_ydoc *)&s->pb->doc, s->task->body, key);
    if (!n)
        return 0;
    return na_pb_render_text(s, n, out, err);
}

static na_ynode *copy_node(pb_scope *s, const char *key)
{
    return na_ymap_get((na_ydoc *)&s->pb->doc, s->task->body, key);
}

/* Does path (absolute) stay inside dir (absolute), symbolic links resolved? For a path that
 * does not exist yet (a get's directory), its nearest existing ancestor decides. */
static bool inside(const char *path, const char *dir)
{
    char rd[PATH_MAX], rp[PATH_MAX], probe[PATH_MAX];
    if (!realpath(dir, rd))
        return false;
    snprintf(probe, sizeof probe, "%s", path);
    while (!realpath(probe, rp)) {
        char *slash = strrchr(probe, '/');
        if (!slash || slash == probe)
            return false;
        if (strstr(slash, "/..")) /* a missing part that climbs: refuse */
            return false;
        *slash = '\0';
    }
    size_t l = strlen(rd);
    return !strncmp(rp, rd, l) && (rp[l] == '/' || rp[l] == '\0');
}

/* A word field (direction, verify, protocol): "" when absent. */
static int copy_word(pb_scope *s, const char *key, const char *const *words, char *out,
                     size_t cap, na_err *err)
{
    na_buf b;
    na_buf_init(&b, 256);
    int rc = copy_text(s, key, &b, err);
    out[0] = '\0';
    if (rc == 0 && b.len) {
        bool ok = false;
        for (size_t i = 0; words[i] && !ok; i++)
            ok = !strcmp(na_buf_cstr(&b), words[i]);
        if (!ok)
            rc = na_pb_err(s, err, NA_E_CONFIG, copy_node(s, key), "copy %s '%s' is not one of "
                        "the accepted values", key, na_buf_cstr(&b));
        else
            snprintf(out, cap, "%s", na_buf_cstr(&b));
    }
    na_buf_free(&b);
    return rc < 0 ? -1 : 0;
}

static int expand_copy(pb_scope *s, na_task_iter *it, na_err *err)
{
    static const char *const DIRS[] = {"put", "get", NULL};
    static const char *const ALGS[] = {"md5", "sha256", "sha512", "none", "auto", NULL};
    static const char *const PROTOS[] = {"scp", "sftp", "auto", NULL};
    char dir[8];
    if (copy_word(s, "direction", DIRS, dir, sizeof dir, err) < 0 ||
        copy_word(s, "verify", ALGS, it->copy_verify, sizeof it->copy_verify, err) < 0 ||
        copy_word(s, "protocol", PROTOS, it->copy_proto, sizeof it->copy_proto, err) < 0)
        return -1;
    if (!strcmp(it->copy_verify, "auto"))
        it->copy_verify[0] = '\0';
    if (!strcmp(it->copy_proto, "auto"))
        it->copy_proto[0] = '\0';
    it->copy_get = !strcmp(dir, "get");
    na_buf b;
    na_buf_init(&b, 256);
    int rc = copy_text(s, "overwrite", &b, err);
    if (rc == 0 && b.len) {
        const char *v = na_buf_cstr(&b);
        if (!strcmp(v, "true") || !strcmp(v, "True") || !strcmp(v, "yes"))
            it->copy_overwrite = true;
        else if (strcmp(v, "false") && strcmp(v, "False") && strcmp(v, "no"))
            rc = na_pb_err(s, err, NA_E_CONFIG, copy_node(s, "overwrite"),
                        "copy overwrite must be true or false, got '%s'", v);
    }
    na_buf_reset(&b);
    if (rc == 0 && (rc = copy_text(s, "stall_timeout", &b, err)) == 0 && b.len) {
        char *end;
        double v = strtod(na_buf_cstr(&b), &end);
        if (*end || !(v >= 1) || v > 86400)
            rc = na_pb_err(s, err, NA_E_CONFIG, copy_node(s, "stall_timeout"),
                        "copy stall_timeout must be seconds (1-86400)");
        else
            it->copy_stall_ms = (int)(v * 1000);
    }
    na_buf_free(&b);
    if (rc < 0)
        return -1;
    /* src and dest: local paths relative to the playbook's directory */
    na_buf src, dest;
    na_buf_init(&src, 8192);
    na_buf_init(&dest, 8192);
    int rs = copy_text(s, "src", &src, err), rd = rs < 0 ? -1 : copy_text(s, "dest", &dest, err);
    rc = rs < 0 || rd < 0 ? -1 : 0;
    const char *remote = it->copy_get ? na_buf_cstr(&src) : na_buf_cstr(&dest);
    const char *local = it->copy_get ? na_buf_cstr(&dest) : na_buf_cstr(&src);
    bool local_unknown = (it->copy_get ? rd : rs) == NA_TPL_UNKNOWN_VALUE;
    if (rc == 0 && (!*remote || !*local))
        rc = na_pb_err(s, err, NA_E_CONFIG, s->task->body, "copy: src and dest must not be empty");
    if (rc == 0 && strpbrk(remote, "\r\n"))
        rc = na_pb_err(s, err, NA_E_CONFIG, copy_node(s, it->copy_get ? "src" : "dest"),
                    "copy: a device path cannot hold a newline");
    na_buf full;
    na_buf_init(&full, 8192);
    if (rc == 0 && !local_unknown) {
        rc = local[0] == '/' ? na_buf_puts(&full, local, err)
                             : na_buf_printf(&full, err, "%s/%s", s->pb->dir, local);
        if (rc == 0 && s->vars->confine_local && !inside(na_buf_cstr(&full), s->pb->dir))
            rc = na_pb_err(s, err, NA_E_CONFIG, copy_node(s, it->copy_get ? "dest" : "src"),
                        "copy: '%s' is outside the playbook's directory (%s): netautod keeps "
                        "copies inside it", local, s->pb->dir);
        struct stat stt;
        if (rc == 0 && !it->copy_get &&
            (stat(na_buf_cstr(&full), &stt) < 0 || !S_ISREG(stt.st_mode)))
            rc = na_pb_err(s, err, NA_E_CONFIG, copy_node(s, "src"), "copy src '%s' not found (%s)",
                        local, na_buf_cstr(&full));
        if (rc == 0 && it->copy_get) { /* DEST/NAME: the name of the device's file */
            const char *nm = strrchr(remote, '/');
            nm = nm ? nm + 1 : remote;
            if (strrchr(nm, ':'))
                nm = strrchr(nm, ':') + 1;
            if (!*nm)
                rc = na_pb_err(s, err, NA_E_CONFIG, copy_node(s, "src"), "copy src '%s' names no "
                            "file", remote);
            else
                rc = na_buf_printf(&full, err, "/%s", nm);
        }
    } else if (rc == 0) {
        rc = na_buf_puts(&full, local, err);
    }
    if (rc == 0 && (!(it->copy_local = na_buf_steal(&full)) || !(it->copy_remote = strdup(remote))))
        rc = na_err_set(err, NA_E_NOMEM, "out of memory");
    na_buf_free(&full);
    na_buf_free(&src);
    na_buf_free(&dest);
    return rc < 0 ? -1 : 0;
}

/* ---- the task ---- */

static void iter_free(na_task_iter *it)
{
    json_decref(it->item);
    na_strv_free(&it->commands);
    for (size_t i = 0; it->expect_re && i < it->expect.n; i++)
        pcre2_code_free(it->expect_re[i]);
    free(it->expect_re);
    na_strv_free(&it->expect);
    free(it->script);
    na_strv_free(&it->args);
    free(it->assert_msg);
    free(it->copy_local);
    free(it->copy_remote);
}

void na_task_exp_free(na_task_exp *x)
{
    if (!x)
        return;
    for (size_t i = 0; i < x->n_iters; i++)
        iter_free(&x->iters[i]);
    free(x->iters);
    na_strv_free(&x->config);
    for (size_t i = 0; i < x->n_cfg; i++) {
        na_strv_free(&x->cfg[i].parents);
        na_strv_free(&x->cfg[i].lines);
        na_strv_free(&x->cfg[i].before);
        na_strv_free(&x->cfg[i].after);
    }
    free(x->cfg);
    for (size_t i = 0; i < x->n_vlans; i++)
        free(x->vlans[i].name);
    free(x->vlans);
    free(x->name);
    free(x);
}

static int task_settings(pb_scope *s, na_task_exp *x, na_err *err)
{
    const na_task *t = s->task;
    /* the name: rendered when it can be (the loop item is not available there) */
    x->name = strdup(t->name);
    if (!x->name)
        return na_err_set(err, NA_E_NOMEM, "out of memory");
    na_ydoc *d = (na_ydoc *)&s->pb->doc;
    na_ynode *nn = na_ymap_get(d, t->node, "name");
    if (na_pb_tpl(s->pb, nn)) {
        na_buf b;
        na_buf_init(&b, 4096);
        na_err ignored = NA_ERR_INIT;
        bool partial = s->partial;
        if (na_pb_render_text(s, nn, &b, &ignored) == 0) {
            free(x->name);
            x->name = na_buf_steal(&b);
            if (!x->name)
                return na_err_set(err, NA_E_NOMEM, "out of memory");
        }
        na_buf_free(&b);
        s->positioned = false;
        s->partial = partial;
    }
    json_t *j;
    int rc;
    if (t->ignore_errors) {
        if ((rc = na_pb_eval(s, t->ignore_errors, &j, err)) < 0)
            return -1;
        if (rc == 0) {
            bool ok = json_is_boolean(j);
            x->ignore_errors = json_is_true(j);
            json_decref(j);
            if (!ok)
                return na_pb_err(s, err, NA_E_CONFIG, t->ignore_errors,
                              "ignore_errors must be true or false");
        }
    }
    if (t->timeout) {
        if ((rc = na_pb_eval(s, t->timeout, &j, err)) < 0)
            return -1;
        if (rc == 0) {
            long long v = json_is_integer(j) ? json_integer_value(j) : -1;
            if (json_is_string(j)) {
                char *e;
                v = strtoll(json_string_value(j), &e, 10);
                if (*e || e == json_string_value(j))
                    v = -1;
            }
            json_decref(j);
            if (v < 1 || v > 86400)
                return na_pb_err(s, err, NA_E_CONFIG, t->timeout,
                              "timeout must be a number of seconds (1-86400)");
            x->timeout_ms = (int)v * 1000;
        }
    }
    return 0;
}

/* assert: evaluate each condition (all must hold) and the message. A condition whose value is
 * only known at runtime leaves the expansion partial. */
static int expand_assert(pb_scope *s, na_task_iter *it, na_err *err)
{
    const na_task *t = s->task;
    na_ydoc *d = (na_ydoc *)&s->pb->doc;
    size_t n = na_yis_seq(t->that) ? na_yseq_len(t->that) : 1;
    const na_ynode *failed = NULL;
    for (size_t i = 0; i < n && !failed; i++) {
        const na_ynode *c = na_yis_seq(t->that) ? na_yseq_item(d, t->that, i) : t->that;
        bool ok = true;
        int rc = na_pb_when(s, c, &ok, err);
        if (rc < 0)
            return -1;
        if (rc == 0 && !ok)
            failed = c;
    }
    it->assert_failed = failed != NULL;
    if (!failed)
        return 0;
    na_buf b;
    na_buf_init(&b, 1 << 16);
    int rc = 0;
    if (t->msg)
        rc = na_pb_render_text(s, t->msg, &b, err);
    else
        rc = na_buf_printf(&b, err, "assertion failed: %s", na_yscalar(failed));
    if (rc == 0 && !(it->assert_msg = na_buf_steal(&b)))
        rc = na_err_set(err, NA_E_NOMEM, "out of memory");
    na_buf_free(&b);
    return rc;
}

/* The loop's items: *items (new ref, an array) or NULL when unknown until runtime. */
static int loop_items(pb_scope *s, json_t **items, na_err *err)
{
    const na_ynode *n = s->task->loop;
    int rc = na_pb_eval(s, n, items, err);
    if (rc != 0)
        return rc < 0 ? -1 : 0;
    if (!json_is_array(*items)) {
        const char *type = na_tpl_type_name(*items);
        json_decref(*items);
        *items = NULL;
        return na_pb_err(s, err, NA_E_CONFIG, n, "loop must be a list, got %s", type);
    }
    if (json_array_size(*items) > PB_MAX_LOOP) {
        json_decref(*items);
        *items = NULL;
        return na_pb_err(s, err, NA_E_CONFIG, n, "loop has more than %d items", PB_MAX_LOOP);
    }
    return 0;
}

static int expand(const na_task *t, const na_pb_vars *v, bool validating, na_task_exp **out,
                  na_err *err)
{
    *out = NULL;
    const na_play *p = t->play;
    na_task_exp *x = calloc(1, sizeof *x);
    if (!x)
        return na_err_set(err, NA_E_NOMEM, "out of memory");
    x->task = t;
    x->kind = t->kind;
    x->vlan_state = NA_VLANS_MERGED;
    x->save_when = t->save_when;
    x->config_map = t->cfg_map;
    pb_scope s;
    na_pb_scope_init(&s, p->pb, p, t, v, validating);
    json_t *items = NULL;
    int rc = task_settings(&s, x, err);
    if (rc == 0 && t->loop)
        rc = loop_items(&s, &items, err);
    size_t n = !t->loop ? 1 : items ? json_array_size(items) : 1;
    bool per_item = t->kind == NA_TASK_COMMAND || t->kind == NA_TASK_SCRIPT ||
                    t->kind == NA_TASK_ASSERT || t->kind == NA_TASK_COPY;
    if (rc == 0) {
        x->n_iters = per_item ? n : 1;
        x->iters = calloc(x->n_iters ? x->n_iters : 1, sizeof *x->iters);
        if (!x->iters)
            rc = na_err_set(err, NA_E_NOMEM, "out of memory");
    }
    bool any = false, state_set = false;
    for (size_t i = 0; rc == 0 && i < n; i++) {
        s.has_item = t->loop != NULL;
        s.item = items ? json_array_get(items, i) : NULL;
        bool run = true;
        if (t->when) {
            int w = na_pb_when(&s, t->when, &run, err);
            if (w < 0) {
                rc = -1;
                break;
            }
        }
        na_task_iter *it = per_item ? &x->iters[i] : NULL;
        if (it) {
            it->item = s.item ? json_incref(s.item) : NULL;
            it->skipped = !run;
        }
        if (!run)
            continue;
        any = true;
        switch (t->kind) {
        case NA_TASK_COMMAND:
            rc = each_string(&s, t->body, "a command", add_command, &it->commands, err);
            if (rc == 0 && t->expect)
                rc = each_string(&s, t->expect, "an expect pattern", add_expect, it, err);
            break;
        case NA_TASK_CONFIG:
            if (t->cfg_map)
                rc = expand_cfg(&s, x, err);
            else
                rc = each_string(&s, t->body, "a config line", add_config, &x->config, err);
            break;
        case NA_TASK_VLANS: rc = expand_vlans(&s, x, &state_set, err); break;
        case NA_TASK_SCRIPT: rc = expand_script(&s, it, err); break;
        case NA_TASK_ASSERT: rc = expand_assert(&s, it, err); break;
        case NA_TASK_COPY: rc = expand_copy(&s, it, err); break;
        case NA_TASK_SAVE: break;
        }
    }
    json_decref(items);
    if (rc < 0) {
        na_task_exp_free(x);
        return -1;
    }
    if (!per_item)
        x->iters[0].skipped = !any;
    x->skipped = !any;
    x->partial = s.partial;
    *out = x;
    return 0;
}

int na_task_expand(const na_task *t, const na_pb_vars *v, na_task_exp **out, na_err *err)
{
    return expand(t, v, false, out, err);
}

int na_pb_validate(const na_playbook *pb, const na_play *play, const na_pb_vars *v, na_err *err)
{
    return na_pb_validate_tags(pb, play, v, NULL, err);
}

int na_pb_validate_tags(const na_playbook *pb, const na_play *play, const na_pb_vars *v,
                        const na_pb_tags *tags, na_err *err)
{
    for (size_t i = 0; i < pb->nplays; i++) {
        const na_play *p = &pb->plays[i];
        if (play && play != p)
            continue;
        for (size_t j = 0; j < p->ntasks + p->nhandlers; j++) {
            const na_task *t = j < p->ntasks ? &p->tasks[j] : &p->handlers[j - p->ntasks];
            if (!t->handler && !na_task_selected(t, tags))
                continue; /* a task --tags leaves out is not checked either */
            na_task_exp *x;
            if (expand(t, v, true, &x, err) < 0)
                return -1;
            na_task_exp_free(x);
        }
    }
    return 0;
}

int na_task_iter_expect(const na_task_iter *it, const char *output, size_t n, na_err *err)
{
    pcre2_match_data *md = NULL;
    int rc = 0;
    for (size_t i = 0; i < it->expect.n && rc == 0; i++) {
        if (!it->expect_re || !it->expect_re[i])
            return na_err_set(err, NA_E_INTERNAL, "expect pattern '%s' was not compiled",
                              it->expect.v[i]);
        if (!md && !(md = pcre2_match_data_create(1, NULL)))
            return na_err_set(err, NA_E_NOMEM, "out of memory");
        int m = pcre2_match(it->expect_re[i], (PCRE2_SPTR)output, n, 0, 0, md, NULL);
        if (m == PCRE2_ERROR_NOMATCH) {
            size_t nc = it->commands.n;
            char more[48] = "";
            if (nc > 1)
                snprintf(more, sizeof more, " (and %zu more command%s)", nc - 1,
                         nc > 2 ? "s" : "");
            rc = na_err_set(err, NA_E_DEVICE, "expect '%s' did not match the output of '%s'%s",
                            it->expect.v[i], nc ? it->commands.v[0] : "?", more);
        } else if (m < 0) {
            PCRE2_UCHAR msg[200];
            pcre2_get_error_message(m, msg, sizeof msg);
            rc = na_err_set(err, NA_E_DEVICE, "expect '%s': %s", it->expect.v[i], (char *)msg);
        }
    }
    pcre2_match_data_free(md);
    return rc;
}
