/* sim_commit.c — the commit model of the iosxr and junos personalities: while configuring, a
 * session works on a candidate (a private copy of the device's configuration: hostname, VLANs,
 * interfaces); `commit` copies it onto the device (every session sees it at once), abort /
 * rollback throw it away. IOS XR's own config-mode lines are here: commit, abort, show
 * configuration, end / exit / Ctrl-Z with uncommitted changes ("Uncommitted changes found,
 * commit them before exiting(yes/no/cancel)? [cancel]:"); a line whose semantic check fails
 * (the IOS handler's "% ..." message) is accepted and fails the commit, as on IOS XR. Junos's CLI
 * (sim_junos.c) uses the same candidate. Not the commands that change a configuration: those run
 * on the candidate (sim_cmds_cfg.c). */
#include "sim_term_int.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define XR_COMMIT_FAILED                                                                        \
    "% Failed to commit one or more configuration items during a pseudo-atomic operation. "    \
    "All changes made have been reverted. Please issue 'show configuration failed "            \
    "[inheritance]' from this session to view the errors\n"

/* ---- the candidate ------------------------------------------------------------------------ */

static void copy_tables(sim_device *dst, const sim_device *src)
{
    snprintf(dst->hostname, sizeof dst->hostname, "%s", src->hostname);
    for (size_t i = 0; i < dst->nintfs; i++)
        free(dst->intfs[i].desc);
    dst->nintfs = dst->nvlans = 0;
    if (src->nvlans > dst->capvlans) {
        sim_vlan *v = realloc(dst->vlans, src->nvlans * sizeof *v);
        if (!v)
            return;
        dst->vlans = v;
        dst->capvlans = src->nvlans;
    }
    if (src->nvlans)
        memcpy(dst->vlans, src->vlans, src->nvlans * sizeof *dst->vlans);
    dst->nvlans = src->nvlans;
    if (src->nintfs > dst->capintfs) {
        sim_intf *it = realloc(dst->intfs, src->nintfs * sizeof *it);
        if (!it)
            return;
        dst->intfs = it;
        dst->capintfs = src->nintfs;
    }
    for (size_t i = 0; i < src->nintfs; i++) {
        dst->intfs[i] = src->intfs[i];
        dst->intfs[i].desc = src->intfs[i].desc ? strdup(src->intfs[i].desc) : NULL;
    }
    dst->nintfs = src->nintfs;
}

static void free_candidate(sim_device *c)
{
    for (size_t i = 0; i < c->nintfs; i++)
        free(c->intfs[i].desc);
    free(c->intfs);
    free(c->vlans);
    free(c);
}

void sim_cand_begin(sim_term *t)
{
    if (t->real)
        return;
    sim_device *c = calloc(1, sizeof *c);
    if (!c)
        return;
    const sim_device *d = t->dev;
    snprintf(c->name, sizeof c->name, "%s", d->name);
    c->persona = d->persona;
    c->f = d->f;
    c->f.banner = NULL; /* the device's, not the candidate's */
    c->creds = d->creds;
    c->boot_ms = d->boot_ms;
    c->epoch = d->epoch;
    c->clock_ms = d->clock_ms;
    copy_tables(c, d);
    t->real = t->dev;
    t->dev = c;
    t->cand_dirty = t->cand_failed = false;
    t->cand_log[0] = '\0';
}

void sim_cand_discard(sim_term *t)
{
    if (!t->real)
        return;
    free_candidate(t->dev);
    t->dev = t->real;
    t->real = NULL;
    t->cand_dirty = t->cand_failed = false;
    t->cand_log[0] = '\0';
}

void sim_cand_commit(sim_term *t)
{
    if (!t->real)
        return;
    copy_tables(t->real, t->dev);
    t->cand_dirty = t->cand_failed = false;
    t->cand_log[0] = '\0';
}

/* ---- snapshots: what `commit confirmed` goes back to (sim_junos.c, sim_archive.c) ---------- */

sim_device *sim_snapshot_take(const sim_device *d)
{
    sim_device *c = calloc(1, sizeof *c);
    if (c)
        copy_tables(c, d);
    return c;
}

