/* fuzz_playbook.c — fuzz target: a playbook loaded from memory and, when it loads, validated for
 * one host with fixed host and extra vars, then (when valid) every task expanded, rendered for --check (with
 * a fixed `show vlan brief` as the device's VLANs), its vlans plan computed and its expect
 * patterns run against a made-up output; registered names get a made-up result so later tasks
 * see them. Checks: a failure always says why; an expansion always has a name and items.
 * Script paths are only stat()ed (under a directory that does not exist). Not a runner test. */
#include "fuzz.h"

#include "playbook.h"
#include "vlans.h"

#include <jansson.h>
#include <string.h>

#define MAX_TASKS 64

static json_t *host_vars, *extra_vars;
static na_vlan_list current;

static const char show_vlan[] =
    "VLAN Name                             Status    Ports\n"
    "---- -------------------------------- --------- -------------------------------\n"
    "1    default                          active    Gi0/1, Gi0/2\n"
    "10   users                            active    Gi0/3\n"
    "20   voice                            suspended\n"
    "1002 fddi-default                     act/unsup\n";

static void setup(void)
{
    if (host_vars)
        return;
    json_error_t je;
    host_vars = json_loads("{\"site\": \"lab\", \"mgmt_vlan\": 99, \"vlans\": [{\"id\": 10, "
                           "\"name\": \"users\"}, {\"id\": 30, \"name\": \"{{ site }}-cams\"}], "
                           "\"lazy\": \"{{ site | upper }}\", \"flag\": true, \"none\": null, "
                           "\"ports\": {\"Gi0/1\": \"uplink\"}}",
                           0, &je);
    extra_vars = json_loads("{\"env\": \"fuzz\", \"ticket\": 4242}", 0, &je);
    na_err e = NA_ERR_INIT;
    if (!host_vars || !extra_vars || na_vlans_parse(show_vlan, strlen(show_vlan), &current, &e) < 0)
        abort();
}

static void register_result(json_t *registered, const na_task *t, const na_task_exp *x)
{
    const char *name = na_task_register(t);
    if (!name)
        return;
    json_t *res;
    if (x->kind == NA_TASK_COMMAND && x->n_iters > 0) {
        const na_task_iter *it = &x->iters[0];
        const char **outs = calloc(it->commands.n + 1, sizeof *outs);
        FUZZ_CHECK(outs != NULL);
        for (size_t i = 0; i < it->commands.n; i++)
            outs[i] = "10   users   active   Gi0/3\nuptime is 1 week";
        res = na_result_command(&it->commands, outs, false, NULL);
        free(outs);
    } else if (x->skipped) {
        res = na_result_skipped();
    } else {
        res = na_result_change(&x->config, true, false, NULL);
    }
    if (res)
        json_object_set_new(registered, name, res);
}

static void run_task(const na_task *t, na_pb_vars *v, json_t *registered)
{
    na_err e = NA_ERR_INIT;
    na_task_exp *x = NULL;
    if (na_task_expand(t, v, &x, &e) < 0) {
        FUZZ_CHECK(na_err_isset(&e));
        FUZZ_CHECK(x == NULL);
        return;
    }
    FUZZ_CHECK(x != NULL && x->name != NULL);
    (void)na_task_kind_name(x->kind);
    na_render_ctx ctx = {.current_vlans = &current};
    na_buf out;
    na_buf_init(&out, 1 << 20);
    na_err re = NA_ERR_INIT;
    if (na_task_exp_render(x, &ctx, &out, &re) < 0)
        FUZZ_CHECK(na_err_isset(&re));
    na_buf_free(&out);
    if (x->kind == NA_TASK_VLANS && !x->skipped) {
        na_strv cmds = NA_STRV_INIT;
        na_err pe = NA_ERR_INIT;
        if (na_task_exp_vlan_plan(x, &current, &cmds, &pe) < 0)
            FUZZ_CHECK(na_err_isset(&pe));
        na_strv_free(&cmds);
    }
    for (size_t i = 0; i < x->n_iters; i++) {
        const na_task_iter *it = &x->iters[i];
        if (it->expect.n) {
            static const char output[] = "VLAN Name Status\n10   users   active   Gi0/3\n";
            na_err xe = NA_ERR_INIT;
            if (na_task_iter_expect(it, output, sizeof output - 1, &xe) < 0)
                FUZZ_CHECK(na_err_isset(&xe));
        }
    }
    register_result(registered, t, x);
    na_task_exp_free(x);
}

int fuzz_playbook(const uint8_t *data, size_t size)
{
    fuzz_init();
    setup();
    na_err e = NA_ERR_INIT;
    na_playbook *pb = na_pb_load_mem("fuzz.yaml", (const char *)data, size, "/nonexistent/fuzz",
                                     &e);
    if (!pb) {
        FUZZ_CHECK(na_err_isset(&e));
        fuzz_done();
        return 0;
    }
    (void)na_pb_dir(pb);
    na_pb_vars v = {.host = "sw1", .host_vars = host_vars, .extra_vars = extra_vars};
    na_err ve = NA_ERR_INIT;
    if (na_pb_validate(pb, NULL, &v, &ve) < 0) {
        /* the runner never expands a playbook that failed validation */
        FUZZ_CHECK(na_err_isset(&ve));
        na_pb_free(pb);
        fuzz_done();
        return 0;
    }
    json_t *registered = json_object();
    v.registered = registered;
    size_t budget = MAX_TASKS;
    for (size_t p = 0; p < na_pb_play_count(pb); p++) {
        const na_play *play = na_pb_play(pb, p);
        FUZZ_CHECK(na_play_name(play) != NULL && na_play_hosts(play) != NULL);
        for (size_t i = 0; i < na_play_task_count(play) && budget; i++, budget--) {
            const na_task *t = na_play_task(play, i);
            FUZZ_CHECK(na_task_name(t) != NULL);
            (void)na_task_line(t);
            run_task(t, &v, registered);
        }
    }
    json_decref(registered);
    na_pb_free(pb);
    fuzz_done();
    return 0;
}

#ifdef NA_LIBFUZZER
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fuzz_playbook(data, size);
}
#endif
