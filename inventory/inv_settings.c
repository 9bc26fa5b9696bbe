/* inv_settings.c — parse and validate host settings (the keys of docs/inventory.md that may
 * appear in defaults, a group or a host) into a layer, with "FILE:LINE:COL: host 'sw1': ..."
 * errors. Also the validated setters the Ansible mapping reuses. Not precedence: inv_resolve.c. */
#include "inv_int.h"
#include "yjson.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const na_inv_setting_keys[] = {
    "host", "port", "ssh_port", "telnet_port", "platform", "transport", "username", "password",
    "secret", "key_file", "key_passphrase", "use_agent", "host_key_policy", "known_hosts",
    "jump_host", "ssh_algorithms", "timeouts", "vars", "ssh_config", NULL};

#define ERR(node, ...) na_inv_err_at(inv, err, na_yline(node), na_ycol(node), __VA_ARGS__)

void na_inv_set_raw(inv_layer *l, int slot, const char *key, na_ynode *node, const char *s, long n)
{
    inv_val *v = &l->v[slot];
    v->set = true;
    v->line = na_yline(node);
    v->col = na_ycol(node);
    v->key = key;
    v->s = s;
    v->n = n;
    v->resolved = NULL;
}

/* The scalar text of node, or an error naming ctx and key. */
static const char *scalar(na_inventory *inv, na_ynode *node, const char *ctx, const char *key,
                          na_err *err)
{
    if (na_yis_null(node)) {
        ERR(node, "%s: %s needs a value (leave the key out to keep it unset)", ctx, key);
        return NULL;
    }
    if (!na_yis_scalar(node)) {
        ERR(node, "%s: %s must be a single value, not a %s", ctx, key,
            na_yis_map(node) ? "mapping" : "list");
        return NULL;
    }
    return na_yscalar(node);
}

static bool has_space(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s <= ' ')
            return true;
    return false;
}

int na_inv_set_string(na_inventory *inv, na_ydoc *d, inv_layer *l, const char *ctx, int slot,
                   const char *key, na_ynode *node, na_err *err)
{
    (void)d;
    const char *s = scalar(inv, node, ctx, key, err);
    if (!s)
        return -1;
    if (!*s)
        return ERR(node, "%s: %s is empty", ctx, key);
    if ((slot == S_HOST || slot == S_JUMP_HOST || slot == S_USERNAME) && has_space(s))
        return ERR(node, "%s: %s must not contain spaces, got '%s'", ctx, key, s);
    if (slot == S_PLATFORM && strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                        "0123456789_-") != strlen(s))
        return ERR(node, "%s: %s must be a platform name (letters, digits, '_', '-'), got '%s'",
                   ctx, key, s);
    const char *c = na_inv_strdup(inv, s, err);
    if (!c)
        return -1;
    na_inv_set_raw(l, slot, key, node, c, 0);
    return 0;
}

int na_inv_set_port(na_inventory *inv, na_ydoc *d, inv_layer *l, const char *ctx, int slot,
                 const char *key, na_ynode *node, na_err *err)
{
    (void)d;
    const char *s = scalar(inv, node, ctx, key, err);
    if (!s)
        return -1;
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (!*s || *end || errno || v < 1 || v > 65535)
        return ERR(node, "%s: %s must be a port number from 1 to 65535, got '%s'", ctx, key, s);
    na_inv_set_raw(l, slot, key, node, NULL, v);
    return 0;
}

int na_inv_set_path(na_inventory *inv, na_ydoc *d, inv_layer *l, const char *ctx, int slot,
                 const char *key, na_ynode *node, na_err *err)
{
    (void)d;
    const char *s = scalar(inv, node, ctx, key, err);
    if (!s)
        return -1;
    if (!*s)
        return ERR(node, "%s: %s is empty", ctx, key);
    const char *p = na_inv_resolve_path(inv, s, err);
    if (!p)
        return -1;
    na_inv_set_raw(l, slot, key, node, p, 0);
    return 0;
}

static bool env_name(const char *s, size_t n)
{
    if (n == 0 || (s[0] >= '0' && s[0] <= '9'))
        return false;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
              (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
            return false;
    return true;
}

static bool vault_name(const char *s, size_t n)
{
    if (n == 0)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
              (s[i] >= '0' && s[i] <= '9') || s[i] == '_' || s[i] == '-' || s[i] == '.'))
            return false;
    return true;
}

