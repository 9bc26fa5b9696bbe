/* sim_show.c — show command output per personality (see sim_show.h): VLAN tables, interface
 * tables, version, clock and tech-support. The configuration text is in sim_runcfg.c. Not a
 * parser and not a pager. */
#include "sim_show.h"

#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>

static int ap(na_buf *b, na_err *e, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int ap(na_buf *b, na_err *e, const char *fmt, ...)
{
    va_list a;
    va_start(a, fmt);
    int rc = na_buf_vprintf(b, e, fmt, a);
    va_end(a);
    return rc;
}

void sim_fake_hash(const char *secret, const char *salt, char *out, size_t cap)
{
    static const char abc[] =
        "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    unsigned char md[32];
    unsigned int mdlen = 0;
    EVP_MD_CTX *c = EVP_MD_CTX_new();
    if (c && EVP_DigestInit_ex(c, EVP_sha256(), NULL) == 1 &&
        EVP_DigestUpdate(c, salt, strlen(salt)) == 1 &&
        EVP_DigestUpdate(c, secret, strlen(secret)) == 1)
        EVP_DigestFinal_ex(c, md, &mdlen);
    EVP_MD_CTX_free(c);
    if (mdlen != 32)
        memset(md, 0, sizeof md);
    char h[44];
    for (int i = 0; i < 43; i++)
        h[i] = abc[(md[i % 32] + i * 7) & 63];
    h[43] = '\0';
    snprintf(out, cap, "$9$%s$%s", salt, h);
}

/* ---- time helpers ---------------------------------------------------------------------- */

static const char *const wday[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
static const char *const mon[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                  "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

static void utc(int64_t ms, struct tm *tm)
{
    time_t t = (time_t)(ms / 1000);
    gmtime_r(&t, tm);
}

int sim_show_clock(const sim_device *d, na_buf *out, na_err *err)
{
    int64_t ms = d->clock_ms();
    struct tm tm;
    utc(ms, &tm);
    int frac = (int)(ms % 1000);
    switch (d->persona) {
    case SIM_NXOS:
        return ap(out, err, "%02d:%02d:%02d.%03d UTC %s %s %d %d\nTime source is local\n",
                  tm.tm_hour, tm.tm_min, tm.tm_sec, frac, wday[tm.tm_wday], mon[tm.tm_mon],
                  tm.tm_mday, tm.tm_year + 1900);
    case SIM_EOS:
        return ap(out, err, "%s %s %2d %02d:%02d:%02d %d\nTimezone: UTC\nClock source: local\n",
                  wday[tm.tm_wday], mon[tm.tm_mon], tm.tm_mday, tm.tm_hour, tm.tm_min,
                  tm.tm_sec, tm.tm_year + 1900);
    default:
        return ap(out, err, "*%02d:%02d:%02d.%03d UTC %s %s %d %d\n", tm.tm_hour, tm.tm_min,
                  tm.tm_sec, frac, wday[tm.tm_wday], mon[tm.tm_mon], tm.tm_mday,
                  tm.tm_year + 1900);
    }
}

static const char *plural(long v) { return v == 1 ? "" : "s"; }

/* ---- VLAN tables ----------------------------------------------------------------------- */

/* Ports of a VLAN wrapped like the device does: IOS puts four per line, NX-OS and EOS fill
 * the 31/32-column Ports field. Each line goes through emit(). */
static int vlan_rows(const sim_device *d, const sim_vlan *v, const char *status, na_buf *out,
                     na_err *err)
{
    char ports[2048];
    size_t plen = 0, nports = 0;
    size_t width = d->persona == SIM_NXOS ? 32 : 31;
    int idw = d->persona == SIM_EOS ? 5 : 4;
    char line[4096];
    int first = 1;
    ports[0] = '\0';
    for (size_t i = 0; i <= d->nintfs; i++) {
        const sim_intf *it = i < d->nintfs ? &d->intfs[i] : NULL;
        char sh[32] = "";
        if (it) {
            if (!sim_intf_in_vlan(it, v->id))
                continue;
            sim_intf_short(d->persona, it->name, sh, sizeof sh);
        }
        bool wrap;
        if (!it)
            wrap = true;
        else if (sim_persona_base(d->persona) == SIM_IOS)
            wrap = nports == 4;
        else
            wrap = nports > 0 && plen + 2 + strlen(sh) > width;
        if (wrap && (nports > 0 || first)) {
            if (first)
                snprintf(line, sizeof line, "%-*u %-32.32s %-9s %s", idw, v->id, v->name, status,
                         ports);
            else
                snprintf(line, sizeof line, "%*s%s", idw + 1 + 33 + 10, "", ports);
            size_t l = strlen(line);
            if (sim_persona_base(d->persona) != SIM_IOS)
                while (l > 0 && line[l - 1] == ' ')
                    line[--l] = '\0';
            if (ap(out, err, "%s\n", line) < 0)
                return -1;
            first = 0;
            plen = 0;
            nports = 0;
            ports[0] = '\0';
        }
        if (it) {
            plen += (size_t)snprintf(ports + plen, sizeof ports - plen, "%s%s",
                                     nports ? ", " : "", sh);
            nports++;
        }
    }
    return 0;
}

int sim_show_vlan(const sim_device *d, bool brief, na_buf *out, na_err *err)
{
    int rc = 0;
    if (d->persona == SIM_NXOS)
        rc = ap(out, err, "\n");
    if (d->persona == SIM_EOS)
        rc |= ap(out, err, "VLAN  Name                             Status    Ports\n"
                           "----- -------------------------------- --------- "
                           "-------------------------------\n");
    else
        rc |= ap(out, err, "VLAN Name                             Status    Ports\n"
                           "---- -------------------------------- --------- "
                           "-------------------------------\n");
    if (rc < 0)
        return -1;
    for (size_t i = 0; i < d->nvlans; i++) {
        const sim_vlan *v = &d->vlans[i];
        bool unsup = sim_persona_base(d->persona) == SIM_IOS && v->id >= 1002 && v->id <= 1005;
        const char *st = unsup ? "act/unsup" : "active";
        if (vlan_rows(d, v, st, out, err) < 0)
            return -1;
    }
    if (brief || d->persona == SIM_EOS)
        return 0;
    if (d->persona == SIM_NXOS) {
        if (ap(out, err, "\nVLAN Type         Vlan-mode\n---- -----        ----------\n") < 0)
            return -1;
        for (size_t i = 0; i < d->nvlans; i++)
            if (ap(out, err, "%-4u enet         CE\n", d->vlans[i].id) < 0)
                return -1;
        return ap(out, err, "\nRemote SPAN VLANs\n"
                            "-------------------------------------------------------------"
                            "------------------\n\nPrimary  Secondary  Type             Ports\n"
                            "-------  ---------  ---------------  -------------------------"
                            "------------------\n\n");
    }
    if (ap(out, err, "\nVLAN Type  SAID       MTU   Parent RingNo BridgeNo Stp  BrdgMode "
                     "Trans1 Trans2\n---- ----- ---------- ----- ------ ------ -------- ---- "
                     "-------- ------ ------\n") < 0)
        return -1;
    for (size_t i = 0; i < d->nvlans; i++) {
        unsigned id = d->vlans[i].id;
        const char *type = "enet", *stp = "-", *brdg = "-";
        if (id == 1002)
            type = "fddi";
        else if (id == 1003)
            type = "tr", brdg = "srb";
        else if (id == 1004)
            type = "fdnet", stp = "ieee";
        else if (id == 1005)
            type = "trnet", stp = "ibm";
        if (ap(out, err, "%-4u %-5s %-10u %-5d -      -      -        %-4s %-8s 0      0   \n",
               id, type, 100000 + id, 1500, stp, brdg) < 0)
            return -1;
    }
    return ap(out, err, "\nRemote SPAN VLANs\n"
                        "------------------------------------------------------------------"
                        "------------\n\n\nPrimary Secondary Type              Ports\n"
                        "------- --------- ----------------- ------------------------------"
                        "------------\n\n");
}

/* ---- interface tables ------------------------------------------------------------------ */

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

int sim_show_ip_int_brief(const sim_device *d, na_buf *out, na_err *err)
{
    char ip[32], sh[40];
    if (d->persona == SIM_NXOS) {
        if (ap(out, err, "IP Interface Status for VRF \"default\"(1)\n"
                         "Interface            IP Address      Interface Status\n") < 0)
            return -1;
        for (size_t i = 0; i < d->nintfs; i++) {
            const sim_intf *it = &d->intfs[i];
            if (!it->ip || it->kind == SIM_IF_MGMT)
                continue;
            bool up = sim_intf_up(d, it);
            char st[64];
            snprintf(st, sizeof st, "protocol-%s/link-%s/admin-%s", up ? "up" : "down",
                     up ? "up" : "down", it->shutdown ? "down" : "up");
            ip_str(it->ip, ip, sizeof ip);
            sim_intf_short(d->persona, it->name, sh, sizeof sh);
            if (ap(out, err, "%-20s %-15s %-35s\n", sh, ip, st) < 0)
                return -1;
        }
        return 0;
    }
    if (d->persona == SIM_EOS) {
        if (ap(out, err, "Interface              IP Address         Status     Protocol         "
                         "MTU\n") < 0)
            return -1;
        for (size_t i = 0; i < d->nintfs; i++) {
            const sim_intf *it = &d->intfs[i];
            if (it->kind == SIM_IF_PHYS && !it->routed)
                continue;
            char addr[40] = "unassigned";
            if (it->ip) {
                ip_str(it->ip, ip, sizeof ip);
                snprintf(addr, sizeof addr, "%s/%d", ip, mask_len(it->mask));
            }
            bool up = sim_intf_up(d, it);
            const char *proto = up ? "up" : it->kind == SIM_IF_SVI ? "lowerlayerdown" : "down";
            if (ap(out, err, "%-22s %-18s %-10s %-14s %5d\n", it->name, addr,
                   it->shutdown ? "adminDown" : up ? "up" : "down", proto,
                   it->kind == SIM_IF_LOOP ? 65535 : 1500) < 0)
                return -1;
        }
        return 0;
    }
    if (ap(out, err, "Interface                  IP-Address      OK? Method Status"
                     "                Protocol\n") < 0)
        return -1;
    static const char *const meth[] = {"unset", "manual", "NVRAM"};
    for (size_t i = 0; i < d->nintfs; i++) {
        const sim_intf *it = &d->intfs[i];
        bool up = sim_intf_up(d, it);
        if (it->ip)
            ip_str(it->ip, ip, sizeof ip);
        else
            snprintf(ip, sizeof ip, "unassigned");
        if (ap(out, err, "%-26s %-15s YES %-6s %-21s %-8s\n", it->name, ip, meth[it->ip_method],
               it->shutdown ? "administratively down" : up ? "up" : "down",
               up ? "up" : "down") < 0)
            return -1;
    }
    return 0;
}

int sim_show_int_status(const sim_device *d, na_buf *out, na_err *err)
{
    char sh[40], vl[16];
    int rc;
    if (d->persona == SIM_NXOS)
        rc = ap(out, err, "\n-----------------------------------------------------------------"
                          "---------------\nPort          Name               Status    Vlan      "
                          "Duplex  Speed   Type\n----------------------------------------------"
                          "----------------------------------\n");
    else if (d->persona == SIM_EOS)
        rc = ap(out, err, "Port       Name                   Status       Vlan        Duplex  "
                          "Speed Type\n");
    else
        rc = ap(out, err, "Port      Name               Status       Vlan       Duplex  Speed "
                          "Type\n");
    if (rc < 0)
        return -1;
    for (size_t i = 0; i < d->nintfs; i++) {
        const sim_intf *it = &d->intfs[i];
        bool mgmt = it->kind == SIM_IF_MGMT;
        if (it->kind != SIM_IF_PHYS && !(mgmt && d->persona == SIM_NXOS))
            continue;
        bool up = !it->shutdown;
        sim_intf_short(d->persona, it->name, sh, sizeof sh);
        if (it->routed)
            snprintf(vl, sizeof vl, "routed");
        else if (it->swmode == SIM_SW_TRUNK)
            snprintf(vl, sizeof vl, "trunk");
        else
            snprintf(vl, sizeof vl, "%u", it->access_vlan);
        const char *desc = it->desc ? it->desc : "";
        if (d->persona == SIM_NXOS)
            rc = ap(out, err, "%-13s %-18.18s %-9s %-9s %-7s %-7s %s\n", sh,
                    *desc ? desc : "--", up ? "connected" : "disabled", vl,
                    up ? "full" : "auto", up ? (mgmt ? "1000" : "10G") : "auto",
                    mgmt ? "--" : "10Gbase-SR");
        else if (d->persona == SIM_EOS)
            rc = ap(out, err, "%-10s %-22.22s %-12s %-11s %-6s %6s %s\n", sh, desc,
                    up ? "connected" : "disabled", vl, up ? "full" : "auto",
                    up ? "1G" : "auto", "EbraTestPhyPort");
        else
            rc = ap(out, err, "%-9s %-18.18s %-12s %-10s %6s %6s %s\n", sh, desc,
                    up ? "connected" : "disabled", vl, up ? "a-full" : "auto",
                    up ? "a-1000" : "auto", "10/100/1000BaseTX");
        if (rc < 0)
            return -1;
    }
    return 0;
}

/* ---- version --------------------------------------------------------------------------- */

static void serial(const sim_device *d, const char *prefix, char *out, size_t cap)
{
    uint32_t h = sim_device_hash(d);
    snprintf(out, cap, "%s%04u%c%c%c%c", prefix, 1000 + (h % 9000), 'A' + (h >> 8) % 26,
             'A' + (h >> 13) % 26, '0' + (h >> 18) % 10, 'A' + (h >> 22) % 26);
}

static int version_ios(const sim_device *d, na_buf *o, na_err *e)
{
    int64_t up = (d->clock_ms() - d->boot_ms) / 60000;
    if (up < 0)
        up = 0;
    long years = (long)(up / 525600), weeks = (long)(up % 525600 / 10080);
    long days = (long)(up % 10080 / 1440), hours = (long)(up % 1440 / 60), mins = (long)(up % 60);
    char upt[160] = "";
    size_t n = 0;
    if (years)
        n += (size_t)snprintf(upt + n, sizeof upt - n, "%ld year%s, ", years, plural(years));
    if (weeks)
        n += (size_t)snprintf(upt + n, sizeof upt - n, "%ld week%s, ", weeks, plural(weeks));
    if (days)
        n += (size_t)snprintf(upt + n, sizeof upt - n, "%ld day%s, ", days, plural(days));
    if (hours)
        n += (size_t)snprintf(upt + n, sizeof upt - n, "%ld hour%s, ", hours, plural(hours));
    snprintf(upt + n, sizeof upt - n, "%ld minute%s", mins, plural(mins));
    char sn[32];
    serial(d, "FDO", sn, sizeof sn);
    uint32_t h = sim_device_hash(d);
    return ap(o, e,
              "Cisco IOS Software, C3560E Software (C3560E-UNIVERSALK9-M), Version 15.2(4)E10, "
              "RELEASE SOFTWARE (fc2)\n"
              "Technical Support: http://www.cisco.com/techsupport\n"
              "Copyright (c) 1986-2020 by Cisco Systems, Inc.\n"
              "Compiled Tue 31-Mar-20 02:18 by prod_rel_team\n\n"
              "ROM: Bootstrap program is C3560E boot loader\n"
              "BOOTLDR: C3560E Boot Loader (C3560X-HBOOT-M) Version 12.2(53r)SE, RELEASE "
              "SOFTWARE (fc3)\n\n"
              "%s uptime is %s\n"
              "System returned to ROM by power-on\n"
              "System image file is \"flash:c3560e-universalk9-mz.152-4.E10.bin\"\n"
              "Last reload reason: power-on\n\n\n\n"
              "This product contains cryptographic features and is subject to United\n"
              "States and local country laws governing import, export, transfer and\n"
              "use. Delivery of Cisco cryptographic products does not imply\n"
              "third-party authority to import, export, distribute or use encryption.\n"
              "Importers, exporters, distributors and users are responsible for\n"
              "compliance with U.S. and local country laws. By using this product you\n"
              "agree to comply with applicable laws and regulations. If you are unable\n"
              "to comply with U.S. and local laws, return this product immediately.\n\n"
              "A summary of U.S. laws governing Cisco cryptographic products may be found at:\n"
              "http://www.cisco.com/wwl/export/crypto/tool/stqrg.html\n\n"
              "If you require further assistance please contact us by sending email to\n"
              "export@cisco.com.\n\n"
              "License Level: ipservices\n"
              "License Type: Permanent\n"
              "Next reload license Level: ipservices\n\n"
              "cisco WS-C3560X-24T-S (PowerPC405) processor (revision A0) with 262144K bytes "
              "of memory.\n"
              "Processor board ID %s\n"
              "Last reset from power-on\n"
              "1 Virtual Ethernet interface\n"
              "1 FastEthernet interface\n"
              "24 Gigabit Ethernet interfaces\n"
              "The password-recovery mechanism is enabled.\n\n"
              "512K bytes of flash-simulated non-volatile configuration memory.\n"
              "Base ethernet MAC Address       : 00:1E:%02X:%02X:%02X:00\n"
              "Motherboard assembly number     : 73-12554-08\n"
              "Model revision number           : A0\n"
              "Model number                    : WS-C3560X-24T-S\n"
              "System serial number            : %s\n\n\n"
              "Switch Ports Model                     SW Version            SW Image\n"
              "------ ----- -----                     ----------            ----------\n"
              "*    1 26    WS-C3560X-24T-S           15.2(4)E10            "
              "C3560E-UNIVERSALK9-M\n\n\n"
              "Configuration register is 0xF\n",
              d->hostname, upt, sn, h & 0xff, (h >> 8) & 0xff, (h >> 16) & 0xff, sn);
}

static int version_nxos(const sim_device *d, na_buf *o, na_err *e)
{
    int64_t up = (d->clock_ms() - d->boot_ms) / 1000;
    if (up < 0)
        up = 0;
    char sn[32];
    serial(d, "SAL", sn, sizeof sn);
    return ap(o, e,
              "Cisco Nexus Operating System (NX-OS) Software\n"
              "TAC support: http://www.cisco.com/tac\n"
              "Copyright (C) 2002-2021, Cisco and/or its affiliates.\n"
              "All rights reserved.\n"
              "The copyrights to certain works contained in this software are\n"
              "owned by other third parties and used and distributed under their own\n"
              "licenses, such as open source.  This software is provided \"as is,\" and unless\n"
              "otherwise stated, there is no warranty, express or implied, including but not\n"
              "limited to warranties of merchantability and fitness for a particular purpose.\n"
              "Certain components of this software are licensed under\n"
              "the GNU General Public License (GPL) version 2.0 or \n"
              "GNU General Public License (GPL) version 3.0  or the GNU\n"
              "Lesser General Public License (LGPL) Version 2.1 or \n"
              "Lesser General Public License (LGPL) Version 2.0. \n"
              "A copy of each such license is available at\n"
              "http://www.opensource.org/licenses/gpl-2.0.php and\n"
              "http://opensource.org/licenses/gpl-3.0.html and\n"
              "http://www.opensource.org/licenses/lgpl-2.1.php and\n"
              "http://www.gnu.org/licenses/old-licenses/library.txt.\n\n"
              "Software\n"
              "  BIOS: version 05.45\n"
              "  NXOS: version 9.3(8)\n"
              "  BIOS compile time:  11/22/2020\n"
              "  NXOS image file is: bootflash:///nxos.9.3.8.bin\n"
              "  NXOS compile time:  8/18/2021 15:00:00 [08/19/2021 00:06:21]\n\n\n"
              "Hardware\n"
              "  cisco Nexus9000 C93180YC-EX chassis \n"
              "  Intel(R) Xeon(R) CPU  @ 1.80GHz with 24632888 kB of memory.\n"
              "  Processor Board ID %s\n\n"
              "  Device name: %s\n"
              "  bootflash:   53298520 kB\n"
              "Kernel uptime is %ld day(s), %ld hour(s), %ld minute(s), %ld second(s)\n\n"
              "Last reset \n"
              "  Reason: Unknown\n"
              "  System version: 9.3(8)\n"
              "  Service: \n\n"
              "plugin\n"
              "  Core Plugin, Ethernet Plugin\n\n"
              "Active Package(s):\n\n",
              sn, d->hostname, (long)(up / 86400), (long)(up % 86400 / 3600),
              (long)(up % 3600 / 60), (long)(up % 60));
}

static int version_eos(const sim_device *d, na_buf *o, na_err *e)
{
    int64_t up = (d->clock_ms() - d->boot_ms) / 60000;
    if (up < 0)
        up = 0;
    uint32_t h = sim_device_hash(d);
    char sn[32];
    serial(d, "SSJ", sn, sizeof sn);
    return ap(o, e,
              "Arista vEOS-lab\n"
              "Hardware version: \n"
              "Serial number: %s\n"
              "Hardware MAC address: 5000.%02x%02x.%02x00\n"
              "System MAC address: 5000.%02x%02x.%02x00\n\n"
              "Software image version: 4.26.1F\n"
              "Architecture: x86_64\n"
              "Internal build version: 4.26.1F-22602519.4261F\n"
              "Internal build ID: 0f5c3ee1-c5e3-47d1-a54c-b5c8b1e1a9c5\n"
              "Image format version: 1.0\n"
              "Image optimization: None\n\n"
              "Uptime: %ld weeks, %ld days, %ld hours and %ld minutes\n"
              "Total memory: 2014580 kB\n"
              "Free memory: 1222664 kB\n\n",
              sn, h & 0xff, (h >> 8) & 0xff, (h >> 16) & 0xff, h & 0xff, (h >> 8) & 0xff,
              (h >> 16) & 0xff, (long)(up / 10080), (long)(up % 10080 / 1440),
              (long)(up % 1440 / 60), (long)(up % 60));
}

static int version_xr(const sim_device *d, na_buf *o, na_err *e)
{
    int64_t up = (d->clock_ms() - d->boot_ms) / 60000;
    if (up < 0)
        up = 0;
    return ap(o, e,
              "Cisco IOS XR Software, Version 7.3.2\n"
              "Copyright (c) 2013-2021 by Cisco Systems, Inc.\n\n"
              "Build Information:\n"
              " Built By     : ingunawa\n"
              " Built On     : Wed Oct 13 20:00:45 PDT 2021\n"
              " Version      : 7.3.2\n"
              " Label        : 7.3.2\n\n"
              "cisco ASR9K () processor\n"
              "System uptime is %lld minutes\n"
              "%s: 24 GigabitEthernet interfaces\n",
              (long long)up, d->hostname);
}

int sim_show_version(const sim_device *d, na_buf *out, na_err *err)
{
    if (d->persona == SIM_IOSXR)
        return version_xr(d, out, err);
    if (d->persona == SIM_NXOS)
        return version_nxos(d, out, err);
    if (d->persona == SIM_EOS)
        return version_eos(d, out, err);
    return version_ios(d, out, err);
}

/* ---- tech-support ---------------------------------------------------------------------- */

int sim_show_tech(const sim_device *d, na_buf *out, na_err *err)
{
    static const char *const names[] = {"show version", "show running-config",
                                        "show vlan brief", "show interfaces status",
                                        "show ip interface brief", "show clock"};
    for (size_t k = 0; k < sizeof names / sizeof *names; k++) {
        const char *nm = names[k];
        if (d->persona == SIM_NXOS && k == 3)
            nm = "show interface status";
        if (ap(out, err, "\n------------------ %s ------------------\n\n", nm) < 0)
            return -1;
        int rc;
        switch (k) {
        case 0: rc = sim_show_version(d, out, err); break;
        case 1: rc = sim_show_running(d, out, err); break;
        case 2: rc = sim_show_vlan(d, true, out, err); break;
        case 3: rc = sim_show_int_status(d, out, err); break;
        case 4: rc = sim_show_ip_int_brief(d, out, err); break;
        default: rc = sim_show_clock(d, out, err); break;
        }
        if (rc < 0)
            return -1;
    }
    return 0;
}
