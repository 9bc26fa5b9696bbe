/* test_sim_term.c — the simulator's IOS terminal byte by byte: Telnet login dialog, prompts and
 * modes, echo and line editing, CR/LF/NUL handling, abbreviations, the exact error texts with
 * the caret under the right column, the --More-- pager with its backspace erase, show vlan
 * brief after VLAN changes, copy/write/reload dialogs, pipes, and the per-session faults
 * (close-after, stall-after, garbage, huge-output). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "sim_device.h"
#include "sim_term.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const sim_creds creds = {"admin", "lab-pass-1", "lab-enable-1", NULL};
static const sim_creds creds_banner = {"admin", "lab-pass-1", "lab-enable-1",
                                       "Authorized access only"};

/* 2023-11-14 22:13:20.123 UTC, a Tuesday */
static int64_t fixed_clock(void) { return 1700000000123LL; }

static sim_device *dev_new(sim_persona p, const sim_creds *cr)
{
    sim_device *d = malloc(sizeof *d);
    na_err e = NA_ERR_INIT;
    assert_int_equal(sim_device_init(d, "sw1", p, cr, NULL, &e), 0);
    d->clock_ms = fixed_clock;
    d->boot_ms = fixed_clock() - 3723000; /* up 1 hour, 2 minutes */
    return d;
}

static void dev_free(sim_device *d)
{
    sim_device_free(d);
    free(d);
}

/* Everything the terminal has to say right now (NUL-terminated; *len = bytes). */
static char *drain_n(sim_term *t, size_t *len)
{
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap + 1);
    for (;;) {
        if (cap - n < 4096) {
            cap *= 2;
            buf = realloc(buf, cap + 1);
        }
        size_t k = sim_term_pull(t, buf + n, cap - n);
        if (k == 0)
            break;
        n += k;
    }
    buf[n] = '\0';
    if (len)
        *len = n;
    return buf;
}

static char *drain(sim_term *t) { return drain_n(t, NULL); }

/* Feed input and return the output it caused. */
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

/* An IOS invalid-input reply to `cmd` with the caret in column `col` (prompt included). */
static void expect_invalid(sim_term *t, const char *cmd, int col, const char *prompt)
{
    char in[256], want[512];
    snprintf(in, sizeof in, "%s\r", cmd);
    snprintf(want, sizeof want, "%s\r\n%*s^\r\n%% Invalid input detected at '^' marker.\r\n\r\n%s",
             cmd, col, "", prompt);
    EXPECT(t, in, want);
}

static sim_term *ssh_session(sim_device *d)
{
    sim_term_cfg c = {.transport = SIM_TR_SSH, .user = "admin", .peer = "127.0.0.1:50000"};
    sim_term *t = sim_term_new(d, &c);
    assert_non_null(t);
    return t;
}

static sim_term *priv_session(sim_device *d)
{
    sim_term *t = ssh_session(d);
    free(drain(t));
    free(io(t, "enable\r"));
    free(io(t, "lab-enable-1\r"));
    return t;
}

/* ---- login, prompts, modes ----------------------------------------------------------------- */

static void telnet_login(void **st)
{
    (void)st;
    sim_device *d = dev_new(SIM_IOS, &creds);
    sim_term_cfg c = {.transport = SIM_TR_TELNET, .login = true, .peer = "127.0.0.1:1"};
    sim_term *t = sim_term_new(d, &c);
    char *s = drain(t);
    assert_string_equal(s, "\r\n\r\nUser Access Verification\r\n\r\nUsername: ");
    free(s);
    EXPECT(t, "admin\r\n", "admin\r\nPassword: ");
    /* the password is not echoed; Enter is */
    EXPECT(t, "lab-pass-1\r\n", "\r\nsw1>");
    assert_true(sim_term_logged_in(t));
    assert_int_equal(d->c.logins_telnet, 1);
    assert_int_equal(d->c.sessions_open, 1);
    sim_term_free(t);
    assert_int_equal(d->c.sessions_open, 0);
    dev_free(d);
}

