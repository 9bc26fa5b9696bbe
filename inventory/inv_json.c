/* inv_json.c — resolved hosts as JSON for `netauto inventory --json`, the daemon's
 * /v1/inventory and results. Secrets appear only as "********"; every string taken from vars is
 * passed through the redaction registry as well. Not a parser: JSON goes out only. */
#include "inv_int.h"
#include "secret.h"

#include <stdlib.h>
#include <string.h>

static json_t *str_or_null(const char *s) { return s ? json_string(s) : json_null(); }
static json_t *masked(const char *s) { return s ? json_string(NA_REDACTED) : json_null(); }

/* A deep copy of v with every string redacted. New reference. */
static json_t *redacted_copy(json_t *v, int depth)
{
    if (depth > 128)
        return json_null();
    if (json_is_string(v)) {
        const char *s = json_string_value(v);
        size_t n = json_string_length(v);
        if (!na_contains_secret(s, n))
            return json_incref(v);
        char *r = na_redact_dup(s, n);
        json_t *out = r ? json_string(r) : json_string(NA_REDACTED);
        free(r);
        return out;
    }
    if (json_is_array(v)) {
        json_t *a = json_array();
        size_t i;
        json_t *it;
        json_array_foreach(v, i, it) json_array_append_new(a, redacted_copy(it, depth + 1));
        return a;
    }
    if (json_is_object(v)) {
        json_t *o = json_object();
        const char *k;
        json_t *it;
        json_object_foreach(v, k, it) json_object_set_new(o, k, redacted_copy(it, depth + 1));
        return o;
    }
    return json_incref(v);
}

json_t *na_inv_host_json(const na_inv_host *h)
{
    const na_conn_params *c = &h->ssh;
    json_t *o = json_object();
    if (!o)
        return NULL;
    json_object_set_new(o, "name", json_string(h->name));
    json_object_set_new(o, "address", json_string(h->address));
    json_object_set_new(o, "transport",
                        json_string(h->transport == NA_TRANSPORT_TELNET ? "telnet" : "ssh"));
    json_object_set_new(o, "ssh_port", json_integer(h->ssh_port));
    json_object_set_new(o, "telnet_port", json_integer(h->telnet_port));
    json_object_set_new(o, "port", json_integer(h->transport == NA_TRANSPORT_TELNET
                                                    ? h->telnet_port : h->ssh_port));
    json_object_set_new(o, "platform", json_string(h->platform));
    json_object_set_new(o, "username", str_or_null(h->username));
    json_object_set_new(o, "password", masked(h->password));
    json_object_set_new(o, "secret", masked(h->secret));
    json_object_set_new(o, "key_file", str_or_null(c->key_file));
    json_object_set_new(o, "key_passphrase", masked(c->key_passphrase));
    /* null: not set, OpenSSH's rule decides when connecting (the agent when $SSH_AUTH_SOCK) */
    json_object_set_new(o, "use_agent", c->use_agent == NA_AGENT_DEFAULT
                                            ? json_null()
                                            : json_boolean(c->use_agent == NA_AGENT_YES));
    json_object_set_new(o, "ssh_config", str_or_null(c->ssh_config));
    json_object_set_new(o, "host_key_policy", json_string(na_hostkey_policy_name(c->host_key_policy)));
    json_object_set_new(o, "known_hosts", str_or_null(c->known_hosts));
    json_t *jump = json_null();
    if (c->jump) {
        jump = json_object();
        json_object_set_new(jump, "name", json_string(h->jump));
        json_object_set_new(jump, "address", json_string(c->jump->host));
        json_object_set_new(jump, "port", json_integer(c->jump->port ? c->jump->port : 22));
        json_object_set_new(jump, "username", str_or_null(c->jump->username));
        json_object_set_new(jump, "inventory_host", json_boolean(h->jump_host != NULL));
    }
    json_object_set_new(o, "jump_host", jump);
    json_t *alg = json_object();
    json_object_set_new(alg, "kex", str_or_null(c->algos.kex));
    json_object_set_new(alg, "host_keys", str_or_null(c->algos.host_keys));
    json_object_set_new(alg, "ciphers", str_or_null(c->algos.ciphers));
    json_object_set_new(alg, "macs", str_or_null(c->algos.macs));
    json_object_set_new(o, "ssh_algorithms", alg);
    json_t *to = json_object();
    json_object_set_new(to, "connect", json_integer(na_timeout_ms(&c->timeouts, NA_PHASE_CONNECT)));
    json_object_set_new(to, "negotiate",
                        json_integer(na_timeout_ms(&c->timeouts, NA_PHASE_NEGOTIATE)));
    json_object_set_new(to, "auth", json_integer(na_timeout_ms(&c->timeouts, NA_PHASE_AUTH)));
    json_object_set_new(to, "shell", json_integer(na_timeout_ms(&c->timeouts, NA_PHASE_SHELL)));
    json_object_set_new(to, "command", json_integer(na_command_timeout_ms(&c->timeouts)));
    json_object_set_new(o, "timeouts_ms", to);
    json_t *g = json_array();
    for (size_t i = 0; i < h->n_groups; i++)
        json_array_append_new(g, json_string(h->groups[i]));
    json_object_set_new(o, "groups", g);
    json_object_set_new(o, "vars", redacted_copy(h->vars, 0));
    return o;
}

json_t *na_inv_json(const na_inventory *inv, const na_inv_selection *sel)
{
    json_t *o = json_object(), *a = json_array();
    if (!o || !a) {
        json_decref(o);
        json_decref(a);
        return NULL;
    }
    json_object_set_new(o, "inventory", json_string(inv->path));
    json_object_set_new(o, "format",
                        json_string(inv->format == NA_INV_ANSIBLE ? "ansible" : "native"));
    size_t n = sel ? sel->n : inv->n_hosts;
    for (size_t i = 0; i < n; i++)
        json_array_append_new(a, na_inv_host_json(sel ? sel->hosts[i] : &inv->hosts[i].pub));
    json_object_set_new(o, "hosts", a);
    json_t *w = json_array();
    for (size_t i = 0; w && i < na_inv_warning_count(inv); i++)
        json_array_append_new(w, json_string(na_inv_warning(inv, i)));
    json_object_set_new(o, "warnings", w ? w : json_array());
    return o;
}
