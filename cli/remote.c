/* remote.c — the netauto CLI verbs against netautod (see remote.h): argument parsing, requests
 * through remote_http.c, progress lines from the job's event stream, and exit statuses that
 * match the local CLI. Not the HTTP client itself. */
#include "remote.h"
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
    const char *server, *token, *fingerprint, *cacert;
    const char *token_file;
    char token_buf[256];  /* a token read from a file or taken off the command line */
    bool token_on_argv;   /* --token T: visible to other users in ps */
    const char *limit, *json_file, *transport, *state;
    const char *pos[MAX_ARGS];
    int npos;
    json_t *vars;
    bool check, follow, json, diff, parse;
    int timeout_s;
} opts;

static int usage(void)
{
    fprintf(stderr,
            "usage: netauto --server https://HOST:PORT [--token-file FILE] (--fingerprint "
            "SHA256:... | --cacert FILE) VERB ...\n"
            "  run PLAYBOOK [--limit P] [--check] [-e KEY=VALUE]... [--json FILE]\n"
            "      PLAYBOOK is a name in the server's playbook directory, or a local file\n"
            "      (a path with '/' or ending in .yml/.yaml) sent inline\n"
            "  show HOST 'COMMAND' ['COMMAND'...] [--transport ssh|telnet] [--parse] [--json]\n"
            "  jobs [--state STATE] [--limit N] [--json]\n"
            "  job ID [--follow] [--json]\n"
            "  cancel ID\n"
            "  inventory [--json]\n"
            "  backups HOST [ID] [--diff]\n"
            "  shell HOST [--transport ssh|telnet]   a terminal on the device through netautod\n"
            "environment: NETAUTO_SERVER, NETAUTO_TOKEN (or NETAUTO_TOKEN_FILE), "
            "NETAUTO_FINGERPRINT, NETAUTO_CACERT\n"
            "(--token T still works but other local users can read it in ps: prefer the "
            "environment or a file)\n");
    return 2;
}

static const char *envs(const char *name)
{
    const char *v = getenv(name);
    return v && *v ? v : NULL;
}

/* --token T on the command line: keep a copy and blank the argument, so that /proc/PID/cmdline
 * (ps) shows x's from now on; the caller warns that it was visible until then. */
static void take_off_argv(opts *o, char *arg)
{
    snprintf(o->token_buf, sizeof o->token_buf, "%s", arg);
    memset(arg, 'x', strlen(arg));
    o->token = o->token_buf;
    o->token_on_argv = true;
}

/* The first line of a token file (trailing white space dropped). */
static int read_token_file(opts *o, na_err *e)
{
    FILE *f = fopen(o->token_file, "r");
    if (!f)
        return na_err_set(e, NA_E_USAGE, "%s: cannot read the token file: %s", o->token_file,
                          strerror(errno));
    struct stat st;
    if (fstat(fileno(f), &st) == 0 && (st.st_mode & 077))
        fprintf(stderr, "netauto: warning: %s can be read by other users (mode %04o): chmod "
                        "600 it\n",
                o->token_file, (unsigned)(st.st_mode & 07777));
    char *got = fgets(o->token_buf, sizeof o->token_buf, f);
    fclose(f);
    size_t n = got ? strlen(o->token_buf) : 0;
    while (n && (o->token_buf[n - 1] == '\n' || o->token_buf[n - 1] == '\r' ||
                 o->token_buf[n - 1] == ' ' || o->token_buf[n - 1] == '\t'))
        o->token_buf[--n] = '\0';
    if (n == 0)
        return na_err_set(e, NA_E_USAGE, "%s: the token file is empty", o->token_file);
    o->token = o->token_buf;
    return 0;
}

