/* sim_cmds_cfg.c — configuration-mode commands: hostname, VLANs (with ranges and the vlan
 * sub-mode), interfaces (description, switchport, shutdown, IP address) and the mode moves
 * (end, exit, do). They change the device's shared state, so every session sees the result.
 * Not the table: sim_cmds.c lists which personality and mode has which command. */
#include "sim_term_int.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Leaving configuration: the message IOS logs (printed after the prompt with --opt async). */
static void configured(sim_term *t)
{
    char host[64];
    snprintf(host, sizeof host, "%s", t->peer);
    char *colon = strrchr(host, ':');
    if (colon)
        *colon = '\0';
    sim_t_async(t, "SYS-5-CONFIG_I", "Configured from console by %s on vty%d (%s)",
                t->user[0] ? t->user : "admin", t->vty, host[0] ? host : "127.0.0.1");
}

void sim_c_end(sim_term *t, const sim_args *a)
{
    (void)a;
    sim_t_set_mode(t, SIM_M_PRIV);
    configured(t);
}

void sim_c_exit(sim_term *t, const sim_args *a)
{
    (void)a;
    sim_t_set_mode(t, t->mode == SIM_M_CONF  ? SIM_M_PRIV
                      : t->mode == SIM_M_AF ? SIM_M_RTR /* exit-address-family */
                                            : SIM_M_CONF);
    if (t->mode == SIM_M_PRIV)
        configured(t);
}

/* ntp server [vrf NAME] A.B.C.D (ios): the simulator has no VRF, so naming one is IOS's error
 * that no failure pattern lists (issue 12: "% IP  routing table foo does not exist"). */
void sim_c_ntp_server(sim_term *t, const sim_args *a)
{
    if (a->n == 5) {
        char vrf[64];
        sim_arg(a, 3, vrf, sizeof vrf);
        sim_t_printf(t, "%% IP  routing table %s does not exist\n", vrf);
    }
}

void sim_c_do(sim_term *t, const sim_args *a)
{
    sim_dispatch(t, a->line, a->off[1], SIM_M_PRIV, t->cmd_plen);
}

/* ---- hostname ------------------------------------------------------------------------------- */

void sim_c_hostname(sim_term *t, const sim_args *a)
{
    char h[128];
    sim_arg(a, 1, h, sizeof h);
    size_t l = strlen(h);
    bool ok = l > 0 && l <= 63 && isalpha((unsigned char)h[0]) && h[l - 1] != '-';
    for (size_t i = 0; ok && i < l; i++)
        ok = isalnum((unsigned char)h[i]) || h[i] == '-' || (h[i] == '.' && t->dev->persona);
    if (!ok) {
        sim_t_puts(t, sim_persona_base(t->dev->persona) == SIM_IOS
                          ? "% Hostname contains one or more illegal characters.\n"
                          : "% Invalid hostname\n");
        return;
    }
    snprintf(t->dev->hostname, sizeof t->dev->hostname, "%s", h);
}

void sim_c_no_hostname(sim_term *t, const sim_args *a)
{
    (void)a;
    snprintf(t->dev->hostname, sizeof t->dev->hostname, "Switch");
}

/* ---- VLANs ------------------------------------------------------------------------------------ */

static bool vlan_set(const uint8_t *bits, unsigned v) { return bits[v >> 3] & (1u << (v & 7)); }

static int vlan_bits(const sim_args *a, int i, uint8_t bits[512])
{
    char list[512];
    sim_arg(a, i, list, sizeof list);
    return sim_vlan_list_parse(list, bits, NULL);
}

void sim_c_vlan(sim_term *t, const sim_args *a)
{
    uint8_t bits[512];
    if (vlan_bits(a, 1, bits) <= 0)
        return;
    for (unsigned v = 1; v <= 4094; v++) {
        if (!vlan_set(bits, v))
            continue;
        if (sim_persona_base(t->dev->persona) == SIM_IOS && v >= 1002 && v <= 1005) {
            sim_t_printf(t, "%%Default VLAN %u may not be modified.\n", v);
            return;
        }
        if (!sim_vlan_add(t->dev, v)) {
            sim_t_puts(t, "% Not enough memory\n");
            return;
        }
    }
    memcpy(t->vlan_bits, bits, sizeof t->vlan_bits);
    sim_arg(a, 1, t->vlan_list, sizeof t->vlan_list);
    sim_t_set_mode(t, SIM_M_VLAN);
}

