/* sim_session.c — a CLI session's life cycle (see sim_term.h): creation with the initial
 * banner (and --opt banner-trap's banner with prompt-like lines and pauses), login dialog or exec
 * command, the Telnet Username/Password dialog (and --opt kerberos's notice glued to it), the
 * device's session list (vty numbers, session counters), freeing, and replaying startup-config
 * text into a device (boot, reload). Not the terminal's input or output handling. */
#include "sim_term_int.h"

#include "clock.h"
#include "secret.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- login (Telnet) ------------------------------------------------------------------------ */

static void login_user(sim_term *t, const char *line);

static const char *login_prompt(sim_term *t, char *buf, size_t cap)
{
    if (sim_persona_base(t->dev->persona) == SIM_IOS || t->dev->f.kerberos)
        return "Username: ";
    snprintf(buf, cap, "%s login: ", t->dev->hostname);
    return buf;
}

/* --opt kerberos: NX-OS printed a notice right after "Username: " (on the same line) and waits on
 * the next line. Enter gives a clean "Username: "; anything typed there is not a username the
 * device accepts (a failed login, as a credential typed at the wrong question would be). */
static void kerberos_line(sim_term *t, const char *line)
{
    char buf[96];
    if (*line) {
        t->dev->c.login_failures++;
        sim_t_log(t, "login-failed", "typed at the Kerberos notice");
        sim_t_puts(t, "Login incorrect\n");
    }
    sim_t_ask_line(t, login_prompt(t, buf, sizeof buf), true, login_user);
}

/* --opt banner-trap=MS: hash art drawn slowly, then two lines that end like prompts ('#' and
 * '>'), each followed by a pause of MS before its line ends. */
static void banner_trap(sim_term *t)
{
    unsigned ms = t->dev->f.banner_trap_ms;
    static const char *const art[] = {
        "###############################################",
        "#                                             #",
        "#   L A B   N E T W O R K  -  authorised use  #",
        "#                                             #",
        "###############################################",
    };
    sim_t_out_str(t, "\r\n");
    for (size_t i = 0; i < sizeof art / sizeof *art; i++) {
        size_t n = strlen(art[i]);
        for (size_t k = 0; k < n; k += 8) { /* a slow link: 8 bytes at a time */
            sim_t_out_raw(t, art[i] + k, n - k < 8 ? n - k : 8);
            sim_t_out_pause(t, ms / 8 ? ms / 8 : 1);
        }
        sim_t_out_str(t, "\r\n");
    }
    sim_t_out_str(t, "Unauthorised access is prohibited. Maintenance tonight 22:00 #");
    sim_t_out_pause(t, ms);
    sim_t_out_str(t, "\r\nContact noc@example.net for access to the lab router>");
    sim_t_out_pause(t, ms);
    sim_t_out_str(t, "\r\n\r\n");
}

static void nxos_motd(sim_term *t)
{
    sim_t_puts(t, "\nCisco Nexus Operating System (NX-OS) Software\n"
                  "TAC support: http://www.cisco.com/tac\n"
                  "Copyright (C) 2002-2021, Cisco and/or its affiliates.\n"
                  "All rights reserved.\n");
}

static void logged_in(sim_term *t)
{
    t->logged_in = true;
    t->since_ms = na_now_ms();
    if (!t->counted) {
        t->counted = true;
        sim_device_session_open(t->dev);
    }
    unsigned m = t->dev->persona == SIM_NXOS || t->dev->persona == SIM_IOSXR || t->dev->f.priv15
                     ? SIM_M_PRIV
                     : SIM_M_USER;
    sim_t_set_mode(t, m);
    t->junos_cli = strcmp(t->user, "root") != 0; /* junos: root lands in the shell */
}

