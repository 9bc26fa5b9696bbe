/* sim_cmds.c — the command table of every personality and the exec-mode commands (show,
 * enable, terminal, copy, write, reload, ...), plus dispatch with pipes and the sub-mode
 * fallback to global configuration. Configuration-mode handlers are in sim_cmds_cfg.c. Not
 * the matcher (sim_cmd.c) and not the terminal (sim_term.c). */
#include "sim_term_int.h"

#include "clock.h"
#include "sim_flash.h"
#include "sim_show.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define IOS SIM_P(SIM_IOS)
#define NX SIM_P(SIM_NXOS)
#define EOS SIM_P(SIM_EOS)
#define ALL SIM_P_ALL

static void show_into(sim_term *t, int (*fn)(const sim_device *, na_buf *, na_err *))
{
    if (fn(t->dev, &t->txt, NULL) < 0)
        sim_t_puts(t, "% Not enough memory\n");
}

/* ---- session and privilege ----------------------------------------------------------------- */

static void enable_answer(sim_term *t, const char *line)
{
    const char *secret = t->dev->creds ? t->dev->creds->secret : "";
    if (strcmp(line, secret) == 0) {
        sim_t_set_mode(t, SIM_M_PRIV);
        return;
    }
    if (t->dev->persona == SIM_EOS) {
        sim_t_puts(t, "% Access denied\n");
        return;
    }
    if (++t->tries < 3) {
        sim_t_ask_line(t, "Password: ", false, enable_answer);
        return;
    }
    sim_t_puts(t, "% Bad secrets\n\n");
}

static void c_enable(sim_term *t, const sim_args *a)
{
    (void)a;
    if (t->mode != SIM_M_USER)
        return;
    t->tries = 0;
    sim_t_ask_line(t, "Password: ", false, enable_answer);
}

static void c_disable(sim_term *t, const sim_args *a)
{
    (void)a;
    sim_t_set_mode(t, SIM_M_USER);
}

static void c_logout(sim_term *t, const sim_args *a)
{
    (void)a;
    sim_t_close(t);
}

static void c_term_length(sim_term *t, const sim_args *a)
{
    t->length = (int)a->num[2];
    t->length_set = true;
}

static void c_term_width(sim_term *t, const sim_args *a)
{
    t->width = (int)a->num[2];
    t->width_set = true;
}

static void c_nothing(sim_term *t, const sim_args *a)
{
    (void)t;
    (void)a;
}

/* ---- show ------------------------------------------------------------------------------------ */

static void c_show_version(sim_term *t, const sim_args *a) { (void)a; show_into(t, sim_show_version); }
static void c_show_clock(sim_term *t, const sim_args *a) { (void)a; show_into(t, sim_show_clock); }
static void c_show_running(sim_term *t, const sim_args *a) { (void)a; show_into(t, sim_show_running); }
static void c_show_startup(sim_term *t, const sim_args *a) { (void)a; show_into(t, sim_show_startup); }
static void c_show_ipbrief(sim_term *t, const sim_args *a) { (void)a; show_into(t, sim_show_ip_int_brief); }
static void c_show_status(sim_term *t, const sim_args *a) { (void)a; show_into(t, sim_show_int_status); }

static void c_show_vlan(sim_term *t, const sim_args *a)
{
    if (sim_show_vlan(t->dev, a->n > 2, &t->txt, NULL) < 0)
        sim_t_puts(t, "% Not enough memory\n");
}

static void c_show_tech(sim_term *t, const sim_args *a)
{
    (void)a;
    if (t->dev->f.huge_output) {
        sim_gen *g = sim_gen_huge(t->dev, t->dev->f.huge_output);
        if (g)
            sim_t_set_gen(t, g);
        return;
    }
    show_into(t, sim_show_tech);
}

static void c_show_privilege(sim_term *t, const sim_args *a)
{
    (void)a;
    int lvl = t->mode == SIM_M_USER ? 1 : 15;
    if (t->dev->persona == SIM_NXOS)
        sim_t_printf(t, "User privilege level: %d\nFeature privilege: Disabled\n", lvl);
    else
        sim_t_printf(t, "Current privilege level is %d\n", lvl);
}