static void telnet_login_failures(void **st)
{
    (void)st;
    sim_device *d = dev_new(SIM_IOS, &creds);
    sim_term_cfg c = {.transport = SIM_TR_TELNET, .login = true};
    sim_term *t = sim_term_new(d, &c);
    free(drain(t));
    EXPECT(t, "admin\r", "admin\r\nPassword: ");
    EXPECT(t, "nope\r", "\r\n% Login invalid\r\n\r\nUsername: ");
    EXPECT(t, "admin\rnope\r", "admin\r\nPassword: \r\n% Login invalid\r\n\r\nUsername: ");
    assert_int_equal(sim_term_status_of(t), SIM_TS_OPEN);
    EXPECT(t, "bob\rlab-pass-1\r", "bob\r\nPassword: \r\n% Login invalid\r\n\r\n");
    assert_int_equal(sim_term_status_of(t), SIM_TS_CLOSE);
    assert_int_equal(d->c.login_failures, 3);
    assert_int_equal(d->c.logins_telnet, 0);
    assert_false(sim_term_logged_in(t));
    sim_term_free(t);
    dev_free(d);
}

static void refuse_login_fault(void **st)
{
    (void)st;
    sim_device *d = dev_new(SIM_IOS, &creds);
    d->f.refuse_login = true;
    sim_term_cfg c = {.transport = SIM_TR_TELNET, .login = true};
    sim_term *t = sim_term_new(d, &c);
    free(drain(t));
    EXPECT(t, "admin\rlab-pass-1\r", "admin\r\nPassword: \r\n% Login invalid\r\n\r\nUsername: ");
    sim_term_free(t);
    dev_free(d);
}

static void banners(void **st)
{
    (void)st;
    sim_device *d = dev_new(SIM_IOS, &creds_banner);
    sim_term_cfg c = {.transport = SIM_TR_TELNET, .login = true};
    sim_term *t = sim_term_new(d, &c);
    char *s = drain(t);
    assert_string_equal(s, "\r\nAuthorized access only\r\n\r\nUser Access Verification\r\n\r\n"
                           "Username: ");
    free(s);
    sim_term_free(t);
    t = ssh_session(d);
    s = drain(t);
    assert_string_equal(s, "\r\nAuthorized access only\r\n\r\nsw1>");
    free(s);
    sim_term_free(t);
    /* --opt banner= wins over the global one */
    d->f.banner = strdup("lab 7");
    t = ssh_session(d);
    s = drain(t);
    assert_string_equal(s, "\r\nlab 7\r\n\r\nsw1>");
    free(s);
    sim_term_free(t);
    dev_free(d);
}

static void modes_and_prompts(void **st)
{
    (void)st;
    sim_device *d = dev_new(SIM_IOS, &creds);
    sim_term *t = ssh_session(d);
    char *s = drain(t);
    assert_string_equal(s, "\r\nsw1>");
    free(s);
    EXPECT(t, "enable\r", "enable\r\nPassword: ");
    EXPECT(t, "lab-enable-1\r", "\r\nsw1#");
    EXPECT(t, "configure terminal\r", "configure terminal\r\nEnter configuration commands, one "
                                      "per line.  End with CNTL/Z.\r\nsw1(config)#");
    assert_int_equal(d->c.in_config, 1);
    EXPECT(t, "vlan 10\r", "vlan 10\r\nsw1(config-vlan)#");
    EXPECT(t, "exit\r", "exit\r\nsw1(config)#");
    EXPECT(t, "interface GigabitEthernet0/1\r",
           "interface GigabitEthernet0/1\r\nsw1(config-if)#");
    /* a global command typed in a sub-mode runs there and leaves the sub-mode */
    EXPECT(t, "vlan 20\r", "vlan 20\r\nsw1(config-vlan)#");
    EXPECT(t, "end\r", "end\r\nsw1#");
    assert_int_equal(d->c.in_config, 0);
    assert_int_equal(d->c.max_in_config, 1);
    EXPECT(t, "disable\r", "disable\r\nsw1>");
    EXPECT(t, "\r", "\r\nsw1>");
    EXPECT(t, "logout\r", "logout\r\n");
    assert_int_equal(sim_term_status_of(t), SIM_TS_CLOSE);
    sim_term_free(t);
    dev_free(d);
}

static void enable_failures(void **st)
{
    (void)st;
    sim_device *d = dev_new(SIM_IOS, &creds);
    sim_term *t = ssh_session(d);
    free(drain(t));
    EXPECT(t, "en\r", "en\r\nPassword: ");
    EXPECT(t, "x\r", "\r\nPassword: ");
    EXPECT(t, "y\r", "\r\nPassword: ");
    EXPECT(t, "z\r", "\r\n% Bad secrets\r\n\r\nsw1>");
    sim_term_free(t);
    dev_free(d);
}

