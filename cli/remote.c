/* remote.c — the netauto CLI verbs against netautod (see remote.h): argument parsing, requests
 * through remote_http.c, progress lines from the job's event stream, and exit statuses that
 * match the local CLI. Not the HTTP client itself. */
#include "cli_args.h"
#include "verbs.h"
#include "remote_http.h"
#include "remote_shell.h"
#include "secret.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define MAX_ARGS 512

typedef struct opts {
    const char *token;
    char token_buf[256];  /* a token read from a file */
    const char *limit, *json_file, *transport, *state;
    const char *pos[MAX_ARGS];
    int npos;
    json_t *vars;
    bool check, follow, json, diff, parse;
    const cli_args *a; /* the parsed line */
} opts;

/* The first line of a token file (trailing white space dropped). */
static int read_token_file(opts *o, const char *file, na_err *e)
{
    FILE *f = fopen(file, "r");
    if (!f)
        return na_err_set(e, NA_E_USAGE, "%s: cannot read the token file: %s", file,
                          strerror(errno));
    struct stat st;
    if (fstat(fileno(f), &st) == 0 && (st.st_mode & 077))
        fprintf(stderr, "netauto: warning: %s can be read by other users (mode %04o): chmod "
                        "600 it\n",
                file, (unsigned)(st.st_mode & 07777));
    char *got = fgets(o->token_buf, sizeof o->token_buf, f);
    fclose(f);
    size_t n = got ? strlen(o->token_buf) : 0;
    while (n && (o->token_buf[n - 1] == '\n' || o->token_buf[n - 1] == '\r' ||
                 o->token_buf[n - 1] == ' ' || o->token_buf[n - 1] == '\t'))
        o->token_buf[--n] = '\0';
    if (n == 0)
        return na_err_set(e, NA_E_USAGE, "%s: the token file is empty", file);
    o->token = o->token_buf;
    return 0;
}

/* -e/--extra-vars VARS into o->vars: KEY=VALUE words (several separated by spaces) or a JSON
 * object. @FILE is read by the local runner only: refused here. */
static int add_vars(const cli_args *a, opts *o, const char *v)
{
    if (v[0] == '{') {
        json_error_t je;
        json_t *j = json_loads(v, 0, &je);
        if (!json_is_object(j)) {
            json_decref(j);
            return cli_usage_error(a->verb, "-e: not a JSON object: %s", je.text);
        }
        json_object_update(o->vars, j);
        json_decref(j);
        return 0;
    }
    if (v[0] == '@')
        return cli_usage_error(a->verb, "-e @FILE is read on this machine: give the variables "
                                        "as KEY=VALUE or JSON with --server, or add --local");
    char *copy = strdup(v);
    if (!copy)
        return cli_usage_error(a->verb, "out of memory");
    int rc = 0;
    for (char *save = NULL, *w = strtok_r(copy, " \t", &save); w; w = strtok_r(NULL, " \t", &save)) {
        char *eq = strchr(w, '=');
        if (!eq || eq == w) {
            rc = cli_usage_error(a->verb, "-e takes KEY=VALUE, got '%s'", w);
            break;
        }
        *eq = '\0';
        json_object_set_new(o->vars, w, json_string(eq + 1));
    }
    free(copy);
    return rc;
}

/* The parsed command line into opts (pos[0] is the verb, as the verbs below expect). */
static int opts_from_args(const cli_args *a, opts *o)
{
    memset(o, 0, sizeof *o);
    o->vars = json_object();
    o->a = a;
    o->pos[o->npos++] = a->verb->doc.name;
    for (size_t i = 0; i < a->npos && o->npos < MAX_ARGS; i++)
        o->pos[o->npos++] = a->pos[i];
    for (size_t i = 0; i < a->nopts; i++) {
        const char *v = a->opts[i].val;
        switch (a->opts[i].id) {
        case O_LIMIT: o->limit = v; break;
        case O_JSON_FILE: o->json_file = v; break;
        case O_TRANSPORT: o->transport = v; break;
        case O_STATE: o->state = v; break;
        case O_CHECK: o->check = true; break;
        case 'f':
            if (!strcmp(a->verb->doc.name, "job"))
                o->follow = true;
            break;
        case O_JSON: o->json = true; break;
        case O_DIFF: o->diff = true; break;
        case O_PARSE: o->parse = true; break;
        case O_EXTRA:
            if (add_vars(a, o, v))
                return -1;
            break;
        default: break;
        }
    }
    return 0;
}

