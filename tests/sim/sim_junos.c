/* sim_junos.c — the junos personality's CLI: a root login lands in the FreeBSD shell
 * (root@jn1:RE:0%, `cli` starts the CLI); operational mode (admin@jn1> , with "{master:0}" on the
 * line above under --opt re-master) with show version / interfaces terse / vlans /
 * configuration, set cli ...; configuration mode with "[edit]" on the line above the "#"
 * prompt: set / delete of VLANs and interface descriptions and `disable`, edit / up / top,
 * show | compare, commit check, commit (and-quit), rollback 0, exit with the uncommitted-changes
 * question. The candidate is the commit model's (sim_commit.c); `commit` fails its check when two
 * VLANs get the same vlan-id ("error: configuration check-out failed"). Errors as Junos prints
 * them: a caret under the word, then "syntax error." or "unknown command.". Not the IOS-like
 * command table (sim_cmds.c). */
#include "sim_term_int.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAXW 16

typedef struct words {
    char *w[MAXW];
    size_t off[MAXW]; /* column of each word in the line */
    int n;
    char buf[SIM_LINE_MAX + 1];
} words;

/* Split a line into words; a "quoted string" is one word (without its quotes). */
static void split(const char *line, words *ws)
{
    snprintf(ws->buf, sizeof ws->buf, "%s", line);
    ws->n = 0;
    char *p = ws->buf;
    while (*p && ws->n < MAXW) {
        while (*p == ' ' || *p == '\t')
            p++;
        if (!*p)
            break;
        ws->off[ws->n] = (size_t)(p - ws->buf);
        if (*p == '"') {
            ws->w[ws->n++] = ++p;
            while (*p && *p != '"')
                p++;
        } else {
            ws->w[ws->n++] = p;
            while (*p && *p != ' ' && *p != '\t')
                p++;
        }
        if (*p)
            *p++ = '\0';
    }
}

static const char *user_of(const sim_term *t) { return t->user[0] ? t->user : "admin"; }
static const char *host_of(const sim_term *t)
{
    return t->real ? t->real->hostname : t->dev->hostname;
}

const char *sim_junos_prompt(sim_term *t)
{
    const char *m = t->dev->f.re_master ? "{master:0}" : "";
    if (!t->junos_cli)
        snprintf(t->pbuf, sizeof t->pbuf, "root@%s:RE:0%% ", host_of(t));
    else if (t->mode & SIM_M_CFG)
        snprintf(t->pbuf, sizeof t->pbuf, "\r\n%s[edit%s%s]\r\n%s@%s# ", m,
                 t->edit_path[0] ? " " : "", t->edit_path, user_of(t), host_of(t));
    else
        snprintf(t->pbuf, sizeof t->pbuf, "\r\n%s%s%s@%s> ", m, *m ? "\r\n" : "", user_of(t),
                 host_of(t));
    return t->pbuf;
}

/* A caret under column col of the line, then the message. */
static void caret(sim_term *t, size_t col, const char *msg)
{
    sim_t_printf(t, "%*s^\n%s\n", (int)(sim_t_prompt_cols(t) + col), "", msg);
}

static bool is(const words *ws, int i, const char *kw)
{
    return i < ws->n && !strcasecmp(ws->w[i], kw);
}

/* ---- operational mode ------------------------------------------------------------------- */

static void show_version(sim_term *t)
{
    sim_t_printf(t,
                 "fpc0:\n"
                 "--------------------------------------------------------------------------\n"
                 "Hostname: %s\nModel: ex2200-24t-4g\nJunos: 14.1X53-D26.2\n"
                 "JUNOS EX  Software Suite [14.1X53-D26.2]\n"
                 "JUNOS FIPS mode utilities [14.1X53-D26.2]\n"
                 "JUNOS Online Documentation [14.1X53-D26.2]\n"
                 "JUNOS EX 2200 Software Suite [14.1X53-D26.2]\n"
                 "JUNOS Web Management Platform Package [14.1X53-D26.2]\n",
                 host_of(t));
}

static void show_terse(sim_term *t)
{
    sim_device *d = t->dev;
    sim_t_puts(t, "Interface               Admin Link Proto    Local                 Remote\n");
    for (size_t i = 0; i < d->nintfs; i++) {
        const sim_intf *it = &d->intfs[i];
        sim_t_printf(t, "%-23s %-5s %-4s\n", it->name, it->shutdown ? "down" : "up",
                     it->shutdown ? "down" : "up");
    }
}