static void privilege15_lands_in_enable(void **st)
{
    (void)st;
    sim_device *d = dev_new(SIM_IOS, &creds);
    d->f.priv15 = true;
    sim_term *t = ssh_session(d);
    char *s = drain(t);
    assert_string_equal(s, "\r\nsw1#");
    free(s);
    sim_term_free(t);
    dev_free(d);
}

static void hostname_changes_prompt(void **st)
{
    (void)st;
    sim_device *d = dev_new(SIM_IOS, &creds);
    sim_term *t = priv_session(d);
    free(io(t, "conf t\r"));
    EXPECT(t, "hostname core-switch-number-one\r",
           "hostname core-switch-number-one\r\ncore-switch-number-o(config)#");
    EXPECT(t, "end\r", "end\r\ncore-switch-number-one#");
    EXPECT(t, "conf t\rhostname bad_name!\r",
           "conf t\r\nEnter configuration commands, one per line.  End with CNTL/Z.\r\n"
           "core-switch-number-o(config)#hostname bad_name!\r\n"
           "% Hostname contains one or more illegal characters.\r\n"
           "core-switch-number-o(config)#");
    sim_term_free(t);
    dev_free(d);
}

/* ---- editing and input normalisation -------------------------------------------------------- */

static void echo_and_editing(void **st)
{
    (void)st;
    sim_device *d = dev_new(SIM_IOS, &creds);
    sim_term *t = ssh_session(d);
    free(drain(t));
    /* Backspace and DEL rub out with "\b \b"; the edited line is what runs */
    EXPECT(t, "shw\b\x7fhow cl\x7f" "lock\r",
           "shw\b \b\b \bhow cl\b \block\r\n*22:13:20.123 UTC Tue Nov 14 2023\r\nsw1>");
    /* ^U erases the whole line; arrow keys are swallowed */
    EXPECT(t, "xyz\x15\x1b[A\x1b[Dshow clock\r",
           "xyz\b \b\b \b\b \bshow clock\r\n*22:13:20.123 UTC Tue Nov 14 2023\r\nsw1>");
    sim_term_free(t);
    dev_free(d);
}

static void line_endings(void **st)
{
    (void)st;
    sim_device *d = dev_new(SIM_IOS, &creds);
    sim_term *t = ssh_session(d);
    free(drain(t));
    const char *clock = "*22:13:20.123 UTC Tue Nov 14 2023\r\nsw1>";
    char want[256];
    snprintf(want, sizeof want, "show clock\r\n%s", clock);
    EXPECT(t, "show clock\r\n", want);   /* CR LF: one Enter */
    EXPECT(t, "show clock\r", want);     /* CR alone */
    EXPECT(t, "show clock\n", want);     /* bare LF (paramiko, netmiko over SSH) */
    sim_term_feed(t, "show clock\r\0", 12); /* Telnet NVT CR NUL */
    char *s = drain(t);
    assert_string_equal(s, want);
    free(s);
    /* the LF of a CR LF split across two reads is still swallowed */
    EXPECT(t, "show clock\r", want);
    EXPECT(t, "\n", "");
    assert_int_equal(sim_term_commands(t), 5);
    sim_term_free(t);
    dev_free(d);
}

static void type_ahead_waits_for_output(void **st)
{
    (void)st;
    sim_device *d = dev_new(SIM_IOS, &creds);
    sim_term *t = ssh_session(d);
    free(drain(t));
    /* two commands in one write: the second is echoed only after the first's output */
    EXPECT(t, "show clock\rshow privilege\r",
           "show clock\r\n*22:13:20.123 UTC Tue Nov 14 2023\r\nsw1>show privilege\r\n"
           "Current privilege level is 1\r\nsw1>");
    sim_term_free(t);
    dev_free(d);
}

/* ---- matching and errors ---------------------------------------------------------------------- */