/* The words do not fit the verb: its synopsis, exit 2. */
static int wrong_words(const opts *o)
{
    const cli_verb *v = cli_verb_find(o->pos[0]);
    return cli_usage_error(v, "usage: netauto %s", v ? v->doc.synopsis[0] : o->pos[0]);
}

static int fail(const na_err *e)
{
    fprintf(stderr, "netauto: %s\n", e->msg);
    return e->code == NA_E_USAGE ? 2 : 1;
}

/* One JSON request; *out (new ref) is the parsed body. Returns the HTTP status or -1. */
static int call(const na_remote *r, const char *method, const char *path, json_t *body,
                json_t **out, na_err *e)
{
    char *txt = body ? json_dumps(body, JSON_COMPACT) : NULL;
    na_http_resp resp;
    int rc = cli_remote_request(r, method, path, txt, &resp, e);
    free(txt);
    *out = NULL;
    if (rc < 0) {
        na_buf_free(&resp.body);
        return -1;
    }
    if (resp.body.len)
        *out = json_loadb(resp.body.data, resp.body.len, 0, NULL);
    na_buf_free(&resp.body);
    return resp.status;
}

static int http_fail(int status, json_t *body)
{
    const char *msg = json_string_value(json_object_get(body, "error"));
    fprintf(stderr, "netauto: server answered %d: %s\n", status, msg ? msg : "(no detail)");
    json_decref(body);
    if (status == 400)
        return 2;
    return 1;
}

/* ---- following a job ------------------------------------------------------------------------ */

typedef struct follow_ctx {
    char last_id[32];
    bool finished;
    bool quiet;
    char state[32];
} follow_ctx;

static int on_event(void *ud, const char *event, const char *id, const char *data)
{
    follow_ctx *f = ud;
    snprintf(f->last_id, sizeof f->last_id, "%s", id);
    json_t *j = json_loads(data, 0, NULL);
    const char *host = json_string_value(json_object_get(j, "host"));
    if (!f->quiet) {
        if (!strcmp(event, "job_queued"))
            printf("job %lld queued (%zu hosts)\n",
                   (long long)json_integer_value(json_object_get(j, "job")),
                   json_array_size(json_object_get(j, "targets")));
        else if (!strcmp(event, "job_started"))
            printf("job %lld started\n", (long long)json_integer_value(json_object_get(j, "job")));
        else if (!strcmp(event, "task_result")) {
            json_t *t = json_object_get(j, "task");
            printf("%s: %-30s %s%s (%lld ms)\n", host ? host : "?",
                   json_string_value(json_object_get(t, "name")),
                   json_is_true(json_object_get(t, "ok")) ? "ok" : "FAILED",
                   json_is_true(json_object_get(t, "changed")) ? ", changed" : "",
                   (long long)json_integer_value(json_object_get(t, "elapsed_ms")));
        } else if (!strcmp(event, "host_finished")) {
            json_t *res = json_object_get(j, "result");
            json_t *er = json_object_get(res, "error");
            const char *em = json_is_string(er) ? json_string_value(er)
                                                : json_string_value(json_object_get(er, "message"));
            printf("%s: %s%s%s\n", host ? host : "?",
                   json_is_true(json_object_get(res, "ok")) ? "ok" : "FAILED", em ? ": " : "",
                   em ? em : "");
        } else if (!strcmp(event, "cancel_requested"))
            printf("cancel requested by %s\n", json_string_value(json_object_get(j, "by")));
    }
    if (!strcmp(event, "job_finished")) {
        json_t *s = json_object_get(j, "summary");
        snprintf(f->state, sizeof f->state, "%s", json_string_value(json_object_get(j, "state")));
        if (!f->quiet)
            printf("job %lld %s: %lld/%lld hosts ok, %lld failed%s%s\n",
                   (long long)json_integer_value(json_object_get(j, "job")), f->state,
                   (long long)json_integer_value(json_object_get(s, "ok")),
                   (long long)json_integer_value(json_object_get(s, "targets")),
                   (long long)json_integer_value(json_object_get(s, "failed")),
                   json_is_string(json_object_get(j, "error")) ? ": " : "",
                   json_is_string(json_object_get(j, "error"))
                       ? json_string_value(json_object_get(j, "error"))
                       : "");
        f->finished = true;
    }
    fflush(stdout);
    json_decref(j);
    return 0;
}