void sim_snapshot_restore(sim_device *d, const sim_device *snap) { copy_tables(d, snap); }

void sim_snapshot_free(sim_device *snap)
{
    if (snap)
        free_candidate(snap);
}

void sim_cand_note(sim_term *t, const char *line)
{
    size_t n = strlen(t->cand_log);
    snprintf(t->cand_log + n, sizeof t->cand_log - n, "%s\n", line);
    t->cand_dirty = true;
}

/* ---- IOS XR's config-mode lines ------------------------------------------------------------- */

void sim_xr_enter_config(sim_term *t) { sim_cand_begin(t); }

/* Leave config mode (to exec): the device itself again, counted there. */
static void leave(sim_term *t)
{
    sim_cand_discard(t);
    sim_t_set_mode(t, SIM_M_PRIV);
}

/* commit: false when it failed (the candidate stays). */
static bool xr_commit(sim_term *t)
{
    if (!t->cand_dirty) {
        sim_t_puts(t, "% No configuration changes to commit.\n");
        return true;
    }
    if (t->cand_failed) {
        sim_t_puts(t, XR_COMMIT_FAILED);
        return false;
    }
    sim_cand_commit(t);
    sim_t_async(t, "MGBL-CONFIG-6-DB_COMMIT",
                "Configuration committed by user '%s'. Use 'show configuration commit changes "
                "1000000001' to view the changes.",
                t->user[0] ? t->user : "admin");
    return true;
}

static void uncommitted_answer(sim_term *t, const char *line)
{
    while (*line == ' ')
        line++;
    if (!strncasecmp(line, "yes", strlen(line)) && *line) {
        if (xr_commit(t))
            leave(t);
    } else if (!strncasecmp(line, "no", strlen(line)) && *line) {
        leave(t);
    }
    /* cancel (the default): stay in configuration mode */
}

static bool word_is(const char *s, const char *w)
{
    while (*s == ' ')
        s++;
    size_t l = strlen(s);
    while (l > 0 && s[l - 1] == ' ')
        l--;
    return l > 0 && l == strlen(w) && !strncasecmp(s, w, l);
}

/* The semantic checks IOS XR makes at commit: the IOS handler's "% ..." messages (not the
 * syntax errors, which come at once) are accepted silently and fail the commit. */
static bool syntax_error(const char *txt)
{
    return !strncmp(txt, "% Invalid", 9) || !strncmp(txt, "% Incomplete", 12) ||
           !strncmp(txt, "% Ambiguous", 11) || strstr(txt, "^\n% Invalid");
}

bool sim_xr_config_line(sim_term *t, const char *line)
{
    if (word_is(line, "commit")) {
        xr_commit(t);
        return true;
    }
    if (word_is(line, "abort")) {
        leave(t);
        return true;
    }
    if (word_is(line, "show configuration")) {
        sim_t_printf(t, "Building configuration...\n!! IOS XR Configuration 7.3.2\n%send\n",
                     t->cand_log);
        return true;
    }
    if (word_is(line, "end") || (word_is(line, "exit") && t->mode == SIM_M_CONF)) {
        if (!t->cand_dirty) {
            leave(t);
            return true;
        }
        sim_t_ask_line(t,
                       "Uncommitted changes found, commit them before exiting(yes/no/cancel)? "
                       "[cancel]:",
                       true, uncommitted_answer);
        return true;
    }
    size_t before = t->txt.len;
    sim_run_line(t, line, sim_t_prompt_cols(t));
    const char *txt = t->txt.data ? t->txt.data + before : "";
    const char *s = line;
    while (*s == ' ')
        s++;
    bool moves = !strncasecmp(s, "exit", 4) || !strncasecmp(s, "do ", 3);
    if (*txt && syntax_error(txt))
        return true; /* refused at once, not in the candidate */
    if (*txt == '%' && strncmp(txt, "% Access VLAN does not exist", 28)) {
        t->cand_failed = true; /* accepted now, refused by the commit */
        na_buf_truncate(&t->txt, before);
    }
    if (!moves)
        sim_cand_note(t, line);
    return true;
}
