/* pb_scope.c — variables of a task for one host, in precedence order (highest first):
 * inventory_hostname / playbook_dir, extra vars, the loop variable, registered results, task
 * vars, vars_files, play vars, host vars; and evaluation of YAML values through the template engine with
 * positioned errors. Not expansion (pb_expand.c). */
#include "pb_int.h"
#include "clock.h"
#include "yjson.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int na_pb_err(pb_scope *s, na_err *err, na_code code, const na_ynode *n, const char *fmt, ...)
{
    char msg[NA_ERR_MSG_MAX], label[200] = "";
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (s->task)
        na_pb_task_label(s->task, label, sizeof label);
    else if (s->play)
        snprintf(label, sizeof label, "play '%s'", s->play->name);
    s->positioned = true;
    return na_yerr_code(err, code, &s->pb->doc, n, "%s%s%s", label, *label ? ": " : "", msg);
}

/* An engine error met while evaluating node n: add the position unless it has one. */
static int fail_at(pb_scope *s, const na_ynode *n, const na_err *local, na_err *err)
{
    na_code code = local->code == NA_E_NONE ? NA_E_INTERNAL : local->code;
    if (s->positioned || code == NA_E_NOMEM)
        return na_err_set(err, code, "%s", local->msg);
    return na_pb_err(s, err, code, n, "%s", local->msg);
}

/* A play or task variable: its YAML value evaluated in this scope. */
static int yaml_var(pb_scope *s, na_ynode *n, const char *name, json_t **out, na_err *err)
{
    if (s->env.depth >= NA_TPL_MAX_DEPTH)
        return na_pb_err(s, err, NA_E_CONFIG,
                      n, "variables nested more than %d deep (does '%s' refer to itself?)",
                      NA_TPL_MAX_DEPTH, name);
    s->env.depth++;
    int rc = na_pb_eval(s, n, out, err);
    s->env.depth--;
    if (rc < 0)
        return -1;
    return rc == NA_TPL_UNKNOWN_VALUE ? NA_TPL_UNKNOWN : NA_TPL_FOUND_RAW;
}

static int lookup(na_tpl_env *env, const char *name, json_t **out, na_err *err)
{
    pb_scope *s = (pb_scope *)env;
    const na_pb_vars *v = s->vars;
    const na_ydoc *d = &s->pb->doc;
    json_t *j;
    if (!strcmp(name, "inventory_hostname") || !strcmp(name, "playbook_dir")) {
        const char *val = name[0] == 'i' ? v->host : s->pb->dir;
        if (!val)
            return NA_TPL_UNDEF;
        *out = json_string(val);
        return *out ? NA_TPL_FOUND_RAW : na_err_set(err, NA_E_NOMEM, "out of memory");
    }
    if (v->extra_vars && (j = json_object_get(v->extra_vars, name))) {
        *out = json_incref(j);
        return NA_TPL_FOUND;
    }
    if (s->has_item && s->task && !strcmp(name, s->task->loop_var)) {
        if (!s->item)
            return NA_TPL_UNKNOWN;
        *out = json_incref(s->item);
        return NA_TPL_FOUND_RAW;
    }
    if (!s->validating && v->registered && (j = json_object_get(v->registered, name))) {
        *out = json_incref(j);
        return NA_TPL_FOUND_RAW; /* device output is data, never a template */
    }
    if (s->validating || v->registered_partial) {
        size_t nv = s->task ? s->task->nvisible : 0;
        for (size_t i = 0; i < nv; i++)
            if (!strcmp(s->pb->registers[i], name))
                return NA_TPL_UNKNOWN;
    }
    na_ynode *n;
    if (s->task && s->task->vars && (n = na_ymap_get((na_ydoc *)d, s->task->vars, name)))
        return yaml_var(s, n, name, out, err);
    if (s->play && s->play->files_vars && (j = json_object_get(s->play->files_vars, name))) {
        *out = json_incref(j); /* vars_files: above play vars, below task vars */
        return NA_TPL_FOUND;
    }
    if (s->play && s->play->vars && (n = na_ymap_get((na_ydoc *)d, s->play->vars, name)))
        return yaml_var(s, n, name, out, err);
    if (v->host_vars && (j = json_object_get(v->host_vars, name))) {
        *out = json_incref(j);
        return NA_TPL_FOUND;
    }
    return NA_TPL_UNDEF;
}

void na_pb_scope_init(pb_scope *s, const na_playbook *pb, const na_play *play, const na_task *task,
                   const na_pb_vars *v, bool validating)
{
    memset(s, 0, sizeof *s);
    s->env.lookup = lookup;
    s->env.ud = s;
    s->pb = pb;
    s->play = play;
    s->task = task;
    s->vars = v;
    s->validating = validating;
    s->budget = validating && v ? v->budget : NULL;
}

