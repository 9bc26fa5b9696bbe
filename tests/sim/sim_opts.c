/* sim_opts.c — command-line parsing for netauto-sim and the --fault/--opt catalogue (see
 * sim_opts.h). Not the server: nothing here opens a socket or a file. */
#include "sim_opts.h"
#include "sim_flash.h"

#include <ctype.h>
#include <errno.h>
#include <fnmatch.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void sim_opts_usage(FILE *f)
{
    fputs("usage: netauto-sim [options]\n"
          "  --devices COUNT[:ios|nxos|eos|iosxr|junos[:PREFIX]]   add devices (repeatable;\n"
          "                           default 1 ios, sw1)\n"
          "  --listen ADDR            listen address (default 127.0.0.1)\n"
          "  --base-port N            device k: SSH on N+2k, Telnet on N+2k+1 (default: kernel picks)\n"
          "  --username U --password P --secret S   credentials (admin / lab-pass-1 / lab-enable-1)\n"
          "  --authorized-keys FILE   public keys accepted for SSH public-key authentication\n"
          "  --banner TEXT            MOTD banner\n"
          "  --host-key FILE          ed25519 host key for every device (created if missing)\n"
          "  --state-dir DIR          per-device startup-config and host key\n"
          "  --fault SEL:KIND[=ARG]   refuse-login, close-after=N, stall-after=N, slow=BPS, garbage,\n"
          "                           huge-output[=BYTES], hostkey-change, banner-delay=MS\n"
          "  --opt SEL:KEY[=VAL]      legacy-crypto, rsa-host-key, privilege=15, banner=TEXT,\n"
          "                           cr-prompt, fixed-width=N, async=after|glued, banner-trap=MS,\n"
          "                           kerberos, cr-only, re-master, revert-minute=MS\n"
          "  --inventory-out FILE     write a netauto inventory (+ FILE.known_hosts)\n"
          "  --ready-file FILE        written once every listener is up\n"
          "  --stats-file FILE        per-device counters (JSON) on SIGUSR1 and at exit\n"
          "  --log FILE               one line per login and per command\n"
          "  --login-timeout SEC      drop connections that do not log in (default 60)\n"
          "  --seed N                 seed for the garbage fault (default 1)\n"
          "  -v                       verbose\n",
          f);
    sim_flash_usage(f);
}

static int parse_uint(const char *s, unsigned long min, unsigned long max, unsigned long *out)
{
    if (!s || !*s || !isdigit((unsigned char)*s))
        return -1;
    errno = 0;
    char *end;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end || v < min || v > max)
        return -1;
    *out = (unsigned long)v;
    return 0;
}

static int parse_devspec(const char *s, sim_devspec *d, na_err *err)
{
    char buf[128];
    snprintf(buf, sizeof buf, "%s", s);
    char *pers = strchr(buf, ':'), *prefix = NULL;
    if (pers) {
        *pers++ = '\0';
        prefix = strchr(pers, ':');
        if (prefix)
            *prefix++ = '\0';
    }
    unsigned long n;
    if (parse_uint(buf, 1, 100000, &n) < 0)
        return na_err_set(err, NA_E_USAGE, "--devices %s: COUNT must be a number from 1 to 100000",
                          s);
    d->count = (unsigned)n;
    d->persona = SIM_IOS;
    if (pers && *pers && sim_persona_parse(pers, &d->persona) < 0)
        return na_err_set(err, NA_E_USAGE,
                          "--devices %s: unknown personality '%s' (ios, nxos, eos, iosxr, junos)",
                          s, pers);
    const char *pf = prefix && *prefix ? prefix : sim_persona_prefix(d->persona);
    if (!isalpha((unsigned char)pf[0]) || strlen(pf) >= sizeof d->prefix)
        return na_err_set(err, NA_E_USAGE, "--devices %s: bad name prefix '%s'", s, pf);
    for (const char *c = pf; *c; c++)
        if (!isalnum((unsigned char)*c) && *c != '-' && *c != '_')
            return na_err_set(err, NA_E_USAGE, "--devices %s: bad name prefix '%s'", s, pf);
    snprintf(d->prefix, sizeof d->prefix, "%s", pf);
    return 0;
}

