/* fuzz_textfsm.c — fuzz target: the TextFSM engine (parsing/tfsm.h) and the index reader. The
 * input is a template, then (after the first line "====" if there is one, else nothing) the text
 * to parse; the template bytes are also read as an ntc-templates index. Checks: a failure says
 * why, with the template's name; records have one cell per Value; the JSON forms build; limits
 * (small here) end every parse: a template or an input never hangs the engine or grows it
 * without bound. Not a comparison with python3-textfsm (fuzz_textfsm_diff.c). */
#include "fuzz.h"

#include "tfsm.h"
#include "tfsm_index.h"

#include <string.h>

int fuzz_textfsm(const uint8_t *data, size_t size)
{
    fuzz_init();
    const char *s = (const char *)data;
    size_t tlen = size;
    const char *text = "";
    size_t xlen = 0;
    for (size_t i = 0; i + 5 <= size; i++)
        if ((i == 0 || s[i - 1] == '\n') && !memcmp(s + i, "====", 4) &&
            (i + 4 == size || s[i + 4] == '\n')) {
            tlen = i;
            text = s + i + (i + 4 < size ? 5 : 4);
            xlen = size - (size_t)(text - s);
            break;
        }
    na_err e = NA_ERR_INIT;
    na_tfsm *t = na_tfsm_load("fuzz.textfsm", s, tlen, &e);
    if (!t) {
        FUZZ_CHECK(na_err_isset(&e));
        FUZZ_CHECK(e.code == NA_E_NOMEM || strstr(e.msg, "fuzz.textfsm") != NULL);
    } else {
        na_tfsm_limits lim = {.max_result = 4 << 20, .timeout_ms = 2000,
                              .match_limit = 2000000};
        na_tfsm_result *r = na_tfsm_parse(t, text, xlen, &lim, &e);
        if (!r) {
            FUZZ_CHECK(na_err_isset(&e));
        } else {
            FUZZ_CHECK(na_tfsm_result_cols(r) == na_tfsm_value_count(t));
            json_t *a = na_tfsm_result_json(r, NA_TFSM_KEYS_LOWER);
            json_t *b = na_tfsm_result_table_json(r);
            FUZZ_CHECK(a && b);
            FUZZ_CHECK(json_array_size(a) == na_tfsm_result_rows(r));
            FUZZ_CHECK(json_array_size(json_object_get(b, "rows")) == na_tfsm_result_rows(r));
            json_decref(a);
            json_decref(b);
            na_tfsm_result_free(r);
        }
        na_tfsm_free(t);
    }
    tfi_index ix;
    na_err ie = NA_ERR_INIT;
    if (na_tfi_load(&ix, "fuzz/index", s, tlen, &ie) < 0) {
        FUZZ_CHECK(na_err_isset(&ie));
    } else {
        const tfi_row *row;
        na_err me = NA_ERR_INIT;
        if (na_tfi_match(&ix, "cisco_ios", "show version", &row, &me) == 0 && row)
            FUZZ_CHECK(row->templates != NULL);
    }
    na_tfi_free(&ix);
    fuzz_done();
    return 0;
}

#ifdef NA_LIBFUZZER
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fuzz_textfsm(data, size);
}
#endif
