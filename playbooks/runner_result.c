/* runner_result.c — the runner's result JSON: task results, host results, the run summary, and
 * text that is always safe to put in them: what a device sent byte for byte (na_rn_text; invalid
 * UTF-8 replaced, as JSON needs), what netauto typed with registered secrets masked (na_rn_typed).
 * Pure: no device, no event loop. Not the registered-result shapes (pb_result.c). */
#include "runner_int.h"
#include "secret.h"

#include <stdlib.h>
#include <string.h>

void na_rn_task_rec_init(rn_task_rec *t)
{
    memset(t, 0, sizeof *t);
    na_buf_init(&t->output, RN_OUTPUT_MAX);
    na_buf_init(&t->out, RN_OUTPUT_MAX);
    na_buf_init(&t->errout, RN_OUTPUT_MAX);
}

void na_rn_task_rec_room(rn_task_rec *t, size_t max_output)
{
    size_t want = max_output + ((size_t)64 << 10); /* room for the pieces' separators */
    if (max_output <= RN_OUTPUT_MAX || want < max_output)
        return;
    na_buf *bufs[] = {&t->output, &t->out, &t->errout};
    for (size_t i = 0; i < 3; i++)
        if (bufs[i]->max < want)
            na_buf_set_limit(bufs[i], want);
}

void na_rn_task_rec_append(rn_task_rec *t, na_buf *b, const char *s, size_t n)
{
    if (b->len && na_buf_append(b, "\n", 1, NULL, NULL) < 0) {
        t->cut = true;
        return;
    }
    if (na_buf_append(b, s, n, NULL, NULL) < 0) {
        size_t room = na_buf_headroom(b);
        if (room > n)
            room = n;
        if (na_buf_append(b, s, room, NULL, NULL) < 0) {
            /* fails only without memory: nothing of s is kept, and it is flagged as cut */
        }
        t->cut = true;
    }
}

void na_rn_task_rec_free(rn_task_rec *t)
{
    free(t->name);
    na_buf_free(&t->output);
    na_strv_free(&t->commands);
    na_strv_free(&t->async);
    na_buf_free(&t->out);
    na_buf_free(&t->errout);
    json_decref(t->items);
    json_decref(t->parsed);
    json_decref(t->reg);
    free(t->running);
    free(t->backup_path);
    na_rn_task_rec_init(t);
}

/* Length of the valid UTF-8 sequence at s (1-4), 0 when invalid. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
    if (s[0] < 0x80)
        return 1;
    size_t len = s[0] >= 0xF0 && s[0] <= 0xF4 ? 4 : s[0] >= 0xE0 ? 3 : s[0] >= 0xC2 ? 2 : 0;
    if (!len || len > n)
        return 0;
    for (size_t i = 1; i < len; i++)
        if ((s[i] & 0xC0) != 0x80)
            return 0;
    if (len == 3 && ((s[0] == 0xE0 && s[1] < 0xA0) || (s[0] == 0xED && s[1] >= 0xA0)))
        return 0;
    if (len == 4 && ((s[0] == 0xF0 && s[1] < 0x90) || (s[0] == 0xF4 && s[1] >= 0x90)))
        return 0;
    return len;
}

/* Text as a JSON string: invalid UTF-8 and NUL replaced by U+FFFD; registered secrets masked
 * when `typed` (netauto's own text), never in a device's. */
static json_t *text_json(const char *s, size_t n, bool typed)
{
    if (!s)
        return json_string("");
    char *red = typed && na_contains_secret(s, n) ? na_redact_dup(s, n) : NULL;
    if (red) {
        s = red;
        n = strlen(red);
    }
    const unsigned char *u = (const unsigned char *)s;
    size_t bad = 0;
    for (size_t i = 0; i < n;) {
        size_t l = utf8_len(u + i, n - i);
        bad += !l || (l == 1 && u[i] == 0);
        i += l ? l : 1;
    }
    json_t *j;
    if (!bad) {
        j = json_stringn(s, n);
    } else {
        char *c = malloc(n + bad * 2 + 1);
        size_t o = 0;
        for (size_t i = 0; c && i < n;) {
            size_t l = utf8_len(u + i, n - i);
            if (l && !(l == 1 && u[i] == 0)) {
                memcpy(c + o, u + i, l);
                o += l;
                i += l;
            } else {
                memcpy(c + o, "\xEF\xBF\xBD", 3);
                o += 3;
                i++;
            }
        }
        j = c ? json_stringn(c, o) : NULL;
        free(c);
    }
    free(red);
    return j;
}

json_t *na_rn_text(const char *s, size_t n) { return text_json(s, n, false); }
json_t *na_rn_typed(const char *s, size_t n) { return text_json(s, n, true); }

static json_t *text_cstr(const char *s) { return na_rn_text(s, s ? strlen(s) : 0); }
static json_t *typed_cstr(const char *s) { return na_rn_typed(s, s ? strlen(s) : 0); }