/* ---- faults ------------------------------------------------------------------------------- */

typedef enum { A_NONE, A_NUM, A_OPTNUM, A_TEXT } argkind;

static const struct {
    const char *name;
    bool opt;
    argkind arg;
    unsigned long min, max;
} catalogue[] = {
    {"refuse-login", false, A_NONE, 0, 0},
    {"close-after", false, A_NUM, 1, 1000000},
    {"stall-after", false, A_NUM, 1, 1000000},
    {"slow", false, A_NUM, 1, 1000000000},
    {"garbage", false, A_NONE, 0, 0},
    {"huge-output", false, A_OPTNUM, 2, 1UL << 40},
    {"hostkey-change", false, A_NONE, 0, 0},
    {"banner-delay", false, A_NUM, 1, 3600000},
    {"legacy-crypto", true, A_NONE, 0, 0},
    {"rsa-host-key", true, A_NONE, 0, 0},
    {"privilege", true, A_NUM, 15, 15},
    {"banner", true, A_TEXT, 0, 0},
    {"cr-prompt", true, A_NONE, 0, 0},
    {"fixed-width", true, A_NUM, 40, 1000},
    {"async", true, A_TEXT, 0, 0},
    {"banner-trap", true, A_NUM, 1, 60000},
    {"kerberos", true, A_NONE, 0, 0},
    {"cr-only", true, A_NONE, 0, 0},
    {"re-master", true, A_NONE, 0, 0},
    {"revert-minute", true, A_NUM, 1, 3600000},
};
#define NCAT (sizeof catalogue / sizeof *catalogue)

static int parse_fault(const char *s, bool is_opt, sim_faultspec *f, na_err *err)
{
    const char *what = is_opt ? "--opt" : "--fault";
    const char *colon = strchr(s, ':');
    if (!colon || colon == s || !colon[1])
        return na_err_set(err, NA_E_USAGE, "%s %s: expected SELECTOR:%s", what, s,
                          is_opt ? "KEY[=VALUE]" : "KIND[=ARG]");
    const char *kind = colon + 1, *eq = strchr(kind, '=');
    size_t kl = eq ? (size_t)(eq - kind) : strlen(kind);
    size_t k;
    for (k = 0; k < NCAT; k++)
        if (catalogue[k].opt == is_opt && strlen(catalogue[k].name) == kl &&
            strncmp(catalogue[k].name, kind, kl) == 0)
            break;
    if (k == NCAT) {
        /* the flash's settings (sim_flash.c) */
        const char *v = strchr(kind, '=');
        int r = sim_flash_parse_opt(s, kind, kl, v ? v + 1 : NULL, is_opt, f, err);
        if (r != 0)
            return r < 0 ? -1 : 0;
    }
    if (k == NCAT)
        return na_err_set(err, NA_E_USAGE,
                          is_opt ? "--opt %s: unknown option '%.*s' (legacy-crypto, rsa-host-key, "
                                   "privilege=15, banner=TEXT, cr-prompt, fixed-width=N, "
                                   "async=after|glued, banner-trap=MS, kerberos, cr-only, "
                                   "re-master)"
                                 : "--fault %s: unknown fault '%.*s' (refuse-login, close-after=N, "
                                   "stall-after=N, slow=BPS, garbage, huge-output=BYTES, "
                                   "hostkey-change, banner-delay=MS)",
                          s, (int)kl, kind);
    const char *arg = eq ? eq + 1 : NULL;
    unsigned long v;
    switch (catalogue[k].arg) {
    case A_NONE:
        if (arg)
            return na_err_set(err, NA_E_USAGE, "%s %s: '%s' takes no value", what, s,
                              catalogue[k].name);
        break;
    case A_OPTNUM:
        if (!arg)
            break;
        /* fall through */
    case A_NUM:
        if (parse_uint(arg, catalogue[k].min, catalogue[k].max, &v) < 0)
            return na_err_set(err, NA_E_USAGE, "%s %s: '%s' needs a number from %lu to %lu",
                              what, s, catalogue[k].name, catalogue[k].min, catalogue[k].max);
        break;
    case A_TEXT:
        if (!arg)
            return na_err_set(err, NA_E_USAGE, "%s %s: '%s' needs a value", what, s,
                              catalogue[k].name);
        if (!strcmp(catalogue[k].name, "async") && strcmp(arg, "after") && strcmp(arg, "glued"))
            return na_err_set(err, NA_E_USAGE, "%s %s: 'async' is 'after' or 'glued'", what, s);
        break;
    }
    f->sel = strndup(s, (size_t)(colon - s));
    f->kind = strdup(catalogue[k].name);
    f->arg = arg ? strdup(arg) : NULL;
    f->is_opt = is_opt;
    if (!f->sel || !f->kind || (arg && !f->arg))
        return na_err_set(err, NA_E_NOMEM, "out of memory");
    return 0;
}