void sim_c_no_vlan(sim_term *t, const sim_args *a)
{
    uint8_t bits[512];
    if (vlan_bits(a, 2, bits) <= 0)
        return;
    for (unsigned v = 1; v <= 4094; v++) {
        if (!vlan_set(bits, v))
            continue;
        if (sim_vlan_is_default(t->dev, v)) {
            if (t->dev->persona == SIM_NXOS)
                sim_t_printf(t, "ERROR: VLAN %u is the default VLAN and cannot be deleted\n", v);
            else
                sim_t_printf(t, "%%Default VLAN %u may not be deleted.\n", v);
            continue;
        }
        sim_vlan_del(t->dev, v);
    }
}

void sim_c_vlan_name(sim_term *t, const sim_args *a)
{
    char name[128];
    sim_arg(a, 1, name, sizeof name);
    if (strlen(name) > 32) {
        sim_t_invalid_at(t, a->off[1] + 32);
        return;
    }
    for (unsigned v = 1; v <= 4094; v++) {
        if (!vlan_set(t->vlan_bits, v))
            continue;
        if (sim_vlan_is_default(t->dev, v)) {
            sim_t_printf(t, "%%Default VLAN %u may not have its name changed.\n", v);
            continue;
        }
        sim_vlan *x = sim_vlan_find(t->dev, v);
        if (!x)
            x = sim_vlan_add(t->dev, v);
        if (x)
            snprintf(x->name, sizeof x->name, "%s", name);
    }
}

void sim_c_vlan_no_name(sim_term *t, const sim_args *a)
{
    (void)a;
    for (unsigned v = 2; v <= 4094; v++) {
        sim_vlan *x = vlan_set(t->vlan_bits, v) ? sim_vlan_find(t->dev, v) : NULL;
        if (x && !sim_vlan_is_default(t->dev, v))
            snprintf(x->name, sizeof x->name, "VLAN%04u", v);
    }
}

/* ---- interfaces --------------------------------------------------------------------------------- */

/* Column of the first digit of argument i (where IOS puts the caret for a bad number). */
static size_t digit_col(const sim_args *a, int i)
{
    size_t c = a->off[i];
    while (c < a->off[i] + a->len[i] && !isdigit((unsigned char)a->line[c]))
        c++;
    return c;
}

void sim_c_interface(sim_term *t, const sim_args *a)
{
    sim_intf *it = sim_intf_find(t->dev, a->ifname);
    if (!it)
        it = sim_intf_create(t->dev, a->ifname, a->ifkind);
    if (!it) {
        sim_t_invalid_at(t, digit_col(a, 1));
        return;
    }
    snprintf(t->ifname, sizeof t->ifname, "%s", it->name);
    sim_t_set_mode(t, SIM_M_IF);
}

void sim_c_no_interface(sim_term *t, const sim_args *a)
{
    if (sim_intf_delete(t->dev, a->ifname) < 0)
        sim_t_invalid_at(t, digit_col(a, 2));
}

static sim_intf *cur_if(sim_term *t) { return sim_intf_find(t->dev, t->ifname); }

void sim_c_description(sim_term *t, const sim_args *a)
{
    sim_intf *it = cur_if(t);
    if (!it)
        return;
    size_t l = a->len[1] > 240 ? 240 : a->len[1];
    char *d = malloc(l + 1);
    if (!d)
        return;
    memcpy(d, a->line + a->off[1], l);
    d[l] = '\0';
    free(it->desc);
    it->desc = d;
}

void sim_c_no_description(sim_term *t, const sim_args *a)
{
    (void)a;
    sim_intf *it = cur_if(t);
    if (it) {
        free(it->desc);
        it->desc = NULL;
    }
}

/* switchport commands exist on physical ports only */
static sim_intf *l2_if(sim_term *t, const sim_args *a, int kwpos)
{
    sim_intf *it = cur_if(t);
    if (it && it->kind != SIM_IF_PHYS) {
        sim_t_invalid_at(t, a->off[kwpos]);
        return NULL;
    }
    return it;
}

void sim_c_switchport(sim_term *t, const sim_args *a)
{
    sim_intf *it = l2_if(t, a, 0);
    if (it && it->routed) {
        it->routed = false;
        it->ip = it->mask = 0;
        it->ip_method = SIM_IPM_UNSET;
    }
}

void sim_c_no_switchport(sim_term *t, const sim_args *a)
{
    sim_intf *it = l2_if(t, a, 1);
    if (it)
        it->routed = true;
}

void sim_c_swmode(sim_term *t, const sim_args *a)
{
    sim_intf *it = l2_if(t, a, 0);
    if (!it)
        return;
    it->routed = false;
    it->swmode = strncmp(a->kw[2], "trunk", 5) == 0 ? SIM_SW_TRUNK : SIM_SW_ACCESS;
}