static void c_show_users(sim_term *t, const sim_args *a)
{
    (void)a;
    int64_t now = na_now_ms();
    sim_t_puts(t, "    Line       User       Host(s)              Idle       Location\n");
    for (int vty = 0; vty < 1024; vty++) {
        for (sim_term *o = t->dev->terms; o; o = o->dnext) {
            if (o->vty != vty || !o->logged_in)
                continue;
            int64_t idle = (now - (o->last_input_ms ? o->last_input_ms : o->since_ms)) / 1000;
            if (idle < 0)
                idle = 0;
            char host[64];
            snprintf(host, sizeof host, "%s", o->peer);
            char *colon = strrchr(host, ':');
            if (colon)
                *colon = '\0';
            sim_t_printf(t, "%c%3d vty %-5d %-10s %-20s %02d:%02d:%02d %s\n",
                         o == t ? '*' : ' ', vty + 2, vty, o->user[0] ? o->user : "-", "idle",
                         (int)(idle / 3600 % 100), (int)(idle / 60 % 60), (int)(idle % 60),
                         host);
        }
    }
    sim_t_puts(t, "\n  Interface    User               Mode         Idle     Peer Address\n\n");
}

/* ---- configure ------------------------------------------------------------------------------- */

static void c_conf_t(sim_term *t, const sim_args *a)
{
    (void)a;
    if (t->dev->persona == SIM_IOS)
        sim_t_puts(t, "Enter configuration commands, one per line.  End with CNTL/Z.\n");
    else if (t->dev->persona == SIM_NXOS)
        sim_t_puts(t, "Enter configuration commands, one per line. End with CNTL/Z.\n");
    sim_t_set_mode(t, SIM_M_CONF);
    if (t->dev->persona == SIM_IOSXR)
        sim_xr_enter_config(t); /* the commit model: lines go to a candidate */
}

static void conf_answer(sim_term *t, const char *line)
{
    while (*line == ' ')
        line++;
    size_t l = strlen(line);
    if (l == 0 || (l <= 8 && strncasecmp(line, "terminal", l) == 0)) {
        c_conf_t(t, NULL);
        return;
    }
    sim_t_puts(t, "?Must be \"terminal\", \"memory\" or \"network\"\n");
}

static void c_configure(sim_term *t, const sim_args *a)
{
    if (t->dev->persona != SIM_IOS) {
        c_conf_t(t, a);
        return;
    }
    sim_t_ask_line(t, "Configuring from terminal, memory, or network [terminal]? ", true,
                   conf_answer);
}

/* ---- saving ------------------------------------------------------------------------------------ */

static bool save(sim_term *t)
{
    na_err e = NA_ERR_INIT;
    if (sim_device_save(t->dev, &e) < 0) {
        sim_t_printf(t, "%%Error writing nvram:startup-config (%s)\n", e.msg);
        return false;
    }
    return true;
}

static void copy_dest(sim_term *t, const char *line)
{
    while (*line == ' ')
        line++;
    if (*line && strcmp(line, "startup-config") != 0 && strcmp(line, "nvram:startup-config")) {
        sim_t_printf(t, "%%Error opening nvram:%s (No such file or directory)\n", line);
        return;
    }
    sim_t_puts(t, "Building configuration...\n");
    if (save(t))
        sim_t_puts(t, "[OK]\n");
}

static void c_copy_run_start(sim_term *t, const sim_args *a)
{
    (void)a;
    if (sim_persona_base(t->dev->persona) == SIM_IOS) {
        sim_t_ask_line(t, "Destination filename [startup-config]? ", true, copy_dest);
    } else if (t->dev->persona == SIM_NXOS) {
        sim_t_puts(t, "[########################################] 100%\n"
                      "Copy complete, now saving to disk (please wait)...\n");
        if (save(t))
            sim_t_puts(t, "Copy complete.\n");
    } else if (save(t)) {
        sim_t_puts(t, "Copy completed successfully.\n");
    }
}

static void copy_to_running(sim_term *t, const char *line)
{
    (void)line;
    if (!t->dev->startup) {
        sim_t_puts(t, "%Error opening nvram:/startup-config (No such file or directory)\n");
        return;
    }
    sim_config_apply(t->dev, t->dev->startup, t->dev->startup_len);
    sim_t_printf(t, "%zu bytes copied in 0.120 secs (%zu bytes/sec)\n", t->dev->startup_len,
                 t->dev->startup_len * 1000 / 120);
}

static void c_copy_start_run(sim_term *t, const sim_args *a)
{
    (void)a;
    sim_t_ask_line(t, "Destination filename [running-config]? ", true, copy_to_running);
}