static void login_pass(sim_term *t, const char *pass)
{
    const sim_creds *cr = t->dev->creds;
    bool ok = !t->dev->f.refuse_login && cr && strcmp(t->user, cr->username) == 0 &&
              strcmp(pass, cr->password) == 0;
    if (ok) {
        t->dev->c.logins_telnet++;
        sim_t_log(t, "login", t->user);
        logged_in(t);
        if (t->dev->persona == SIM_NXOS)
            nxos_motd(t);
        return;
    }
    t->dev->c.login_failures++;
    sim_t_log(t, "login-failed", t->user);
    t->tries++;
    char buf[96];
    if (sim_persona_base(t->dev->persona) == SIM_IOS)
        sim_t_puts(t, "% Login invalid\n\n");
    else
        sim_t_puts(t, "Login incorrect\n");
    if (t->tries >= 3) {
        sim_t_close(t);
        return;
    }
    sim_t_ask_line(t, login_prompt(t, buf, sizeof buf), true, login_user);
}

static void login_user(sim_term *t, const char *line)
{
    char buf[96];
    if (!*line) {
        sim_t_ask_line(t, login_prompt(t, buf, sizeof buf), true, login_user);
        return;
    }
    snprintf(t->user, sizeof t->user, "%s", line);
    sim_t_ask_line(t, "Password: ", false, login_pass);
}

/* ---- life cycle ------------------------------------------------------------------------------ */

static void link_device(sim_term *t)
{
    /* lowest free vty number */
    int vty = 0;
    for (bool again = true; again;) {
        again = false;
        for (sim_term *o = t->dev->terms; o; o = o->dnext)
            if (o->vty == vty) {
                vty++;
                again = true;
            }
    }
    t->vty = vty;
    t->dnext = t->dev->terms;
    t->dev->terms = t;
}

static void unlink_device(sim_term *t)
{
    for (sim_term **pp = &t->dev->terms; *pp; pp = &(*pp)->dnext)
        if (*pp == t) {
            *pp = t->dnext;
            return;
        }
}

sim_term *sim_term_new(sim_device *d, const sim_term_cfg *cfg)
{
    sim_term *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    t->dev = d;
    t->transport = cfg->transport;
    snprintf(t->user, sizeof t->user, "%s", cfg->user ? cfg->user : "");
    snprintf(t->peer, sizeof t->peer, "%s", cfg->peer ? cfg->peer : "");
    na_buf_init(&t->in, SIM_IN_MAX);
    na_buf_init(&t->out, SIM_OUT_MAX);
    na_buf_init(&t->txt, SIM_TXT_MAX);
    na_buf_init(&t->la, 64 * 1024);
    t->length = cfg->height > 0 ? cfg->height : 24;
    t->width = cfg->width > 0 ? cfg->width : 80;
    t->epoch = d->epoch;
    t->rng = cfg->seed ? cfg->seed : 0x2545f491u;
    t->since_ms = na_now_ms();
    t->mode = SIM_M_USER;
    link_device(t);
    if (cfg->exec_cmd) {
        t->exec_cmd = strdup(cfg->exec_cmd);
        if (!t->exec_cmd) {
            sim_term_free(t);
            return NULL;
        }
    }
    const char *banner = d->f.banner ? d->f.banner : d->creds ? d->creds->banner : NULL;
    sim_t_begin_cmd(t);
    if (d->f.banner_trap_ms)
        banner_trap(t);
    if (cfg->login) {
        char buf[96];
        if (d->f.kerberos) {
            sim_t_puts(t, "\nUser Access Verification\n");
            if (banner && *banner)
                sim_t_printf(t, "%s\n", banner);
            sim_t_ask_line(t, "Username: Kerberos: No default realm defined for Kerberos!\r\n",
                           true, kerberos_line);
            sim_t_start_output(t);
            return t;
        }
        if (sim_persona_base(d->persona) == SIM_IOS) {
            sim_t_puts(t, "\n");
            if (banner && *banner)
                sim_t_printf(t, "%s\n", banner);
            sim_t_puts(t, "\nUser Access Verification\n\n");
        } else {
            sim_t_puts(t, "\n");
            if (banner && *banner)
                sim_t_printf(t, "%s\n", banner);
            if (d->persona == SIM_NXOS)
                sim_t_puts(t, "User Access Verification\n");
        }
        sim_t_ask_line(t, login_prompt(t, buf, sizeof buf), true, login_user);
        sim_t_start_output(t);
        return t;
    }
    logged_in(t);
    if (t->exec_cmd) {
        t->ncmd++;
        d->c.commands++;
        sim_t_log(t, "command", t->exec_cmd);
        sim_run_line(t, t->exec_cmd, 0);
        sim_t_start_output(t);
        return t;
    }
    if (d->persona == SIM_NXOS)
        nxos_motd(t);
    else if (banner && *banner)
        sim_t_printf(t, "\n%s\n\n", banner);
    else
        sim_t_puts(t, "\n");
    sim_t_start_output(t);
    return t;
}