int sim_fault_apply(sim_device *d, const sim_faultspec *f, na_err *err)
{
    sim_faults *x = &d->f;
    unsigned long long v = f->arg ? strtoull(f->arg, NULL, 10) : 0;
    const char *k = f->kind;
    if (strcmp(k, "refuse-login") == 0)
        x->refuse_login = true;
    else if (strcmp(k, "close-after") == 0)
        x->close_after = (unsigned)v;
    else if (strcmp(k, "stall-after") == 0)
        x->stall_after = (unsigned)v;
    else if (strcmp(k, "slow") == 0)
        x->slow_bps = (unsigned long)v;
    else if (strcmp(k, "garbage") == 0)
        x->garbage = true;
    else if (strcmp(k, "huge-output") == 0)
        x->huge_output = f->arg ? v : 50000000ULL;
    else if (strcmp(k, "hostkey-change") == 0)
        x->hostkey_change = true;
    else if (strcmp(k, "banner-delay") == 0)
        x->banner_delay_ms = (unsigned)v;
    else if (strcmp(k, "legacy-crypto") == 0)
        x->legacy_crypto = true;
    else if (strcmp(k, "rsa-host-key") == 0)
        x->rsa_host_key = true;
    else if (strcmp(k, "privilege") == 0)
        x->priv15 = true;
    else if (strcmp(k, "cr-prompt") == 0)
        x->cr_prompt = true;
    else if (strcmp(k, "fixed-width") == 0)
        x->fixed_width = (int)v;
    else if (strcmp(k, "async") == 0)
        x->async = strcmp(f->arg, "glued") == 0 ? 2 : 1;
    else if (strcmp(k, "banner-trap") == 0)
        x->banner_trap_ms = (unsigned)v;
    else if (strcmp(k, "kerberos") == 0)
        x->kerberos = true;
    else if (strcmp(k, "cr-only") == 0)
        x->cr_only = true;
    else if (strcmp(k, "re-master") == 0)
        x->re_master = true;
    else if (strcmp(k, "revert-minute") == 0)
        x->revert_minute_ms = (unsigned)v;
    else if (strcmp(k, "banner") == 0) {
        free(x->banner);
        x->banner = strdup(f->arg);
        if (!x->banner)
            return na_err_set(err, NA_E_NOMEM, "out of memory");
    } else if (sim_flash_apply(d, f, err) == 0)
        return na_err_set(err, NA_E_USAGE, "unknown fault '%s'", k);
    return na_err_isset(err) ? -1 : 0;
}

int sim_faults_apply_all(sim_device *devs, size_t n, const sim_opts *o, na_err *err)
{
    for (size_t i = 0; i < o->nfaults; i++) {
        const sim_faultspec *f = &o->faults[i];
        size_t hits = 0;
        for (size_t k = 0; k < n; k++) {
            if (strcmp(f->sel, "all") != 0 && fnmatch(f->sel, devs[k].name, 0) != 0)
                continue;
            if (sim_fault_apply(&devs[k], f, err) < 0)
                return -1;
            hits++;
        }
        if (hits == 0)
            return na_err_set(err, NA_E_USAGE, "%s %s:%s: '%s' matches no device",
                              f->is_opt ? "--opt" : "--fault", f->sel, f->kind, f->sel);
    }
    return 0;
}