/* Follow until job_finished; reconnects (with Last-Event-ID) if the stream breaks. */
static int follow(const na_remote *r, long long id, follow_ctx *f, na_err *e)
{
    char path[64];
    snprintf(path, sizeof path, "/v1/jobs/%lld/events", id);
    for (int attempt = 0; attempt < 5 && !f->finished; attempt++) {
        int status;
        na_err_clear(e);
        int rc = cli_remote_sse(r, path, f->last_id, 120000, on_event, f, &status, e);
        if (rc < 0 && (status == 404 || status == 401 || e->code == NA_E_HOSTKEY_CHANGED ||
                       e->code == NA_E_HOSTKEY_UNKNOWN || e->code == NA_E_USAGE))
            return -1;
    }
    if (!f->finished) {
        if (!na_err_isset(e))
            na_err_set(e, NA_E_CLOSED, "the event stream ended before job %lld finished", id);
        return -1;
    }
    return 0;
}

static int write_json_file(const char *path, json_t *j)
{
    if (json_dump_file(j, path, JSON_INDENT(2)) < 0) {
        fprintf(stderr, "netauto: cannot write %s: %s\n", path, strerror(errno));
        return -1;
    }
    return 0;
}

/* ---- verbs ---------------------------------------------------------------------------------- */

static char *read_file(const char *path, na_err *e)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        na_err_set(e, NA_E_USAGE, "%s: %s", path, strerror(errno));
        return NULL;
    }
    na_buf b;
    na_buf_init(&b, 16 << 20);
    char chunk[8192];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        if (na_buf_append(&b, chunk, n, path, e) < 0)
            break;
    fclose(f);
    if (na_err_isset(e)) {
        na_buf_free(&b);
        return NULL;
    }
    return na_buf_steal(&b);
}

/* The job's summary in the shape of the local run's ({hosts, ok, failed, cancelled, skipped,
 * changed, tasks, elapsed_ms, check}), counted from its hosts; the server's own counts (targets,
 * ok, failed, changed) are kept where they mean the same. */
static void run_summary(json_t *job)
{
    json_t *srv = json_object_get(job, "summary"), *hosts = json_object_get(job, "hosts");
    json_int_t n = 0, ok = 0, failed = 0, cancelled = 0, skipped = 0, changed = 0, tasks = 0;
    const char *k;
    json_t *h;
    json_object_foreach(hosts, k, h) {
        const char *st = json_string_value(json_object_get(h, "status"));
        n++;
        ok += json_is_true(json_object_get(h, "ok"));
        failed += st && !strcmp(st, "failed");
        cancelled += st && !strcmp(st, "cancelled");
        skipped += st && !strcmp(st, "skipped");
        changed += json_is_true(json_object_get(h, "changed"));
        tasks += (json_int_t)json_array_size(json_object_get(h, "tasks"));
    }
    json_t *tg = json_object_get(srv, "targets");
    json_t *sum = json_pack("{s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:O,s:b}", "hosts",
                            json_is_integer(tg) ? json_integer_value(tg) : n, "ok", ok, "failed",
                            failed, "cancelled", cancelled, "skipped", skipped, "changed",
                            changed, "tasks", tasks, "elapsed_ms",
                            json_object_get(job, "elapsed_ms") ? json_object_get(job, "elapsed_ms")
                                                               : json_null(),
                            "check",
                            json_is_true(json_object_get(json_object_get(job, "request"),
                                                         "check")));
    if (sum)
        json_object_set_new(job, "summary", sum);
}