static int parse(int argc, char **argv, opts *o)
{
    memset(o, 0, sizeof *o);
    o->server = envs("NETAUTO_SERVER");
    o->token = envs("NETAUTO_TOKEN");
    o->token_file = envs("NETAUTO_TOKEN_FILE");
    o->fingerprint = envs("NETAUTO_FINGERPRINT");
    o->cacert = envs("NETAUTO_CACERT");
    o->timeout_s = 30;
    o->vars = json_object();
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char **slot = NULL;
        if (!strcmp(a, "--server"))
            slot = &o->server;
        else if (!strcmp(a, "--token"))
            slot = &o->token;
        else if (!strcmp(a, "--token-file"))
            slot = &o->token_file;
        else if (!strcmp(a, "--fingerprint"))
            slot = &o->fingerprint;
        else if (!strcmp(a, "--cacert"))
            slot = &o->cacert;
        else if (!strcmp(a, "--limit") || !strcmp(a, "-l"))
            slot = &o->limit;
        else if (!strcmp(a, "--json") && i + 1 < argc && o->npos > 0 &&
                 !strcmp(o->pos[0], "run"))
            slot = &o->json_file;
        else if (!strcmp(a, "--transport") || !strcmp(a, "-t"))
            slot = &o->transport;
        else if (!strcmp(a, "--state"))
            slot = &o->state;
        if (slot) {
            if (++i >= argc) {
                fprintf(stderr, "netauto: %s needs a value\n", a);
                return -1;
            }
            *slot = argv[i];
            if (slot == &o->token)
                take_off_argv(o, argv[i]);
            else if (slot == &o->token_file && !o->token_on_argv)
                o->token = NULL; /* the file named here, rather than $NETAUTO_TOKEN */
            continue;
        }
        if (!strncmp(a, "--server=", 9))
            o->server = a + 9;
        else if (!strncmp(a, "--token=", 8))
            take_off_argv(o, argv[i] + 8);
        else if (!strncmp(a, "--token-file=", 13))
            o->token_file = a + 13;
        else if (!strncmp(a, "--fingerprint=", 14))
            o->fingerprint = a + 14;
        else if (!strncmp(a, "--cacert=", 9))
            o->cacert = a + 9;
        else if (!strcmp(a, "--check"))
            o->check = true;
        else if (!strcmp(a, "--follow") || !strcmp(a, "-f"))
            o->follow = true;
        else if (!strcmp(a, "--json"))
            o->json = true;
        else if (!strcmp(a, "--diff"))
            o->diff = true;
        else if (!strcmp(a, "--parse"))
            o->parse = true;
        else if (!strcmp(a, "--timeout") && i + 1 < argc)
            o->timeout_s = atoi(argv[++i]);
        else if (!strcmp(a, "-e") || !strcmp(a, "--var")) {
            if (++i >= argc || !strchr(argv[i], '=')) {
                fprintf(stderr, "netauto: %s needs KEY=VALUE\n", a);
                return -1;
            }
            char *eq = strchr(argv[i], '=');
            char key[256];
            snprintf(key, sizeof key, "%.*s", (int)(eq - argv[i]), argv[i]);
            json_object_set_new(o->vars, key, json_string(eq + 1));
        } else if (a[0] == '-' && a[1]) {
            fprintf(stderr, "netauto: unknown option %s\n", a);
            return -1;
        } else if (o->npos < MAX_ARGS)
            o->pos[o->npos++] = a;
    }
    return 0;
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
    int rc = na_remote_request(r, method, path, txt, &resp, e);
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
        int rc = na_remote_sse(r, path, f->last_id, 120000, on_event, f, &status, e);
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

static int verb_run(const na_remote *r, opts *o)
{
    if (o->npos != 2)
        return usage();
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
    if (o->json_file && write_json_file(o->json_file, job) < 0)
        rc = 1;
    json_decref(job);
    return rc;
}