static void abbreviations(void **st)
{
    (void)st;
    sim_device *d = dev_new(SIM_IOS, &creds);
    sim_term *t = priv_session(d);
    free(io(t, "terminal length 0\r"));
    char *full = io(t, "show vlan brief\r");
    char *abbr = io(t, "sh vl br\r");
    assert_string_equal(full + strlen("show vlan brief"), abbr + strlen("sh vl br"));
    free(full);
    free(abbr);
    EXPECT(t, "conf t\r", "conf t\r\nEnter configuration commands, one per line.  End with "
                          "CNTL/Z.\r\nsw1(config)#");
    EXPECT(t, "int gi0/2\r", "int gi0/2\r\nsw1(config-if)#");
    EXPECT(t, "sw m acc\r", "sw m acc\r\nsw1(config-if)#");
    EXPECT(t, "end\r", "end\r\nsw1#");
    EXPECT(t, "wr mem\r", "wr mem\r\nBuilding configuration...\r\n[OK]\r\nsw1#");
    char *run = io(t, "sh run\r");
    assert_non_null(strstr(run, "\r\ninterface GigabitEthernet0/2\r\n switchport mode access\r\n"));
    free(run);
    sim_term_free(t);
    dev_free(d);
}

static void error_texts_and_carets(void **st)
{
    (void)st;
    sim_device *d = dev_new(SIM_IOS, &creds);
    sim_term *t = priv_session(d);
    EXPECT(t, "s\r", "s\r\n% Ambiguous command:  \"s\"\r\nsw1#");
    EXPECT(t, "sh v\r", "sh v\r\n% Ambiguous command:  \"sh v\"\r\nsw1#");
    EXPECT(t, "show\r", "show\r\n% Incomplete command.\r\n\r\nsw1#");
    /* "sw1#" is 4 columns, "show " 5 more: the caret sits under the 'f' */
    expect_invalid(t, "show foo", 4 + 5, "sw1#");
    /* the caret marks the first character no command accepts: "brief" matches up to 'g' */
    expect_invalid(t, "show vlan brieg", 4 + 14, "sw1#");
    /* numbers: 99 fits <0-512>, 999 does not */
    expect_invalid(t, "terminal length 999", 4 + 18, "sw1#");
    /* extra words */
    expect_invalid(t, "show clock now", 4 + 11, "sw1#");
    free(io(t, "conf t\r"));
    /* in config mode the prompt is 12 columns */
    expect_invalid(t, "vlan abc", 12 + 5, "sw1(config)#");
    expect_invalid(t, "vlan 10,,20", 12 + 8, "sw1(config)#");
    EXPECT(t, "vlan\r", "vlan\r\n% Incomplete command.\r\n\r\nsw1(config)#");
    EXPECT(t, "e\r", "e\r\n% Ambiguous command:  \"e\"\r\nsw1(config)#");
    EXPECT(t, "no vlan 1\r", "no vlan 1\r\n%Default VLAN 1 may not be deleted.\r\nsw1(config)#");
    /* GigabitEthernet0/25 does not exist: the caret goes under the number */
    expect_invalid(t, "interface GigabitEthernet0/25", 12 + 25, "sw1(config)#");
    free(io(t, "int gi0/5\r"));
    /* 500 fits <1-4094>, 5000 does not: the caret is under the last 0 */
    expect_invalid(t, "switchport access vlan 5000", 15 + 26, "sw1(config-if)#");
    EXPECT(t, "switchport access vlan 30\r",
           "switchport access vlan 30\r\n% Access VLAN does not exist. Creating vlan 30\r\n"
           "sw1(config-if)#");
    /* no IP address on a switch port */
    expect_invalid(t, "ip address 10.0.0.1 255.255.255.0", 15 + 3, "sw1(config-if)#");
    EXPECT(t, "no switchport\rip address 10.0.0.1 255.0.255.0\r",
           "no switchport\r\nsw1(config-if)#ip address 10.0.0.1 255.0.255.0\r\n"
           "Bad mask 0xFF00FF00 for address 10.0.0.1\r\nsw1(config-if)#");
    EXPECT(t, "ip address 10.0.0.1 255.255.255.0\r",
           "ip address 10.0.0.1 255.255.255.0\r\nsw1(config-if)#");
    EXPECT(t, "int vlan 10\rip address 10.0.0.9 255.255.0.0\r",
           "int vlan 10\r\nsw1(config-if)#ip address 10.0.0.9 255.255.0.0\r\n"
           "% 10.0.0.0 overlaps with GigabitEthernet0/5\r\nsw1(config-if)#");
    sim_term_free(t);
    dev_free(d);
}

static void help_lists_keywords(void **st)
{
    (void)st;
    sim_device *d = dev_new(SIM_IOS, &creds);
    sim_term *t = priv_session(d);
    char *s = io(t, "show vl?");
    assert_string_equal(s, "show vl?\r\n  vlan\r\n\r\nsw1#show vl");
    free(s);
    s = io(t, "an ?");
    assert_non_null(strstr(s, "\r\n  brief\r\n"));
    free(s);
    sim_term_free(t);
    dev_free(d);
}