int na_pb_charge(pb_scope *s, const na_ynode *n, size_t bytes, na_err *err)
{
    na_pb_budget *b = s->budget;
    if (!b)
        return 0;
    if (bytes > b->bytes_left)
        return na_pb_err(s, err, NA_E_CONFIG, n,
                      "validating this playbook would expand more than %zu MiB of commands and "
                      "lines for all its hosts together (netautod's limits.validation_bytes); "
                      "split it or narrow its limit",
                      b->bytes_max >> 20);
    b->bytes_left -= bytes;
    if (b->deadline_ms && na_now_ms() > b->deadline_ms)
        return na_pb_err(s, err, NA_E_CONFIG, n,
                      "validating this playbook takes more than %lld s for all its hosts "
                      "together (netautod's limits.validation_time); split it or narrow its "
                      "limit",
                      (long long)(b->time_max_ms / 1000));
    return 0;
}

int na_pb_eval(pb_scope *s, const na_ynode *n, json_t **out, na_err *err)
{
    na_ydoc *d = (na_ydoc *)&s->pb->doc;
    *out = NULL;
    if (!n) {
        *out = json_null();
        return 0;
    }
    /* walking a YAML value is evaluation work; a scalar is copied: long ones cost more */
    na_err local0 = NA_ERR_INIT;
    size_t slen = na_yis_scalar(n) ? n->data.scalar.length : 0;
    if (na_tpl_charge(&s->env, 1 + slen / 256, &local0) < 0)
        return fail_at(s, n, &local0, err);
    if (na_pb_charge(s, n, 0, err) < 0) /* the deadline */
        return -1;
    if (na_yis_scalar(n)) {
        const na_tpl *t = na_pb_tpl(s->pb, n);
        if (!t) {
            *out = na_yscalar_to_json(n);
            return *out ? 0 : na_pb_err(s, err, NA_E_CONFIG, n, "text is not valid UTF-8");
        }
        na_err local = NA_ERR_INIT;
        int rc = na_tpl_eval(t, &s->env, out, &local);
        if (rc < 0)
            return fail_at(s, n, &local, err);
        if (rc == NA_TPL_UNKNOWN_VALUE)
            s->partial = true;
        return rc;
    }
    bool seq = na_yis_seq(n), unknown = false;
    json_t *c = seq ? json_array() : json_object();
    if (!c)
        return na_err_set(err, NA_E_NOMEM, "out of memory");
    size_t len = seq ? na_yseq_len(n) : na_ymap_len(n);
    for (size_t i = 0; i < len; i++) {
        json_t *v;
        int rc = na_pb_eval(s, seq ? na_yseq_item(d, n, i) : na_ymap_val(d, n, i), &v, err);
        if (rc < 0) {
            json_decref(c);
            return -1;
        }
        if (rc == NA_TPL_UNKNOWN_VALUE) {
            unknown = true;
            continue;
        }
        const char *k = seq ? NULL : na_yscalar(na_ymap_key(d, n, i));
        if (seq ? json_array_append_new(c, v) : json_object_set_new(c, k ? k : "", v)) {
            json_decref(c);
            return na_err_set(err, NA_E_NOMEM, "out of memory");
        }
    }
    if (unknown) {
        json_decref(c);
        return NA_TPL_UNKNOWN_VALUE;
    }
    *out = c;
    return 0;
}

int na_pb_render_text(pb_scope *s, const na_ynode *n, na_buf *out, na_err *err)
{
    const na_tpl *t = na_pb_tpl(s->pb, n);
    if (!t) {
        const char *txt = na_yscalar(n);
        return na_buf_puts(out, txt ? txt : "", err);
    }
    na_err local = NA_ERR_INIT;
    int rc = na_tpl_render(t, &s->env, out, &local);
    if (rc < 0)
        return fail_at(s, n, &local, err);
    if (rc == NA_TPL_UNKNOWN_VALUE)
        s->partial = true;
    return rc;
}

static int when_one(pb_scope *s, const na_ynode *n, bool *out, na_err *err)
{
    const na_tpl *t = na_pb_tpl(s->pb, n);
    if (!t) { /* a constant: true, false, 0, 1, null */
        json_t *j = na_yscalar_to_json(n);
        *out = na_tpl_truthy(j);
        json_decref(j);
        return 0;
    }
    na_err local = NA_ERR_INIT;
    int rc = na_tpl_test(t, &s->env, out, &local);
    if (rc < 0)
        return fail_at(s, n, &local, err);
    if (rc == NA_TPL_UNKNOWN_VALUE)
        s->partial = true;
    return rc;
}

int na_pb_when(pb_scope *s, const na_ynode *n, bool *out, na_err *err)
{
    na_ydoc *d = (na_ydoc *)&s->pb->doc;
    bool unknown = false;
    size_t len = na_yis_seq(n) ? na_yseq_len(n) : 1;
    for (size_t i = 0; i < len; i++) {
        bool v = true;
        int rc = when_one(s, na_yis_seq(n) ? na_yseq_item(d, n, i) : n, &v, err);
        if (rc < 0)
            return -1;
        if (rc == NA_TPL_UNKNOWN_VALUE) {
            unknown = true;
        } else if (!v) {
            *out = false;
            return 0;
        }
    }
    *out = true;
    return unknown ? NA_TPL_UNKNOWN_VALUE : 0;
}