int na_inv_set_secret_text(na_inventory *inv, inv_layer *l, const char *ctx, int slot,
                        const char *key, const char *s, unsigned line, unsigned col,
                        const char *origin, na_err *err)
{
    inv_val at = {.line = line, .col = col, .origin = origin};
#define SERR(...) na_inv_val_err(inv, err, &at, __VA_ARGS__)
    size_t n = strlen(s);
    if (strncmp(s, "${", 2) == 0) {
        if (s[n - 1] != '}')
            return SERR("%s: %s: unterminated reference '%s' (write ${ENV_VAR} or "
                        "${vault:NAME})", ctx, key, s);
        const char *in = s + 2;
        size_t il = n - 3;
        bool is_vault = il > 6 && strncmp(in, "vault:", 6) == 0;
        if (is_vault ? !vault_name(in + 6, il - 6) : !env_name(in, il))
            return SERR("%s: %s: bad reference '%s' (write ${ENV_VAR} or ${vault:NAME})", ctx,
                        key, s);
        char name[256];
        size_t nl = is_vault ? il - 6 : il;
        if (nl >= sizeof name)
            return SERR("%s: %s: reference name too long", ctx, key);
        memcpy(name, is_vault ? in + 6 : in, nl);
        name[nl] = '\0';
        const char *c = na_inv_strdup(inv, name, err);
        if (!c)
            return -1;
        l->v[slot] = (inv_val){.set = true, .line = line, .col = col, .key = key, .s = c,
                               .n = is_vault ? SEC_VAULT : SEC_ENV, .origin = origin};
        return 0;
    }
    if (strstr(s, "{{"))
        return SERR("%s: %s is a template ('{{ ... }}'), which netauto does not evaluate in "
                    "inventories; write ${ENV_VAR} or ${vault:NAME}", ctx, key);
#undef SERR
    const char *c = na_inv_secret(inv, s, err);
    if (!c)
        return -1;
    l->v[slot] = (inv_val){.set = true, .line = line, .col = col, .key = key, .s = c,
                           .n = SEC_PLAIN, .resolved = c, .origin = origin};
    return 0;
}

int na_inv_set_secret(na_inventory *inv, na_ydoc *d, inv_layer *l, const char *ctx, int slot,
                   const char *key, na_ynode *node, na_err *err)
{
    (void)d;
    if (node && node->tag && strstr((const char *)node->tag, "vault"))
        return ERR(node, "%s: %s is an Ansible Vault value, which a native inventory does not "
                         "read; put the secret in a netauto vault and write ${vault:NAME} (or "
                         "use an Ansible inventory)", ctx, key);
    const char *s = scalar(inv, node, ctx, key, err);
    if (!s)
        return -1;
    return na_inv_set_secret_text(inv, l, ctx, slot, key, s, na_yline(node), na_ycol(node), NULL,
                               err);
}

static int set_enum(na_inventory *inv, inv_layer *l, const char *ctx, int slot, const char *key,
                    na_ynode *node, const char *const *names, const long *vals,
                    const char *expect, na_err *err)
{
    const char *s = scalar(inv, node, ctx, key, err);
    if (!s)
        return -1;
    for (size_t i = 0; names[i]; i++) {
        if (!strcmp(s, names[i])) {
            na_inv_set_raw(l, slot, key, node, NULL, vals[i]);
            return 0;
        }
    }
    return ERR(node, "%s: %s must be %s, got '%s'", ctx, key, expect, s);
}

