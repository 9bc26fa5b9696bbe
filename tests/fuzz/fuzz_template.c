/* fuzz_template.c — fuzz target: the input compiled as a template and as a bare expression, then
 * evaluated, rendered and tested against fixed variables through a lookup that also returns the
 * unusual answers: a raw value, a value only known at runtime, a lazy template that refers to
 * itself and an error; then the one-shot na_tpl_render_string. Checks: failures say why, the
 * nesting counter is back at 0, output stays within its ceiling, values stringify. Not a test of the template
 * language (tests/unit/test_template.c). */
#include "fuzz.h"

#include "template.h"

#include <jansson.h>
#include <string.h>

static json_t *vars;

static void setup(void)
{
    if (vars)
        return;
    json_error_t je;
    vars = json_loads("{\"item\": {\"id\": 10, \"name\": \"users\", \"ports\": [\"Gi0/1\", "
                      "\"Gi0/2\"]}, \"vlans\": [{\"id\": 10, \"name\": \"users\"}, {\"id\": 20}], "
                      "\"site\": \"lab\", \"n\": 42, \"pi\": 3.5, \"yes\": true, \"nil\": null, "
                      "\"empty\": \"\", \"lazy\": \"{{ site | upper }}-{{ n }}\", "
                      "\"lazy_list\": [\"{{ site }}\", \"{{ n }}\"], \"self\": \"{{ self }}\", "
                      "\"ping\": \"{{ pong }}\", \"pong\": \"{{ ping }}\", "
                      "\"braces\": \"{{ '{{' }}\", \"obj\": {\"a\": {\"b\": [1, [2, 3]]}}}",
                      0, &je);
    if (!vars)
        abort();
}

static int lookup(na_tpl_env *env, const char *name, json_t **out, na_err *err)
{
    (void)env;
    if (!strcmp(name, "runtime"))
        return NA_TPL_UNKNOWN;
    if (!strcmp(name, "broken"))
        return na_err_set(err, NA_E_CONFIG, "lookup of '%s' failed", name);
    if (!strcmp(name, "raw")) {
        *out = json_string("{{ not evaluated }}");
        return NA_TPL_FOUND_RAW;
    }
    json_t *v = json_object_get(vars, name);
    if (!v)
        return NA_TPL_UNDEF;
    *out = json_incref(v);
    return NA_TPL_FOUND;
}

static void run(na_tpl *t)
{
    na_tpl_env env = {.lookup = lookup};
    (void)na_tpl_source(t);
    (void)na_tpl_is_single_expr(t);

    na_err e = NA_ERR_INIT;
    json_t *val = NULL;
    int rc = na_tpl_eval(t, &env, &val, &e);
    FUZZ_CHECK(env.depth == 0);
    if (rc < 0) {
        FUZZ_CHECK(na_err_isset(&e) && val == NULL);
    } else if (rc == NA_TPL_UNKNOWN_VALUE) {
        FUZZ_CHECK(val == NULL);
    } else {
        FUZZ_CHECK(rc == NA_TPL_OK && val != NULL);
        na_buf s;
        na_buf_init(&s, NA_TPL_MAX_OUT);
        na_err se = NA_ERR_INIT;
        (void)na_tpl_stringify(val, &s, &se);
        na_buf_free(&s);
        (void)na_tpl_truthy(val);
        (void)na_tpl_type_name(val);
        json_decref(val);
    }

    na_buf out;
    na_buf_init(&out, NA_TPL_MAX_OUT);
    na_err re = NA_ERR_INIT;
    rc = na_tpl_render(t, &env, &out, &re);
    FUZZ_CHECK(env.depth == 0);
    FUZZ_CHECK(rc >= 0 || na_err_isset(&re));
    FUZZ_CHECK(out.len <= NA_TPL_MAX_OUT);
    na_buf_free(&out);

    bool truth = false;
    na_err te = NA_ERR_INIT;
    rc = na_tpl_test(t, &env, &truth, &te);
    FUZZ_CHECK(env.depth == 0);
    FUZZ_CHECK(rc >= 0 || na_err_isset(&te));
}

int fuzz_template(const uint8_t *data, size_t size)
{
    fuzz_init();
    setup();
    char *src = fuzz_strndup(data, size);
    (void)na_tpl_has_syntax(src);
    na_err e = NA_ERR_INIT;
    na_tpl *t = na_tpl_compile(src, &e);
    if (t) {
        run(t);
        na_tpl_free(t);
    } else {
        FUZZ_CHECK(na_err_isset(&e));
    }
    na_err_clear(&e);
    t = na_tpl_compile_expr(src, &e);
    if (t) {
        run(t);
        na_tpl_free(t);
    } else {
        FUZZ_CHECK(na_err_isset(&e));
    }
    char *r = na_tpl_render_string(src, vars, &e);
    free(r);
    free(src);
    fuzz_done();
    return 0;
}

#ifdef NA_LIBFUZZER
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fuzz_template(data, size);
}
#endif
