/* show_out.c — `netauto show`'s output: per-host blocks of command output (=== host === and
 * --- command --- headers when there are several) with errors on stderr, or one JSON document.
 * The device's output is printed exactly as it came; the commands (what netauto typed) have
 * registered secrets masked. Not the engine (show_run.c). */
#include "cli_dev.h"
#include "cli_args.h"
#include "cli_inv.h"
#include "secret.h"
#include "show.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- output ---- */

static json_t *err_json(const na_err *e)
{
    if (!na_err_isset(e))
        return json_null();
    return json_pack("{s:s,s:o}", "code", na_code_name(e->code), "message",
                     cli_json_text(e->msg, strlen(e->msg)));
}

static json_t *typed_json(const char *s)
{
    char *m = na_redact_dup(s, strlen(s));
    json_t *j = m ? cli_json_text(m, strlen(m)) : NULL;
    free(m);
    return j;
}

static json_t *job_json(const show_job *j, const show_ctx *c)
{
    json_t *cmds = json_array();
    for (size_t i = 0; i < c->ncmds; i++) {
        const show_cmd_out *o = &j->outs[i];
        if (!o->ran)
            continue;
        json_t *one = json_pack(
            "{s:o,s:b,s:o,s:o,s:o,s:f}", "command", typed_json(c->cmds[i]), "ok", o->ok,
            "output", o->output ? cli_json_text(o->output, o->len) : json_null(), "device_error",
            o->device_error ? cli_json_text(o->device_error, strlen(o->device_error))
                            : json_null(),
            "error", err_json(&o->err), "elapsed_ms", cli_ms(o->us));
        if (one && o->parsed)
            json_object_set(one, "parsed", o->parsed);
        else if (one && na_err_isset(&o->parse_err))
            json_object_set_new(one, "parse_error", err_json(&o->parse_err));
        json_array_append_new(cmds, one);
    }
    na_transport_kind k = c->kind_set ? c->kind : j->h->transport;
    return json_pack("{s:s,s:s,s:s,s:s,s:b,s:o,s:f,s:o}", "host", j->h->name, "address",
                     j->h->address, "platform", j->h->platform, "transport",
                     na_transport_kind_name(k), "ok", !j->failed, "error", err_json(&j->err),
                     "elapsed_ms", cli_ms(j->us), "commands", cmds);
}

/* A device's output, as it came (never redacted: issue 12). */
static void put_output(const char *p, size_t n)
{
    fwrite(p, 1, n, stdout);
    if (n && p[n - 1] != '\n')
        putchar('\n');
}

static void put_typed(const char *fmt, const char *s)
{
    char *m = na_redact_dup(s, strlen(s));
    printf(fmt, m ? m : "?");
    free(m);
}

void cli_show_print_text(const show_job *jobs, size_t n, const show_ctx *c)
{
    for (size_t i = 0; i < n; i++) {
        const show_job *j = &jobs[i];
        if (c->several)
            printf("%s%s=== %s ===%s\n", i ? "\n" : "", cli_sgr(stdout, CLI_BOLD), j->h->name,
                   cli_sgr(stdout, CLI_RESET));
        for (size_t k = 0; k < c->ncmds; k++) {
            const show_cmd_out *o = &j->outs[k];
            if (!o->ran)
                continue;
            if (c->ncmds > 1)
                put_typed("--- %s ---\n", c->cmds[k]);
            if (o->parsed) { /* --parse: the records (the device's words) instead of the output */
                char *s = json_dumps(o->parsed, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
                if (s)
                    put_output(s, strlen(s));
                free(s);
            } else if (o->output && o->len && !na_err_isset(&o->parse_err)) {
                put_output(o->output, o->len);
            }
        }
    }
    fflush(stdout);
    for (size_t i = 0; i < n; i++) { /* errors last, so they are the last thing one sees */
        const show_job *j = &jobs[i];
        bool any = false;
        for (size_t k = 0; k < c->ncmds; k++) {
            if (na_err_isset(&j->outs[k].err)) {
                fprintf(stderr, "%s%s%s\n", cli_sgr(stderr, CLI_RED), j->outs[k].err.msg, cli_sgr(stderr, CLI_RESET));
                any = true;
            }
            if (na_err_isset(&j->outs[k].parse_err))
                fprintf(stderr, "%s%s%s\n", cli_sgr(stderr, CLI_RED), j->outs[k].parse_err.msg, cli_sgr(stderr, CLI_RESET));
        }
        if (j->failed && !any)
            fprintf(stderr, "%s%s%s\n", cli_sgr(stderr, CLI_RED), j->err.msg, cli_sgr(stderr, CLI_RESET));
    }
}

int cli_show_print_json(const show_job *jobs, size_t n, const show_ctx *c, bool all_ok)
{
    json_t *hosts = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(hosts, job_json(&jobs[i], c));
    json_t *root = json_pack("{s:i,s:s,s:b,s:o}", "schema", CLI_RESULT_SCHEMA, "kind", "show",
                             "ok", all_ok, "hosts", hosts);
    char *s = root ? json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(10)) : NULL;
    json_decref(root);
    if (!s)
        return -1;
    puts(s); /* outputs exact; commands masked in job_json; messages safe when set */
    free(s);
    for (size_t i = 0; i < n; i++) {
        if (jobs[i].failed)
            fprintf(stderr, "%s%s%s\n", cli_sgr(stderr, CLI_RED), jobs[i].err.msg, cli_sgr(stderr, CLI_RESET));
        for (size_t k = 0; k < c->ncmds; k++)
            if (na_err_isset(&jobs[i].outs[k].parse_err))
                fprintf(stderr, "%s%s%s\n", cli_sgr(stderr, CLI_RED), jobs[i].outs[k].parse_err.msg, cli_sgr(stderr, CLI_RESET));
    }
    return 0;
}
