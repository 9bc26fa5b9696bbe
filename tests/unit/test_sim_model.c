/* test_sim_model.c — the simulator's device model below and beside the IOS terminal: the
 * grammar matcher, VLAN lists, interface names, configuration round trips, startup-config
 * persistence under a state directory, and the NX-OS and EOS personalities (prompts, error
 * texts, table layouts, save and reload dialogs). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "sim_cmd.h"
#include "sim_device.h"
#include "sim_show.h"
#include "sim_term.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const sim_creds creds = {"admin", "lab-pass-1", "lab-enable-1", NULL};

static int64_t fixed_clock(void) { return 1700000000123LL; }

static sim_device *dev_new(sim_persona p, const char *name, const char *state_dir)
{
    sim_device *d = malloc(sizeof *d);
    na_err e = NA_ERR_INIT;
    assert_int_equal(sim_device_init(d, name, p, &creds, state_dir, &e), 0);
    d->clock_ms = fixed_clock;
    d->boot_ms = fixed_clock();
    return d;
}

static void dev_free(sim_device *d)
{
    sim_device_free(d);
    free(d);
}

static char *drain(sim_term *t)
{
    size_t cap = 1 << 20, n = 0, k;
    char *buf = malloc(cap + 1);
    while (n < cap && (k = sim_term_pull(t, buf + n, cap - n)) > 0)
        n += k;
    buf[n] = '\0';
    return buf;
}

static char *io(sim_term *t, const char *in)
{
    sim_term_feed(t, in, strlen(in));
    return drain(t);
}

#define EXPECT(t, in, want)                                                                        \
    do {                                                                                           \
        char *got_ = io((t), (in));                                                                \
        assert_string_equal(got_, (want));                                                         \
        free(got_);                                                                                \
    } while (0)

static sim_term *session(sim_device *d, bool telnet)
{
    sim_term_cfg c = {.transport = telnet ? SIM_TR_TELNET : SIM_TR_SSH, .login = telnet};
    sim_term *t = sim_term_new(d, &c);
    assert_non_null(t);
    return t;
}

/* ---- matcher ------------------------------------------------------------------------------ */

static void hit(sim_term *t, const sim_args *a) { (void)t; (void)a; }

static const sim_cmd tab[] = {
    {SIM_P_ALL, SIM_M_PRIV, "show vlan brief", hit},
    {SIM_P_ALL, SIM_M_PRIV, "show version", hit},
    {SIM_P_ALL, SIM_M_PRIV, "show clock", hit},
    {SIM_P_ALL, SIM_M_PRIV, "terminal length <0-512>", hit},
    {SIM_P_ALL, SIM_M_PRIV, "description <line>", hit},
    {SIM_P_ALL, SIM_M_PRIV, "interface <if>", hit},
    {SIM_P_ALL, SIM_M_PRIV, "ip address <ip> <ip>", hit},
    {SIM_P(SIM_EOS), SIM_M_PRIV, "ip address <ippfx>", hit},
    {SIM_P_ALL, SIM_M_CONF, "vlan <vlans>", hit},
};
#define NTAB (sizeof tab / sizeof *tab)