static void c_write_mem(sim_term *t, const sim_args *a)
{
    (void)a;
    if (t->dev->persona == SIM_EOS) {
        if (save(t))
            sim_t_puts(t, "Copy completed successfully.\n");
        return;
    }
    sim_t_puts(t, "Building configuration...\n");
    if (save(t))
        sim_t_puts(t, "[OK]\n");
}

static void erase_key(sim_term *t, int key)
{
    sim_t_puts(t, "\n");
    if (key != '\r' && key != 'y' && key != 'Y')
        return;
    na_err e = NA_ERR_INIT;
    if (sim_device_erase(t->dev, &e) < 0) {
        sim_t_printf(t, "%%Error erasing nvram: (%s)\n", e.msg);
        return;
    }
    sim_t_puts(t, "[OK]\nErase of nvram: complete\n");
}

static void c_write_erase(sim_term *t, const sim_args *a)
{
    (void)a;
    sim_t_ask_key(t,
                  "Erasing the nvram filesystem will remove all configuration files! "
                  "Continue? [confirm]",
                  erase_key);
}

/* ---- reload ------------------------------------------------------------------------------------- */

static void do_reload(sim_term *t)
{
    sim_device_reload(t->dev);
    t->epoch = t->dev->epoch; /* this session closes gracefully; the others drop */
    sim_t_close(t);
}

static void reload_key(sim_term *t, int key)
{
    sim_t_puts(t, "\n");
    if (key == '\r' || key == 'y' || key == 'Y')
        do_reload(t);
}

static void reload_yn(sim_term *t, const char *line)
{
    while (*line == ' ')
        line++;
    if (*line == 'y' || *line == 'Y')
        do_reload(t);
}

static void c_reload(sim_term *t, const sim_args *a)
{
    (void)a;
    if (t->dev->persona == SIM_NXOS)
        sim_t_ask_line(t, "This command will reboot the system. (y/n)?  [n] ", true, reload_yn);
    else
        sim_t_ask_key(t, "Proceed with reload? [confirm]", reload_key);
}

/* ---- misc --------------------------------------------------------------------------------------- */

static void c_ping(sim_term *t, const sim_args *a)
{
    char ip[64];
    sim_arg(a, 1, ip, sizeof ip);
    if (sim_persona_base(t->dev->persona) == SIM_IOS) {
        sim_t_printf(t, "Type escape sequence to abort.\n"
                        "Sending 5, 100-byte ICMP Echos to %s, timeout is 2 seconds:\n!!!!!\n"
                        "Success rate is 100 percent (5/5), round-trip min/avg/max = 1/1/1 ms\n",
                     ip);
        return;
    }
    sim_t_printf(t, "PING %s (%s) 72(100) bytes of data.\n", ip, ip);
    for (int i = 1; i <= 5; i++)
        sim_t_printf(t, "80 bytes from %s: icmp_seq=%d ttl=64 time=0.%03d ms\n", ip, i, 40 + i);
    sim_t_printf(t, "\n--- %s ping statistics ---\n5 packets transmitted, 5 received, 0%% packet "
                    "loss, time 4ms\nrtt min/avg/max/mdev = 0.041/0.043/0.045/0.001 ms\n",
                 ip);
}

static void c_dir(sim_term *t, const sim_args *a)
{
    (void)a;
    if (sim_persona_base(t->dev->persona) == SIM_IOS)
        sim_t_puts(t, "Directory of flash:/\n\n"
                      "    2  -rwx    22464512   Mar 1 1993 00:07:10 +00:00  "
                      "c3560e-universalk9-mz.152-4.E10.bin\n"
                      "    3  -rwx        1919   Mar 1 1993 00:02:51 +00:00  "
                      "private-config.text\n"
                      "    4  -rwx        3096   Mar 1 1993 00:02:51 +00:00  multiple-fs\n\n"
                      "57671680 bytes total (35115008 bytes free)\n");
    else if (t->dev->persona == SIM_NXOS)
        sim_t_puts(t, " 1644819456    Aug 19 00:06:21 2021  nxos.9.3.8.bin\n\n"
                      "Usage for bootflash://sup-local\n 4285071360 bytes used\n"
                      "48442994688 bytes free\n53298520064 bytes total\n");
    else
        sim_t_puts(t, "Directory of flash:/\n\n"
                      "       -rwx   475463680            Jun 30  2021  vEOS-lab.swi\n\n"
                      "4001800192 bytes total (3120566272 bytes free)\n");
}

/* ---- the table ------------------------------------------------------------------------------------ */

