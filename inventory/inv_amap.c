/* inv_amap.c — an Ansible host's connection variables, once its variables are computed, mapped
 * onto netauto's settings. Aliases are taken as Ansible's connection plugins take them (of
 * ansible_host/ansible_ssh_host the last one defined in the plugin's list wins, null counts as
 * undefined). A value that is exactly "{{ name }}" is replaced by that variable (how vaulted
 * passwords are usually written: ansible_password: "{{ vault_password }}"); any other template
 * is an error. ansible_network_os names (short and collection forms) map through one table;
 * ProxyJump / ProxyCommand "ssh -W %h:%p" in ansible_ssh_common_args/extra_args become a jump
 * host. A connection variable netauto does not honour is a warning naming it. Not the
 * variables themselves (inv_avars.c) and not native settings (inv_settings.c). */
#include "inv_ans_int.h"

#include <ctype.h>
#include <errno.h>
#include <libgen.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- the ansible_network_os table ------------------------------------------------------------ */

static const struct {
    const char *fqcn, *short_name, *platform;
} NETWORK_OS[] = {
    {"cisco.ios.ios", "ios", "cisco_ios"},
    {"cisco.nxos.nxos", "nxos", "cisco_nxos"},
    {"arista.eos.eos", "eos", "arista_eos"},
    {"cisco.iosxr.iosxr", "iosxr", "cisco_iosxr"},
    {"junipernetworks.junos.junos", "junos", "juniper_junos"},
};

const char *na_inv_ansible_platform(const char *network_os)
{
    for (size_t i = 0; network_os && i < sizeof NETWORK_OS / sizeof *NETWORK_OS; i++)
        if (!strcmp(network_os, NETWORK_OS[i].fqcn) ||
            !strcmp(network_os, NETWORK_OS[i].short_name))
            return NETWORK_OS[i].platform;
    return NULL;
}

/* ---- picking values ------------------------------------------------------------------------- */

typedef struct ctx {
    na_inventory *inv;
    inv_hostdef *h;
    const inv_avars *v;
    char hctx[300]; /* "host 'sw1'" */
    na_err *err;
} ctx;

/* The value of the last name in the list that is defined and not null. */
static json_t *pick(ctx *c, const char *const *names, const char **which)
{
    json_t *found = NULL;
    for (size_t i = 0; names[i]; i++) {
        json_t *j = json_object_get(c->v->vars, names[i]);
        if (j && !json_is_null(j)) {
            found = j;
            *which = names[i];
        }
    }
    return found;
}

static const char *origin_of(ctx *c, const char *name)
{
    const char *o = na_inv_avars_origin(c->v, name);
    if (!*o)
        o = c->h->origin ? c->h->origin : "";
    return o;
}