static void matcher(void **st)
{
    (void)st;
    sim_match m;
    char buf[64];
    sim_cmd_match(tab, NTAB, SIM_IOS, SIM_M_PRIV, "  sh   vl br ", 0, &m);
    assert_int_equal(m.kind, SIM_MATCH_OK);
    assert_ptr_equal(m.cmd, &tab[0]);
    assert_string_equal(sim_arg(&m.args, 1, buf, sizeof buf), "vlan");
    sim_cmd_match(tab, NTAB, SIM_IOS, SIM_M_PRIV, "SHOW CLOCK", 0, &m);
    assert_ptr_equal(m.cmd, &tab[2]);
    sim_cmd_match(tab, NTAB, SIM_IOS, SIM_M_PRIV, "sh v", 0, &m);
    assert_int_equal(m.kind, SIM_MATCH_AMBIGUOUS);
    assert_int_equal(m.caret, 3);
    sim_cmd_match(tab, NTAB, SIM_IOS, SIM_M_PRIV, "show", 0, &m);
    assert_int_equal(m.kind, SIM_MATCH_INCOMPLETE);
    sim_cmd_match(tab, NTAB, SIM_IOS, SIM_M_PRIV, "show vlan bx", 0, &m);
    assert_int_equal(m.kind, SIM_MATCH_INVALID);
    assert_int_equal(m.caret, 11);
    sim_cmd_match(tab, NTAB, SIM_IOS, SIM_M_PRIV, "   ", 0, &m);
    assert_int_equal(m.kind, SIM_MATCH_EMPTY);
    /* modes and personalities filter the table */
    sim_cmd_match(tab, NTAB, SIM_IOS, SIM_M_CONF, "show clock", 0, &m);
    assert_int_equal(m.kind, SIM_MATCH_INVALID);
    assert_int_equal(m.caret, 0);
    /* typed arguments */
    sim_cmd_match(tab, NTAB, SIM_IOS, SIM_M_PRIV, "ter len 512", 0, &m);
    assert_int_equal(m.kind, SIM_MATCH_OK);
    assert_int_equal(m.args.num[2], 512);
    sim_cmd_match(tab, NTAB, SIM_IOS, SIM_M_PRIV, "ter len 513", 0, &m);
    assert_int_equal(m.kind, SIM_MATCH_INVALID);
    assert_int_equal(m.caret, 10);
    sim_cmd_match(tab, NTAB, SIM_IOS, SIM_M_PRIV, "desc  uplink to  core  ", 0, &m);
    assert_int_equal(m.kind, SIM_MATCH_OK);
    assert_string_equal(sim_arg(&m.args, 1, buf, sizeof buf), "uplink to  core");
    sim_cmd_match(tab, NTAB, SIM_IOS, SIM_M_PRIV, "int gi 0/7", 0, &m);
    assert_int_equal(m.kind, SIM_MATCH_OK);
    assert_string_equal(m.args.ifname, "GigabitEthernet0/7");
    sim_cmd_match(tab, NTAB, SIM_IOS, SIM_M_PRIV, "ip address 10.1.1.1 255.255.255.0", 0, &m);
    assert_int_equal(m.kind, SIM_MATCH_OK);
    sim_cmd_match(tab, NTAB, SIM_IOS, SIM_M_PRIV, "ip address 10.1.300.1 255.255.255.0", 0, &m);
    assert_int_equal(m.kind, SIM_MATCH_INVALID);
    assert_int_equal(m.caret, 18);
    sim_cmd_match(tab, NTAB, SIM_EOS, SIM_M_PRIV, "ip address 10.1.1.1/24", 0, &m);
    assert_int_equal(m.kind, SIM_MATCH_OK);
    assert_ptr_equal(m.cmd, &tab[7]);
    sim_cmd_match(tab, NTAB, SIM_EOS, SIM_M_PRIV, "ip address 10.1.1.1/33", 0, &m);
    assert_int_equal(m.kind, SIM_MATCH_INVALID);
    assert_int_equal(m.caret, 21);
    /* matching can start inside a line ("do ...") and columns stay absolute */
    sim_cmd_match(tab, NTAB, SIM_IOS, SIM_M_PRIV, "do show foo", 3, &m);
    assert_int_equal(m.kind, SIM_MATCH_INVALID);
    assert_int_equal(m.caret, 8);
}