#define EX SIM_M_EXEC
#define PR SIM_M_PRIV
#define CF SIM_M_CONF
#define VL SIM_M_VLAN
#define IF SIM_M_IF
#define RT SIM_M_RTR
#define AF SIM_M_AF
#define AR SIM_M_ARCH

const sim_cmd sim_cmds[] = {
    /* exec */
    {ALL, EX, "enable", c_enable},
    {ALL, EX, "disable", c_disable},
    {ALL, EX, "exit", c_logout},
    {ALL, EX, "logout", c_logout},
    {IOS, EX, "quit", c_logout},
    {IOS, EX, "terminal length <0-512>", c_term_length},
    {IOS, EX, "terminal width <0-512>", c_term_width},
    {NX, EX, "terminal length <0-511>", c_term_length},
    {NX, EX, "terminal width <24-511>", c_term_width},
    {EOS, EX, "terminal length <0-32767>", c_term_length},
    {EOS, EX, "terminal width <10-32767>", c_term_width},
    {IOS, EX, "terminal monitor", c_nothing},
    {IOS, EX, "terminal no monitor", c_nothing},
    {ALL, EX, "show version", c_show_version},
    {ALL, EX, "show clock", c_show_clock},
    {ALL, EX, "show vlan", c_show_vlan},
    {ALL, EX, "show vlan brief", c_show_vlan},
    {ALL, EX, "show privilege", c_show_privilege},
    {IOS | EOS, EX, "show users", c_show_users},
    {NX, EX, "show users", c_show_users},
    {IOS | EOS, EX, "show interfaces status", c_show_status},
    {NX, EX, "show interface status", c_show_status},
    {ALL, EX, "show ip interface brief", c_show_ipbrief},
    {ALL, PR, "show running-config", c_show_running},
    {ALL, PR, "show startup-config", c_show_startup},
    {ALL, PR, "show tech-support", c_show_tech},
    {IOS, EX, "systat", c_show_users},
    {ALL, PR, "send <line>", c_nothing},
    {ALL, EX, "ping <ip>", c_ping},
    {ALL, PR, "dir", c_dir},
    {ALL, PR, "configure", c_configure},
    {ALL, PR, "configure terminal", c_conf_t},
    {ALL, PR, "copy running-config startup-config", c_copy_run_start},
    {IOS, PR, "copy startup-config running-config", c_copy_start_run},
    {IOS | EOS, PR, "write", c_write_mem},
    {IOS | EOS, PR, "write memory", c_write_mem},
    {IOS, PR, "write terminal", c_show_running},
    {IOS, PR, "write erase", c_write_erase},
    {ALL, PR, "reload", c_reload},
    /* configuration, every configuration mode */
    {ALL, CF | VL | IF | RT | AF | AR, "end", sim_c_end},
    {ALL, CF | VL | IF | RT | AF | AR, "exit", sim_c_exit},
    {ALL, CF | VL | IF | RT | AF | AR, "do <line>", sim_c_do},
    /* global configuration */
    {ALL, CF, "hostname <word>", sim_c_hostname},
    {IOS, CF, "no hostname", sim_c_no_hostname},
    {ALL, CF, "vlan <vlans>", sim_c_vlan},
    {ALL, CF, "no vlan <vlans>", sim_c_no_vlan},
    {ALL, CF, "interface <if>", sim_c_interface},
    {IOS, CF, "ntp server <ip>", sim_c_ntp_server},
    {IOS, CF, "ntp server vrf <word> <ip>", sim_c_ntp_server},
    {ALL, CF, "no interface <if>", sim_c_no_interface},
    /* vlan */
    {ALL, VL, "name <word>", sim_c_vlan_name},
    {ALL, VL, "no name", sim_c_vlan_no_name},
    /* interface */
    {ALL, IF, "description <line>", sim_c_description},
    {ALL, IF, "no description", sim_c_no_description},
    {ALL, IF, "switchport", sim_c_switchport},
    {ALL, IF, "no switchport", sim_c_no_switchport},
    {ALL, IF, "switchport mode access", sim_c_swmode},
    {ALL, IF, "switchport mode trunk", sim_c_swmode},
    {ALL, IF, "no switchport mode", sim_c_no_swmode},
    {ALL, IF, "switchport access vlan <1-4094>", sim_c_access_vlan},
    {ALL, IF, "no switchport access vlan", sim_c_no_access_vlan},
    {ALL, IF, "shutdown", sim_c_shutdown},
    {ALL, IF, "no shutdown", sim_c_no_shutdown},
    {IOS | NX, IF, "ip address <ip> <ip>", sim_c_ip_address},
    {NX | EOS, IF, "ip address <ippfx>", sim_c_ip_address},
    {ALL, IF, "no ip address", sim_c_no_ip_address},
    /* router bgp (sim_bgp.c) */
    {IOS, CF, "router bgp <word>", sim_c_router_bgp},
    {IOS, CF, "no router bgp <word>", sim_c_no_router_bgp},
    {IOS, RT | AF, "address-family <line>", sim_c_bgp_af},
    {IOS, AF, "exit-address-family", sim_c_bgp_exit_af},
    {IOS, RT | AF, "bgp <line>", sim_c_bgp_line},
    {IOS, RT | AF, "neighbor <line>", sim_c_bgp_line},
    {IOS, RT | AF, "network <line>", sim_c_bgp_line},
    {IOS, RT | AF, "redistribute <line>", sim_c_bgp_line},
    {IOS, RT, "timers <line>", sim_c_bgp_line},
    {IOS, AF, "aggregate-address <line>", sim_c_bgp_line},
    {IOS, RT | AF, "no <line>", sim_c_bgp_no},
    /* archive, revert timer (sim_archive.c) */
    {IOS, CF, "archive", sim_c_archive},
    {IOS, CF, "no archive", sim_c_no_archive},
    {IOS, AR, "path <line>", sim_c_archive_path},
    {IOS, PR, "configure terminal revert timer <1-120>", sim_c_revert_timer},
    {IOS, PR, "configure confirm", sim_c_configure_confirm},
    {IOS, PR, "configure revert now", sim_c_revert_now},
};
const size_t sim_ncmds = sizeof sim_cmds / sizeof *sim_cmds;