json_t *na_rn_error_json(const na_err *err)
{
    if (!na_err_isset(err))
        return json_null();
    json_t *o = json_object();
    json_object_set_new(o, "code", json_string(na_code_name(err->code)));
    json_object_set_new(o, "message", text_cstr(err->msg));
    return o;
}

json_t *na_run_text(const char *s, size_t n) { return na_rn_text(s, n); }
json_t *na_run_error_json(const na_err *err) { return na_rn_error_json(err); }

static json_t *strv_json(const na_strv *v, bool typed)
{
    json_t *a = json_array();
    for (size_t i = 0; a && i < v->n; i++)
        json_array_append_new(a, typed ? typed_cstr(v->v[i]) : text_cstr(v->v[i]));
    return a;
}

json_t *na_rn_task_json(const rn_task_rec *t, const char *play_name, bool check)
{
    json_t *o = json_object();
    if (!o)
        return NULL;
    json_object_set_new(o, "name", typed_cstr(t->name ? t->name : "?"));
    json_object_set_new(o, "play", typed_cstr(play_name));
    json_object_set_new(o, "action",
                        json_string(t->action ? t->action
                                    : t->task ? na_task_kind_name(na_task_kind_of(t->task))
                                              : "?"));
    json_object_set_new(o, "ok", json_boolean(t->ok));
    if (t->backup_path)
        json_object_set_new(o, "backup_path", na_rn_typed(t->backup_path, strlen(t->backup_path)));
    json_object_set_new(o, "changed", json_boolean(t->changed));
    json_object_set_new(o, "skipped", json_boolean(t->skipped));
    json_object_set_new(o, "ignored", json_boolean(t->ignored));
    /* a device's output exactly; --check's rendering is netauto's own text (vault values in it
     * are masked, as in the commands) */
    json_object_set_new(o, "output", t->rendered ? na_rn_typed(t->output.data, t->output.len)
                                                 : na_rn_text(t->output.data, t->output.len));
    if (t->cut)
        json_object_set_new(o, "output_truncated", json_true());
    json_object_set_new(o, "elapsed_ms", json_integer(t->elapsed_ms));
    json_object_set_new(o, "commands", strv_json(&t->commands, true));
    if (t->async.n) /* the device's syslog lines, kept out of the output */
        json_object_set_new(o, "async_messages", strv_json(&t->async, false));
    if (t->parsed) /* records parsed from the device's output: its words, exactly */
        json_object_set(o, "parsed", t->parsed);
    json_object_set_new(o, "error", na_rn_error_json(&t->err));
    const char *reg = t->task ? na_task_register(t->task) : NULL;
    json_object_set_new(o, "register", reg ? json_string(reg) : json_null());
    if (t->task && na_task_is_handler(t->task))
        json_object_set_new(o, "handler", json_true());
    if (check)
        json_object_set_new(o, "partial", json_boolean(t->partial));
    if (t->script) {
        json_object_set_new(o, "rc", json_integer(t->rc));
        json_object_set_new(o, "stdout", na_rn_text(t->out.data, t->out.len));
        json_object_set_new(o, "stderr", na_rn_text(t->errout.data, t->errout.len));
    }
    return o;
}

json_t *na_rn_host_json(const rn_host_sum *h)
{
    json_t *o = json_object();
    if (!o)
        return NULL;
    json_object_set_new(o, "status", json_string(h->status));
    json_object_set_new(o, "ok", json_boolean(h->ok));
    json_object_set_new(o, "changed", json_boolean(h->changed));
    json_object_set_new(o, "error", na_rn_error_json(h->err));
    json_object_set_new(o, "elapsed_ms", json_integer(h->elapsed_ms));
    json_object_set_new(o, "transport", json_string(h->transport ? h->transport : "?"));
    json_object_set_new(o, "platform", text_cstr(h->platform ? h->platform : "?"));
    json_object_set_new(o, "tasks", h->tasks ? json_incref(h->tasks) : json_array());
    if (h->diff)
        json_object_set_new(o, "diff", text_cstr(h->diff));
    return o;
}

json_t *na_rn_summary_json(const na_run_progress *p, size_t tasks, bool check)
{
    json_t *o = json_object();
    if (!o)
        return NULL;
    json_object_set_new(o, "hosts", json_integer((json_int_t)p->total));
    json_object_set_new(o, "ok", json_integer((json_int_t)p->ok));
    json_object_set_new(o, "failed", json_integer((json_int_t)p->failed));
    json_object_set_new(o, "cancelled", json_integer((json_int_t)p->cancelled));
    json_object_set_new(o, "skipped", json_integer((json_int_t)p->skipped));
    json_object_set_new(o, "changed", json_integer((json_int_t)p->changed));
    json_object_set_new(o, "tasks", json_integer((json_int_t)tasks));
    json_object_set_new(o, "elapsed_ms", json_integer(p->elapsed_ms));
    json_object_set_new(o, "check", json_boolean(check));
    return o;
}