static void vlan_lists_and_interfaces(void **st)
{
    (void)st;
    uint8_t bits[512];
    size_t bad = 99;
    assert_int_equal(sim_vlan_list_parse("10,20-22,4094", bits, NULL), 5);
    assert_true(bits[21 >> 3] & (1 << (21 & 7)));
    assert_int_equal(sim_vlan_list_parse("10-5", bits, &bad), -1);
    assert_int_equal(bad, 3);
    assert_int_equal(sim_vlan_list_parse("4095", bits, &bad), -1);
    assert_int_equal(bad, 3);
    assert_int_equal(sim_vlan_list_parse("0", bits, &bad), -1);
    assert_int_equal(sim_vlan_list_parse("1,", bits, &bad), -1);
    assert_int_equal(bad, 2);
    char out[32];
    int kind = -1;
    assert_int_equal(sim_intf_canon(SIM_IOS, "g0/1", out, sizeof out, &kind), 0);
    assert_string_equal(out, "GigabitEthernet0/1");
    assert_int_equal(kind, SIM_IF_PHYS);
    assert_int_equal(sim_intf_canon(SIM_IOS, "Vlan 0010", out, sizeof out, &kind), 0);
    assert_string_equal(out, "Vlan10");
    assert_int_equal(kind, SIM_IF_SVI);
    assert_int_equal(sim_intf_canon(SIM_IOS, "gi0/25", out, sizeof out, NULL), -1);
    assert_int_equal(sim_intf_canon(SIM_IOS, "gi1/1", out, sizeof out, NULL), -1);
    assert_int_equal(sim_intf_canon(SIM_NXOS, "e1/24", out, sizeof out, NULL), 0);
    assert_string_equal(out, "Ethernet1/24");
    assert_int_equal(sim_intf_canon(SIM_NXOS, "mgmt0", out, sizeof out, &kind), 0);
    assert_int_equal(kind, SIM_IF_MGMT);
    assert_int_equal(sim_intf_canon(SIM_EOS, "et7", out, sizeof out, NULL), 0);
    assert_string_equal(out, "Ethernet7");
    assert_int_equal(sim_intf_canon(SIM_EOS, "ma1", out, sizeof out, NULL), 0);
    assert_string_equal(out, "Management1");
    sim_intf_short(SIM_NXOS, "Ethernet1/24", out, sizeof out);
    assert_string_equal(out, "Eth1/24");
    sim_intf_short(SIM_EOS, "Ethernet7", out, sizeof out);
    assert_string_equal(out, "Et7");
}

/* ---- configuration text ---------------------------------------------------------------------- */

static const char *const setup[3] = {
    "enable\rlab-enable-1\rconf t\rhostname lab-a\rvlan 2-4,7\rvlan 3\rname users\r"
    "int gi0/1\rdescription to core\rsw mode access\rsw acc vl 3\rshutdown\r"
    "int gi0/2\rno switchport\rip address 10.9.0.1 255.255.255.0\r"
    "int vlan 3\rip address 10.3.0.1 255.255.255.0\rint lo0\rip address 1.1.1.1 "
    "255.255.255.255\rend\r",
    "conf t\rhostname lab-a\rvlan 2-4,7\rvlan 3\rname users\rint e1/1\rdescription to core\r"
    "sw mode access\rsw acc vl 3\rshutdown\rint e1/2\rno switchport\rip address 10.9.0.1/24\r"
    "int vlan 3\rip address 10.3.0.1/24\rint lo0\rip address 1.1.1.1/32\rend\r",
    "enable\rlab-enable-1\rconf t\rhostname lab-a\rvlan 2-4,7\rvlan 3\rname users\rint et1\r"
    "description to core\rsw mode access\rsw acc vl 3\rshutdown\rint et2\rno switchport\r"
    "ip address 10.9.0.1/24\rint vlan 3\rip address 10.3.0.1/24\rint lo0\r"
    "ip address 1.1.1.1/32\rend\r",
};

