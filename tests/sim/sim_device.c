/* sim_device.c — a simulated device's shared state (see sim_device.h): factory defaults per
 * personality, VLAN and interface tables, startup-config storage under --state-dir, and the
 * counters the stats file reports. Not the CLI: commands live in sim_cmds*.c. */
#include "sim_device.h"

#include "clock.h"
#include "sim_flash.h"
#include "sim_show.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const struct {
    const char *name, *platform, *prefix;
} personas[SIM_PERSONA__COUNT] = {
    [SIM_IOS] = {"ios", "cisco_ios", "sw"},
    [SIM_NXOS] = {"nxos", "cisco_nxos", "nx"},
    [SIM_EOS] = {"eos", "arista_eos", "eos"},
    [SIM_IOSXR] = {"iosxr", "cisco_iosxr", "xr"},
    [SIM_JUNOS] = {"junos", "juniper_junos", "jn"},
};

const char *sim_persona_name(sim_persona p) { return personas[p].name; }
const char *sim_persona_platform(sim_persona p) { return personas[p].platform; }
const char *sim_persona_prefix(sim_persona p) { return personas[p].prefix; }

int sim_persona_parse(const char *s, sim_persona *out)
{
    for (int i = 0; i < SIM_PERSONA__COUNT; i++)
        if (strcmp(s, personas[i].name) == 0) {
            *out = (sim_persona)i;
            return 0;
        }
    return -1;
}

/* ---- interface naming ------------------------------------------------------------------ */

enum { NUM_SLOT0 = 0, NUM_SLOT1, NUM_PLAIN, NUM_ZERO, NUM_ONE };

typedef struct iftype {
    const char *name;  /* canonical type name */
    const char *shrt;  /* short form used in tables */
    int kind;          /* SIM_IF_* */
    int num;           /* numbering: "0/N", "1/N", "N", "0", "1" */
    long lo, hi;       /* range of N */
} iftype;

static const iftype ios_types[] = {
    {"GigabitEthernet", "Gi", SIM_IF_PHYS, NUM_SLOT0, 1, 24},
    {"Vlan", "Vl", SIM_IF_SVI, NUM_PLAIN, 1, 4094},
    {"Loopback", "Lo", SIM_IF_LOOP, NUM_PLAIN, 0, 2147483647L},
    {NULL, NULL, 0, 0, 0, 0},
};
static const iftype nxos_types[] = {
    {"Ethernet", "Eth", SIM_IF_PHYS, NUM_SLOT1, 1, 24},
    {"Vlan", "Vlan", SIM_IF_SVI, NUM_PLAIN, 1, 4094},
    {"loopback", "Lo", SIM_IF_LOOP, NUM_PLAIN, 0, 1023},
    {"mgmt", "mgmt", SIM_IF_MGMT, NUM_ZERO, 0, 0},
    {NULL, NULL, 0, 0, 0, 0},
};
static const iftype eos_types[] = {
    {"Ethernet", "Et", SIM_IF_PHYS, NUM_PLAIN, 1, 24},
    {"Vlan", "Vl", SIM_IF_SVI, NUM_PLAIN, 1, 4094},
    {"Loopback", "Lo", SIM_IF_LOOP, NUM_PLAIN, 0, 1000},
    {"Management", "Ma", SIM_IF_MGMT, NUM_ONE, 1, 1},
    {NULL, NULL, 0, 0, 0, 0},
};

static const iftype junos_types[] = {
    {"ge-0/0/", "ge-0/0/", SIM_IF_PHYS, NUM_PLAIN, 0, 23},
    {"irb.", "irb.", SIM_IF_SVI, NUM_PLAIN, 1, 4094},
    {"lo", "lo", SIM_IF_LOOP, NUM_PLAIN, 0, 0},
    {NULL, NULL, 0, 0, 0, 0},
};

static const iftype *types_for(sim_persona p)
{
    return p == SIM_NXOS ? nxos_types : p == SIM_EOS ? eos_types : p == SIM_JUNOS ? junos_types
                                                                                  : ios_types;
}

/* IOS XR shares IOS's command set and interface names in the simulator. */
sim_persona sim_persona_base(sim_persona p) { return p == SIM_IOSXR ? SIM_IOS : p; }