/* ---- dispatch ------------------------------------------------------------------------------------- */

void sim_t_invalid_at(sim_term *t, size_t col)
{
    sim_match m = {.kind = SIM_MATCH_INVALID, .caret = col, .end = col};
    sim_t_match_error(t, &m, t->cmd_plen, "");
}

void sim_dispatch(sim_term *t, const char *line, size_t start, unsigned mode, size_t plen)
{
    if (!t->loading)
        sim_revert_tick(t->real ? t->real : t->dev);
    sim_persona p = sim_persona_base(t->dev->persona);
    char buf[SIM_LINE_MAX + 1];
    snprintf(buf, sizeof buf, "%s", line);
    size_t bar = 0;
    bool piped = false;
    if (mode & SIM_M_EXEC) {
        char *b = strchr(buf + start, '|');
        if (b) {
            bar = (size_t)(b - buf);
            *b = '\0';
            piped = true;
        }
    }
    t->cmd_plen = plen;
    sim_match m;
    sim_cmd_match(sim_flash_cmds, sim_flash_ncmds, p, mode, buf, start, &m); /* sim_flash.c */
    if (m.kind != SIM_MATCH_OK) { /* one command set: an error's caret as far as either got */
        sim_match fm = m;
        sim_cmd_match(sim_cmds, sim_ncmds, p, mode, buf, start, &m);
        if (m.kind == SIM_MATCH_INVALID && (fm.kind != SIM_MATCH_INVALID || fm.caret > m.caret))
            m = fm;
    }
    if (m.kind == SIM_MATCH_OK) {
        if (piped && sim_t_set_filter(t, line, bar, plen) < 0)
            return;
        m.cmd->fn(t, &m.args);
        return;
    }
    if (m.kind == SIM_MATCH_EMPTY) {
        if (piped)
            sim_t_invalid_at(t, bar);
        return;
    }
    if (mode & SIM_M_SUB) {
        sim_match g;
        sim_cmd_match(sim_cmds, sim_ncmds, p, SIM_M_CONF, buf, start, &g);
        if (g.kind == SIM_MATCH_OK) {
            t->mode = SIM_M_CONF; /* still configuration: no counter change */
            g.cmd->fn(t, &g.args);
            return;
        }
        if (g.kind == SIM_MATCH_INVALID && m.kind == SIM_MATCH_INVALID && g.caret > m.caret)
            m = g;
    }
    sim_t_match_error(t, &m, plen, buf);
}

void sim_run_line(sim_term *t, const char *line, size_t plen)
{
    sim_dispatch(t, line, 0, t->mode, plen);
}