static int verb_run(const na_remote *r, opts *o)
{
    if (o->npos != 2)
        return wrong_words(o);
    const char *pb = o->pos[1];
    na_err e = NA_ERR_INIT;
    char *inline_yaml = NULL;
    size_t pl = strlen(pb);
    struct stat st;
    if ((strchr(pb, '/') || (pl > 4 && !strcmp(pb + pl - 4, ".yml")) ||
         (pl > 5 && !strcmp(pb + pl - 5, ".yaml"))) &&
        stat(pb, &st) == 0 && S_ISREG(st.st_mode)) {
        if (!(inline_yaml = read_file(pb, &e)))
            return fail(&e);
        if (!strchr(inline_yaml, '\n')) { /* the server tells inline YAML by its newline */
            char *t = realloc(inline_yaml, strlen(inline_yaml) + 2);
            if (t) {
                inline_yaml = t;
                strcat(inline_yaml, "\n");
            }
        }
    }
    json_t *req = json_pack("{s:s,s:s?,s:b,s:O}", "playbook", inline_yaml ? inline_yaml : pb,
                            "limit", o->limit, "check", o->check, "vars", o->vars);
    free(inline_yaml);
    json_t *resp;
    int status = call(r, "POST", "/v1/jobs", req, &resp, &e);
    json_decref(req);
    if (status < 0)
        return fail(&e);
    if (status != 202)
        return http_fail(status, resp);
    long long id = (long long)json_integer_value(json_object_get(resp, "id"));
    json_decref(resp);
    printf("job %lld accepted by %s:%d\n", id, r->host, r->port);
    follow_ctx f = {.quiet = false};
    if (follow(r, id, &f, &e) < 0) {
        fprintf(stderr, "netauto: following job %lld: %s\n", id, e.msg);
        return 1;
    }
    char path[64];
    snprintf(path, sizeof path, "/v1/jobs/%lld", id);
    json_t *job;
    status = call(r, "GET", path, NULL, &job, &e);
    if (status < 0)
        return fail(&e);
    if (status != 200)
        return http_fail(status, job);
    int rc = strcmp(json_string_value(json_object_get(job, "state")), "succeeded") ? 1 : 0;
    json_object_set_new(job, "schema", json_integer(CLI_RESULT_SCHEMA));
    json_object_set_new(job, "kind", json_string("run"));
    run_summary(job);
    if (o->json_file && write_json_file(o->json_file, job) < 0)
        rc = 1;
    json_decref(job);
    return rc;
}

static const char *str_or_dash(json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));
    return s ? s : "-";
}

/* netautod's POST /v1/commands answer in the shape `netauto show --json` prints here (the result
 * schema, docs/results.md): one host, the same fields, times in milliseconds. inv_host is the
 * host's entry of GET /v1/inventory (address, platform). New reference. */
static json_t *show_doc(json_t *resp, json_t *inv_host, bool ok)
{
    json_t *cmds = json_array();
    size_t i;
    json_t *c;
    json_array_foreach(json_object_get(resp, "commands"), i, c) {
        json_t *one = json_pack("{s:O,s:b,s:O,s:O,s:O,s:f}", "command",
                                json_object_get(c, "command"), "ok",
                                json_is_true(json_object_get(c, "ok")), "output",
                                json_object_get(c, "output") ? json_object_get(c, "output")
                                                             : json_null(),
                                "device_error",
                                json_object_get(c, "device_error")
                                    ? json_object_get(c, "device_error")
                                    : json_null(),
                                "error",
                                json_object_get(c, "error") ? json_object_get(c, "error")
                                                            : json_null(),
                                "elapsed_ms",
                                json_number_value(json_object_get(c, "elapsed_ms")));
        if (one && json_object_get(c, "parsed"))
            json_object_set(one, "parsed", json_object_get(c, "parsed"));
        else if (one && json_object_get(c, "parse_error"))
            json_object_set(one, "parse_error", json_object_get(c, "parse_error"));
        json_array_append_new(cmds, one);
    }
    json_t *err = json_object_get(resp, "error");
    json_t *h = json_pack("{s:O,s:O,s:O,s:O,s:b,s:O,s:f,s:o}", "host",
                          json_object_get(resp, "host"), "address",
                          json_object_get(inv_host, "address") ? json_object_get(inv_host, "address")
                                                               : json_null(),
                          "platform",
                          json_object_get(inv_host, "platform")
                              ? json_object_get(inv_host, "platform")
                              : json_null(),
                          "transport", json_object_get(resp, "transport"), "ok",
                          json_is_true(json_object_get(resp, "ok")), "error",
                          err ? err : json_null(), "elapsed_ms",
                          json_number_value(json_object_get(resp, "elapsed_ms")), "commands",
                          cmds);
    return json_pack("{s:i,s:s,s:b,s:[o],s:{s:s,s:O}}", "schema", CLI_RESULT_SCHEMA, "kind",
                     "show", "ok", ok, "hosts", h, "server", "session",
                     json_string_value(json_object_get(resp, "session"))
                         ? json_string_value(json_object_get(resp, "session"))
                         : "new",
                     "retried", json_object_get(resp, "retried") ? json_object_get(resp, "retried")
                                                                 : json_false());
}