static void pipes(void **st)
{
    (void)st;
    sim_device *d = dev_new(SIM_IOS, &creds);
    sim_term *t = priv_session(d);
    EXPECT(t, "show running-config | include hostname\r",
           "show running-config | include hostname\r\nhostname sw1\r\nsw1#");
    EXPECT(t, "sh run | i ^interface Vlan\r", "sh run | i ^interface Vlan\r\ninterface Vlan1\r\n"
                                               "sw1#");
    EXPECT(t, "sh vl br | count act/unsup\r",
           "sh vl br | count act/unsup\r\nNumber of lines which match regexp = 4\r\nsw1#");
    EXPECT(t, "sh run | section ^interface Vlan1\r",
           "sh run | section ^interface Vlan1\r\ninterface Vlan1\r\n no ip address\r\nsw1#");
    expect_invalid(t, "sh clock | foo", 4 + 11, "sw1#");
    sim_term_free(t);
    dev_free(d);
}

/* ---- pager ------------------------------------------------------------------------------------ */

#define ERASE "\b\b\b\b\b\b\b\b\b        \b\b\b\b\b\b\b\b\b"

static void pager_space_return_q(void **st)
{
    (void)st;
    sim_device *d = dev_new(SIM_IOS, &creds);
    sim_term *t = priv_session(d);
    free(io(t, "terminal length 5\r"));
    /* 4 lines per page */
    EXPECT(t, "show vlan brief\r",
           "show vlan brief\r\n"
           "VLAN Name                             Status    Ports\r\n"
           "---- -------------------------------- --------- -------------------------------\r\n"
           "1    default                          active    Gi0/1, Gi0/2, Gi0/3, Gi0/4\r\n"
           "                                                Gi0/5, Gi0/6, Gi0/7, Gi0/8\r\n"
           " --More-- ");
    /* nothing more until a key */
    char buf[16];
    assert_int_equal(sim_term_pull(t, buf, sizeof buf), 0);
    EXPECT(t, " ", ERASE
           "                                                Gi0/9, Gi0/10, Gi0/11, Gi0/12\r\n"
           "                                                Gi0/13, Gi0/14, Gi0/15, Gi0/16\r\n"
           "                                                Gi0/17, Gi0/18, Gi0/19, Gi0/20\r\n"
           "                                                Gi0/21, Gi0/22, Gi0/23, Gi0/24\r\n"
           " --More-- ");
    /* Return: one more line (a CR LF pair counts once) */
    EXPECT(t, "\r\n", ERASE "1002 fddi-default                     act/unsup \r\n --More-- ");
    EXPECT(t, "q", ERASE "sw1#");
    /* the pager is not shown when the output ends exactly on the page */
    free(io(t, "terminal length 14\r"));
    char *s = io(t, "show vlan brief\r");
    assert_null(strstr(s, "More"));
    free(s);
    free(io(t, "terminal length 0\r"));
    s = io(t, "show running-config\r");
    assert_null(strstr(s, "More"));
    assert_non_null(strstr(s, "\r\nend\r\n\r\nsw1#"));
    free(s);
    sim_term_free(t);
    dev_free(d);
}

static void pager_follows_pty_height(void **st)
{
    (void)st;
    sim_device *d = dev_new(SIM_IOS, &creds);
    sim_term *t = priv_session(d);
    sim_term_resize(t, 132, 3);
    char *s = io(t, "show vlan brief\r");
    assert_string_equal(s, "show vlan brief\r\n"
                           "VLAN Name                             Status    Ports\r\n"
                           "---- -------------------------------- --------- "
                           "-------------------------------\r\n --More-- ");
    free(s);
    free(io(t, "q"));
    /* an explicit terminal length wins over the window size */
    free(io(t, "terminal length 0\r"));
    sim_term_resize(t, 80, 3);
    s = io(t, "show vlan brief\r");
    assert_null(strstr(s, "More"));
    free(s);
    sim_term_free(t);
    dev_free(d);
}

/* ---- state: vlans, dialogs, persistence --------------------------------------------------------- */