static void config_round_trip(void **st)
{
    (void)st;
    for (int p = 0; p <= SIM_EOS; p++) { /* the IOS-like CLIs (junos: test_sim_junos) */
        sim_device *a = dev_new((sim_persona)p, "r1", NULL);
        sim_term *t = session(a, false);
        free(io(t, setup[p]));
        sim_term_free(t);
        na_buf ra, rb;
        na_buf_init(&ra, 0);
        na_buf_init(&rb, 0);
        assert_int_equal(sim_render_config(a, &ra, NULL), 0);
        assert_non_null(strstr(ra.data, "hostname lab-a\n"));
        assert_non_null(strstr(ra.data, "description to core\n"));
        /* replaying the text on a fresh device gives the same configuration */
        sim_device *b = dev_new((sim_persona)p, "r1", NULL);
        sim_config_apply(b, ra.data, ra.len);
        assert_int_equal(sim_render_config(b, &rb, NULL), 0);
        assert_string_equal(ra.data, rb.data);
        assert_string_equal(b->hostname, "lab-a");
        assert_string_equal(sim_vlan_find(b, 3)->name, "users");
        assert_non_null(sim_vlan_find(b, 7));
        na_buf_free(&ra);
        na_buf_free(&rb);
        dev_free(a);
        dev_free(b);
    }
}

static void ios_running_config_text(void **st)
{
    (void)st;
    sim_device *d = dev_new(SIM_IOS, "sw1", NULL);
    sim_term *t = session(d, false);
    free(io(t, setup[0]));
    free(io(t, "terminal length 0\r"));
    char *s = io(t, "show running-config\r");
    const char *want_parts[] = {
        "show running-config\r\nBuilding configuration...\r\n\r\nCurrent configuration : ",
        " bytes\r\n!\r\nversion 15.2\r\n",
        "\r\nhostname lab-a\r\n!\r\n",
        "\r\nvlan 2\r\n!\r\nvlan 3\r\n name users\r\n!\r\nvlan 4\r\n!\r\nvlan 7\r\n!\r\n",
        "\r\ninterface GigabitEthernet0/1\r\n description to core\r\n switchport access vlan 3\r\n"
        " switchport mode access\r\n shutdown\r\n!\r\n",
        "\r\ninterface GigabitEthernet0/2\r\n no switchport\r\n ip address 10.9.0.1 "
        "255.255.255.0\r\n!\r\n",
        "\r\ninterface Vlan3\r\n ip address 10.3.0.1 255.255.255.0\r\n!\r\n",
        "\r\ninterface Loopback0\r\n ip address 1.1.1.1 255.255.255.255\r\n!\r\n",
        "\r\n!\r\nend\r\n\r\nlab-a#",
    };
    for (size_t i = 0; i < sizeof want_parts / sizeof *want_parts; i++)
        if (!strstr(s, want_parts[i]))
            fail_msg("missing: %s", want_parts[i]);
    /* the byte count IOS prints is the size of what follows that line */
    const char *cc = strstr(s, "Current configuration : ");
    unsigned long n = strtoul(cc + 24, NULL, 10);
    const char *body = strstr(cc, "\r\n") + 2;
    size_t lines = 0, len = strlen(body) - strlen("\r\nlab-a#");
    for (size_t i = 0; i < len; i++)
        lines += body[i] == '\n';
    assert_int_equal(n, len - lines); /* "\n" on the device, "\r\n" on the wire */
    free(s);
    s = io(t, "show ip interface brief\r");
    assert_non_null(strstr(s, "\r\nGigabitEthernet0/1         unassigned      YES unset  "
                              "administratively down down    \r\n"));
    assert_non_null(strstr(s, "\r\nGigabitEthernet0/2         10.9.0.1        YES manual "
                              "up                    up      \r\n"));
    free(s);
    s = io(t, "show interfaces status\r");
    assert_non_null(strstr(s, "show interfaces status\r\nPort      Name               Status"
                              "       Vlan       Duplex  Speed Type\r\n"
                              "Gi0/1     to core            disabled     3            auto   "
                              "auto 10/100/1000BaseTX\r\n"
                              "Gi0/2                        connected    routed     a-full a-1000 "
                              "10/100/1000BaseTX\r\n"));
    free(s);
    s = io(t, "show clock\r");
    assert_string_equal(s, "show clock\r\n*22:13:20.123 UTC Tue Nov 14 2023\r\nlab-a#");
    free(s);
    s = io(t, "show version | include uptime|^cisco\r");
    assert_string_equal(s, "show version | include uptime|^cisco\r\nlab-a uptime is 0 minutes\r\n"
                           "cisco WS-C3560X-24T-S (PowerPC405) processor (revision A0) with "
                           "262144K bytes of memory.\r\nlab-a#");
    free(s);
    sim_term_free(t);
    dev_free(d);
}

