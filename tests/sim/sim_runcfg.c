/* sim_runcfg.c — the configuration text of a device per personality: what `show
 * running-config` prints and what `write memory` saves (see sim_show.h). It reflects the
 * modelled state (hostname, VLANs, interfaces, users); the rest is fixed boilerplate a real
 * device of that kind shows. Not a config parser: sim_cli.c replays saved text through the
 * CLI. */
#include "sim_flash.h"
#include "sim_show.h"

#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static int ap(na_buf *b, na_err *e, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int ap(na_buf *b, na_err *e, const char *fmt, ...)
{
    va_list a;
    va_start(a, fmt);
    int rc = na_buf_vprintf(b, e, fmt, a);
    va_end(a);
    return rc;
}

static void ip_str(uint32_t ip, char *out, size_t cap)
{
    struct in_addr a = {.s_addr = htonl(ip)};
    inet_ntop(AF_INET, &a, out, (socklen_t)cap);
}

static int mask_len(uint32_t m)
{
    int n = 0;
    while (m & 0x80000000u) {
        n++;
        m <<= 1;
    }
    return n;
}

/* VLANs that keep their default name are listed as ranges ("vlan 20-22"); named ones get a
 * block with the name. indent is the sub-mode indentation. */
static int vlans_block(const sim_device *d, const char *indent, const char *sep, na_buf *o,
                       na_err *e)
{
    char dflt[16];
    size_t i = 0;
    while (i < d->nvlans) {
        const sim_vlan *v = &d->vlans[i];
        if (sim_vlan_is_default(d, v->id)) {
            i++;
            continue;
        }
        snprintf(dflt, sizeof dflt, "VLAN%04u", v->id);
        if (strcmp(v->name, dflt) != 0) {
            if (ap(o, e, "vlan %u\n%sname %s\n%s", v->id, indent, v->name, sep) < 0)
                return -1;
            i++;
            continue;
        }
        size_t j = i;
        while (j + 1 < d->nvlans && d->vlans[j + 1].id == d->vlans[j].id + 1 &&
               !sim_vlan_is_default(d, d->vlans[j + 1].id)) {
            snprintf(dflt, sizeof dflt, "VLAN%04u", d->vlans[j + 1].id);
            if (strcmp(d->vlans[j + 1].name, dflt) != 0)
                break;
            j++;
        }
        int rc = j == i ? ap(o, e, "vlan %u\n%s", v->id, sep)
                        : ap(o, e, "vlan %u-%u\n%s", v->id, d->vlans[j].id, sep);
        if (rc < 0)
            return -1;
        i = j + 1;
    }
    return 0;
}

static int intf_body(const sim_device *d, const sim_intf *it, const char *in, na_buf *o,
                     na_err *e)
{
    char ip[32], mk[32];
    if (it->desc && ap(o, e, "%sdescription %s\n", in, it->desc) < 0)
        return -1;
    if (it->kind == SIM_IF_PHYS && !it->routed) {
        if (it->access_vlan != 1 &&
            ap(o, e, "%sswitchport access vlan %u\n", in, it->access_vlan) < 0)
            return -1;
        if (it->swmode != SIM_SW_DEFAULT &&
            ap(o, e, "%sswitchport mode %s\n", in,
               it->swmode == SIM_SW_TRUNK ? "trunk" : "access") < 0)
            return -1;
    }
    if (it->kind == SIM_IF_PHYS && it->routed && ap(o, e, "%sno switchport\n", in) < 0)
        return -1;
    bool l3 = it->routed || it->kind != SIM_IF_PHYS;
    if (l3 && it->kind != SIM_IF_MGMT) {
        if (it->ip) {
            ip_str(it->ip, ip, sizeof ip);
            ip_str(it->mask, mk, sizeof mk);
            int rc = sim_persona_base(d->persona) == SIM_IOS
                         ? ap(o, e, "%sip address %s %s\n", in, ip, mk)
                         : ap(o, e, "%sip address %s/%d\n", in, ip, mask_len(it->mask));
            if (rc < 0)
                return -1;
        } else if (sim_persona_base(d->persona) == SIM_IOS &&
                   ap(o, e, "%sno ip address\n", in) < 0) {
            return -1;
        }
    }
    if (it->kind == SIM_IF_MGMT && d->persona == SIM_NXOS &&
        ap(o, e, "%svrf member management\n", in) < 0)
        return -1;
    if (it->shutdown && ap(o, e, "%sshutdown\n", in) < 0)
        return -1;
    return 0;
}