static int verb_show(const na_remote *r, opts *o)
{
    const cli_args *a = o->a;
    if (cli_opt(a, O_LIMIT))
        return cli_usage_error(a->verb, "with --server, show runs on one HOST (netautod's "
                                        "POST /v1/commands): drop --limit, or add --local to "
                                        "run here");
    /* the words are checked against the server's inventory exactly as they are against a local
     * one: a host name, a file name or a word after a flag is never sent as a command */
    na_err e = NA_ERR_INIT;
    json_t *inv;
    int status = call(r, "GET", "/v1/inventory", NULL, &inv, &e);
    if (status < 0)
        return fail(&e);
    bool no_names = status == 403; /* a commands-only token: the server checks the host */
    if (status != 200 && !no_names)
        return http_fail(status, inv);
    if (no_names) {
        json_decref(inv);
        inv = json_object();
    }
    cli_names names;
    const char *host = NULL;
    const char **words = calloc(a->npos + a->nopts + 1, sizeof *words);
    size_t nw = 0;
    if (!words || !inv || cli_names_from_json(&names, inv, cli_g.server) < 0) {
        free(words);
        json_decref(inv);
        fprintf(stderr, "netauto: out of memory\n");
        return 1;
    }
    names.unknown = no_names;
    int rc = cli_show_words(a, &names, &host, words, &nw);
    json_t *cmds = json_array();
    for (size_t i = 0; rc == 0 && i < nw; i++)
        json_array_append_new(cmds, json_string(words[i]));
    json_t *req = rc ? NULL : json_pack("{s:s,s:o,s:s?,s:b}", "host", host, "commands", cmds,
                                        "transport", o->transport, "parse", o->parse);
    if (rc)
        json_decref(cmds);
    o->pos[1] = host; /* for the messages below */
    size_t ncmds = nw;
    cli_names_free(&names);
    free(words);
    if (rc) {
        json_decref(inv);
        return rc;
    }
    json_t *resp;
    na_remote rr = *r;
    rr.timeout_ms = r->timeout_ms > 600000 ? r->timeout_ms : 600000; /* devices can be slow */
    status = call(&rr, "POST", "/v1/commands", req, &resp, &e);
    json_decref(req);
    if (status < 0 || status != 200) {
        json_decref(inv);
        if (status == 404 && no_names) { /* an unknown host, as locally: nothing was sent */
            json_decref(resp);
            return cli_usage_error(a->verb, "host '%s' is not in the inventory of %s", host,
                                   cli_g.server);
        }
        return status < 0 ? fail(&e) : http_fail(status, resp);
    }
    bool ok = json_is_true(json_object_get(resp, "ok"));
    size_t ci;
    json_t *cj;
    json_array_foreach(json_object_get(resp, "commands"), ci, cj)
        if (json_object_get(cj, "parse_error"))
            ok = false; /* as the local `show --parse`: records were asked for */
    if (o->json) {
        json_t *doc = show_doc(resp, json_object_get(json_object_get(inv, "hosts"), host), ok);
        char *t = doc ? json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER |
                                            JSON_REAL_PRECISION(10))
                      : NULL;
        printf("%s\n", t ? t : "null");
        free(t);
        json_decref(doc);
    } else {
        size_t i;
        json_t *c;
        json_array_foreach(json_object_get(resp, "commands"), i, c) {
            json_t *recs = json_object_get(c, "parsed"), *pe = json_object_get(c, "parse_error");
            if (ncmds > 1) /* as here: each output under its command */
                printf("--- %s ---\n", str_or_dash(c, "command"));
            if (recs) { /* --parse: the records instead of the text */
                char *t = json_dumps(recs, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
                printf("%s\n", t ? t : "null");
                free(t);
                continue;
            }
            if (pe) {
                ok = false;
                fprintf(stderr, "netauto: %s: %s\n", o->pos[1],
                        json_string_value(json_object_get(pe, "message")));
                continue;
            }
            const char *out = json_string_value(json_object_get(c, "output"));
            fputs(out ? out : "", stdout);
            if (out && *out && out[strlen(out) - 1] != '\n')
                putchar('\n');
        }
        if (!ok) {
            json_t *er = json_object_get(resp, "error");
            const char *m = json_is_string(er) ? json_string_value(er)
                                               : json_string_value(json_object_get(er, "message"));
            fprintf(stderr, "netauto: %s: %s\n", o->pos[1], m ? m : "failed");
        }
    }
    json_decref(resp);
    json_decref(inv);
    return ok ? 0 : 1;
}