/* Parse a decimal number without sign; -1 if empty/non-digit/too long/out of range. */
static long parse_num(const char *s, size_t n, long lo, long hi)
{
    if (n == 0 || n > 10)
        return -1;
    long v = 0;
    for (size_t i = 0; i < n; i++) {
        if (!isdigit((unsigned char)s[i]))
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v < lo || v > hi ? -1 : v;
}

int sim_intf_canon(sim_persona p, const char *in, char *out, size_t cap, int *kind)
{
    char buf[64];
    size_t n = 0;
    for (const char *s = in; *s && n + 1 < sizeof buf; s++)
        if (!isspace((unsigned char)*s))
            buf[n++] = *s;
    buf[n] = '\0';
    size_t alpha = 0;
    while (alpha < n && (isalpha((unsigned char)buf[alpha]) || buf[alpha] == '-'))
        alpha++;
    if (alpha == 0 || alpha == n)
        return -1;
    const iftype *hit = NULL;
    for (const iftype *t = types_for(p); t->name; t++) {
        if (strncasecmp(buf, t->name, alpha) == 0 && alpha <= strlen(t->name)) {
            if (hit)
                return -1; /* ambiguous type */
            hit = t;
        }
    }
    if (!hit)
        return -1;
    const char *rest = buf + alpha;
    size_t rn = n - alpha;
    long v;
    switch (hit->num) {
    case NUM_SLOT0:
    case NUM_SLOT1: {
        const char *slash = memchr(rest, '/', rn);
        if (!slash)
            return -1;
        long slot = parse_num(rest, (size_t)(slash - rest), 0, 9);
        if (slot != (hit->num == NUM_SLOT0 ? 0 : 1))
            return -1;
        v = parse_num(slash + 1, rn - (size_t)(slash + 1 - rest), hit->lo, hit->hi);
        if (v < 0)
            return -1;
        snprintf(out, cap, "%s%ld/%ld", hit->name, slot, v);
        break;
    }
    default:
        v = parse_num(rest, rn, hit->lo, hit->hi);
        if (v < 0)
            return -1;
        snprintf(out, cap, "%s%ld", hit->name, v);
        break;
    }
    if (kind)
        *kind = hit->kind;
    return 0;
}

void sim_intf_short(sim_persona p, const char *canon, char *out, size_t cap)
{
    for (const iftype *t = types_for(p); t->name; t++) {
        size_t l = strlen(t->name);
        if (strncmp(canon, t->name, l) == 0 && isdigit((unsigned char)canon[l])) {
            snprintf(out, cap, "%s%s", t->shrt, canon + l);
            return;
        }
    }
    snprintf(out, cap, "%s", canon);
}

/* ---- factory defaults ------------------------------------------------------------------ */

static void clear_tables(sim_device *d)
{
    for (size_t i = 0; i < d->nintfs; i++)
        free(d->intfs[i].desc);
    d->nintfs = 0;
    d->nvlans = 0;
    sim_bgp_free(d->bgp);
    d->bgp = NULL;
    free(d->archive_path);
    d->archive_path = NULL;
}

static sim_intf *intf_append(sim_device *d, const char *canon, int kind)
{
    if (d->nintfs == d->capintfs) {
        size_t cap = d->capintfs ? d->capintfs * 2 : 32;
        sim_intf *p = realloc(d->intfs, cap * sizeof *p);
        if (!p)
            return NULL;
        d->intfs = p;
        d->capintfs = cap;
    }
    sim_intf *i = &d->intfs[d->nintfs++];
    memset(i, 0, sizeof *i);
    snprintf(i->name, sizeof i->name, "%s", canon);
    i->kind = (uint8_t)kind;
    i->access_vlan = 1;
    return i;
}

void sim_device_factory(sim_device *d)
{
    clear_tables(d);
    snprintf(d->hostname, sizeof d->hostname, "%s", d->name);
    sim_vlan_add(d, 1);
    if (sim_persona_base(d->persona) == SIM_IOS || d->persona == SIM_IOSXR) {
        static const char *const names[] = {"fddi-default", "token-ring-default",
                                            "fddinet-default", "trnet-default"};
        for (unsigned k = 0; k < 4; k++) {
            sim_vlan *v = sim_vlan_add(d, 1002 + k);
            if (v)
                snprintf(v->name, sizeof v->name, "%s", names[k]);
        }
    }
    char nm[32];
    for (int k = 1; k <= 24; k++) {
        if (sim_persona_base(d->persona) == SIM_IOS || d->persona == SIM_IOSXR)
            snprintf(nm, sizeof nm, "GigabitEthernet0/%d", k);
        else if (d->persona == SIM_JUNOS)
            snprintf(nm, sizeof nm, "ge-0/0/%d", k - 1);
        else if (d->persona == SIM_NXOS)
            snprintf(nm, sizeof nm, "Ethernet1/%d", k);
        else
            snprintf(nm, sizeof nm, "Ethernet%d", k);
        intf_append(d, nm, SIM_IF_PHYS);
    }
    if (sim_persona_base(d->persona) == SIM_IOS || d->persona == SIM_IOSXR) {
        intf_append(d, "Vlan1", SIM_IF_SVI);
    } else if (d->persona == SIM_JUNOS) {
        sim_intf *m = intf_append(d, "fxp0", SIM_IF_MGMT);
        if (m)
            m->routed = true;
    } else if (d->persona == SIM_NXOS) {
        sim_intf *m = intf_append(d, "mgmt0", SIM_IF_MGMT);
        if (m)
            m->routed = true;
    } else {
        sim_intf *m = intf_append(d, "Management1", SIM_IF_MGMT);
        if (m)
            m->routed = true;
    }
}

static int mkdir_p(const char *path, na_err *err)
{
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s", path);
    for (char *p = tmp + 1; *p; p++) {
        if (*p == '/') {
            *p = '\0';
            if (mkdir(tmp, 0755) < 0 && errno != EEXIST)
                return na_err_set(err, NA_E_IO, "cannot create %s: %s", tmp, strerror(errno));
            *p = '/';
        }
    }
    if (mkdir(tmp, 0755) < 0 && errno != EEXIST)
        return na_err_set(err, NA_E_IO, "cannot create %s: %s", tmp, strerror(errno));
    return 0;
}

#define SIM_STARTUP_MAX ((size_t)16 << 20)

static int read_startup(sim_device *d, na_err *err)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/startup-config", d->state_dir);
    FILE *f = fopen(path, "rb");
    if (!f) {
        if (errno == ENOENT)
            return 0;
        return na_err_set(err, NA_E_IO, "cannot read %s: %s", path, strerror(errno));
    }
    na_buf b;
    na_buf_init(&b, SIM_STARTUP_MAX);
    char chunk[8192];
    size_t n;
    int rc = 0;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        if (na_buf_append(&b, chunk, n, path, err) < 0) {
            rc = -1;
            break;
        }
    if (ferror(f) && rc == 0)
        rc = na_err_set(err, NA_E_IO, "cannot read %s", path);
    fclose(f);
    if (rc < 0) {
        na_buf_free(&b);
        return -1;
    }
    d->startup_len = b.len;
    d->startup = na_buf_steal(&b);
    return d->startup ? 0 : na_err_set(err, NA_E_NOMEM, "out of memory");
}