static void show_vlan_brief_after_changes(void **st)
{
    (void)st;
    sim_device *d = dev_new(SIM_IOS, &creds);
    sim_term *t = priv_session(d);
    free(io(t, "conf t\rvlan 2-5\rvlan 3\rname users\rvlan 4\rname a-very-long-vlan-name-that-is-"
               "32\rexit\rno vlan 5\rinterface gi0/1\rswitchport access vlan 3\r"
               "interface gi0/2\rswitchport mode trunk\rint gi0/3\rsw acc vl 4\rend\r"
               "terminal length 0\r"));
    EXPECT(t, "show vlan brief\r",
           "show vlan brief\r\n"
           "VLAN Name                             Status    Ports\r\n"
           "---- -------------------------------- --------- -------------------------------\r\n"
           "1    default                          active    Gi0/4, Gi0/5, Gi0/6, Gi0/7\r\n"
           "                                                Gi0/8, Gi0/9, Gi0/10, Gi0/11\r\n"
           "                                                Gi0/12, Gi0/13, Gi0/14, Gi0/15\r\n"
           "                                                Gi0/16, Gi0/17, Gi0/18, Gi0/19\r\n"
           "                                                Gi0/20, Gi0/21, Gi0/22, Gi0/23\r\n"
           "                                                Gi0/24\r\n"
           "2    VLAN0002                         active    \r\n"
           "3    users                            active    Gi0/1\r\n"
           "4    a-very-long-vlan-name-that-is-32 active    Gi0/3\r\n"
           "1002 fddi-default                     act/unsup \r\n"
           "1003 token-ring-default               act/unsup \r\n"
           "1004 fddinet-default                  act/unsup \r\n"
           "1005 trnet-default                    act/unsup \r\n"
           "sw1#");
    char *run = io(t, "show running-config\r");
    assert_non_null(strstr(run, "\r\nvlan 2\r\n!\r\nvlan 3\r\n name users\r\n!\r\nvlan 4\r\n"
                                " name a-very-long-vlan-name-that-is-32\r\n!\r\n!\r\n"));
    assert_non_null(strstr(run, "\r\ninterface GigabitEthernet0/2\r\n switchport mode trunk\r\n"));
    free(run);
    sim_term_free(t);
    dev_free(d);
}

static void copy_write_dialogs(void **st)
{
    (void)st;
    sim_device *d = dev_new(SIM_IOS, &creds);
    sim_term *t = priv_session(d);
    free(io(t, "terminal length 0\r"));
    EXPECT(t, "show startup-config\r",
           "show startup-config\r\nstartup-config is not present\r\nsw1#");
    EXPECT(t, "copy running-config startup-config\r",
           "copy running-config startup-config\r\nDestination filename [startup-config]? ");
    EXPECT(t, "\r", "\r\nBuilding configuration...\r\n[OK]\r\nsw1#");
    assert_non_null(d->startup);
    assert_int_equal(d->c.saves, 1);
    EXPECT(t, "copy run start\rnvram:x\r",
           "copy run start\r\nDestination filename [startup-config]? nvram:x\r\n"
           "%Error opening nvram:nvram:x (No such file or directory)\r\nsw1#");
    EXPECT(t, "write memory\r", "write memory\r\nBuilding configuration...\r\n[OK]\r\nsw1#");
    EXPECT(t, "write\r", "write\r\nBuilding configuration...\r\n[OK]\r\nsw1#");
    char *s = io(t, "show startup-config\r");
    char want[64];
    snprintf(want, sizeof want, "\r\nUsing %zu out of 524288 bytes\r\n!\r\nversion 15.2\r\n",
             d->startup_len);
    assert_non_null(strstr(s, want));
    free(s);
    EXPECT(t, "write erase\r", "write erase\r\nErasing the nvram filesystem will remove all "
                               "configuration files! Continue? [confirm]");
    EXPECT(t, "\r", "\r\n[OK]\r\nErase of nvram: complete\r\nsw1#");
    assert_null(d->startup);
    EXPECT(t, "configure\r", "configure\r\nConfiguring from terminal, memory, or network "
                             "[terminal]? ");
    EXPECT(t, "\r", "\r\nEnter configuration commands, one per line.  End with CNTL/Z.\r\n"
                    "sw1(config)#");
    sim_term_free(t);
    dev_free(d);
}