static int verb_show(const na_remote *r, opts *o)
{
    if (o->npos < 3)
        return usage();
    json_t *cmds = json_array();
    for (int i = 2; i < o->npos; i++)
        json_array_append_new(cmds, json_string(o->pos[i]));
    json_t *req = json_pack("{s:s,s:o,s:s?,s:b}", "host", o->pos[1], "commands", cmds,
                            "transport", o->transport, "parse", o->parse);
    na_err e = NA_ERR_INIT;
    json_t *resp;
    na_remote rr = *r;
    rr.timeout_ms = r->timeout_ms > 600000 ? r->timeout_ms : 600000; /* devices can be slow */
    int status = call(&rr, "POST", "/v1/commands", req, &resp, &e);
    json_decref(req);
    if (status < 0)
        return fail(&e);
    if (status != 200)
        return http_fail(status, resp);
    bool ok = json_is_true(json_object_get(resp, "ok"));
    size_t ci;
    json_t *cj;
    json_array_foreach(json_object_get(resp, "commands"), ci, cj)
        if (json_object_get(cj, "parse_error"))
            ok = false; /* as the local `show --parse`: records were asked for */
    if (o->json) {
        char *t = json_dumps(resp, JSON_INDENT(2));
        printf("%s\n", t ? t : "null");
        free(t);
    } else {
        size_t i;
        json_t *c;
        json_array_foreach(json_object_get(resp, "commands"), i, c) {
            json_t *recs = json_object_get(c, "parsed"), *pe = json_object_get(c, "parse_error");
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
        return usage();
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
        return usage();
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
        return usage();
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

int na_remote_main(int argc, char **argv)
{
    opts o;
    if (parse(argc, argv, &o) < 0) {
        json_decref(o.vars);
        return usage();
    }
    int rc;
    na_remote r;
    na_err e = NA_ERR_INIT;
    if (o.npos == 0) {
        rc = usage();
        goto out;
    }
    if (na_remote_parse_url(&r, o.server, &e) < 0) {
        rc = fail(&e);
        goto out;
    }
    if (o.token_on_argv)
        fprintf(stderr, "netauto: warning: --token on the command line can be read by other "
                        "local users (ps, /proc); set NETAUTO_TOKEN or use --token-file FILE\n");
    else if (o.token_file && !o.token && read_token_file(&o, &e) < 0) {
        rc = fail(&e);
        goto out;
    }
    if (o.token)
        na_secret_register(o.token); /* never in anything netauto writes */
    r.token = o.token;
    r.fingerprint = o.fingerprint;
    r.cacert = o.cacert;
    r.timeout_ms = o.timeout_s > 0 ? o.timeout_s * 1000 : 30000;
    if (!r.fingerprint && !r.cacert) {
        fprintf(stderr, "netauto: refusing unverified TLS to %s: pass --fingerprint SHA256:... "
                        "(printed by netautod at start, or `netautod fingerprint`) or --cacert "
                        "FILE\n",
                o.server);
        rc = 2;
        goto out;
    }
    if (!r.token)
        fprintf(stderr, "netauto: warning: no token (NETAUTO_TOKEN or --token-file); the server "
                        "will refuse most requests\n");
    const char *v = o.pos[0];
    if (!strcmp(v, "run"))
        rc = verb_run(&r, &o);
    else if (!strcmp(v, "show"))
        rc = verb_show(&r, &o);
    else if (!strcmp(v, "jobs"))
        rc = verb_jobs(&r, &o);
    else if (!strcmp(v, "job"))
        rc = verb_job(&r, &o);
    else if (!strcmp(v, "cancel"))
        rc = verb_cancel(&r, &o);
    else if (!strcmp(v, "inventory"))
        rc = verb_get_print(&r, "/v1/inventory", o.json);
    else if (!strcmp(v, "backups"))
        rc = verb_backups(&r, &o);
    else if (!strcmp(v, "shell") && o.npos == 2)
        rc = na_remote_shell(&r, o.pos[1], o.transport);
    else {
        fprintf(stderr, "netauto: '%s' is not available with --server\n", v);
        rc = usage();
    }
out:
    json_decref(o.vars);
    return rc;
}