int sim_device_init(sim_device *d, const char *name, sim_persona p, const sim_creds *creds,
                    const char *state_dir, na_err *err)
{
    memset(d, 0, sizeof *d);
    snprintf(d->name, sizeof d->name, "%s", name);
    d->persona = p;
    d->creds = creds;
    d->clock_ms = na_wall_ms;
    d->boot_ms = d->clock_ms();
    sim_device_factory(d);
    if (d->nintfs == 0)
        return na_err_set(err, NA_E_NOMEM, "out of memory creating device %s", name);
    if (state_dir) {
        size_t l = strlen(state_dir) + strlen(name) + 2;
        d->state_dir = malloc(l);
        if (!d->state_dir)
            return na_err_set(err, NA_E_NOMEM, "out of memory");
        snprintf(d->state_dir, l, "%s/%s", state_dir, name);
        if (mkdir_p(d->state_dir, err) < 0 || read_startup(d, err) < 0)
            return -1;
    }
    return 0;
}

void sim_device_free(sim_device *d)
{
    clear_tables(d);
    free(d->intfs);
    free(d->vlans);
    free(d->startup);
    free(d->revert_cfg);
    d->revert_cfg = NULL;
    sim_snapshot_free(d->revert_snap);
    d->revert_snap = NULL;
    free(d->state_dir);
    free(d->f.banner);
    sim_flash_free(d->flash);
    d->flash = NULL;
    d->intfs = NULL;
    d->vlans = NULL;
    d->startup = NULL;
    d->state_dir = NULL;
    d->f.banner = NULL;
}

