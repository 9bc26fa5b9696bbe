/* test_sim_opts.c — netauto-sim's command line: device specs and names, defaults, --fault and
 * --opt parsing and their application by name, glob and "all", and the usage errors (each one a
 * message that names the problem). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "sim_opts.h"

#include <stdlib.h>
#include <string.h>

static int parse(sim_opts *o, na_err *e, const char *const *args)
{
    char *argv[64];
    int argc = 0;
    argv[argc++] = (char *)"netauto-sim";
    for (; *args; args++)
        argv[argc++] = (char *)*args;
    argv[argc] = NULL;
    return sim_opts_parse(argc, argv, o, e);
}

static void defaults(void **st)
{
    (void)st;
    sim_opts o;
    na_err e = NA_ERR_INIT;
    const char *args[] = {NULL};
    assert_int_equal(parse(&o, &e, args), 0);
    assert_int_equal(sim_opts_ndevices(&o), 1);
    char name[64];
    sim_persona p = SIM_EOS;
    sim_opts_device(&o, 0, name, sizeof name, &p);
    assert_string_equal(name, "sw1");
    assert_int_equal(p, SIM_IOS);
    assert_string_equal(o.listen, "127.0.0.1");
    assert_string_equal(o.username, "admin");
    assert_string_equal(o.password, "lab-pass-1");
    assert_string_equal(o.secret, "lab-enable-1");
    assert_int_equal(o.base_port, 0);
    assert_int_equal(o.login_timeout_s, 60);
    sim_opts_free(&o);
}

static void devices_and_faults(void **st)
{
    (void)st;
    sim_opts o;
    na_err e = NA_ERR_INIT;
    const char *args[] = {"--devices", "3", "--devices", "2:nxos", "--devices", "1:eos:core",
                          "--fault", "sw2:slow=1200", "--fault", "nx*:garbage",
                          "--fault", "all:huge-output", "--fault", "sw3:huge-output=1000",
                          "--opt", "core1:banner=hello world", "--opt", "sw1:privilege=15",
                          "--opt", "core1:legacy-crypto", "--base-port", "30000", "-v", NULL};
    assert_int_equal(parse(&o, &e, args), 0);
    assert_int_equal(sim_opts_ndevices(&o), 6);
    assert_int_equal(o.verbose, 1);
    assert_int_equal(o.base_port, 30000);
    static const char *const names[] = {"sw1", "sw2", "sw3", "nx1", "nx2", "core1"};
    sim_device devs[6];
    sim_creds cr = {"admin", "p", "s", NULL};
    for (size_t k = 0; k < 6; k++) {
        char name[64];
        sim_persona p;
        sim_opts_device(&o, k, name, sizeof name, &p);
        assert_string_equal(name, names[k]);
        assert_int_equal(sim_device_init(&devs[k], name, p, &cr, NULL, &e), 0);
    }
    assert_int_equal(devs[5].persona, SIM_EOS);
    assert_int_equal(sim_faults_apply_all(devs, 6, &o, &e), 0);
    assert_int_equal(devs[1].f.slow_bps, 1200);
    assert_int_equal(devs[0].f.slow_bps, 0);
    assert_true(devs[3].f.garbage && devs[4].f.garbage && !devs[0].f.garbage);
    assert_int_equal(devs[0].f.huge_output, 50000000ULL);
    assert_int_equal(devs[2].f.huge_output, 1000); /* later wins */
    assert_string_equal(devs[5].f.banner, "hello world");
    assert_true(devs[5].f.legacy_crypto && devs[0].f.priv15 && !devs[1].f.priv15);
    for (size_t k = 0; k < 6; k++)
        sim_device_free(&devs[k]);
    sim_opts_free(&o);
}

static void usage_errors(void **st)
{
    (void)st;
    static const struct {
        const char *args[6];
        const char *msg;
    } cases[] = {
        {{"--devices", "0"}, "COUNT must be a number from 1 to 100000"},
        {{"--devices", "2:vyos"}, "unknown personality 'vyos' (ios, nxos, eos, iosxr, junos)"},
        {{"--devices", "2:ios:9x"}, "bad name prefix '9x'"},
        {{"--devices", "2", "--devices", "3"}, "device name sw1 is used twice"},
        {{"--devices", "12:ios:sw", "--devices", "1:ios:sw1"}, "sw11 is used twice"},
        {{"--fault", "garbage"}, "expected SELECTOR:KIND[=ARG]"},
        {{"--fault", "sw1:melt"}, "unknown fault 'melt'"},
        {{"--fault", "sw1:close-after=0"}, "'close-after' needs a number from 1"},
        {{"--fault", "sw1:garbage=3"}, "'garbage' takes no value"},
        {{"--opt", "sw1:banner"}, "'banner' needs a value"},
        {{"--opt", "sw1:slow=5"}, "unknown option 'slow'"},
        {{"--base-port", "70000"}, "not a port number"},
        {{"--devices", "10", "--base-port", "65530"}, "need ports up to"},
        {{"--password", ""}, "must not be empty"},
        {{"--listen"}, "--listen needs a value"},
        {{"extra"}, "unexpected argument 'extra'"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        sim_opts o;
        na_err e = NA_ERR_INIT;
        const char *args[8] = {0};
        for (int k = 0; k < 6 && cases[i].args[k]; k++)
            args[k] = cases[i].args[k];
        assert_int_equal(parse(&o, &e, args), -1);
        assert_int_equal(e.code, NA_E_USAGE);
        if (!strstr(e.msg, cases[i].msg))
            fail_msg("case %zu: '%s' lacks '%s'", i, e.msg, cases[i].msg);
        sim_opts_free(&o);
    }
    /* a selector that matches nothing is caught when applied */
    sim_opts o;
    na_err e = NA_ERR_INIT;
    const char *args[] = {"--fault", "sw9*:garbage", NULL};
    assert_int_equal(parse(&o, &e, args), 0);
    sim_device d;
    sim_creds cr = {"admin", "p", "s", NULL};
    assert_int_equal(sim_device_init(&d, "sw1", SIM_IOS, &cr, NULL, &e), 0);
    assert_int_equal(sim_faults_apply_all(&d, 1, &o, &e), -1);
    assert_non_null(strstr(e.msg, "'sw9*' matches no device"));
    sim_device_free(&d);
    sim_opts_free(&o);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(defaults),
        cmocka_unit_test(devices_and_faults),
        cmocka_unit_test(usage_errors),
    };
    return cmocka_run_group_tests_name("sim_opts", tests, NULL, NULL);
}