void sim_c_no_swmode(sim_term *t, const sim_args *a)
{
    sim_intf *it = l2_if(t, a, 1);
    if (it)
        it->swmode = SIM_SW_DEFAULT;
}

void sim_c_access_vlan(sim_term *t, const sim_args *a)
{
    sim_intf *it = l2_if(t, a, 0);
    if (!it)
        return;
    unsigned v = (unsigned)a->num[3];
    if (!sim_vlan_find(t->dev, v)) {
        if (sim_persona_base(t->dev->persona) == SIM_IOS && !t->loading)
            sim_t_printf(t, "%% Access VLAN does not exist. Creating vlan %u\n", v);
        sim_vlan_add(t->dev, v);
    }
    it->routed = false;
    it->access_vlan = (uint16_t)v;
}

void sim_c_no_access_vlan(sim_term *t, const sim_args *a)
{
    sim_intf *it = l2_if(t, a, 1);
    if (it)
        it->access_vlan = 1;
}

void sim_c_shutdown(sim_term *t, const sim_args *a)
{
    (void)a;
    sim_intf *it = cur_if(t);
    if (it && !it->shutdown)
        sim_t_async(t, "LINK-5-CHANGED", "Interface %s, changed state to administratively down",
                    it->name);
    if (it)
        it->shutdown = true;
}

void sim_c_no_shutdown(sim_term *t, const sim_args *a)
{
    (void)a;
    sim_intf *it = cur_if(t);
    if (it && it->shutdown) {
        sim_t_async(t, "LINK-3-UPDOWN", "Interface %s, changed state to up", it->name);
        sim_t_async(t, "LINEPROTO-5-UPDOWN", "Line protocol on Interface %s, changed state to up",
                    it->name);
    }
    if (it)
        it->shutdown = false;
}

static int parse_ip(const sim_args *a, int i, uint32_t *out)
{
    char s[64];
    sim_arg(a, i, s, sizeof s);
    char *slash = strchr(s, '/');
    if (slash)
        *slash = '\0';
    struct in_addr x;
    if (inet_pton(AF_INET, s, &x) != 1)
        return -1;
    *out = ntohl(x.s_addr);
    return slash ? atoi(slash + 1) : 0;
}

void sim_c_ip_address(sim_term *t, const sim_args *a)
{
    sim_intf *it = cur_if(t);
    if (!it)
        return;
    if (it->kind == SIM_IF_PHYS && !it->routed) {
        sim_t_invalid_at(t, a->off[1]);
        return;
    }
    uint32_t ip = 0, mask = 0;
    int plen = parse_ip(a, 2, &ip);
    if (a->n == 4) {
        if (parse_ip(a, 3, &mask) < 0)
            return;
    } else {
        mask = plen == 0 ? 0 : 0xffffffffu << (32 - plen);
    }
    char ips[32];
    sim_arg(a, 2, ips, sizeof ips);
    bool bad = mask == 0 || (~mask & (~mask + 1)) != 0;
    if (!bad && mask < 0xfffffffeu)
        bad = (ip & ~mask) == 0 || (ip | mask) == ~0u; /* network or broadcast address */
    if (bad) {
        if (sim_persona_base(t->dev->persona) == SIM_IOS)
            sim_t_printf(t, "Bad mask 0x%X for address %s\n", mask, ips);
        else
            sim_t_puts(t, "% Invalid ip address\n");
        return;
    }
    for (size_t k = 0; k < t->dev->nintfs; k++) {
        const sim_intf *o = &t->dev->intfs[k];
        if (o == it || !o->ip)
            continue;
        uint32_t m = o->mask < mask ? o->mask : mask;
        if ((o->ip & m) == (ip & m)) {
            struct in_addr net = {.s_addr = htonl(ip & mask)};
            char ns[32];
            inet_ntop(AF_INET, &net, ns, sizeof ns);
            sim_t_printf(t, "%% %s overlaps with %s\n", ns, o->name);
            return;
        }
    }
    it->ip = ip;
    it->mask = mask;
    it->ip_method = t->loading ? SIM_IPM_NVRAM : SIM_IPM_MANUAL;
}

void sim_c_no_ip_address(sim_term *t, const sim_args *a)
{
    (void)a;
    sim_intf *it = cur_if(t);
    if (it) {
        it->ip = it->mask = 0;
        it->ip_method = SIM_IPM_UNSET;
    }
}