static int write_file_atomic(const char *path, const char *data, size_t len, na_err *err)
{
    char tmp[4300];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "wb");
    if (!f)
        return na_err_set(err, NA_E_IO, "cannot write %s: %s", tmp, strerror(errno));
    size_t w = fwrite(data, 1, len, f);
    int bad = (w != len) | (fflush(f) != 0) | (fsync(fileno(f)) != 0);
    bad |= fclose(f) != 0;
    if (bad || rename(tmp, path) < 0) {
        unlink(tmp);
        return na_err_set(err, NA_E_IO, "cannot write %s: %s", path, strerror(errno));
    }
    return 0;
}

int sim_device_save(sim_device *d, na_err *err)
{
    na_buf b;
    na_buf_init(&b, SIM_STARTUP_MAX);
    if (sim_render_config(d, &b, err) < 0) {
        na_buf_free(&b);
        return -1;
    }
    if (d->state_dir) {
        char path[4200];
        snprintf(path, sizeof path, "%s/startup-config", d->state_dir);
        if (write_file_atomic(path, b.data ? b.data : "", b.len, err) < 0) {
            na_buf_free(&b);
            return -1;
        }
    }
    free(d->startup);
    d->startup_len = b.len;
    d->startup = na_buf_steal(&b);
    d->c.saves++;
    return d->startup ? 0 : na_err_set(err, NA_E_NOMEM, "out of memory");
}

int sim_device_erase(sim_device *d, na_err *err)
{
    free(d->startup);
    d->startup = NULL;
    d->startup_len = 0;
    if (d->state_dir) {
        char path[4200];
        snprintf(path, sizeof path, "%s/startup-config", d->state_dir);
        if (unlink(path) < 0 && errno != ENOENT)
            return na_err_set(err, NA_E_IO, "cannot remove %s: %s", path, strerror(errno));
    }
    return 0;
}

/* ---- sessions -------------------------------------------------------------------------- */

void sim_device_session_open(sim_device *d)
{
    d->c.sessions_open++;
    if (d->c.sessions_open > d->c.max_sessions)
        d->c.max_sessions = d->c.sessions_open;
}

void sim_device_session_close(sim_device *d)
{
    if (d->c.sessions_open > 0)
        d->c.sessions_open--;
}

void sim_device_config_enter(sim_device *d)
{
    d->c.in_config++;
    if (d->c.in_config > d->c.max_in_config)
        d->c.max_in_config = d->c.in_config;
}

void sim_device_config_leave(sim_device *d)
{
    if (d->c.in_config > 0)
        d->c.in_config--;
}

/* ---- VLANs ----------------------------------------------------------------------------- */

