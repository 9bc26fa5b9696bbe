/* api_req.c — pure checks of the JSON bodies of POST /v1/jobs and POST /v1/commands, and the
 * masking of a job's vars (see api_req.h). Every check reports through na_err (NA_E_USAGE), with
 * the same messages and in the same order of checks as the daemon has always answered. Not a
 * router and not a JSON schema engine. */
#include "api_req.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

json_t *nd_req_body_parse(const char *p, size_t n, na_err *err)
{
    if (n == 0 || !p) {
        na_err_set(err, NA_E_USAGE, "the request needs a JSON body");
        return NULL;
    }
    json_error_t je;
    json_t *j = json_loadb(p, n, JSON_REJECT_DUPLICATES, &je);
    if (!j) {
        na_err_set(err, NA_E_USAGE, "invalid JSON at line %d column %d: %s", je.line, je.column,
                   je.text);
        return NULL;
    }
    if (!json_is_object(j)) {
        json_decref(j);
        na_err_set(err, NA_E_USAGE, "the JSON body must be an object");
        return NULL;
    }
    return j;
}

int nd_job_req_fields(const json_t *body, na_err *err)
{
    static const char *const keys[] = {"playbook", "limit", "check", "vars", NULL};
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)body, k, v) {
        bool ok = false;
        for (int i = 0; keys[i] && !ok; i++)
            ok = !strcmp(k, keys[i]);
        if (!ok)
            return na_err_set(err, NA_E_USAGE,
                              "unknown field '%s' (expected playbook, limit, check, vars)", k);
    }
    if (!json_object_get(body, "playbook"))
        return na_err_set(err, NA_E_USAGE, "missing field 'playbook'");
    return 0;
}

int nd_job_req_parse(const json_t *body, nd_job_req *out, na_err *err)
{
    memset(out, 0, sizeof *out);
    json_t *pb = json_object_get(body, "playbook"), *lim = json_object_get(body, "limit"),
           *chk = json_object_get(body, "check"), *vars = json_object_get(body, "vars");
    if (!json_is_string(pb) || !*json_string_value(pb))
        return na_err_set(err, NA_E_USAGE, "'playbook' must be a playbook name or inline YAML");
    if (lim && !json_is_null(lim) && !json_is_string(lim))
        return na_err_set(err, NA_E_USAGE, "'limit' must be a string");
    if (chk && !json_is_boolean(chk))
        return na_err_set(err, NA_E_USAGE, "'check' must be true or false");
    if (vars && !json_is_null(vars) && !json_is_object(vars))
        return na_err_set(err, NA_E_USAGE, "'vars' must be an object");
    out->playbook = json_string_value(pb);
    out->limit = json_is_string(lim) ? json_string_value(lim) : NULL;
    out->check = json_is_true(chk);
    out->vars = json_is_object(vars) ? vars : NULL;
    return 0;
}

int nd_cmd_req_parse(const json_t *body, nd_cmd_req *out, na_err *err)
{
    memset(out, 0, sizeof *out);
    json_t *host = json_object_get(body, "host"), *cmds = json_object_get(body, "commands"),
           *tr = json_object_get(body, "transport"), *parse = json_object_get(body, "parse");
    const char *why = NULL;
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)body, k, v) {
        if (strcmp(k, "host") && strcmp(k, "commands") && strcmp(k, "transport") &&
            strcmp(k, "parse"))
            why = "unknown field (expected host, commands, transport, parse)";
    }
    if (!json_is_string(host) || !*json_string_value(host))
        why = "'host' must be a host name from the inventory";
    else if (!json_is_array(cmds) || json_array_size(cmds) == 0 ||
             json_array_size(cmds) > ND_MAX_COMMANDS)
        why = "'commands' must be a list of 1 to 256 command strings";
    else if (tr && !json_is_null(tr) &&
             (!json_is_string(tr) ||
              (strcmp(json_string_value(tr), "ssh") && strcmp(json_string_value(tr), "telnet"))))
        why = "'transport' must be ssh or telnet";
    else if (parse && !json_is_null(parse) && !json_is_boolean(parse))
        why = "'parse' must be true or false";
    size_t n = json_array_size(cmds);
    for (size_t i = 0; !why && i < n; i++) {
        const char *c = json_string_value(json_array_get(cmds, i));
        if (!c || !*c || strchr(c, '\n'))
            why = "each command must be a non-empty single-line string";
        else
            out->commands[i] = c;
    }
    if (why)
        return na_err_set(err, NA_E_USAGE, "%s", why);
    out->host = json_string_value(host);
    out->transport = json_is_string(tr) ? json_string_value(tr) : NULL;
    out->parse = json_is_true(parse);
    out->n = n;
    return 0;
}

bool nd_var_is_secret(const char *key)
{
    static const char *const words[] = {"password", "passwd", "secret", "token", "passphrase",
                                        "private_key", "api_key", NULL};
    for (int i = 0; words[i]; i++)
        if (strcasestr(key, words[i]))
            return true;
    return false;
}

json_t *nd_vars_mask(const json_t *v)
{
    if (json_is_object(v)) {
        json_t *o = json_object();
        const char *k;
        json_t *x;
        json_object_foreach((json_t *)v, k, x) {
            json_object_set_new(o, k, nd_var_is_secret(k) ? json_string("********")
                                                          : nd_vars_mask(x));
        }
        return o;
    }
    if (json_is_array(v)) {
        json_t *a = json_array();
        size_t i;
        json_t *x;
        json_array_foreach(v, i, x) json_array_append_new(a, nd_vars_mask(x));
        return a;
    }
    return json_deep_copy(v);
}

static void add_unique(json_t *out, const char *s)
{
    size_t i;
    json_t *x;
    if (!*s)
        return;
    json_array_foreach(out, i, x) if (!strcmp(json_string_value(x), s)) return;
    json_array_append_new(out, json_string(s));
}

/* Collect scalars; `under` = we are inside a secret-keyed value. */
static void collect(const json_t *v, bool under, json_t *out, int depth)
{
    if (depth > 64)
        return;
    if (json_is_object(v)) {
        const char *k;
        json_t *x;
        json_object_foreach((json_t *)v, k, x) collect(x, under || nd_var_is_secret(k), out,
                                                       depth + 1);
    } else if (json_is_array(v)) {
        size_t i;
        json_t *x;
        json_array_foreach(v, i, x) collect(x, under, out, depth + 1);
    } else if (under && json_is_string(v)) {
        add_unique(out, json_string_value(v));
    } else if (under && (json_is_number(v) || json_is_boolean(v))) {
        char *t = json_dumps(v, JSON_ENCODE_ANY);
        if (t)
            add_unique(out, t);
        free(t);
    }
}

json_t *nd_vars_secrets(const json_t *v)
{
    json_t *out = json_array();
    if (out && v)
        collect(v, false, out, 0);
    return out;
}
