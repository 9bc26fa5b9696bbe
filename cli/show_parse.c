/* show_parse.c — `netauto show --parse`: before anything is sent, every host's platform must
 * have a template for every command (and it must compile); after the run, each command's
 * output becomes records (o->parsed) or a parse error (o->parse_err). Templates come from
 * --templates, the inventory's templates:, $NET_TEXTFSM or $NTC_TEMPLATES_DIR, then netauto's
 * built-ins (parsing/tfsm_lib.h). Not the printing (show_out.c). */
#include "cli_dev.h"
#include "show.h"

#include <string.h>

int cli_show_parse_check(const show_job *jobs, size_t n, const show_ctx *c, na_err *err)
{
    for (size_t i = 0; i < n; i++)
        for (size_t k = 0; k < c->ncmds; k++)
            if (na_tfsm_lib_prepare(c->parse, jobs[i].h->platform, c->cmds[k], err) < 0) {
                cli_err_name(err, jobs[i].h->name);
                return -1;
            }
    return 0;
}

size_t cli_show_parse_all(show_job *jobs, size_t n, const show_ctx *c)
{
    size_t failed = 0;
    for (size_t i = 0; i < n; i++) {
        for (size_t k = 0; k < c->ncmds; k++) {
            show_cmd_out *o = &jobs[i].outs[k];
            if (!o->ran || !o->ok)
                continue; /* nothing to parse: the command's own error says why */
            na_err e = NA_ERR_INIT;
            o->parsed = na_tfsm_lib_parse(c->parse, jobs[i].h->platform, c->cmds[k],
                                          o->output ? o->output : "", o->len, NULL, &e);
            if (!o->parsed) {
                o->parse_err = e;
                cli_err_name(&o->parse_err, jobs[i].h->name);
                failed++;
            }
        }
    }
    return failed;
}