static void print_job_line(json_t *j)
{
    json_t *s = json_object_get(j, "summary"), *req = json_object_get(j, "request");
    const char *pb = json_string_value(json_object_get(req, "playbook"));
    const char *bk = json_string_value(json_object_get(req, "backup"));
    char what[48];
    if (bk)
        snprintf(what, sizeof what, "backup: %s", bk);
    else if (json_is_true(json_object_get(req, "inline")) || (pb && strchr(pb, '\n')))
        snprintf(what, sizeof what, "(inline playbook)");
    else
        snprintf(what, sizeof what, "%s", pb ? pb : "?");
    printf("%-6lld %-11s %-24s %-16s %-30s %lld/%lld\n",
           (long long)json_integer_value(json_object_get(j, "id")),
           json_string_value(json_object_get(j, "state")),
           json_string_value(json_object_get(j, "created")),
           json_string_value(json_object_get(j, "submitted_by")), what,
           (long long)json_integer_value(json_object_get(s, "ok")),
           (long long)json_integer_value(json_object_get(s, "targets")));
}

static int verb_jobs(const na_remote *r, opts *o)
{
    char path[128];
    snprintf(path, sizeof path, "/v1/jobs?limit=%d%s%s", o->limit ? atoi(o->limit) : 50,
             o->state ? "&state=" : "", o->state ? o->state : "");
    na_err e = NA_ERR_INIT;
    json_t *resp;
    int status = call(r, "GET", path, NULL, &resp, &e);
    if (status < 0)
        return fail(&e);
    if (status != 200)
        return http_fail(status, resp);
    if (o->json) {
        char *t = json_dumps(resp, JSON_INDENT(2));
        printf("%s\n", t ? t : "null");
        free(t);
    } else {
        printf("%-6s %-11s %-24s %-16s %-30s %s\n", "ID", "STATE", "CREATED", "BY", "WHAT",
               "OK/HOSTS");
        size_t i;
        json_t *j;
        json_array_foreach(json_object_get(resp, "jobs"), i, j) print_job_line(j);
    }
    json_decref(resp);
    return 0;
}