static void show_vlans(sim_term *t)
{
    sim_device *d = t->dev;
    sim_t_puts(t, "Routing instance        VLAN name             Tag          Interfaces\n");
    for (size_t i = 0; i < d->nvlans; i++)
        sim_t_printf(t, "default-switch          %-21s %-12u\n",
                     d->vlans[i].id == 1 ? "default" : d->vlans[i].name, d->vlans[i].id);
}

static void show_configuration(sim_term *t)
{
    sim_device *d = t->dev;
    sim_t_printf(t, "## Last commit: by %s\nversion 14.1X53-D26.2;\n"
                 "system {\n    host-name %s;\n}\n", user_of(t), host_of(t));
    sim_t_puts(t, "interfaces {\n");
    for (size_t i = 0; i < d->nintfs; i++) {
        const sim_intf *it = &d->intfs[i];
        if (!it->desc && !it->shutdown)
            continue;
        sim_t_printf(t, "    %s {\n", it->name);
        if (it->shutdown)
            sim_t_puts(t, "        disable;\n");
        if (it->desc)
            sim_t_printf(t, "        description \"%s\";\n", it->desc);
        sim_t_puts(t, "    }\n");
    }
    sim_t_puts(t, "}\nvlans {\n");
    for (size_t i = 0; i < d->nvlans; i++)
        if (d->vlans[i].id != 1)
            sim_t_printf(t, "    %s {\n        vlan-id %u;\n    }\n", d->vlans[i].name,
                         d->vlans[i].id);
    sim_t_puts(t, "}\n");
}

static void exec_show(sim_term *t, const words *ws)
{
    if (is(ws, 1, "version"))
        show_version(t);
    else if (is(ws, 1, "interfaces") && is(ws, 2, "terse"))
        show_terse(t);
    else if (is(ws, 1, "vlans"))
        show_vlans(t);
    else if (is(ws, 1, "configuration"))
        show_configuration(t);
    else
        caret(t, ws->n > 1 ? ws->off[1] : ws->off[0] + 4, "syntax error, expecting <command>.");
}

static void run_exec(sim_term *t, const words *ws)
{
    if (is(ws, 0, "show")) {
        exec_show(t, ws);
    } else if (is(ws, 0, "set") && is(ws, 1, "cli") && ws->n >= 3) {
        if (is(ws, 2, "screen-length") && ws->n == 4) {
            t->length = atoi(ws->w[3]);
            t->length_set = true;
            sim_t_printf(t, "Screen length set to %d\n", t->length);
        } else if (is(ws, 2, "screen-width") && ws->n == 4) {
            t->width = atoi(ws->w[3]);
            t->width_set = true;
            sim_t_printf(t, "Screen width set to %d\n", t->width);
        } else if (is(ws, 2, "complete-on-space") && ws->n == 4) {
            sim_t_printf(t, "%s complete-on-space\n", is(ws, 3, "off") ? "Disabling" : "Enabling");
        } else {
            caret(t, ws->off[2], "syntax error.");
        }
    } else if (is(ws, 0, "configure")) {
        sim_t_puts(t, "Entering configuration mode\n");
        sim_t_set_mode(t, SIM_M_CONF);
        t->edit_path[0] = '\0';
        sim_cand_begin(t);
    } else if (is(ws, 0, "exit") || is(ws, 0, "quit") || is(ws, 0, "logout")) {
        sim_t_close(t);
    } else {
        caret(t, ws->off[0], "unknown command.");
    }
}

/* ---- configuration mode ------------------------------------------------------------------- */

/* ge-0/0/N and the management port. */
static sim_intf *junos_if(sim_device *d, const char *name)
{
    return sim_intf_find(d, name);
}



static sim_vlan *vlan_named(sim_device *d, const char *name)
{
    for (size_t i = 0; i < d->nvlans; i++)
        if (!strcmp(d->vlans[i].name, name))
            return &d->vlans[i];
    return NULL;
}