/* ---- persistence ------------------------------------------------------------------------------ */

static void startup_config_persists(void **st)
{
    (void)st;
    char dir[] = "/tmp/test_sim_model.XXXXXX";
    assert_non_null(mkdtemp(dir));
    sim_device *d = dev_new(SIM_IOS, "sw1", dir);
    sim_device_boot(d);
    sim_term *t = session(d, false);
    free(io(t, "enable\rlab-enable-1\rconf t\rvlan 42\rname kept\rend\rcopy run start\r\r"));
    free(io(t, "conf t\rvlan 43\rend\r")); /* not saved */
    sim_term_free(t);
    char path[256];
    snprintf(path, sizeof path, "%s/sw1/startup-config", dir);
    struct stat sb;
    assert_int_equal(stat(path, &sb), 0);
    assert_int_equal((size_t)sb.st_size, d->startup_len);
    dev_free(d);

    /* "restart": a new device on the same directory boots from the file */
    d = dev_new(SIM_IOS, "sw1", dir);
    assert_non_null(d->startup);
    sim_device_boot(d);
    assert_string_equal(sim_vlan_find(d, 42)->name, "kept");
    assert_null(sim_vlan_find(d, 43));
    t = session(d, false);
    free(io(t, "enable\rlab-enable-1\rwrite erase\r\r"));
    sim_term_free(t);
    assert_int_equal(stat(path, &sb), -1);
    dev_free(d);
    d = dev_new(SIM_IOS, "sw1", dir);
    sim_device_boot(d);
    assert_null(sim_vlan_find(d, 42));
    dev_free(d);
    char sub[256];
    snprintf(sub, sizeof sub, "%s/sw1", dir);
    assert_int_equal(rmdir(sub), 0);
    assert_int_equal(rmdir(dir), 0);
}

/* ---- NX-OS and EOS ------------------------------------------------------------------------------ */