static int config_ios(const sim_device *d, na_buf *o, na_err *e)
{
    char h1[96], h2[96];
    sim_fake_hash(d->creds ? d->creds->secret : "", "mQ3xk2Lp", h1, sizeof h1);
    sim_fake_hash(d->creds ? d->creds->password : "", "Zq81bYt0", h2, sizeof h2);
    if (ap(o, e,
           "!\nversion 15.2\nno service pad\nservice timestamps debug datetime msec\n"
           "service timestamps log datetime msec\nno service password-encryption\n!\n"
           "hostname %s\n!\nboot-start-marker\nboot-end-marker\n!\n"
           "enable secret 9 %s\n!\nusername %s%s secret 9 %s\nno aaa new-model\n"
           "system mtu routing 1500\nvtp mode transparent\n!\n!\nno ip domain-lookup\n!\n!\n"
           "spanning-tree mode rapid-pvst\nspanning-tree extend system-id\n!\n"
           "vlan internal allocation policy ascending\n!\n",
           d->hostname, h1, d->creds ? d->creds->username : "admin",
           d->f.priv15 ? " privilege 15" : "", h2) < 0)
        return -1;
    if (vlans_block(d, " ", "!\n", o, e) < 0 || ap(o, e, "!\n") < 0)
        return -1;
    if (sim_archive_render(d, o, e) < 0)
        return -1;
    for (size_t i = 0; i < d->nintfs; i++) {
        if (ap(o, e, "interface %s\n", d->intfs[i].name) < 0 ||
            intf_body(d, &d->intfs[i], " ", o, e) < 0 || ap(o, e, "!\n") < 0)
            return -1;
    }
    if (sim_bgp_render(d, o, e) < 0)
        return -1;
    if (ap(o, e, "ip forward-protocol nd\nno ip http server\nno ip http secure-server\n!\n"
                 "ip ssh version 2\n!\n") < 0 ||
        sim_flash_runcfg(d, o, e) < 0) /* ip scp server enable (sim_flash.c) */
        return -1;
    const char *banner = d->f.banner ? d->f.banner : d->creds ? d->creds->banner : NULL;
    if (banner && *banner && ap(o, e, "banner motd ^C\n%s\n^C\n!\n", banner) < 0)
        return -1;
    return ap(o, e, "line con 0\nline vty 0 4\n login local\n transport input ssh telnet\n"
                    "line vty 5 15\n login local\n transport input ssh telnet\n!\nend\n");
}

static int config_nxos(const sim_device *d, na_buf *o, na_err *e)
{
    char h[96];
    sim_fake_hash(d->creds ? d->creds->password : "", "Xa7Uc1qE", h, sizeof h);
    if (ap(o, e,
           "version 9.3(8) Bios:version 05.45 \nhostname %s\nvdc %s id 1\n"
           "  limit-resource vlan minimum 16 maximum 4094\n"
           "  limit-resource vrf minimum 2 maximum 4096\n"
           "  limit-resource port-channel minimum 0 maximum 511\n\n"
           "feature telnet\nfeature interface-vlan\n\nno password strength-check\n"
           "username %s password 5 %s  role network-admin\nip domain-lookup\n"
           "copp profile strict\n\n",
           d->hostname, d->hostname, d->creds ? d->creds->username : "admin", h) < 0)
        return -1;
    /* "vlan 1,10,20-22" then the named ones */
    char list[8192];
    size_t n = 0;
    for (size_t i = 0; i < d->nvlans && n + 16 < sizeof list; i++) {
        size_t j = i;
        while (j + 1 < d->nvlans && d->vlans[j + 1].id == d->vlans[j].id + 1)
            j++;
        if (j > i + 0)
            n += (size_t)snprintf(list + n, sizeof list - n, "%s%u-%u", n ? "," : "",
                                  d->vlans[i].id, d->vlans[j].id);
        else
            n += (size_t)snprintf(list + n, sizeof list - n, "%s%u", n ? "," : "",
                                  d->vlans[i].id);
        i = j;
    }
    if (ap(o, e, "vlan %s\n", list) < 0)
        return -1;
    char dflt[16];
    for (size_t i = 0; i < d->nvlans; i++) {
        const sim_vlan *v = &d->vlans[i];
        snprintf(dflt, sizeof dflt, "VLAN%04u", v->id);
        if (v->id != 1 && strcmp(v->name, dflt) != 0 &&
            ap(o, e, "vlan %u\n  name %s\n", v->id, v->name) < 0)
            return -1;
    }
    if (ap(o, e, "\nvrf context management\n\n") < 0)
        return -1;
    for (size_t i = 0; i < d->nintfs; i++) {
        if (ap(o, e, "interface %s\n", d->intfs[i].name) < 0 ||
            intf_body(d, &d->intfs[i], "  ", o, e) < 0 || ap(o, e, "\n") < 0)
            return -1;
    }
    if (sim_flash_runcfg(d, o, e) < 0) /* feature scp-server / sftp-server (sim_flash.c) */
        return -1;
    return ap(o, e, "line console\nline vty\nboot nxos bootflash:/nxos.9.3.8.bin \n");
}