static int verr(ctx *c, const char *name, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int verr(ctx *c, const char *name, const char *fmt, ...)
{
    char msg[NA_ERR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return na_inv_err_origin(c->inv, c->err, origin_of(c, name), "%s: %s", c->hctx, msg);
}

/* "{{ name }}" -> name (false when the text is not exactly one variable reference) */
static bool simple_ref(const char *s, char *name, size_t cap)
{
    while (isspace((unsigned char)*s))
        s++;
    if (strncmp(s, "{{", 2))
        return false;
    s += 2;
    while (isspace((unsigned char)*s))
        s++;
    size_t n = 0;
    if (!(isalpha((unsigned char)*s) || *s == '_'))
        return false;
    while (isalnum((unsigned char)s[n]) || s[n] == '_')
        n++;
    if (n >= cap)
        return false;
    memcpy(name, s, n);
    name[n] = '\0';
    s += n;
    while (isspace((unsigned char)*s))
        s++;
    if (strncmp(s, "}}", 2))
        return false;
    s += 2;
    while (isspace((unsigned char)*s))
        s++;
    return *s == '\0';
}

/* The value of variable `name` with "{{ other }}" references followed (a few levels). */
static json_t *deref(ctx *c, const char *name, json_t *j)
{
    char ref[256];
    for (int depth = 0; json_is_string(j) && strstr(json_string_value(j), "{{"); depth++) {
        if (!simple_ref(json_string_value(j), ref, sizeof ref)) {
            verr(c, name, "%s is a template ('%.60s'), which netauto does not evaluate in "
                 "inventories (only \"{{ variable }}\" is followed)", name,
                 json_string_value(j));
            return NULL;
        }
        if (depth > 8) {
            verr(c, name, "%s: '{{ %s }}' refers to variables more than 8 levels deep", name,
                 ref);
            return NULL;
        }
        json_t *next = json_object_get(c->v->vars, ref);
        if (!next || json_is_null(next)) {
            verr(c, name, "%s is '{{ %s }}', but %s is not defined for this host", name, ref,
                 ref);
            return NULL;
        }
        j = next;
    }
    return j;
}

/* A scalar as text (numbers too: ansible_host: 10 is odd but legal). */
static bool text_of(json_t *j, char *buf, size_t cap)
{
    if (json_is_string(j))
        snprintf(buf, cap, "%s", json_string_value(j));
    else if (json_is_integer(j))
        snprintf(buf, cap, "%lld", (long long)json_integer_value(j));
    else if (json_is_real(j))
        snprintf(buf, cap, "%.17g", json_real_value(j));
    else
        return false;
    return true;
}

static inv_val *slot(ctx *c, int s, const char *name)
{
    inv_val *v = &c->h->layer.v[s];
    memset(v, 0, sizeof *v);
    v->set = true;
    v->key = name;
    v->origin = na_inv_strdup(c->inv, origin_of(c, name), c->err);
    return v->origin ? v : NULL;
}

static const char *arena(ctx *c, const char *s) { return na_inv_strdup(c->inv, s, c->err); }

/* Ansible's boolean(): true/yes/on/1/t/y and false/no/off/0/f/n (any case), JSON booleans. */
static int boolean(json_t *j, bool *out)
{
    if (json_is_boolean(j)) {
        *out = json_is_true(j);
        return 0;
    }
    if (json_is_integer(j) && (json_integer_value(j) == 0 || json_integer_value(j) == 1)) {
        *out = json_integer_value(j) == 1;
        return 0;
    }
    if (!json_is_string(j))
        return -1;
    static const char *const t[] = {"true", "yes", "on", "1", "t", "y"};
    static const char *const f[] = {"false", "no", "off", "0", "f", "n"};
    for (size_t i = 0; i < 6; i++) {
        if (!strcasecmp(json_string_value(j), t[i])) {
            *out = true;
            return 0;
        }
        if (!strcasecmp(json_string_value(j), f[i])) {
            *out = false;
            return 0;
        }
    }
    return -1;
}

/* ---- the settings ---------------------------------------------------------------------------- */

static int set_text(ctx *c, int s, const char *const *names, bool no_space)
{
    const char *name = NULL;
    json_t *j = pick(c, names, &name);
    if (!j)
        return 0;
    if (!(j = deref(c, name, j)))
        return -1;
    char buf[2048];
    if (!text_of(j, buf, sizeof buf))
        return verr(c, name, "%s must be a single value", name);
    if (!*buf)
        return verr(c, name, "%s is empty", name);
    if (no_space)
        for (const char *p = buf; *p; p++)
            if ((unsigned char)*p <= ' ')
                return verr(c, name, "%s must not contain spaces, got '%s'", name, buf);
    inv_val *v = slot(c, s, name);
    if (!v || !(v->s = arena(c, buf)))
        return -1;
    return 0;
}

static int set_port(ctx *c)
{
    static const char *const names[] = {"ansible_port", "ansible_ssh_port", NULL};
    const char *name = NULL;
    json_t *j = pick(c, names, &name);
    if (!j)
        return 0;
    if (!(j = deref(c, name, j)))
        return -1;
    long long p = -1;
    char buf[64];
    if (json_is_integer(j))
        p = json_integer_value(j);
    else if (json_is_string(j)) {
        char *end;
        errno = 0;
        p = strtoll(json_string_value(j), &end, 10);
        if (!*json_string_value(j) || *end || errno)
            p = -1;
    }
    if (p < 1 || p > 65535) {
        if (!text_of(j, buf, sizeof buf))
            snprintf(buf, sizeof buf, "%s", "?");
        return verr(c, name, "%s must be a port number from 1 to 65535, got '%s'", name, buf);
    }
    inv_val *v = slot(c, S_PORT, name);
    if (!v)
        return -1;
    v->n = (long)p;
    return 0;
}

static int set_secret(ctx *c, int s, const char *const *names)
{
    const char *name = NULL;
    json_t *j = pick(c, names, &name);
    if (!j)
        return 0;
    if (!(j = deref(c, name, j)))
        return -1;
    char buf[4096];
    if (!text_of(j, buf, sizeof buf))
        return verr(c, name, "%s must be a single value", name);
    const char *o = arena(c, origin_of(c, name));
    return o ? na_inv_set_secret_text(c->inv, &c->h->layer, c->hctx, s, name, buf, 0, 0, o,
                                   c->err) : -1;
}

static int set_timeout(ctx *c, int s, const char *const *names)
{
    const char *name = NULL;
    json_t *j = pick(c, names, &name);
    if (!j)
        return 0;
    if (!(j = deref(c, name, j)))
        return -1;
    double sec = -1;
    if (json_is_number(j))
        sec = json_number_value(j);
    else if (json_is_string(j)) {
        char *end;
        sec = strtod(json_string_value(j), &end);
        if (*end || end == json_string_value(j))
            sec = -1;
    }
    if (!(sec > 0) || sec > 86400)
        return verr(c, name, "%s must be a number of seconds greater than 0 and at most 86400",
                    name);
    inv_val *v = slot(c, s, name);
    if (!v)
        return -1;
    long ms = lround(sec * 1000.0);
    v->n = ms < 1 ? 1 : ms;
    return 0;
}

static int set_network_os(ctx *c)
{
    static const char *const names[] = {"ansible_network_os", NULL};
    const char *name = NULL;
    json_t *j = pick(c, names, &name);
    if (!j)
        return 0;
    if (!(j = deref(c, name, j)))
        return -1;
    const char *s = json_string_value(j);
    if (!s || !*s)
        return verr(c, name, "%s must be a network OS name such as cisco.ios.ios", name);
    const char *plat = na_inv_ansible_platform(s);
    if (!plat) {
        if (strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789_") != strlen(s))
            return verr(c, name, "%s '%s' is not supported (netauto knows cisco.ios.ios, "
                        "cisco.nxos.nxos, arista.eos.eos, cisco.iosxr.iosxr and "
                        "junipernetworks.junos.junos, or a netauto platform name such as "
                        "generic)", name, s);
        plat = s; /* a plain word names a netauto platform ("generic", "linux") */
    }
    inv_val *v = slot(c, S_PLATFORM, name);
    if (!v || !(v->s = arena(c, plat)))
        return -1;
    return 0;
}

static int set_connection(ctx *c)
{
    static const char *const names[] = {"ansible_connection", NULL};
    static const struct { const char *name; long t; } map[] = {
        {"network_cli", NA_TRANSPORT_SSH},          {"ansible.netcommon.network_cli", NA_TRANSPORT_SSH},
        {"ssh", NA_TRANSPORT_SSH},                  {"ansible.builtin.ssh", NA_TRANSPORT_SSH},
        {"paramiko", NA_TRANSPORT_SSH},             {"paramiko_ssh", NA_TRANSPORT_SSH},
        {"ansible.builtin.paramiko_ssh", NA_TRANSPORT_SSH},
        {"libssh", NA_TRANSPORT_SSH},               {"ansible.netcommon.libssh", NA_TRANSPORT_SSH},
        {"telnet", NA_TRANSPORT_TELNET},
    };
    const char *name = NULL;
    json_t *j = pick(c, names, &name);
    if (!j)
        return 0;
    if (!(j = deref(c, name, j)))
        return -1;
    const char *s = json_string_value(j);
    for (size_t i = 0; s && i < sizeof map / sizeof *map; i++) {
        if (!strcmp(s, map[i].name)) {
            inv_val *v = slot(c, S_TRANSPORT, name);
            if (!v)
                return -1;
            v->n = map[i].t;
            return 0;
        }
    }
    return verr(c, name, "%s '%s' is not supported (netauto connects with network_cli, ssh, "
                "paramiko or libssh as SSH, or telnet)", name, s ? s : "");
}

static int set_hostkey(ctx *c)
{
    static const char *const names[] = {"ansible_host_key_checking",
                                        "ansible_ssh_host_key_checking", NULL};
    const char *name = NULL;
    json_t *j = pick(c, names, &name);
    if (!j)
        return 0;
    if (!(j = deref(c, name, j)))
        return -1;
    bool on;
    if (boolean(j, &on) < 0)
        return verr(c, name, "%s must be true or false", name);
    inv_val *v = slot(c, S_HOST_KEY_POLICY, name);
    if (!v)
        return -1;
    v->n = on ? NA_HOSTKEY_STRICT : NA_HOSTKEY_OFF;
    return 0;
}

static int set_become(ctx *c)
{
    static const char *const become[] = {"ansible_become", NULL};
    static const char *const method[] = {"ansible_become_method", NULL};
    const char *name = NULL;
    json_t *j = pick(c, become, &name);
    bool on;
    if (j && ((j = deref(c, name, j)) == NULL))
        return -1;
    if (j && boolean(j, &on) < 0)
        return verr(c, name, "%s must be true or false", name);
    j = pick(c, method, &name);
    if (j && !(j = deref(c, name, j)))
        return -1;
    const char *m = j ? json_string_value(j) : NULL;
    if (j && (!m || (strcmp(m, "enable") && strcmp(m, "ansible.netcommon.enable"))))
        na_inv_ans_warn(c->inv, "ansible_become_method", c->h->pub.name,
                     "ansible_become_method '%s' is not honoured: netauto enters the "
                     "platform's privileged mode itself, with ansible_become_password as the "
                     "enable secret", m ? m : "?");
    return 0;
}

/* ---- ssh arguments ---------------------------------------------------------------------------- */

/* "ssh -W %h:%p [-p PORT] [-l USER] [USER@]HOST" -> "USER@HOST:PORT" */
static int proxy_command(ctx *c, const char *name, const char *cmd, char *jump, size_t cap)
{
    inv_strlist t = {0};
    char why[200];
    int rc = -1;
    if (na_inv_shlex(cmd, &t, why, sizeof why) < 0 || t.n == 0) {
        verr(c, name, "%s: ProxyCommand '%s': %s", name, cmd, t.n ? why : "empty");
        goto done;
    }
    const char *base = strrchr(t.v[0], '/');
    base = base ? base + 1 : t.v[0];
    if (strcmp(base, "ssh")) {
        verr(c, name, "%s: ProxyCommand '%s' is not supported: netauto reaches a jump host "
             "with its own SSH (ProxyCommand=\"ssh -W %%h:%%p [user@]bastion\" or ProxyJump)",
             name, cmd);
        goto done;
    }
    const char *user = NULL, *port = NULL, *dest = NULL;
    bool forward = false;
    for (size_t i = 1; i < t.n; i++) {
        const char *a = t.v[i];
        if (!strcmp(a, "-W") && i + 1 < t.n) {
            const char *w = t.v[++i];
            forward = !strcmp(w, "%h:%p") || !strcmp(w, "[%h]:%p");
        } else if (!strcmp(a, "-p") && i + 1 < t.n) {
            port = t.v[++i];
        } else if (!strcmp(a, "-l") && i + 1 < t.n) {
            user = t.v[++i];
        } else if (!strcmp(a, "-q") || !strcmp(a, "-T") || !strcmp(a, "-N") ||
                   !strcmp(a, "-x") || !strcmp(a, "-a")) {
            continue;
        } else if (a[0] == '-') {
            verr(c, name, "%s: ProxyCommand option '%s' is not supported (netauto takes -W "
                 "%%h:%%p, -p PORT, -l USER and [user@]host)", name, a);
            goto done;
        } else if (!dest) {
            dest = a;
        } else {
            verr(c, name, "%s: ProxyCommand '%s': a command after the jump host is not "
                 "supported", name, cmd);
            goto done;
        }
    }
    if (!forward || !dest) {
        verr(c, name, "%s: ProxyCommand '%s' must forward with -W %%h:%%p to [user@]host",
             name, cmd);
        goto done;
    }
    const char *at = strchr(dest, '@');
    if (at && user)
        user = NULL; /* ssh: user@host wins over -l */
    snprintf(jump, cap, "%s%s%s%s%s", user ? user : "", user ? "@" : "", dest,
             port ? ":" : "", port ? port : "");
    if (!at && !user && !port && !strchr(dest, ':'))
        snprintf(jump, cap, "%s:22", dest);
    rc = 0;
done:
    na_inv_strlist_free(&t);
    return rc;
}

/* ansible_ssh_common_args and ansible_ssh_extra_args: jump hosts, host key policy, known hosts
 * file, connect timeout; any other option is a warning. */
static int ssh_args(ctx *c, const char *name)
{
    json_t *j = json_object_get(c->v->vars, name);
    if (!j || json_is_null(j))
        return 0;
    if (!(j = deref(c, name, j)))
        return -1;
    if (!json_is_string(j))
        return verr(c, name, "%s must be a string of ssh options", name);
    inv_strlist t = {0};
    char why[200];
    if (na_inv_shlex(json_string_value(j), &t, why, sizeof why) < 0) {
        na_inv_strlist_free(&t);
        return verr(c, name, "%s: %s", name, why);
    }
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < t.n; i++) {
        const char *a = t.v[i];
        char opt[2048] = "";
        if (!strcmp(a, "-o") && i + 1 < t.n)
            snprintf(opt, sizeof opt, "%s", t.v[++i]);
        else if (!strncmp(a, "-o", 2) && a[2])
            snprintf(opt, sizeof opt, "%s", a + 2);
        else if (!strcmp(a, "-J") && i + 1 < t.n)
            snprintf(opt, sizeof opt, "ProxyJump=%s", t.v[++i]);
        else if (!strncmp(a, "-J", 2) && a[2])
            snprintf(opt, sizeof opt, "ProxyJump=%s", a + 2);
        if (!*opt) {
            na_inv_ans_warn(c->inv, a, c->h->pub.name, "%s: ssh option '%s' is not honoured by "
                         "netauto", name, a);
            continue;
        }
        size_t kl = strcspn(opt, "= \t");
        char key[128];
        snprintf(key, sizeof key, "%.*s", (int)(kl < sizeof key ? kl : sizeof key - 1), opt);
        const char *val = opt + kl;
        while (*val == '=' || *val == ' ' || *val == '\t')
            val++;
        if (!strcasecmp(key, "ProxyJump")) {
            if (strchr(val, ',')) {
                rc = verr(c, name, "%s: ProxyJump '%s' has several hops; netauto takes one "
                          "(make each hop an inventory host with its own jump)", name, val);
                break;
            }
            char jump[1024];
            const char *v = val;
            if (!strncmp(v, "ssh://", 6))
                v += 6;
            bool outside = na_inv_host_index(c->inv, v) == (size_t)-1;
            if (outside && !strchr(v, '@') && !strchr(v, ':') && v[0] != '[')
                snprintf(jump, sizeof jump, "%s:22", v);
            else
                snprintf(jump, sizeof jump, "%s", v);
            inv_val *s = slot(c, S_JUMP_HOST, name);
            if (!s || !(s->s = arena(c, jump)))
                rc = -1;
        } else if (!strcasecmp(key, "ProxyCommand")) {
            char jump[1024];
            inv_val *s;
            if ((rc = proxy_command(c, name, val, jump, sizeof jump)) == 0 &&
                (!(s = slot(c, S_JUMP_HOST, name)) || !(s->s = arena(c, jump))))
                rc = -1;
        } else if (!strcasecmp(key, "StrictHostKeyChecking")) {
            long p = !strcasecmp(val, "no") || !strcasecmp(val, "off") ? NA_HOSTKEY_OFF
                     : !strcasecmp(val, "accept-new") ? NA_HOSTKEY_ACCEPT_NEW
                     : !strcasecmp(val, "yes") || !strcasecmp(val, "ask") ? NA_HOSTKEY_STRICT
                                                                          : -1;
            inv_val *s;
            if (p < 0)
                rc = verr(c, name, "%s: StrictHostKeyChecking '%s' is not yes, no or "
                          "accept-new", name, val);
            else if (!(s = slot(c, S_HOST_KEY_POLICY, name)))
                rc = -1;
            else
                s->n = p;
        } else if (!strcasecmp(key, "UserKnownHostsFile")) {
            inv_val *s = slot(c, S_KNOWN_HOSTS, name);
            if (!s || !(s->s = na_inv_resolve_path(c->inv, val, c->err)))
                rc = -1;
        } else if (!strcasecmp(key, "ConnectTimeout")) {
            char *end;
            double sec = strtod(val, &end);
            inv_val *s;
            if (*end || !(sec > 0) || sec > 86400)
                rc = verr(c, name, "%s: ConnectTimeout '%s' is not a number of seconds", name,
                          val);
            else if (!(s = slot(c, S_TO_CONNECT, name)))
                rc = -1;
            else
                s->n = lround(sec * 1000.0);
        } else {
            na_inv_ans_warn(c->inv, key, c->h->pub.name, "%s: ssh option '%s' is not honoured by "
                         "netauto", name, key);
        }
    }
    na_inv_strlist_free(&t);
    return rc;
}

/* ---- unhonoured variables --------------------------------------------------------------------- */

static bool unhonoured(const char *k)
{
    static const char *const exact[] = {
        "ansible_ssh_args", "ansible_ssh_executable", "ansible_sftp_executable",
        "ansible_scp_executable", "ansible_scp_extra_args", "ansible_sftp_extra_args",
        "ansible_ssh_retries", "ansible_pipelining", "ansible_ssh_pipelining",
        "ansible_control_path", "ansible_control_path_dir", "ansible_sftp_batch_mode",
        "ansible_ssh_transfer_method", "ansible_scp_if_ssh", "ansible_ssh_use_tty",
        "ansible_ssh_pkcs11_provider", "ansible_sshpass_prompt", "ansible_become_user",
        "ansible_become_exe", "ansible_become_flags", "ansible_network_cli_ssh_type",
        "ansible_network_single_user_mode", "ansible_network_import_modules",
        "ansible_buffer_read_timeout", "ansible_shell_type", "ansible_shell_executable",
        "ansible_private_key_passphrase", NULL};
    static const char *const prefix[] = {"ansible_httpapi_", "ansible_netconf_",
                                         "ansible_paramiko_", "ansible_libssh_",
                                         "ansible_persistent_", "ansible_terminal_",
                                         "ansible_sudo_", "ansible_su_", "ansible_winrm_",
                                         "ansible_psrp_", NULL};
    for (size_t i = 0; exact[i]; i++)
        if (!strcmp(k, exact[i]))
            return true;
    for (size_t i = 0; prefix[i]; i++)
        if (!strncmp(k, prefix[i], strlen(prefix[i])))
            return true;
    return false;
}

int na_inv_ans_map_host(na_inventory *inv, inv_hostdef *h, const inv_avars *v, na_err *err)
{
    ctx c = {.inv = inv, .h = h, .v = v, .err = err};
    snprintf(c.hctx, sizeof c.hctx, "host '%s'", h->pub.name);
    if (!v->vars)
        return 0;
    static const char *const host[] = {"ansible_host", "ansible_ssh_host", NULL};
    static const char *const user[] = {"ansible_user", "ansible_ssh_user", NULL};
    static const char *const pass[] = {"ansible_password", "ansible_ssh_pass",
                                       "ansible_ssh_password", NULL};
    static const char *const become_pass[] = {"ansible_become_password", "ansible_become_pass",
                                              "ansible_enable_pass", NULL};
    static const char *const key[] = {"ansible_private_key_file",
                                      "ansible_ssh_private_key_file", NULL};
    static const char *const cmd_to[] = {"ansible_command_timeout", NULL};
    static const char *const conn_to[] = {"ansible_ssh_timeout", "ansible_connect_timeout",
                                          NULL};
    if (set_text(&c, S_HOST, host, true) < 0 || set_port(&c) < 0 ||
        set_text(&c, S_USERNAME, user, true) < 0 || set_secret(&c, S_PASSWORD, pass) < 0 ||
        set_secret(&c, S_SECRET, become_pass) < 0 || set_network_os(&c) < 0 ||
        set_connection(&c) < 0 || set_become(&c) < 0 ||
        ssh_args(&c, "ansible_ssh_common_args") < 0 ||
        ssh_args(&c, "ansible_ssh_extra_args") < 0 || set_hostkey(&c) < 0 ||
        set_timeout(&c, S_TO_COMMAND, cmd_to) < 0 || set_timeout(&c, S_TO_CONNECT, conn_to) < 0)
        return -1;
    const char *which = NULL;
    json_t *kf = pick(&c, key, &which);
    if (kf) {
        char buf[4096];
        if (!(kf = deref(&c, which, kf)))
            return -1;
        if (!text_of(kf, buf, sizeof buf) || !*buf)
            return verr(&c, which, "%s must be a file name", which);
        inv_val *s = slot(&c, S_KEY_FILE, which);
        if (!s || !(s->s = na_inv_resolve_path(inv, buf, err)))
            return -1;
    }
    const char *k;
    json_t *x;
    json_object_foreach (v->vars, k, x) {
        if (!json_is_null(x) && unhonoured(k))
            na_inv_ans_warn(inv, k, h->pub.name, "%s is not honoured by netauto", k);
    }
    return 0;
}