static int set_algos(na_inventory *inv, na_ydoc *d, inv_layer *l, const char *ctx,
                     na_ynode *node, na_err *err)
{
    static const char *const keys[] = {"kex", "host_keys", "ciphers", "macs", NULL};
    static const char *const full[] = {"ssh_algorithms.kex", "ssh_algorithms.host_keys",
                                       "ssh_algorithms.ciphers", "ssh_algorithms.macs"};
    char what[200];
    snprintf(what, sizeof what, "ssh_algorithms of %s", ctx);
    if (na_ycheck_keys(d, node, keys, what, err) < 0)
        return -1;
    for (size_t i = 0; keys[i]; i++) {
        na_ynode *v = na_ymap_get(d, node, keys[i]);
        if (!v)
            continue;
        char buf[2048];
        size_t o = 0;
        size_t count = na_yis_seq(v) ? na_yseq_len(v) : 1;
        if (na_yis_null(v) || na_yis_map(v) || count == 0)
            return ERR(v, "%s: %s must be a list of algorithm names or a comma-separated string",
                       ctx, full[i]);
        for (size_t j = 0; j < count; j++) {
            na_ynode *it = na_yis_seq(v) ? na_yseq_item(d, v, j) : v;
            const char *s = na_yscalar(it);
            if (!s || na_yis_null(it))
                return ERR(it, "%s: %s must be a list of algorithm names", ctx, full[i]);
            /* a comma string, or one list item (which may itself hold commas) */
            for (const char *p = s; *p;) {
                size_t tl = strcspn(p, ",");
                const char *t = p;
                while (tl && (*t == ' ')) {
                    t++;
                    tl--;
                }
                while (tl && t[tl - 1] == ' ')
                    tl--;
                if (tl == 0 || strspn(t, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                         "0123456789@._+-") < tl)
                    return ERR(it, "%s: %s: bad algorithm name in '%s'", ctx, full[i], s);
                if (o + tl + 2 >= sizeof buf)
                    return ERR(it, "%s: %s: list too long", ctx, full[i]);
                if (o)
                    buf[o++] = ',';
                memcpy(buf + o, t, tl);
                o += tl;
                p += strcspn(p, ",");
                if (*p == ',')
                    p++;
            }
        }
        buf[o] = '\0';
        const char *c = na_inv_strdup(inv, buf, err);
        if (!c)
            return -1;
        na_inv_set_raw(l, S_ALG_KEX + (int)i, full[i], v, c, 0);
    }
    return 0;
}

static int set_timeouts(na_inventory *inv, na_ydoc *d, inv_layer *l, const char *ctx,
                        na_ynode *node, na_err *err)
{
    static const char *const keys[] = {"connect", "negotiate", "auth", "shell", "command", NULL};
    static const char *const full[] = {"timeouts.connect", "timeouts.negotiate", "timeouts.auth",
                                       "timeouts.shell", "timeouts.command"};
    char what[200];
    snprintf(what, sizeof what, "timeouts of %s", ctx);
    if (na_ycheck_keys(d, node, keys, what, err) < 0)
        return -1;
    for (size_t i = 0; keys[i]; i++) {
        na_ynode *v = na_ymap_get(d, node, keys[i]);
        if (!v)
            continue;
        const char *s = scalar(inv, v, ctx, full[i], err);
        if (!s)
            return -1;
        char *end;
        errno = 0;
        double sec = strtod(s, &end);
        if (!*s || *end || errno || !(sec > 0) || sec > 86400 || strpbrk(s, "xXnN"))
            return ERR(v, "%s: %s must be a number of seconds greater than 0 and at most 86400, "
                          "got '%s'", ctx, full[i], s);
        long ms = lround(sec * 1000.0);
        na_inv_set_raw(l, S_TO_CONNECT + (int)i, full[i], v, NULL, ms < 1 ? 1 : ms);
    }
    return 0;
}

int na_inv_merge_vars(na_inventory *inv, na_ydoc *d, inv_layer *l, const char *ctx, na_ynode *node,
                   na_err *err)
{
    if (na_yis_null(node))
        return 0;
    if (!na_yis_map(node))
        return ERR(node, "%s: vars must be a mapping", ctx);
    json_t *o = na_ynode_to_json(d, node, err);
    if (!o)
        return -1;
    if (!l->vars) {
        l->vars = o;
        return 0;
    }
    int rc = json_object_update(l->vars, o);
    json_decref(o);
    return rc < 0 ? na_err_set(err, NA_E_NOMEM, "out of memory") : 0;
}