static int verb_job(const na_remote *r, opts *o)
{
    if (o->npos != 2)
        return wrong_words(o);
    char *end;
    long long id = strtoll(o->pos[1], &end, 10);
    if (*end || id <= 0) {
        fprintf(stderr, "netauto: job ids are positive integers\n");
        return 2;
    }
    na_err e = NA_ERR_INIT;
    if (o->follow) {
        follow_ctx f = {.quiet = o->json};
        if (follow(r, id, &f, &e) < 0)
            return fail(&e);
    }
    char path[64];
    snprintf(path, sizeof path, "/v1/jobs/%lld", id);
    json_t *job;
    int status = call(r, "GET", path, NULL, &job, &e);
    if (status < 0)
        return fail(&e);
    if (status != 200)
        return http_fail(status, job);
    const char *state = json_string_value(json_object_get(job, "state"));
    if (o->json || !o->follow) {
        char *t = json_dumps(job, JSON_INDENT(2));
        printf("%s\n", t ? t : "null");
        free(t);
    }
    int rc = !strcmp(state, "succeeded") || !strcmp(state, "running") || !strcmp(state, "queued")
                 ? 0
                 : 1;
    json_decref(job);
    return rc;
}

static int verb_cancel(const na_remote *r, opts *o)
{
    if (o->npos != 2)
        return wrong_words(o);
    char path[64];
    snprintf(path, sizeof path, "/v1/jobs/%s", o->pos[1]);
    na_err e = NA_ERR_INIT;
    json_t *resp;
    int status = call(r, "DELETE", path, NULL, &resp, &e);
    if (status < 0)
        return fail(&e);
    if (status != 200 && status != 202)
        return http_fail(status, resp);
    printf("job %s: %s\n", o->pos[1], json_string_value(json_object_get(resp, "state")));
    json_decref(resp);
    return 0;
}

static int verb_get_print(const na_remote *r, const char *path, bool raw_json)
{
    na_err e = NA_ERR_INIT;
    json_t *resp;
    int status = call(r, "GET", path, NULL, &resp, &e);
    if (status < 0)
        return fail(&e);
    if (status != 200)
        return http_fail(status, resp);
    (void)raw_json;
    char *t = json_dumps(resp, JSON_INDENT(2));
    printf("%s\n", t ? t : "null");
    free(t);
    json_decref(resp);
    return 0;
}

static int verb_backups(const na_remote *r, opts *o)
{
    if (o->npos != 2 && o->npos != 3)
        return wrong_words(o);
    char path[512];
    if (o->npos == 2) {
        snprintf(path, sizeof path, "/v1/backups/%s", o->pos[1]);
        return verb_get_print(r, path, true);
    }
    snprintf(path, sizeof path, "/v1/backups/%s/%s", o->pos[1], o->pos[2]);
    na_err e = NA_ERR_INIT;
    json_t *resp;
    int status = call(r, "GET", path, NULL, &resp, &e);
    if (status < 0)
        return fail(&e);
    if (status != 200)
        return http_fail(status, resp);
    const char *t = json_string_value(json_object_get(resp, o->diff ? "diff" : "text"));
    fputs(t ? t : "", stdout);
    json_decref(resp);
    return 0;
}

typedef int (*verb_fn)(const na_remote *r, opts *o);

/* Connect the settings (cli_g) and the parsed line, then run fn. */
static int remote_enter(const cli_args *a, verb_fn fn)
{
    opts o;
    if (opts_from_args(a, &o) < 0) {
        json_decref(o.vars);
        return CLI_EXIT_INVALID;
    }
    int rc;
    na_remote r;
    na_err e = NA_ERR_INIT;
    int timeout_ms = 30000;
    if (cli_opt_seconds(a, O_TIMEOUT, &timeout_ms)) {
        rc = CLI_EXIT_INVALID;
        goto out;
    }
    if (cli_remote_parse_url(&r, cli_g.server, &e) < 0) {
        rc = fail(&e);
        goto out;
    }
    if (cli_g.token_on_argv)
        fprintf(stderr, "netauto: warning: --token on the command line can be read by other "
                        "local users (ps, /proc); set NETAUTO_TOKEN or use --token-file FILE\n");
    if (cli_g.token)
        o.token = cli_g.token;
    else if (cli_g.token_file && read_token_file(&o, cli_g.token_file, &e) < 0) {
        rc = fail(&e);
        goto out;
    }
    if (o.token)
        na_secret_register(o.token); /* never in anything netauto writes */
    r.token = o.token;
    r.fingerprint = cli_g.fingerprint;
    r.cacert = cli_g.cacert;
    r.timeout_ms = timeout_ms;
    if (!r.fingerprint && !r.cacert) {
        fprintf(stderr, "netauto: refusing unverified TLS to %s: pass --fingerprint PIN "
                        "(sha256//... or SHA256:..., printed by netautod at start, or `netautod "
                        "fingerprint`) or --cacert FILE\n",
                cli_g.server);
        rc = 2;
        goto out;
    }
    if (!r.token)
        fprintf(stderr, "netauto: warning: no token (NETAUTO_TOKEN or --token-file); the server "
                        "will refuse most requests\n");
    rc = fn(&r, &o);
out:
    json_decref(o.vars);
    return rc;
}


