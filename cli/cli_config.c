/* cli_config.c — the user configuration file: $NETAUTO_CONFIG, else
 * $XDG_CONFIG_HOME/netauto/config.yaml (~/.config/netauto/config.yaml): defaults for inventory,
 * forks, templates, server, fingerprint, cacert, token_file and color, below the command line
 * and the environment. Paths may start with ~/ and are relative to the file's directory. A
 * missing default file is no configuration; a bad one is an error with FILE:LINE:COLUMN (exit
 * 2). Not the inventory and not netautod's configuration. */
#include "cli_args.h"
#include "ydoc.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static bool cfg_oom; /* a copy failed: cli_config_load says so (only main.c exits) */

static char *dupz(const char *s)
{
    char *d = strdup(s);
    if (!d) {
        cfg_oom = true;
        return (char *)"";
    }
    return d;
}

/* ~/x -> $HOME/x; a relative path -> relative to dir. Kept for the process's life. */
static const char *path_of(const char *dir, const char *p)
{
    char buf[8192];
    const char *home = getenv("HOME");
    if (!strncmp(p, "~/", 2) && home)
        snprintf(buf, sizeof buf, "%s/%s", home, p + 2);
    else if (p[0] != '/' && dir)
        snprintf(buf, sizeof buf, "%s/%s", dir, p);
    else
        snprintf(buf, sizeof buf, "%s", p);
    return dupz(buf);
}

static const char *config_path(bool *explicit_)
{
    static char buf[8192];
    const char *p = getenv("NETAUTO_CONFIG");
    *explicit_ = p && *p;
    if (*explicit_)
        return p;
    const char *xdg = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");
    if (xdg && *xdg == '/')
        snprintf(buf, sizeof buf, "%s/netauto/config.yaml", xdg);
    else if (home && *home)
        snprintf(buf, sizeof buf, "%s/.config/netauto/config.yaml", home);
    else
        return NULL;
    return buf;
}

static int str_of(na_ydoc *d, na_ynode *v, const char **out, na_err *err)
{
    return na_ystr(d, v, out, err);
}

int cli_config_load(na_err *err)
{
    bool explicit_;
    const char *path = config_path(&explicit_);
    if (!path || (!explicit_ && access(path, F_OK) != 0))
        return 0;
    na_ydoc d;
    if (na_ydoc_load_file(&d, path, err) < 0)
        return -1;
    cli_g.config_path = dupz(path);
    char dir[8192];
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    if (slash)
        *slash = '\0';
    else
        snprintf(dir, sizeof dir, ".");
    na_ynode *root = na_ydoc_root(&d);
    int rc = 0;
    static const char *const keys[] = {"inventory", "forks", "templates", "server", "fingerprint",
                                       "cacert", "token_file", "color", NULL};
    if (!root) {
        na_ydoc_free(&d);
        return 0;
    }
    if (!na_yis_map(root)) {
        rc = na_yerr(err, &d, root, "the configuration must be a mapping of settings");
        goto out;
    }
    if (na_ycheck_keys(&d, root, keys, "the netauto configuration", err) < 0) {
        rc = -1;
        goto out;
    }
    for (size_t i = 0; rc == 0 && i < na_ymap_len(root); i++) {
        const char *k = na_yscalar(na_ymap_key(&d, root, i));
        na_ynode *v = na_ymap_val(&d, root, i);
        const char *s = NULL;
        if (!strcmp(k, "inventory")) {
            if (na_yis_seq(v)) {
                for (size_t j = 0; rc == 0 && j < na_yseq_len(v); j++) {
                    if (str_of(&d, na_yseq_item(&d, v, j), &s, err) < 0)
                        rc = -1;
                    else if (cli_g.cfg_n_inventory >= CLI_MAX_SOURCES)
                        rc = na_yerr(err, &d, v, "at most %d inventory sources", CLI_MAX_SOURCES);
                    else
                        cli_g.cfg_inventory[cli_g.cfg_n_inventory++] =
                            strchr(s, ',') ? dupz(s) : path_of(dir, s);
                }
            } else if (str_of(&d, v, &s, err) < 0) {
                rc = -1;
            } else {
                /* "h1,h2," is an Ansible host list, not a path */
                cli_g.cfg_inventory[cli_g.cfg_n_inventory++] =
                    strchr(s, ',') ? dupz(s) : path_of(dir, s);
            }
        } else if (!strcmp(k, "forks")) {
            if (na_ylong(&d, v, 1, 100000, &cli_g.cfg_forks, err) < 0)
                rc = -1;
        } else if (!strcmp(k, "color")) {
            if (str_of(&d, v, &s, err) < 0)
                rc = -1;
            else if (strcmp(s, "auto") && strcmp(s, "always") && strcmp(s, "never"))
                rc = na_yerr(err, &d, v, "color takes auto, always or never, got '%s'", s);
            else if (cli_g.color != 0 || strcmp(s, "always")) /* $NO_COLOR wins */
                cli_g.color = !strcmp(s, "always") ? 1 : !strcmp(s, "never") ? 0 : cli_g.color;
        } else if (str_of(&d, v, &s, err) < 0) {
            rc = -1;
        } else if (!strcmp(k, "templates")) {
            cli_g.cfg_templates = path_of(dir, s);
        } else if (!strcmp(k, "server")) {
            if (!cli_g.server) {
                cli_g.server = dupz(s);
                cli_g.server_from = CLI_FROM_CONFIG;
            }
        } else if (!strcmp(k, "fingerprint")) {
            if (!cli_g.fingerprint)
                cli_g.fingerprint = dupz(s);
        } else if (!strcmp(k, "cacert")) {
            if (!cli_g.cacert)
                cli_g.cacert = path_of(dir, s);
        } else if (!strcmp(k, "token_file")) {
            if (!cli_g.token_file && !cli_g.token)
                cli_g.token_file = path_of(dir, s);
        }
    }
out:
    na_ydoc_free(&d);
    if (rc == 0 && cfg_oom)
        rc = na_err_set(err, NA_E_NOMEM, "%s: out of memory", path);
    return rc;
}