/* set / delete under vlans and interfaces, relative to the edit path. true = done. */
static bool cfg_set(sim_term *t, const words *ws, bool del)
{
    sim_device *d = t->dev;
    int i = 1;
    words full;
    char line[SIM_LINE_MAX + 1];
    snprintf(line, sizeof line, "%s%s", t->edit_path, t->edit_path[0] ? " " : "");
    for (int k = 1; k < ws->n; k++) {
        size_t l = strlen(line);
        snprintf(line + l, sizeof line - l, "%s%s", k > 1 ? " " : "", ws->w[k]);
    }
    split(line, &full);
    i = 0;
    if (is(&full, i, "vlans") && full.n >= 2) {
        const char *name = full.w[1];
        if (del && full.n == 2) {
            sim_vlan *v = vlan_named(d, name);
            if (v)
                sim_vlan_del(d, v->id);
            return true;
        }
        if (!del && full.n == 4 && is(&full, 2, "vlan-id")) {
            long id = strtol(full.w[3], NULL, 10);
            if (id < 1 || id > 4094)
                return false;
            sim_vlan *v = sim_vlan_find(d, (unsigned)id);
            if (v && v->id != 1 && strcmp(v->name, name)) { /* accepted; the check refuses it */
                if (!t->cand_failed)
                    snprintf(t->cand_err, sizeof t->cand_err,
                             "[edit vlans]\n  '%.32s'\n    Duplicate vlan-id %ld: also vlan '%s'\n",
                             name, id, v->name);
                t->cand_failed = true;
                return true;
            }
            v = sim_vlan_add(d, (unsigned)id);
            if (v)
                snprintf(v->name, sizeof v->name, "%.32s", name);
            return true;
        }
        return false;
    }
    if (is(&full, i, "interfaces") && full.n >= 3) {
        sim_intf *it = junos_if(d, full.w[1]);
        if (!it)
            return false;
        if (is(&full, 2, "disable") && full.n == 3) {
            if (it->shutdown == !del)
                return true;
            it->shutdown = !del;
            return true;
        }
        if (is(&full, 2, "description")) {
            free(it->desc);
            it->desc = NULL;
            if (!del && full.n == 4)
                it->desc = strdup(full.w[3]);
            return del || full.n == 4;
        }
        return false;
    }
    if (is(&full, i, "system") && is(&full, 1, "host-name") && full.n == 3 && !del) {
        snprintf(d->hostname, sizeof d->hostname, "%.63s", full.w[2]);
        return true;
    }
    return false;
}

/* The check `commit` and `commit check` make: a vlan-id belongs to one VLAN name. */
static bool check_candidate(sim_term *t)
{
    if (!t->cand_failed)
        return true;
    sim_t_printf(t, "%serror: configuration check-out failed\n", t->cand_err);
    return false;
}

static void leave_config(sim_term *t)
{
    sim_cand_discard(t);
    t->edit_path[0] = '\0';
    sim_t_puts(t, "Exiting configuration mode\n");
    sim_t_set_mode(t, SIM_M_USER);
}

static void exit_answer(sim_term *t, const char *line)
{
    while (*line == ' ')
        line++;
    if (!*line || !strncasecmp(line, "yes", strlen(line)))
        leave_config(t);
}

/* commit confirmed [MINUTES]: commit, and go back by itself unless another commit comes within
 * MINUTES (default 10; --opt revert-minute shortens a minute). */
static void commit_confirmed(sim_term *t, const words *ws)
{
    char *end = NULL;
    long mins = ws->n == 3 ? strtol(ws->w[2], &end, 10) : 10;
    if (ws->n == 3 && (*end || mins < 1 || mins > 65535)) {
        caret(t, ws->off[2], "syntax error.");
        return;
    }
    if (!check_candidate(t))
        return;
    sim_device *real = t->real ? t->real : t->dev;
    if (!real->revert_snap && !(real->revert_snap = sim_snapshot_take(real))) {
        sim_t_puts(t, "error: out of memory\n");
        return;
    }
    unsigned minute = real->f.revert_minute_ms ? real->f.revert_minute_ms : 60000;
    real->revert_at_ms = real->clock_ms() + (int64_t)mins * minute;
    sim_cand_commit(t);
    sim_t_printf(t, "commit confirmed will be automatically rolled back in %ld minutes unless "
                    "confirmed\ncommit complete\n", mins);
}

