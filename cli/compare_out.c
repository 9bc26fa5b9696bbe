/* compare_out.c — `netauto compare`'s report: a side-by-side text table (Telnet | SSH) and the
 * JSON document (compare.h). netauto's own lines go through the redaction registry; the
 * devices' outputs (the diff) are printed exactly. Not the runner: cmd_compare.c collects the
 * numbers. */
#include "cli_dev.h"
#include "compare.h"
#include "secret.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define COL0 32
#define COL1 28

static void out(FILE *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void out(FILE *f, const char *fmt, ...)
{
    char line[2048], safe[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    na_redact_cstr(line, safe, sizeof safe);
    fputs(safe, f);
}

static void row(FILE *f, const char *label, const char *a, const char *b)
{
    out(f, "%-*s %-*s %s\n", COL0, label, COL1, a, b);
}

static const char *side_name(int s) { return s == CMP_TELNET ? "telnet" : "ssh"; }

/* A phase's time, or "-" when the side never reached it (or it does not apply). */
static void phase_cell(const cmp_side *sd, na_phase p, char *buf, size_t cap)
{
    if ((p == NA_PHASE_SHELL && sd->kind == NA_TRANSPORT_TELNET) ||
        (sd->info.phase_us[p] == 0 && sd->info.phase < p))
        snprintf(buf, cap, "-");
    else
        snprintf(buf, cap, "%.3f ms", cli_ms(sd->info.phase_us[p]));
}

const char *cli_cmp_cleartext_note(const cmp_report *r)
{
    for (int s = 0; s < CMP_SIDES; s++)
        if (r->side[s].info.cleartext_password)
            return "Telnet sent the password in clear text: anyone on the network path could "
                   "read it. SSH encrypted it. Prefer SSH (transport: ssh).";
    return NULL;
}

void cli_cmp_print_text(const cmp_report *r, FILE *f)
{
    const cmp_side *sd = r->side;
    char a[160], b[160], lab[160];
    out(f, "compare %s (%s, platform %s): %zu command%s over telnet and ssh\n\n", r->h->name,
        r->h->address, r->h->platform, r->ncmds, r->ncmds == 1 ? "" : "s");
    row(f, "", "telnet", "ssh");
    snprintf(a, sizeof a, "%d", sd[0].port);
    snprintf(b, sizeof b, "%d", sd[1].port);
    row(f, "port", a, b);
    row(f, "peer", sd[0].info.peer[0] ? sd[0].info.peer : "-",
        sd[1].info.peer[0] ? sd[1].info.peer : "-");
    for (int s = 0; s < CMP_SIDES; s++)
        snprintf(s ? b : a, sizeof a, "%s", sd[s].ok ? "ok" : na_code_name(sd[s].err.code));
    row(f, "result", a, b);
    row(f, "authentication method", sd[0].info.auth_method[0] ? sd[0].info.auth_method : "-",
        sd[1].info.auth_method[0] ? sd[1].info.auth_method : "-");
    row(f, "password sent in clear text", sd[0].info.cleartext_password ? "YES" : "no",
        sd[1].info.cleartext_password ? "YES" : "no");
    static const struct {
        na_phase p;
        const char *label;
    } phases[] = {
        {NA_PHASE_RESOLVE, "name resolution"},
        {NA_PHASE_CONNECT, "TCP connect"},
        {NA_PHASE_NEGOTIATE, "negotiation / key exchange"},
        {NA_PHASE_AUTH, "authentication"},
        {NA_PHASE_SHELL, "PTY + shell"},
    };
    for (size_t i = 0; i < sizeof phases / sizeof *phases; i++) {
        phase_cell(&sd[0], phases[i].p, a, sizeof a);
        phase_cell(&sd[1], phases[i].p, b, sizeof b);
        row(f, phases[i].label, a, b);
    }
    for (int s = 0; s < CMP_SIDES; s++)
        if (sd[s].st.first_prompt_us > 0)
            snprintf(s ? b : a, sizeof a, "%.3f ms", cli_ms(sd[s].st.first_prompt_us));
        else
            snprintf(s ? b : a, sizeof a, "-");
    row(f, "first prompt (from start)", a, b);
    for (int s = 0; s < CMP_SIDES; s++)
        snprintf(s ? b : a, sizeof a, "%.3f ms", cli_ms(sd[s].open_us));
    row(f, "open (on-open cmds, enable)", a, b);
    for (size_t i = 0; i < r->ncmds; i++) {
        for (int s = 0; s < CMP_SIDES; s++) {
            const cmp_cmd *c = &sd[s].cmds[i];
            if (!c->ran)
                snprintf(s ? b : a, sizeof a, "-");
            else
                snprintf(s ? b : a, sizeof a, "%.3f ms%s", cli_ms(c->us),
                         c->ok ? "" : " (failed)");
        }
        snprintf(lab, sizeof lab, "'%.*s'", COL0 - 2 > 60 ? 60 : COL0 - 2, r->cmds[i]);
        if (strlen(r->cmds[i]) > COL0 - 2)
            snprintf(lab, sizeof lab, "'%.*s...'", COL0 - 5, r->cmds[i]);
        row(f, lab, a, b);
    }
    for (int s = 0; s < CMP_SIDES; s++)
        snprintf(s ? b : a, sizeof a, "%" PRIu64 " / %" PRIu64, sd[s].info.wire_in,
                 sd[s].info.wire_out);
    row(f, "bytes on the wire in / out", a, b);
    for (int s = 0; s < CMP_SIDES; s++)
        snprintf(s ? b : a, sizeof a, "%" PRIu64 " / %" PRIu64, sd[s].info.data_in,
                 sd[s].info.data_out);
    row(f, "data bytes in / out", a, b);

    const na_conn_info *si = &sd[CMP_SSH].info;
    if (si->kex[0] || si->server_banner[0]) {
        out(f, "\nssh:    server %s\n", si->server_banner[0] ? si->server_banner : "-");
        out(f, "        key exchange  %s\n", si->kex[0] ? si->kex : "-");
        out(f, "        host key      %s %s\n", si->host_key_type[0] ? si->host_key_type : "-",
            si->host_key_fp[0] ? si->host_key_fp : "");
        out(f, "        ciphers       %s (client to server), %s (server to client)\n",
            si->cipher_cs[0] ? si->cipher_cs : "-", si->cipher_sc[0] ? si->cipher_sc : "-");
        out(f, "        macs          %s (client to server), %s (server to client)\n",
            si->mac_cs[0] ? si->mac_cs : "-", si->mac_sc[0] ? si->mac_sc : "-");
    }
    const na_conn_info *ti = &sd[CMP_TELNET].info;
    out(f, "%stelnet: options agreed: %s\n", si->kex[0] ? "" : "\n",
        ti->telnet_options[0] ? ti->telnet_options : "(none)");

    if (!r->compared) {
        out(f, "\noutputs: not compared (%s failed)\n",
            !sd[0].ok && !sd[1].ok ? "both transports" : !sd[0].ok ? "telnet" : "ssh");
    } else if (r->identical) {
        out(f, "\noutputs: identical after normalisation (%zu command%s)\n", r->ncmds,
            r->ncmds == 1 ? "" : "s");
    } else {
        size_t nd = 0;
        for (size_t i = 0; i < r->ncmds; i++)
            nd += !r->cmd_same[i];
        out(f, "\noutputs: DIFFER after normalisation for %zu of %zu command%s:\n", nd, r->ncmds,
            r->ncmds == 1 ? "" : "s");
        fwrite(na_buf_cstr(&r->diff), 1, r->diff.len, f); /* the devices' words, exactly */
    }
    const char *note = cli_cmp_cleartext_note(r);
    if (note)
        out(f, "\nWARNING: %s\n", note);
    for (int s = 0; s < CMP_SIDES; s++)
        if (!sd[s].ok)
            out(f, "%s error: %s\n", side_name(s), sd[s].err.msg);
}

/* ---- JSON ---- */

static json_t *err_json(const na_err *e)
{
    if (!na_err_isset(e))
        return json_null();
    return json_pack("{s:s,s:o}", "code", na_code_name(e->code), "message",
                     cli_json_text(e->msg, strlen(e->msg)));
}

static json_t *side_json(const cmp_report *r, const cmp_side *sd)
{
    const na_conn_info *in = &sd->info;
    json_t *t = json_object();
    for (int p = NA_PHASE_RESOLVE; p <= NA_PHASE_SHELL; p++) {
        if (p == NA_PHASE_SHELL && sd->kind == NA_TRANSPORT_TELNET)
            continue;
        json_object_set_new(t, na_phase_name((na_phase)p),
                            in->phase_us[p] == 0 && in->phase < (na_phase)p
                                ? json_null()
                                : json_real(cli_ms(in->phase_us[p])));
    }
    json_object_set_new(t, "first_prompt",
                        sd->st.first_prompt_us > 0 ? json_real(cli_ms(sd->st.first_prompt_us))
                                                   : json_null());
    json_object_set_new(t, "open", json_real(cli_ms(sd->open_us)));
    json_t *cmds = json_array();
    for (size_t i = 0; i < r->ncmds; i++) {
        const cmp_cmd *c = &sd->cmds[i];
        if (!c->ran)
            continue;
        json_array_append_new(
            cmds, json_pack("{s:s,s:b,s:f,s:o,s:o}", "command", r->cmds[i], "ok", c->ok,
                            "elapsed_ms", cli_ms(c->us), "output",
                            c->output ? cli_json_text(c->output, c->len) : json_null(), "error",
                            err_json(&c->err)));
    }
    json_t *j = json_pack("{s:s,s:b,s:o,s:i,s:s,s:s,s:b,s:o,s:{s:I,s:I},s:{s:I,s:I},s:o}",
                          "transport", na_transport_kind_name(sd->kind), "ok", sd->ok, "error",
                          err_json(&sd->err), "port", sd->port, "peer", in->peer, "auth_method",
                          in->auth_method, "cleartext_password", in->cleartext_password,
                          "timings_ms", t, "wire_bytes", "in", (json_int_t)in->wire_in, "out",
                          (json_int_t)in->wire_out, "data_bytes", "in", (json_int_t)in->data_in,
                          "out", (json_int_t)in->data_out, "commands", cmds);
    if (!j)
        return NULL;
    if (sd->kind == NA_TRANSPORT_SSH)
        json_object_set_new(
            j, "ssh",
            json_pack("{s:o,s:s,s:s,s:s,s:s,s:s,s:s,s:s}", "server_banner",
                      cli_json_text(in->server_banner, strlen(in->server_banner)), "kex", in->kex, "host_key_type", in->host_key_type,
                      "host_key_fingerprint", in->host_key_fp, "cipher_client_to_server",
                      in->cipher_cs, "cipher_server_to_client", in->cipher_sc,
                      "mac_client_to_server", in->mac_cs, "mac_server_to_client", in->mac_sc));
    else
        json_object_set_new(j, "telnet_options", json_string(in->telnet_options));
    return j;
}

json_t *cli_cmp_json(const cmp_report *r)
{
    json_t *cmds = json_array();
    for (size_t i = 0; i < r->ncmds; i++) {
        char *m = na_redact_dup(r->cmds[i], strlen(r->cmds[i])); /* what netauto typed */
        json_array_append_new(cmds, json_pack("{s:s,s:o}", "command", m ? m : "?", "identical",
                                              r->compared ? json_boolean(r->cmd_same[i])
                                                          : json_null()));
        free(m);
    }
    const char *note = cli_cmp_cleartext_note(r);
    json_t *warnings = json_array();
    if (note)
        json_array_append_new(warnings, json_string(note));
    return json_pack(
        "{s:s,s:s,s:s,s:b,s:o,s:o,s:o,s:{s:o,s:o},s:o}", "host", r->h->name, "address",
        r->h->address, "platform", r->h->platform, "ok", r->side[0].ok && r->side[1].ok,
        "identical", r->compared ? json_boolean(r->identical) : json_null(), "diff",
        r->compared && !r->identical ? cli_json_text(na_buf_cstr(&r->diff), r->diff.len)
                                     : json_null(),
        "commands", cmds, "transports", "telnet", side_json(r, &r->side[CMP_TELNET]), "ssh",
        side_json(r, &r->side[CMP_SSH]), "warnings", warnings);
}
