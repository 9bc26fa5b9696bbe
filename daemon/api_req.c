/* api_req.c — pure checks of the JSON bodies of POST /v1/jobs and POST /v1/commands (see
 * api_req.h). Moved out of api.c and jobs.c unchanged in behaviour (same messages, same order of
 * checks) so they can be fuzzed without an HTTP server. Not a router and not a JSON schema
 * engine. */
#include "api_req.h"

#include <stdio.h>
#include <string.h>

json_t *nd_req_body_parse(const char *p, size_t n, char *errbuf, size_t cap)
{
    if (n == 0 || !p) {
        snprintf(errbuf, cap, "the request needs a JSON body");
        return NULL;
    }
    json_error_t je;
    json_t *j = json_loadb(p, n, JSON_REJECT_DUPLICATES, &je);
    if (!j) {
        snprintf(errbuf, cap, "invalid JSON at line %d column %d: %s", je.line, je.column, je.text);
        return NULL;
    }
    if (!json_is_object(j)) {
        json_decref(j);
        snprintf(errbuf, cap, "the JSON body must be an object");
        return NULL;
    }
    return j;
}

int nd_job_req_fields(const json_t *body, char *why, size_t cap)
{
    static const char *const keys[] = {"playbook", "limit", "check", "vars", NULL};
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)body, k, v) {
        bool ok = false;
        for (int i = 0; keys[i] && !ok; i++)
            ok = !strcmp(k, keys[i]);
        if (!ok) {
            snprintf(why, cap, "unknown field '%s' (expected playbook, limit, check, vars)", k);
            return -1;
        }
    }
    if (!json_object_get(body, "playbook")) {
        snprintf(why, cap, "missing field 'playbook'");
        return -1;
    }
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

int nd_cmd_req_parse(const json_t *body, nd_cmd_req *out, const char **why)
{
    memset(out, 0, sizeof *out);
    json_t *host = json_object_get(body, "host"), *cmds = json_object_get(body, "commands"),
           *tr = json_object_get(body, "transport"), *parse = json_object_get(body, "parse");
    *why = NULL;
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)body, k, v) {
        if (strcmp(k, "host") && strcmp(k, "commands") && strcmp(k, "transport") &&
            strcmp(k, "parse"))
            *why = "unknown field (expected host, commands, transport, parse)";
    }
    if (!json_is_string(host) || !*json_string_value(host))
        *why = "'host' must be a host name from the inventory";
    else if (!json_is_array(cmds) || json_array_size(cmds) == 0 ||
             json_array_size(cmds) > ND_MAX_COMMANDS)
        *why = "'commands' must be a list of 1 to 256 command strings";
    else if (tr && !json_is_null(tr) &&
             (!json_is_string(tr) ||
              (strcmp(json_string_value(tr), "ssh") && strcmp(json_string_value(tr), "telnet"))))
        *why = "'transport' must be ssh or telnet";
    else if (parse && !json_is_null(parse) && !json_is_boolean(parse))
        *why = "'parse' must be true or false";
    size_t n = json_array_size(cmds);
    for (size_t i = 0; !*why && i < n; i++) {
        const char *c = json_string_value(json_array_get(cmds, i));
        if (!c || !*c || strchr(c, '\n'))
            *why = "each command must be a non-empty single-line string";
        else
            out->commands[i] = c;
    }
    if (*why)
        return -1;
    out->host = json_string_value(host);
    out->transport = json_is_string(tr) ? json_string_value(tr) : NULL;
    out->parse = json_is_true(parse);
    out->n = n;
    return 0;
}