static int config_eos(const sim_device *d, na_buf *o, na_err *e)
{
    char h[96];
    sim_fake_hash(d->creds ? d->creds->password : "", "Qw3Er5Ty", h, sizeof h);
    if (ap(o, e,
           "! boot system flash:/vEOS-lab.swi\n!\nno aaa root\n!\n"
           "username %s privilege %d role network-admin secret sha512 %s\n!\n"
           "transceiver qsfp default-mode 4x10G\n!\n"
           "service routing protocols model multi-agent\n!\nhostname %s\n!\n"
           "spanning-tree mode mstp\n!\n",
           d->creds ? d->creds->username : "admin", d->f.priv15 ? 15 : 1, h, d->hostname) < 0)
        return -1;
    if (vlans_block(d, "   ", "!\n", o, e) < 0)
        return -1;
    for (size_t i = 0; i < d->nintfs; i++) {
        if (ap(o, e, "interface %s\n", d->intfs[i].name) < 0 ||
            intf_body(d, &d->intfs[i], "   ", o, e) < 0 || ap(o, e, "!\n") < 0)
            return -1;
    }
    return ap(o, e, "no ip routing\n!\nend\n");
}

int sim_render_config(const sim_device *d, na_buf *out, na_err *err)
{
    if (d->persona == SIM_NXOS)
        return config_nxos(d, out, err);
    if (d->persona == SIM_EOS)
        return config_eos(d, out, err);
    return config_ios(d, out, err);
}

int sim_show_running(const sim_device *d, na_buf *out, na_err *err)
{
    na_buf body;
    na_buf_init(&body, out->max);
    if (sim_render_config(d, &body, err) < 0) {
        na_buf_free(&body);
        return -1;
    }
    int rc;
    if (d->persona == SIM_NXOS) {
        time_t t = (time_t)(d->clock_ms() / 1000);
        struct tm tm;
        char ts[64];
        gmtime_r(&t, &tm);
        strftime(ts, sizeof ts, "%a %b %e %H:%M:%S %Y", &tm);
        rc = ap(out, err, "\n!Command: show running-config\n!No configuration change since "
                          "last restart\n!Time: %s\n\n%s",
                ts, na_buf_cstr(&body));
    } else if (d->persona == SIM_EOS) {
        rc = ap(out, err, "! Command: show running-config\n! device: %s (vEOS-lab, "
                          "EOS-4.26.1F)\n!\n%s",
                d->hostname, na_buf_cstr(&body));
    } else {
        rc = ap(out, err, "Building configuration...\n\nCurrent configuration : %zu bytes\n%s\n",
                body.len, na_buf_cstr(&body));
    }
    na_buf_free(&body);
    return rc;
}

int sim_show_startup(const sim_device *d, na_buf *out, na_err *err)
{
    if (!d->startup) {
        if (sim_persona_base(d->persona) == SIM_IOS)
            return ap(out, err, "startup-config is not present\n");
        return 0;
    }
    int rc;
    if (sim_persona_base(d->persona) == SIM_IOS)
        rc = ap(out, err, "Using %zu out of 524288 bytes\n", d->startup_len);
    else if (d->persona == SIM_NXOS)
        rc = ap(out, err, "\n!Command: show startup-config\n\n");
    else
        rc = ap(out, err, "! Command: show startup-config\n");
    if (rc < 0)
        return -1;
    return na_buf_append(out, d->startup, d->startup_len, "startup-config", err);
}
