/* fuzz_vlans.c — fuzz target: `show vlan brief` parsing (vlans.h) of the input as device output
 * and, when a table is found, the plans of every state against a fixed desired list, their
 * verification and the JSON rendering; the input is also checked as a VLAN name. Checks: a
 * failure says why; ids are 1..4094 and unique; names and statuses are set; the plan for
 * `merged` of what the device already has is empty (idempotence). Not a test of the table layouts
 * (tests/unit/test_vlans.c). */
#include "fuzz.h"

#include "playbook.h"
#include "vlans.h"

#include <string.h>

int fuzz_vlans(const uint8_t *data, size_t size)
{
    fuzz_init();
    na_err e = NA_ERR_INIT;
    na_vlan_list l = {0};
    if (na_vlans_parse((const char *)data, size, &l, &e) < 0) {
        FUZZ_CHECK(na_err_isset(&e));
        na_vlan_list_free(&l);
    } else {
        na_vlan_want mine[NA_VLANS_MAX];
        size_t nm = 0;
        for (size_t i = 0; i < l.n; i++) {
            const na_vlan *v = &l.v[i];
            FUZZ_CHECK(v->id >= 1 && v->id <= 4094);
            FUZZ_CHECK(v->name && v->status);
            FUZZ_CHECK(na_vlan_find(&l, v->id) == v); /* unique ids */
            if (!na_vlan_is_default(v->id) && !na_vlan_name_problem(v->name) && nm < NA_VLANS_MAX)
                mine[nm++] = (na_vlan_want){.id = v->id, .name = v->name};
        }
        /* what the device has, merged again: nothing to do */
        na_strv cmds = NA_STRV_INIT;
        if (na_vlans_plan(NA_VLANS_MERGED, mine, nm, &l, &cmds, &e) == 0) {
            FUZZ_CHECK(cmds.n == 0);
            FUZZ_CHECK(na_vlans_verify(NA_VLANS_MERGED, mine, nm, &l, &e) == 0);
        }
        na_strv_free(&cmds);
        na_vlan_want want[] = {{10, "users"}, {20, NULL}, {30, "cams"}, {4094, "last"}};
        for (int st = NA_VLANS_MERGED; st <= NA_VLANS_DELETED; st++) {
            na_err pe = NA_ERR_INIT;
            cmds = (na_strv)NA_STRV_INIT;
            if (na_vlans_plan((na_vlans_state)st, want, 4, &l, &cmds, &pe) < 0)
                FUZZ_CHECK(na_err_isset(&pe));
            na_strv_free(&cmds);
            na_err ve = NA_ERR_INIT;
            if (na_vlans_verify((na_vlans_state)st, want, 4, &l, &ve) < 0)
                FUZZ_CHECK(na_err_isset(&ve));
        }
        json_t *j = na_vlans_to_json(&l);
        FUZZ_CHECK(j != NULL);
        json_decref(j);
        na_vlan_list_free(&l);
    }
    char *s = fuzz_strndup(data, size < 64 ? size : 64);
    (void)na_vlan_name_problem(s);
    (void)na_vlans_state_parse(s);
    free(s);
    fuzz_done();
    return 0;
}

#ifdef NA_LIBFUZZER
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fuzz_vlans(data, size);
}
#endif