static void reload_resets_to_startup(void **st)
{
    (void)st;
    sim_device *d = dev_new(SIM_IOS, &creds);
    sim_term *t = priv_session(d);
    sim_term *other = priv_session(d);
    free(io(t, "conf t\rvlan 10\rname saved\rend\rwrite\rconf t\rvlan 20\rend\r"));
    assert_non_null(sim_vlan_find(d, 20));
    /* anything but Enter or y cancels */
    EXPECT(t, "reload\r", "reload\r\nProceed with reload? [confirm]");
    EXPECT(t, "n", "\r\nsw1#");
    EXPECT(t, "reload\r", "reload\r\nProceed with reload? [confirm]");
    EXPECT(t, "\r", "\r\n");
    assert_int_equal(sim_term_status_of(t), SIM_TS_CLOSE);
    assert_null(sim_vlan_find(d, 20));
    assert_string_equal(sim_vlan_find(d, 10)->name, "saved");
    assert_int_equal(d->c.reloads, 1);
    /* every other session of the device drops */
    char *s = io(other, "show clock\r");
    assert_string_equal(s, "");
    free(s);
    assert_int_equal(sim_term_status_of(other), SIM_TS_DROP);
    sim_term_free(other);
    sim_term_free(t);
    dev_free(d);
}

static void ctrl_z_and_ctrl_c(void **st)
{
    (void)st;
    sim_device *d = dev_new(SIM_IOS, &creds);
    sim_term *t = priv_session(d);
    free(io(t, "conf t\r"));
    EXPECT(t, "\x1a", "^Z\r\nsw1#");
    assert_int_equal(d->c.in_config, 0);
    free(io(t, "conf t\rvlan 7\r"));
    EXPECT(t, "name seven\x1a", "name seven^Z\r\nsw1#");
    assert_string_equal(sim_vlan_find(d, 7)->name, "seven");
    free(io(t, "conf t\r"));
    EXPECT(t, "int gi0/1\x03", "int gi0/1^C\r\nsw1#");
    sim_term_free(t);
    dev_free(d);
}

static void counters_and_exec_request(void **st)
{
    (void)st;
    sim_device *d = dev_new(SIM_IOS, &creds);
    sim_term *t = priv_session(d);
    free(io(t, "conf t\rvlan 5\rend\r\r\r"));
    assert_int_equal(d->c.commands, 4); /* enable, conf t, vlan 5, end; blank lines are not */
    assert_int_equal(d->c.config_commands, 2);
    sim_term_free(t);
    /* SSH exec request: output only, no echo, no prompt, then close */
    sim_term_cfg c = {.transport = SIM_TR_SSH, .exec_cmd = "show clock"};
    t = sim_term_new(d, &c);
    char *s = drain(t);
    assert_string_equal(s, "*22:13:20.123 UTC Tue Nov 14 2023\r\n");
    free(s);
    assert_int_equal(sim_term_status_of(t), SIM_TS_CLOSE);
    sim_term_free(t);
    dev_free(d);
}

/* ---- faults --------------------------------------------------------------------------------------- */

static void close_after_and_stall_after(void **st)
{
    (void)st;
    sim_device *d = dev_new(SIM_IOS, &creds);
    d->f.close_after = 2;
    sim_term *t = ssh_session(d);
    free(drain(t));
    EXPECT(t, "show clock\r", "show clock\r\n*22:13:20.123 UTC Tue Nov 14 2023\r\nsw1>");
    assert_int_equal(sim_term_status_of(t), SIM_TS_OPEN);
    EXPECT(t, "show clock\rshow clock\r",
           "show clock\r\n*22:13:20.123 UTC Tue Nov 14 2023\r\nsw1>");
    assert_int_equal(sim_term_status_of(t), SIM_TS_DROP);
    sim_term_free(t);

    d->f.close_after = 0;
    d->f.stall_after = 1;
    t = ssh_session(d);
    free(drain(t));
    EXPECT(t, "\r\r", "\r\nsw1>\r\nsw1>"); /* blank lines are not commands */
    EXPECT(t, "show clock\r", "show clock\r\n*22:13:20.123 UTC Tue Nov 14 2023\r\nsw1>");
    assert_int_equal(sim_term_status_of(t), SIM_TS_STALLED);
    EXPECT(t, "show clock\r", "");
    EXPECT(t, "\r", "");
    sim_term_free(t);
    dev_free(d);
}