int na_inv_setting(na_inventory *inv, na_ydoc *d, inv_layer *l, const char *ctx, const char *key,
                na_ynode *keynode, na_ynode *node, na_err *err)
{
    (void)keynode;
    static const char *const transports[] = {"ssh", "telnet", NULL};
    static const long transport_vals[] = {NA_TRANSPORT_SSH, NA_TRANSPORT_TELNET};
    static const char *const policies[] = {"strict", "accept-new", "off", NULL};
    static const long policy_vals[] = {NA_HOSTKEY_STRICT, NA_HOSTKEY_ACCEPT_NEW, NA_HOSTKEY_OFF};
    static const char *const bools[] = {"true", "yes", "on", "True", "Yes", "On", "TRUE",
                                        "false", "no", "off", "False", "No", "Off", "FALSE", NULL};
    static const long bool_vals[] = {1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0};
    static const struct { const char *key; int slot; int kind; } tab[] = {
        {"host", S_HOST, 's'},          {"port", S_PORT, 'p'},
        {"ssh_port", S_SSH_PORT, 'p'},  {"telnet_port", S_TELNET_PORT, 'p'},
        {"platform", S_PLATFORM, 's'},  {"username", S_USERNAME, 's'},
        {"password", S_PASSWORD, 'x'},  {"secret", S_SECRET, 'x'},
        {"key_file", S_KEY_FILE, 'f'},  {"key_passphrase", S_KEY_PASSPHRASE, 'x'},
        {"known_hosts", S_KNOWN_HOSTS, 'f'}, {"jump_host", S_JUMP_HOST, 's'},
    };
    for (size_t i = 0; i < sizeof tab / sizeof *tab; i++) {
        if (strcmp(key, tab[i].key))
            continue;
        switch (tab[i].kind) {
        case 's':
            return na_inv_set_string(inv, d, l, ctx, tab[i].slot, tab[i].key, node, err) < 0 ? -1
                                                                                             : 1;
        case 'p':
            return na_inv_set_port(inv, d, l, ctx, tab[i].slot, tab[i].key, node, err) < 0 ? -1 : 1;
        case 'x':
            return na_inv_set_secret(inv, d, l, ctx, tab[i].slot, tab[i].key, node, err) < 0 ? -1
                                                                                             : 1;
        default:
            return na_inv_set_path(inv, d, l, ctx, tab[i].slot, tab[i].key, node, err) < 0 ? -1 : 1;
        }
    }
    if (!strcmp(key, "transport"))
        return set_enum(inv, l, ctx, S_TRANSPORT, "transport", node, transports, transport_vals,
                        "ssh or telnet", err) < 0 ? -1 : 1;
    if (!strcmp(key, "host_key_policy"))
        return set_enum(inv, l, ctx, S_HOST_KEY_POLICY, "host_key_policy", node, policies,
                        policy_vals, "strict, accept-new or off", err) < 0 ? -1 : 1;
    if (!strcmp(key, "use_agent"))
        return set_enum(inv, l, ctx, S_USE_AGENT, "use_agent", node, bools, bool_vals,
                        "true or false", err) < 0 ? -1 : 1;
    if (!strcmp(key, "ssh_algorithms")) {
        if (!na_yis_map(node))
            return ERR(node, "%s: ssh_algorithms must be a mapping {kex, host_keys, ciphers, "
                             "macs}", ctx);
        return set_algos(inv, d, l, ctx, node, err) < 0 ? -1 : 1;
    }
    if (!strcmp(key, "timeouts")) {
        if (!na_yis_map(node))
            return ERR(node, "%s: timeouts must be a mapping {connect, negotiate, auth, shell, "
                             "command} in seconds", ctx);
        return set_timeouts(inv, d, l, ctx, node, err) < 0 ? -1 : 1;
    }
    if (!strcmp(key, "vars"))
        return na_inv_merge_vars(inv, d, l, ctx, node, err) < 0 ? -1 : 1;
    if (!strcmp(key, "ssh_config")) { /* an OpenSSH client config file, or none */
        const char *s = scalar(inv, node, ctx, key, err);
        if (!s)
            return -1;
        if (!strcmp(s, "none")) {
            na_inv_set_raw(l, S_SSH_CONFIG, "ssh_config", node, "none", 0);
            return 1;
        }
        return na_inv_set_path(inv, d, l, ctx, S_SSH_CONFIG, "ssh_config", node, err) < 0 ? -1 : 1;
    }
    return 0;
}