static void run_config(sim_term *t, const words *ws, const char *line)
{
    if (is(ws, 0, "set") || is(ws, 0, "delete")) {
        if (ws->n < 2) {
            caret(t, ws->off[0] + strlen(ws->w[0]) + 1, "syntax error, expecting <statement>.");
            return;
        }
        if (!cfg_set(t, ws, is(ws, 0, "delete"))) {
            caret(t, ws->off[1], "syntax error.");
            return;
        }
        char full[SIM_LINE_MAX + 1];
        snprintf(full, sizeof full, "%s %s%s%s", ws->w[0], t->edit_path,
                 t->edit_path[0] ? " " : "", line + ws->off[1]);
        sim_cand_note(t, full);
    } else if (is(ws, 0, "edit") && ws->n >= 2) {
        size_t l = strlen(t->edit_path);
        snprintf(t->edit_path + l, sizeof t->edit_path - l, "%s%s", l ? " " : "",
                 line + ws->off[1]);
    } else if (is(ws, 0, "top") || is(ws, 0, "up")) {
        char *sp = strrchr(t->edit_path, ' ');
        if (is(ws, 0, "top") || !sp)
            t->edit_path[0] = '\0';
        else
            *sp = '\0';
    } else if (is(ws, 0, "show") && ws->n == 3 && !strcmp(ws->w[1], "|") &&
               is(ws, 2, "compare")) {
        for (char *l = t->cand_log; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
            char *nl = strchr(l, '\n');
            int ll = nl ? (int)(nl - l) : (int)strlen(l);
            sim_t_printf(t, "%c %.*s\n", l[0] == 'd' ? '-' : '+', ll, l);
        }
    } else if (is(ws, 0, "show")) {
        show_configuration(t);
    } else if (is(ws, 0, "commit") && is(ws, 1, "check") && ws->n == 2) {
        if (check_candidate(t))
            sim_t_puts(t, "configuration check succeeds\n");
    } else if (is(ws, 0, "commit") && is(ws, 1, "confirmed") && ws->n <= 3) {
        commit_confirmed(t, ws);
    } else if (is(ws, 0, "rollback") && ws->n == 2 && is(ws, 1, "1")) {
        sim_device *real = t->real ? t->real : t->dev;
        if (!real->revert_snap || !t->real) { /* the simulator keeps one earlier commit */
            sim_t_puts(t, "error: rollback 1 is not available\n");
            return;
        }
        sim_snapshot_restore(t->dev, real->revert_snap);
        sim_cand_note(t, "rollback 1");
        sim_t_puts(t, "load complete\n");
    } else if (is(ws, 0, "commit") && (ws->n == 1 || (ws->n == 2 && is(ws, 1, "and-quit")))) {
        if (!check_candidate(t))
            return;
        sim_cand_commit(t);
        sim_device *real = t->real ? t->real : t->dev;
        if (real->revert_snap) { /* a commit inside the window confirms it */
            sim_snapshot_free(real->revert_snap);
            real->revert_snap = NULL;
            real->revert_at_ms = 0;
        }
        sim_t_puts(t, "commit complete\n");
        if (ws->n == 2)
            leave_config(t);
    } else if (is(ws, 0, "rollback") && (ws->n == 1 || (ws->n == 2 && is(ws, 1, "0")))) {
        sim_cand_discard(t);
        sim_cand_begin(t);
        t->cand_err[0] = '\0';
        sim_t_puts(t, "load complete\n");
    } else if (is(ws, 0, "run") && ws->n >= 2) {
        words sub;
        split(line + ws->off[1], &sub);
        run_exec(t, &sub);
    } else if (is(ws, 0, "exit") || is(ws, 0, "quit")) {
        if (t->edit_path[0] && !is(ws, 1, "configuration-mode")) {
            char *sp = strrchr(t->edit_path, ' ');
            if (sp)
                *sp = '\0';
            else
                t->edit_path[0] = '\0';
        } else if (t->cand_dirty) {
            sim_t_puts(t, "The configuration has been changed but not committed\n");
            sim_t_ask_line(t, "Exit with uncommitted changes? [yes,no] (yes) ", true,
                           exit_answer);
        } else {
            leave_config(t);
        }
    } else {
        caret(t, ws->off[0], "unknown command.");
    }
}

void sim_junos_run_line(sim_term *t, const char *line)
{
    words ws;
    split(line, &ws);
    if (!ws.n)
        return;
    if (!t->junos_cli) { /* the FreeBSD shell of a root login */
        if (is(&ws, 0, "cli"))
            t->junos_cli = true;
        else if (is(&ws, 0, "exit") || is(&ws, 0, "logout"))
            sim_t_close(t);
        else
            sim_t_printf(t, "%s: Command not found.\n", ws.w[0]);
        return;
    }
    if (t->mode & SIM_M_CFG)
        run_config(t, &ws, line);
    else
        run_exec(t, &ws);
}
