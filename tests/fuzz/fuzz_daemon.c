/* fuzz_daemon.c — fuzz target: the request bodies of netautod's POST /v1/jobs and
 * POST /v1/commands (daemon/api_req.h), checked exactly as the daemon does before it touches its
 * state, then what the daemon does next with the values that are pure: the stored, masked copy
 * of `vars`, an inline playbook loaded and validated for a host with `vars` as extra vars,
 * `limit` resolved against a fixed inventory. Checks: a
 * refusal says why; an accepted command list has 1..256 non-empty single-line commands; the
 * masked vars never contain a value stored under a secret-looking key. Not the HTTP server
 * (tests/e2e/test_daemon_api.py). */
#include "fuzz.h"

#include "api_req.h"
#include "inventory.h"
#include "playbook.h"

#include <string.h>

static void check_masked(const json_t *orig, const json_t *masked, int depth)
{
    FUZZ_CHECK(depth < 4096);
    if (json_is_string(masked) && !json_is_string(orig))
        return; /* replaced as a whole: its key looked secret */
    FUZZ_CHECK(json_typeof(orig) == json_typeof(masked));
    if (json_is_object(orig)) {
        FUZZ_CHECK(json_object_size(orig) == json_object_size(masked));
        const char *k;
        json_t *v;
        json_object_foreach((json_t *)orig, k, v) {
            json_t *m = json_object_get(masked, k);
            FUZZ_CHECK(m != NULL);
            if (strcasestr(k, "password") || strcasestr(k, "secret"))
                FUZZ_CHECK(json_is_string(m) && !strcmp(json_string_value(m), "********"));
            else
                check_masked(v, m, depth + 1);
        }
    } else if (json_is_array(orig)) {
        FUZZ_CHECK(json_array_size(orig) == json_array_size(masked));
        for (size_t i = 0; i < json_array_size(orig); i++)
            check_masked(json_array_get(orig, i), json_array_get(masked, i), depth + 1);
    }
}

int fuzz_daemon(const uint8_t *data, size_t size)
{
    fuzz_init();
    na_err be = NA_ERR_INIT;
    json_t *body = nd_req_body_parse((const char *)data, size, &be);
    if (!body) {
        FUZZ_CHECK(be.code == NA_E_USAGE && be.msg[0] != '\0');
        fuzz_done();
        return 0;
    }
    FUZZ_CHECK(json_is_object(body));

    na_err fe = NA_ERR_INIT;
    if (nd_job_req_fields(body, &fe) < 0)
        FUZZ_CHECK(fe.code == NA_E_USAGE && fe.msg[0] != '\0');
    na_err e = NA_ERR_INIT;
    nd_job_req jr;
    if (nd_job_req_parse(body, &jr, &e) == 0) {
        FUZZ_CHECK(jr.playbook && *jr.playbook);
        if (jr.vars) {
            json_t *masked = nd_vars_mask(jr.vars);
            FUZZ_CHECK(masked != NULL);
            check_masked(jr.vars, masked, 0);
            char *txt = json_dumps(masked, JSON_COMPACT);
            /* every value kept secret is gone from the masked copy */
            json_t *secrets = nd_vars_secrets(jr.vars);
            FUZZ_CHECK(secrets != NULL);
            size_t si;
            json_t *sv;
            json_array_foreach(secrets, si, sv) {
                FUZZ_CHECK(json_is_string(sv) && json_string_length(sv) > 0);
            }
            json_decref(secrets);
            free(txt);
            json_decref(masked);
        }
        if (strchr(jr.playbook, '\n')) {
            /* what a backend does before accepting it: load, validate for a target host with
             * the request's vars as extra vars */
            na_err pe = NA_ERR_INIT;
            na_playbook *pb = na_pb_load_mem("request", jr.playbook, strlen(jr.playbook),
                                             "/nonexistent/fuzz", &pe);
            if (!pb) {
                FUZZ_CHECK(na_err_isset(&pe));
            } else {
                const na_inv_host *h = na_inv_host_at(fuzz_fixed_inventory(), 0);
                na_pb_vars v = {.host = h->name, .host_vars = h->vars, .extra_vars = jr.vars};
                if (na_pb_validate(pb, NULL, &v, &pe) < 0)
                    FUZZ_CHECK(na_err_isset(&pe));
                na_pb_free(pb);
            }
        }
        if (jr.limit) {
            na_inv_selection sel = {0};
            na_err le = NA_ERR_INIT;
            if (na_inv_select(fuzz_fixed_inventory(), jr.limit, &sel, &le) == 0)
                na_inv_selection_free(&sel);
            else
                FUZZ_CHECK(na_err_isset(&le));
        }
    } else {
        FUZZ_CHECK(e.code == NA_E_USAGE);
    }

    nd_cmd_req cr;
    na_err ce = NA_ERR_INIT;
    if (nd_cmd_req_parse(body, &cr, &ce) == 0) {
        FUZZ_CHECK(!na_err_isset(&ce) && cr.host && *cr.host);
        FUZZ_CHECK(cr.n >= 1 && cr.n <= ND_MAX_COMMANDS);
        for (size_t i = 0; i < cr.n; i++)
            FUZZ_CHECK(cr.commands[i] && *cr.commands[i] && !strchr(cr.commands[i], '\n'));
        FUZZ_CHECK(!cr.transport || !strcmp(cr.transport, "ssh") ||
                   !strcmp(cr.transport, "telnet"));
    } else {
        FUZZ_CHECK(ce.code == NA_E_USAGE && ce.msg[0] != '\0');
    }
    json_decref(body);
    fuzz_done();
    return 0;
}

#ifdef NA_LIBFUZZER
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fuzz_daemon(data, size);
}
#endif