static void nxos_personality(void **st)
{
    (void)st;
    sim_device *d = dev_new(SIM_NXOS, "nx1", NULL);
    sim_term *t = session(d, true);
    char *s = drain(t);
    assert_string_equal(s, "\r\nUser Access Verification\r\nnx1 login: ");
    free(s);
    EXPECT(t, "admin\r", "admin\r\nPassword: ");
    s = io(t, "wrong\r");
    assert_string_equal(s, "\r\nLogin incorrect\r\nnx1 login: ");
    free(s);
    s = io(t, "admin\rlab-pass-1\r");
    assert_non_null(strstr(s, "\r\nCisco Nexus Operating System (NX-OS) Software\r\n"));
    assert_non_null(strstr(s, "All rights reserved.\r\nnx1# "));
    free(s);
    /* the caret under the first character no command accepts ("show file ... md5sum" takes
     * the f) */
    EXPECT(t, "show foo\r",
           "show foo\r\n           ^\r\n% Invalid command at '^' marker.\r\nnx1# ");
    EXPECT(t, "show\r", "show\r\n          ^\r\n% Incomplete command at '^' marker.\r\nnx1# ");
    EXPECT(t, "conf t\r", "conf t\r\nEnter configuration commands, one per line. End with "
                          "CNTL/Z.\r\nnx1(config)# ");
    EXPECT(t, "vlan 10\r", "vlan 10\r\nnx1(config-vlan)# ");
    EXPECT(t, "name web\r", "name web\r\nnx1(config-vlan)# ");
    EXPECT(t, "interface ethernet 1/3\r", "interface ethernet 1/3\r\nnx1(config-if)# ");
    EXPECT(t, "switchport access vlan 10\r", "switchport access vlan 10\r\nnx1(config-if)# ");
    EXPECT(t, "end\r", "end\r\nnx1# ");
    free(io(t, "terminal length 0\r"));
    EXPECT(t, "show vlan brief\r",
           "show vlan brief\r\n\r\n"
           "VLAN Name                             Status    Ports\r\n"
           "---- -------------------------------- --------- -------------------------------\r\n"
           "1    default                          active    Eth1/1, Eth1/2, Eth1/4, Eth1/5\r\n"
           "                                                Eth1/6, Eth1/7, Eth1/8, Eth1/9\r\n"
           "                                                Eth1/10, Eth1/11, Eth1/12\r\n"
           "                                                Eth1/13, Eth1/14, Eth1/15\r\n"
           "                                                Eth1/16, Eth1/17, Eth1/18\r\n"
           "                                                Eth1/19, Eth1/20, Eth1/21\r\n"
           "                                                Eth1/22, Eth1/23, Eth1/24\r\n"
           "10   web                              active    Eth1/3\r\n"
           "nx1# ");
    EXPECT(t, "copy r s\r", "copy r s\r\n[########################################] 100%\r\n"
                            "Copy complete, now saving to disk (please wait)...\r\n"
                            "Copy complete.\r\nnx1# ");
    EXPECT(t, "reload\r", "reload\r\nThis command will reboot the system. (y/n)?  [n] ");
    EXPECT(t, "y\r", "y\r\n");
    assert_int_equal(sim_term_status_of(t), SIM_TS_CLOSE);
    assert_string_equal(sim_vlan_find(d, 10)->name, "web");
    sim_term_free(t);
    dev_free(d);
}

static void eos_personality(void **st)
{
    (void)st;
    sim_device *d = dev_new(SIM_EOS, "eos1", NULL);
    sim_term *t = session(d, false);
    free(drain(t));
    EXPECT(t, "enable\rnope\r", "enable\r\nPassword: \r\n% Access denied\r\neos1>");
    EXPECT(t, "enable\rlab-enable-1\r", "enable\r\nPassword: \r\neos1#");
    EXPECT(t, "show foo\r", "show foo\r\n% Invalid input\r\neos1#");
    EXPECT(t, "show\r", "show\r\n% Incomplete command\r\neos1#");
    EXPECT(t, "s\r", "s\r\n% Ambiguous command\r\neos1#");
    EXPECT(t, "configure\r", "configure\r\neos1(config)#");
    EXPECT(t, "vlan 10\r", "vlan 10\r\neos1(config-vlan-10)#");
    EXPECT(t, "name web\r", "name web\r\neos1(config-vlan-10)#");
    EXPECT(t, "interface Ethernet3\r", "interface Ethernet3\r\neos1(config-if-Et3)#");
    EXPECT(t, "switchport access vlan 10\r", "switchport access vlan 10\r\neos1(config-if-Et3)#");
    EXPECT(t, "end\r", "end\r\neos1#");
    free(io(t, "terminal length 0\r"));
    EXPECT(t, "show vlan brief\r",
           "show vlan brief\r\n"
           "VLAN  Name                             Status    Ports\r\n"
           "----- -------------------------------- --------- -------------------------------\r\n"
           "1     default                          active    Et1, Et2, Et4, Et5, Et6, Et7\r\n"
           "                                                 Et8, Et9, Et10, Et11, Et12\r\n"
           "                                                 Et13, Et14, Et15, Et16, Et17\r\n"
           "                                                 Et18, Et19, Et20, Et21, Et22\r\n"
           "                                                 Et23, Et24\r\n"
           "10    web                              active    Et3\r\n"
           "eos1#");
    EXPECT(t, "write memory\r", "write memory\r\nCopy completed successfully.\r\neos1#");
    EXPECT(t, "copy running-config startup-config\r",
           "copy running-config startup-config\r\nCopy completed successfully.\r\neos1#");
    char *s = io(t, "show running-config\r");
    assert_non_null(strstr(s, "\r\nvlan 10\r\n   name web\r\n!\r\n"));
    assert_non_null(strstr(s, "\r\ninterface Ethernet3\r\n   switchport access vlan 10\r\n!\r\n"));
    free(s);
    sim_term_free(t);
    dev_free(d);
}