void sim_term_free(sim_term *t)
{
    if (!t)
        return;
    sim_cand_discard(t); /* uncommitted changes die with the session */
    for (int i = 0; i < t->npending; i++)
        free(t->pending_async[i]);
    unlink_device(t);
    if (t->counted)
        sim_device_session_close(t->dev);
    if (t->in_config)
        sim_device_config_leave(t->dev);
    if (t->gen)
        t->gen->free(t->gen);
    sim_t_clear_filter(t);
    na_wipe(t->line, sizeof t->line);
    if (t->in.data)
        na_wipe(t->in.data, t->in.cap);
    na_buf_free(&t->in);
    na_buf_free(&t->out);
    na_buf_free(&t->txt);
    na_buf_free(&t->la);
    free(t->exec_cmd);
    free(t);
}

sim_term_status sim_term_status_of(const sim_term *t) { return t->status; }

bool sim_term_pending(const sim_term *t)
{
    if (t->out.len > t->out_off)
        return true;
    if (t->status != SIM_TS_OPEN)
        return false;
    if (t->epoch != t->dev->epoch)
        return true;
    if ((t->gen || t->have_la) && !t->paging)
        return true;
    return t->in_off < t->in.len;
}

void sim_term_resize(sim_term *t, int width, int height)
{
    if (width > 0 && !t->width_set)
        t->width = width;
    if (height > 0 && !t->length_set)
        t->length = height;
}

bool sim_term_logged_in(const sim_term *t) { return t->logged_in; }

unsigned sim_term_commands(const sim_term *t) { return t->ncmd; }

/* ---- configuration replay ---------------------------------------------------------------- */

void sim_config_apply(sim_device *d, const char *text, size_t len)
{
    sim_term *t = calloc(1, sizeof *t);
    if (!t)
        return;
    t->dev = d;
    t->loading = true;
    t->epoch = d->epoch;
    na_buf_init(&t->in, SIM_IN_MAX);
    na_buf_init(&t->out, SIM_OUT_MAX);
    na_buf_init(&t->txt, SIM_TXT_MAX);
    na_buf_init(&t->la, 64 * 1024);
    t->mode = SIM_M_CONF;
    bool in_banner = false;
    size_t i = 0;
    while (i < len) {
        size_t j = i;
        while (j < len && text[j] != '\n')
            j++;
        char line[SIM_LINE_MAX + 1];
        size_t l = j - i < SIM_LINE_MAX ? j - i : SIM_LINE_MAX;
        memcpy(line, text + i, l);
        while (l > 0 && (line[l - 1] == '\r' || line[l - 1] == ' '))
            l--;
        line[l] = '\0';
        i = j + 1;
        const char *s = line;
        while (*s == ' ')
            s++;
        if (in_banner) {
            if (strstr(s, "^C"))
                in_banner = false;
            continue;
        }
        if (strncmp(s, "banner ", 7) == 0) {
            const char *c = strstr(s, "^C");
            in_banner = c && !strstr(c + 2, "^C");
            continue;
        }
        if (*s == '!' || *s == '\0')
            continue;
        if (strcmp(s, "end") == 0)
            break;
        /* a line at column 0 is a global command: leave any sub-mode first */
        if (s == line && (t->mode & SIM_M_SUB))
            t->mode = SIM_M_CONF;
        sim_t_begin_cmd(t);
        sim_run_line(t, line, 0);
        sim_t_start_output(t);
        if (!(t->mode & SIM_M_CFG))
            t->mode = SIM_M_CONF;
    }
    sim_term_free(t);
}

void sim_device_boot(sim_device *d)
{
    if (d->startup)
        sim_config_apply(d, d->startup, d->startup_len);
}

void sim_device_reload(sim_device *d)
{
    sim_device_factory(d);
    sim_device_boot(d);
    d->boot_ms = d->clock_ms();
    d->epoch++;
    d->c.reloads++;
}