/* Remove ANSI CSI sequences, NUL and BEL. */
static size_t strip_junk(const char *in, size_t n, char *out)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        if (in[i] == '\x1b' && i + 1 < n && in[i + 1] == '[') {
            i += 2;
            while (i < n && !(in[i] >= 0x40 && in[i] <= 0x7e))
                i++;
            continue;
        }
        if (in[i] == '\0' || in[i] == '\a')
            continue;
        out[o++] = in[i];
    }
    out[o] = '\0';
    return o;
}

static void garbage_fault(void **st)
{
    (void)st;
    const char *script = "enable\rlab-enable-1\rterminal length 0\rshow running-config\r"
                         "show vlan brief\rshow version\r";
    sim_device *clean = dev_new(SIM_IOS, &creds);
    sim_device *dirty = dev_new(SIM_IOS, &creds);
    dirty->f.garbage = true;
    sim_term_cfg c = {.transport = SIM_TR_SSH, .seed = 42};
    sim_term *a = sim_term_new(clean, &c), *b = sim_term_new(dirty, &c);
    sim_term_feed(a, script, strlen(script));
    sim_term_feed(b, script, strlen(script));
    size_t na, nb;
    char *ca = drain_n(a, &na), *cb = drain_n(b, &nb);
    assert_true(nb > na);
    assert_non_null(memchr(cb, '\x1b', nb));
    assert_null(memchr(ca, '\x1b', na));
    size_t nuls = 0;
    for (size_t i = 0; i < nb; i++)
        nuls += cb[i] == '\0' || cb[i] == '\a';
    assert_true(nuls > 0);
    char *sb = malloc(nb + 1);
    size_t ns = strip_junk(cb, nb, sb);
    assert_int_equal(ns, na);
    assert_memory_equal(sb, ca, na);
    free(sb);
    free(ca);
    free(cb);
    sim_term_free(a);
    sim_term_free(b);
    dev_free(clean);
    dev_free(dirty);
}

static void huge_output_exact_and_lazy(void **st)
{
    (void)st;
    sim_device *d = dev_new(SIM_IOS, &creds);
    d->f.huge_output = 5000017;
    sim_term *t = priv_session(d);
    free(io(t, "terminal length 0\r"));
    const char *cmd = "show tech-support\r";
    sim_term_feed(t, cmd, strlen(cmd));
    /* pull in small pieces: the terminal never holds more than a few KiB */
    size_t total = 0, cap = 1 << 23, got;
    char *all = malloc(cap);
    char piece[1000];
    while ((got = sim_term_pull(t, piece, sizeof piece)) > 0) {
        assert_true(total + got <= cap);
        memcpy(all + total, piece, got);
        total += got;
    }
    const char *head = "show tech-support\r\n", *tail = "\r\nsw1#";
    assert_memory_equal(all, head, strlen(head));
    assert_memory_equal(all + total - strlen(tail), tail, strlen(tail));
    /* body = between the echoed command line and the prompt, line ends included */
    size_t body = total - strlen(head) - strlen("sw1#");
    assert_int_equal(body, 5000017);
    free(all);
    sim_term_free(t);
    dev_free(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(telnet_login),
        cmocka_unit_test(telnet_login_failures),
        cmocka_unit_test(refuse_login_fault),
        cmocka_unit_test(banners),
        cmocka_unit_test(modes_and_prompts),
        cmocka_unit_test(enable_failures),
        cmocka_unit_test(privilege15_lands_in_enable),
        cmocka_unit_test(hostname_changes_prompt),
        cmocka_unit_test(echo_and_editing),
        cmocka_unit_test(line_endings),
        cmocka_unit_test(type_ahead_waits_for_output),
        cmocka_unit_test(abbreviations),
        cmocka_unit_test(error_texts_and_carets),
        cmocka_unit_test(help_lists_keywords),
        cmocka_unit_test(pipes),
        cmocka_unit_test(pager_space_return_q),
        cmocka_unit_test(pager_follows_pty_height),
        cmocka_unit_test(show_vlan_brief_after_changes),
        cmocka_unit_test(copy_write_dialogs),
        cmocka_unit_test(reload_resets_to_startup),
        cmocka_unit_test(ctrl_z_and_ctrl_c),
        cmocka_unit_test(counters_and_exec_request),
        cmocka_unit_test(close_after_and_stall_after),
        cmocka_unit_test(garbage_fault),
        cmocka_unit_test(huge_output_exact_and_lazy),
    };
    return cmocka_run_group_tests_name("sim_term", tests, NULL, NULL);
}