/* Random keystrokes (command fragments, control keys, escapes, pager keys) for every
 * personality: nothing crashes (the sanitizers and valgrind watch), every pull respects its
 * capacity, and the session can always be brought back to a prompt. */
static void random_keystrokes(void **st)
{
    (void)st;
    static const char *const frag[] = {
        "sh ", "show ", "vl", "vlan ", "br", "brief", "run", "conf t", "configure", "int ",
        "interface ", "gi0/1", "e1/2", "et3", "vlan 10", "10,20-22", "name x", "description ",
        "sw acc vl 7", "switchport mode trunk", "no ", "shut", "ip address 10.1.1.1 255.255.255.0",
        "ip address 10.2.2.2/24", "end", "exit", "do sh vl", "terminal length ", "0", "5",
        "| i ", "| count a", "?", "enable", "lab-enable-1", "wrong", "copy r s", "write erase",
        "hostname h", "show tech", "\r", "\n", "\r\n", "\r", "\b", "\x7f", "\x03", "\x1a",
        "\x15", "\x17", "\x1b[A", "\x1bOB", " ", "q", "\t", "\xff\xfe"};
    uint32_t r = 12345;
    for (int p = 0; p < SIM_PERSONA__COUNT; p++) {
        sim_device *d = dev_new((sim_persona)p, "fz1", NULL);
        d->f.garbage = p == SIM_IOS;
        sim_term_cfg c = {.transport = SIM_TR_TELNET, .login = p == SIM_EOS, .seed = 7};
        sim_term *t = NULL;
        size_t fed = 0, sessions = 0;
        while (fed < 300000) {
            if (!t || sim_term_status_of(t) != SIM_TS_OPEN) { /* exit, reload, login failures */
                sim_term_free(t);
                t = sim_term_new(d, &c);
                sessions++;
                if (p == SIM_EOS)
                    free(io(t, "admin\rlab-pass-1\r"));
            }
            r = r * 1103515245u + 12345u;
            const char *f = frag[(r >> 8) % (sizeof frag / sizeof *frag)];
            sim_term_feed(t, f, strlen(f));
            fed += strlen(f);
            char buf[97];
            size_t n;
            while ((n = sim_term_pull(t, buf, sizeof buf)) > 0)
                assert_true(n <= sizeof buf);
        }
        print_message("# %s: %zu bytes in %zu sessions, %llu commands\n",
                      sim_persona_name((sim_persona)p), fed, sessions,
                      (unsigned long long)d->c.commands);
        assert_true(d->c.commands > 1000);
        if (sim_term_status_of(t) == SIM_TS_OPEN) {
            /* out of the pager, any dialog and configuration, then a prompt */
            char *s = io(t, "q\x03\r\x03\r\x1a\r");
            free(s);
            s = io(t, "\r");
            size_t l = strlen(s);
            assert_true(l >= 2 && (s[l - 1] == '#' || s[l - 1] == '>' || s[l - 1] == ' '));
            free(s);
        }
        sim_term_free(t);
        assert_int_equal(d->c.sessions_open, 0);
        assert_int_equal(d->c.in_config, 0);
        dev_free(d);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(matcher),
        cmocka_unit_test(vlan_lists_and_interfaces),
        cmocka_unit_test(config_round_trip),
        cmocka_unit_test(ios_running_config_text),
        cmocka_unit_test(startup_config_persists),
        cmocka_unit_test(nxos_personality),
        cmocka_unit_test(eos_personality),
        cmocka_unit_test(random_keystrokes),
    };
    return cmocka_run_group_tests_name("sim_model", tests, NULL, NULL);
}