sim_vlan *sim_vlan_find(sim_device *d, unsigned id)
{
    size_t lo = 0, hi = d->nvlans;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (d->vlans[mid].id == id)
            return &d->vlans[mid];
        if (d->vlans[mid].id < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

sim_vlan *sim_vlan_add(sim_device *d, unsigned id)
{
    sim_vlan *v = sim_vlan_find(d, id);
    if (v)
        return v;
    if (id < 1 || id > 4094)
        return NULL;
    if (d->nvlans == d->capvlans) {
        size_t cap = d->capvlans ? d->capvlans * 2 : 16;
        sim_vlan *p = realloc(d->vlans, cap * sizeof *p);
        if (!p)
            return NULL;
        d->vlans = p;
        d->capvlans = cap;
    }
    size_t pos = 0;
    while (pos < d->nvlans && d->vlans[pos].id < id)
        pos++;
    memmove(&d->vlans[pos + 1], &d->vlans[pos], (d->nvlans - pos) * sizeof *d->vlans);
    d->nvlans++;
    v = &d->vlans[pos];
    v->id = (uint16_t)id;
    if (id == 1)
        snprintf(v->name, sizeof v->name, "default");
    else
        snprintf(v->name, sizeof v->name, "VLAN%04u", id);
    return v;
}

void sim_vlan_del(sim_device *d, unsigned id)
{
    sim_vlan *v = sim_vlan_find(d, id);
    if (!v)
        return;
    size_t pos = (size_t)(v - d->vlans);
    memmove(&d->vlans[pos], &d->vlans[pos + 1], (d->nvlans - pos - 1) * sizeof *d->vlans);
    d->nvlans--;
}

bool sim_vlan_is_default(const sim_device *d, unsigned id)
{
    return id == 1 || (sim_persona_base(d->persona) == SIM_IOS && id >= 1002 && id <= 1005);
}

int sim_vlan_list_parse(const char *s, uint8_t bits[512], size_t *bad)
{
    memset(bits, 0, 512);
    int count = 0;
    size_t i = 0, n = strlen(s);
    for (;;) {
        size_t st = i;
        long a = 0, b;
        while (i < n && isdigit((unsigned char)s[i]) && i - st < 5)
            a = a * 10 + (s[i++] - '0');
        if (i == st || a < 1 || a > 4094) {
            if (bad)
                *bad = i == st ? st : (a > 4094 ? i - 1 : st);
            return -1;
        }
        b = a;
        if (i < n && s[i] == '-') {
            size_t st2 = ++i;
            b = 0;
            while (i < n && isdigit((unsigned char)s[i]) && i - st2 < 5)
                b = b * 10 + (s[i++] - '0');
            if (i == st2 || b < a || b > 4094) {
                if (bad)
                    *bad = i == st2 ? st2 : (b > 4094 ? i - 1 : st2);
                return -1;
            }
        }
        for (long v = a; v <= b; v++) {
            if (!(bits[v >> 3] & (1u << (v & 7))))
                count++;
            bits[v >> 3] |= (uint8_t)(1u << (v & 7));
        }
        if (i == n)
            return count;
        if (s[i] != ',' || i + 1 == n) {
            if (bad)
                *bad = s[i] == ',' ? i + 1 : i;
            return -1;
        }
        i++;
    }
}

/* ---- interfaces ------------------------------------------------------------------------ */

sim_intf *sim_intf_find(sim_device *d, const char *canon)
{
    for (size_t i = 0; i < d->nintfs; i++)
        if (strcmp(d->intfs[i].name, canon) == 0)
            return &d->intfs[i];
    return NULL;
}

sim_intf *sim_intf_create(sim_device *d, const char *canon, int kind)
{
    sim_intf *i = sim_intf_find(d, canon);
    if (i)
        return i;
    if (kind != SIM_IF_SVI && kind != SIM_IF_LOOP)
        return NULL;
    i = intf_append(d, canon, kind);
    if (i)
        i->routed = true;
    return i;
}

int sim_intf_delete(sim_device *d, const char *canon)
{
    sim_intf *i = sim_intf_find(d, canon);
    if (!i || i->kind == SIM_IF_PHYS || i->kind == SIM_IF_MGMT)
        return -1;
    free(i->desc);
    size_t pos = (size_t)(i - d->intfs);
    memmove(&d->intfs[pos], &d->intfs[pos + 1], (d->nintfs - pos - 1) * sizeof *d->intfs);
    d->nintfs--;
    return 0;
}

bool sim_intf_in_vlan(const sim_intf *i, unsigned id)
{
    return i->kind == SIM_IF_PHYS && !i->routed && i->swmode != SIM_SW_TRUNK &&
           i->access_vlan == id;
}

bool sim_intf_up(const sim_device *d, const sim_intf *i)
{
    if (i->shutdown)
        return false;
    if (i->kind == SIM_IF_SVI) {
        unsigned id = (unsigned)strtoul(i->name + 4, NULL, 10);
        return sim_vlan_find((sim_device *)d, id) != NULL;
    }
    return true;
}

uint32_t sim_device_hash(const sim_device *d)
{
    uint32_t h = 2166136261u;
    for (const char *s = d->name; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 16777619u;
    }
    return h;
}