/* ---- devices ------------------------------------------------------------------------------- */

size_t sim_opts_ndevices(const sim_opts *o)
{
    size_t n = 0;
    for (size_t i = 0; i < o->nspecs; i++)
        n += o->specs[i].count;
    return n;
}

void sim_opts_device(const sim_opts *o, size_t k, char *out, size_t cap, sim_persona *p)
{
    for (size_t i = 0; i < o->nspecs; i++) {
        if (k < o->specs[i].count) {
            snprintf(out, cap, "%s%zu", o->specs[i].prefix, k + 1);
            if (p)
                *p = o->specs[i].persona;
            return;
        }
        k -= o->specs[i].count;
    }
    snprintf(out, cap, "?");
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int check_unique_names(const sim_opts *o, na_err *err)
{
    size_t n = sim_opts_ndevices(o);
    char **names = calloc(n, sizeof *names);
    char *store = malloc(n * 48);
    int rc = 0;
    if (!names || !store) {
        rc = na_err_set(err, NA_E_NOMEM, "out of memory");
        goto out;
    }
    for (size_t k = 0; k < n; k++) {
        names[k] = store + k * 48;
        sim_opts_device(o, k, names[k], 48, NULL);
    }
    qsort(names, n, sizeof *names, cmp_str);
    for (size_t k = 1; k < n; k++)
        if (strcmp(names[k - 1], names[k]) == 0) {
            rc = na_err_set(err, NA_E_USAGE,
                            "--devices: device name %s is used twice (give each --devices its "
                            "own PREFIX)",
                            names[k]);
            break;
        }
out:
    free(names);
    free(store);
    return rc;
}

/* ---- argv ------------------------------------------------------------------------------------ */

enum {
    O_DEVICES = 256, O_LISTEN, O_BASE, O_USER, O_PASS, O_SECRET, O_AUTHKEYS, O_BANNER, O_HOSTKEY,
    O_STATE, O_FAULT, O_OPT, O_INV, O_READY, O_STATS, O_LOG, O_LOGIN_TO, O_SEED, O_HELP
};

int sim_opts_parse(int argc, char **argv, sim_opts *o, na_err *err)
{
    static const struct option lo[] = {
        {"devices", required_argument, NULL, O_DEVICES},
        {"listen", required_argument, NULL, O_LISTEN},
        {"base-port", required_argument, NULL, O_BASE},
        {"username", required_argument, NULL, O_USER},
        {"password", required_argument, NULL, O_PASS},
        {"secret", required_argument, NULL, O_SECRET},
        {"authorized-keys", required_argument, NULL, O_AUTHKEYS},
        {"banner", required_argument, NULL, O_BANNER},
        {"host-key", required_argument, NULL, O_HOSTKEY},
        {"state-dir", required_argument, NULL, O_STATE},
        {"fault", required_argument, NULL, O_FAULT},
        {"opt", required_argument, NULL, O_OPT},
        {"inventory-out", required_argument, NULL, O_INV},
        {"ready-file", required_argument, NULL, O_READY},
        {"stats-file", required_argument, NULL, O_STATS},
        {"log", required_argument, NULL, O_LOG},
        {"login-timeout", required_argument, NULL, O_LOGIN_TO},
        {"seed", required_argument, NULL, O_SEED},
        {"help", no_argument, NULL, O_HELP},
        {NULL, 0, NULL, 0},
    };
    memset(o, 0, sizeof *o);
    o->listen = "127.0.0.1";
    o->username = "admin";
    o->password = "lab-pass-1";
    o->secret = "lab-enable-1";
    o->login_timeout_s = 60;
    o->seed = 1;
    optind = 0;
    opterr = 0;
    int c;
    unsigned long v;
    while ((c = getopt_long(argc, argv, ":v", lo, NULL)) != -1) {
        switch (c) {
        case O_DEVICES:
            if (o->nspecs == SIM_MAX_DEVICE_SPECS)
                return na_err_set(err, NA_E_USAGE, "--devices given more than %d times",
                                  SIM_MAX_DEVICE_SPECS);
            if (parse_devspec(optarg, &o->specs[o->nspecs], err) < 0)
                return -1;
            o->nspecs++;
            break;
        case O_LISTEN: o->listen = optarg; break;
        case O_BASE:
            if (parse_uint(optarg, 0, 65535, &v) < 0)
                return na_err_set(err, NA_E_USAGE, "--base-port %s: not a port number", optarg);
            o->base_port = (int)v;
            break;
        case O_USER: o->username = optarg; break;
        case O_PASS: o->password = optarg; break;
        case O_SECRET: o->secret = optarg; break;
        case O_AUTHKEYS: o->authorized_keys = optarg; break;
        case O_BANNER: o->banner = optarg; break;
        case O_HOSTKEY: o->host_key = optarg; break;
        case O_STATE: o->state_dir = optarg; break;
        case O_FAULT:
        case O_OPT: {
            sim_faultspec *p = realloc(o->faults, (o->nfaults + 1) * sizeof *p);
            if (!p)
                return na_err_set(err, NA_E_NOMEM, "out of memory");
            o->faults = p;
            memset(&p[o->nfaults], 0, sizeof *p);
            o->nfaults++;
            if (parse_fault(optarg, c == O_OPT, &p[o->nfaults - 1], err) < 0)
                return -1;
            break;
        }
        case O_INV: o->inventory_out = optarg; break;
        case O_READY: o->ready_file = optarg; break;
        case O_STATS: o->stats_file = optarg; break;
        case O_LOG: o->log_file = optarg; break;
        case O_LOGIN_TO:
            if (parse_uint(optarg, 1, 86400, &v) < 0)
                return na_err_set(err, NA_E_USAGE, "--login-timeout %s: seconds from 1 to 86400",
                                  optarg);
            o->login_timeout_s = (int)v;
            break;
        case O_SEED:
            if (parse_uint(optarg, 0, 0xffffffffUL, &v) < 0)
                return na_err_set(err, NA_E_USAGE, "--seed %s: not a number", optarg);
            o->seed = (unsigned)v;
            break;
        case 'v': o->verbose++; break;
        case O_HELP:
            sim_opts_usage(stdout);
            return 1;
        case ':':
            return na_err_set(err, NA_E_USAGE, "%s needs a value", argv[optind - 1]);
        default:
            return na_err_set(err, NA_E_USAGE, "unknown option %s (see --help)",
                              argv[optind - 1]);
        }
    }
    if (optind < argc)
        return na_err_set(err, NA_E_USAGE, "unexpected argument '%s' (see --help)", argv[optind]);
    if (o->nspecs == 0) {
        o->specs[0].count = 1;
        o->specs[0].persona = SIM_IOS;
        snprintf(o->specs[0].prefix, sizeof o->specs[0].prefix, "sw");
        o->nspecs = 1;
    }
    if (!*o->username || !*o->password)
        return na_err_set(err, NA_E_USAGE, "--username and --password must not be empty");
    size_t n = sim_opts_ndevices(o);
    if (o->base_port && (size_t)o->base_port + 2 * n - 1 > 65535)
        return na_err_set(err, NA_E_USAGE, "--base-port %d: %zu devices need ports up to %zu",
                          o->base_port, n, (size_t)o->base_port + 2 * n - 1);
    return check_unique_names(o, err);
}

void sim_opts_free(sim_opts *o)
{
    for (size_t i = 0; i < o->nfaults; i++) {
        free(o->faults[i].sel);
        free(o->faults[i].kind);
        free(o->faults[i].arg);
    }
    free(o->faults);
    o->faults = NULL;
    o->nfaults = 0;
}