/* GET /v1/inventory in the shape `netauto inventory --json` prints here: {"inventory",
 * "format", "hosts": [...] in the server's order, "warnings"}, plus "server": {"generation"}. */
static int verb_inventory(const na_remote *r, opts *o)
{
    if (o->npos != 1)
        return cli_usage_error(o->a->verb, "unexpected argument '%s' (with --server: the "
                                           "server's whole inventory)", o->pos[1]);
    na_err e = NA_ERR_INIT;
    json_t *inv;
    int status = call(r, "GET", "/v1/inventory", NULL, &inv, &e);
    if (status < 0)
        return fail(&e);
    if (status != 200)
        return http_fail(status, inv);
    json_t *hosts = json_array();
    const char *k;
    json_t *v;
    json_object_foreach(json_object_get(inv, "hosts"), k, v) json_array_append(hosts, v);
    json_t *doc = json_pack("{s:O,s:O,s:o,s:[],s:{s:O}}", "inventory",
                            json_object_get(inv, "inventory") ? json_object_get(inv, "inventory")
                                                              : json_null(),
                            "format",
                            json_object_get(inv, "format") ? json_object_get(inv, "format")
                                                           : json_null(),
                            "hosts", hosts, "warnings", "server", "generation",
                            json_object_get(inv, "generation") ? json_object_get(inv, "generation")
                                                               : json_null());
    json_decref(inv);
    if (!doc) {
        fprintf(stderr, "netauto: out of memory\n");
        return 1;
    }
    if (o->json) {
        char *t = json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
        printf("%s\n", t ? t : "null");
        free(t);
    } else { /* the local table's main columns */
        printf("%-20s %-24s %-16s %-10s %s\n", "NAME", "ADDRESS", "PLATFORM", "TRANSPORT",
               "USER");
        size_t i;
        json_array_foreach(json_object_get(doc, "hosts"), i, v) {
            printf("%-20s %-24s %-16s %-10s %s\n", str_or_dash(v, "name"),
                   str_or_dash(v, "address"), str_or_dash(v, "platform"),
                   str_or_dash(v, "transport"), str_or_dash(v, "username"));
        }
        printf("%zu host%s\n", json_array_size(json_object_get(doc, "hosts")),
               json_array_size(json_object_get(doc, "hosts")) == 1 ? "" : "s");
    }
    json_decref(doc);
    return 0;
}

int cli_remote_show(const cli_args *a) { return remote_enter(a, verb_show); }
int cli_remote_run(const cli_args *a) { return remote_enter(a, verb_run); }
int cli_remote_inventory(const cli_args *a) { return remote_enter(a, verb_inventory); }
int cli_remote_jobs(const cli_args *a) { return remote_enter(a, verb_jobs); }
int cli_remote_job(const cli_args *a) { return remote_enter(a, verb_job); }
int cli_remote_cancel(const cli_args *a) { return remote_enter(a, verb_cancel); }
int cli_remote_backups(const cli_args *a) { return remote_enter(a, verb_backups); }

/* `shell HOST` through netautod (remote_shell.c): a terminal over the server's WebSocket. */
static int verb_shell(const na_remote *r, opts *o)
{
    if (o->npos != 2)
        return wrong_words(o);
    return cli_remote_shell_run(r, o->pos[1], o->transport);
}

int cli_remote_shell(const cli_args *a) { return remote_enter(a, verb_shell); }
