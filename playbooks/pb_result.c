/* pb_result.c — the JSON shape of registered results (what `register: NAME` stores and later
 * tasks read as {{ NAME.stdout[0] }}, {{ NAME.rc }}...). Device text that is not valid UTF-8 has
 * its bad bytes replaced by U+FFFD so results are always valid JSON. Not the runner. */
#include "playbook.h"

#include <stdlib.h>
#include <string.h>

/* Length of the valid UTF-8 sequence at s (1-4), or 0 if invalid. */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
    if (s[0] < 0x80)
        return 1;
    size_t len = s[0] >= 0xF0 && s[0] <= 0xF4 ? 4 : s[0] >= 0xE0 ? 3 : s[0] >= 0xC2 ? 2 : 0;
    if (!len || len > n || (s[0] >= 0xF8))
        return 0;
    for (size_t i = 1; i < len; i++)
        if ((s[i] & 0xC0) != 0x80)
            return 0;
    if (len == 3 && ((s[0] == 0xE0 && s[1] < 0xA0) || (s[0] == 0xED && s[1] >= 0xA0)))
        return 0; /* overlong, surrogates */
    if (len == 4 && ((s[0] == 0xF0 && s[1] < 0x90) || (s[0] == 0xF4 && s[1] >= 0x90)))
        return 0;
    return len;
}

static json_t *text(const char *s, size_t n)
{
    const unsigned char *u = (const unsigned char *)(s ? s : "");
    size_t bad = 0;
    for (size_t i = 0; i < n;) {
        size_t l = utf8_seq(u + i, n - i);
        bad += !l;
        i += l ? l : 1;
    }
    if (!bad)
        return json_stringn((const char *)u, n);
    char *c = malloc(n + bad * 2 + 1);
    if (!c)
        return NULL;
    size_t o = 0;
    for (size_t i = 0; i < n;) {
        size_t l = utf8_seq(u + i, n - i);
        if (l) {
            memcpy(c + o, u + i, l);
            o += l;
            i += l;
        } else {
            memcpy(c + o, "\xEF\xBF\xBD", 3);
            o += 3;
            i++;
        }
    }
    json_t *j = json_stringn(c, o);
    free(c);
    return j;
}

static json_t *lines(const char *s)
{
    json_t *a = json_array();
    if (!s || !a)
        return a;
    while (*s) {
        const char *nl = strchr(s, '\n');
        size_t len = nl ? (size_t)(nl - s) : strlen(s);
        json_array_append_new(a, text(s, len));
        s += len + (nl ? 1 : 0);
    }
    return a;
}

static json_t *strv_json(const na_strv *v)
{
    json_t *a = json_array();
    for (size_t i = 0; a && v && i < v->n; i++)
        json_array_append_new(a, text(v->v[i], strlen(v->v[i])));
    return a;
}

static void status(json_t *o, bool changed, bool failed, const char *msg)
{
    json_object_set_new(o, "changed", json_boolean(changed));
    json_object_set_new(o, "failed", json_boolean(failed));
    if (msg)
        json_object_set_new(o, "msg", text(msg, strlen(msg)));
}

json_t *na_result_command(const na_strv *commands, const char *const *outputs, bool failed,
                          const char *msg)
{
    json_t *o = json_object(), *out = json_array(), *ol = json_array();
    for (size_t i = 0; commands && i < commands->n; i++) {
        const char *s = outputs && outputs[i] ? outputs[i] : "";
        json_array_append_new(out, text(s, strlen(s)));
        json_array_append_new(ol, lines(s));
    }
    json_object_set_new(o, "commands", strv_json(commands));
    json_object_set_new(o, "stdout", out);
    json_object_set_new(o, "stdout_lines", ol);
    status(o, false, failed, msg);
    return o;
}

json_t *na_result_change(const na_strv *commands, bool changed, bool failed, const char *msg)
{
    json_t *o = json_object();
    json_object_set_new(o, "commands", strv_json(commands));
    status(o, changed, failed, msg);
    return o;
}

json_t *na_result_script(const char *out, const char *errtext, int rc, bool failed,
                         const char *msg)
{
    json_t *o = json_object();
    out = out ? out : "";
    errtext = errtext ? errtext : "";
    json_object_set_new(o, "stdout", text(out, strlen(out)));
    json_object_set_new(o, "stderr", text(errtext, strlen(errtext)));
    json_object_set_new(o, "rc", json_integer(rc));
    json_object_set_new(o, "stdout_lines", lines(out));
    json_object_set_new(o, "stderr_lines", lines(errtext));
    status(o, true, failed, msg);
    return o;
}

json_t *na_result_assert(bool failed, const char *msg)
{
    json_t *o = json_object();
    status(o, false, failed, msg ? msg : "All assertions passed");
    return o;
}

json_t *na_result_skipped(void)
{
    json_t *o = json_object();
    json_object_set_new(o, "skipped", json_true());
    status(o, false, false, NULL);
    return o;
}

json_t *na_result_loop(json_t *results)
{
    json_t *o = json_object();
    bool changed = false, failed = false;
    size_t i;
    json_t *r;
    json_array_foreach (results, i, r) {
        changed |= json_is_true(json_object_get(r, "changed"));
        failed |= json_is_true(json_object_get(r, "failed"));
    }
    json_object_set_new(o, "results", results ? results : json_array());
    status(o, changed, failed, NULL);
    return o;
}

json_t *na_vlans_to_json(const na_vlan_list *l)
{
    json_t *a = json_array();
    for (size_t i = 0; a && l && i < l->n; i++) {
        json_t *v = json_object();
        json_object_set_new(v, "id", json_integer(l->v[i].id));
        json_object_set_new(v, "name", text(l->v[i].name, strlen(l->v[i].name)));
        json_object_set_new(v, "status", text(l->v[i].status, strlen(l->v[i].status)));
        json_object_set_new(v, "ports", strv_json(&l->v[i].ports));
        json_array_append_new(a, v);
    }
    return a;
}

json_t *na_result_copy(bool get, const char *src, const char *dest, bool changed, bool failed,
                       uint64_t size, uint64_t sent, uint64_t resumed_at, const char *checksum,
                       const char *algorithm, const char *protocol, const char *msg)
{
    json_t *r = json_pack("{s:b, s:b, s:s, s:s, s:s, s:I, s:I, s:I, s:s, s:s, s:s}", "changed",
                          changed, "failed", failed, "direction", get ? "get" : "put", "src",
                          src ? src : "", "dest", dest ? dest : "", "size", (json_int_t)size,
                          "sent", (json_int_t)sent, "resumed_at", (json_int_t)resumed_at,
                          "checksum", checksum ? checksum : "", "algorithm",
                          algorithm ? algorithm : "none", "protocol", protocol ? protocol : "");
    if (r && msg)
        json_object_set_new(r, "msg", json_string(msg));
    return r;
}
