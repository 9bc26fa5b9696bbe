/* sim_files.c — ready file, inventory + known_hosts, stats JSON (jansson) and the event log of
 * the simulator (see sim_files.h). Not the server. */
#include "sim_files.h"

#include "clock.h"
#include "secret.h"
#include "sim_keys.h"

#include <errno.h>
#include <jansson.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Write data to path through path.tmp + rename, so readers never see half a file. */
static int write_atomic(const char *path, const char *data, size_t len, na_err *err)
{
    char tmp[PATH_MAX + 16];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    if (!f)
        return na_err_set(err, NA_E_IO, "cannot write %s: %s", tmp, strerror(errno));
    bool bad = fwrite(data, 1, len, f) != len;
    bad |= fflush(f) != 0;
    bad |= fclose(f) != 0;
    if (bad || rename(tmp, path) < 0) {
        int e = errno;
        unlink(tmp);
        return na_err_set(err, NA_E_IO, "cannot write %s: %s", path, strerror(e));
    }
    return 0;
}

/* The address clients should use for a listen address. */
static const char *client_addr(const char *listen)
{
    if (strcmp(listen, "0.0.0.0") == 0)
        return "127.0.0.1";
    if (strcmp(listen, "::") == 0)
        return "::1";
    return listen;
}

int sim_files_ready(const sim_srv *s, const char *path, na_err *err)
{
    na_buf b;
    na_buf_init(&b, 0);
    int rc = na_buf_printf(&b, err, "# netauto-sim ready pid=%ld\n", (long)getpid());
    for (size_t k = 0; k < s->ndevs && rc == 0; k++)
        rc = na_buf_printf(&b, err, "%s %s %s %d %d\n", s->devs[k].name,
                           sim_persona_name(s->devs[k].persona), client_addr(s->opts->listen),
                           s->rt[k].ssh_port, s->rt[k].telnet_port);
    if (rc == 0)
        rc = write_atomic(path, b.data, b.len, err);
    na_buf_free(&b);
    return rc;
}

/* A single-quoted YAML scalar. */
static int yq(na_buf *b, const char *s, na_err *err)
{
    if (na_buf_puts(b, "'", err) < 0)
        return -1;
    for (; *s; s++)
        if ((*s == '\'' ? na_buf_puts(b, "''", err) : na_buf_append(b, s, 1, NULL, err)) < 0)
            return -1;
    return na_buf_puts(b, "'", err);
}

int sim_files_inventory(const sim_srv *s, const char *path, na_err *err)
{
    const char *addr = client_addr(s->opts->listen);
    bool v6 = strchr(addr, ':') != NULL;
    char kh[PATH_MAX + 32];
    snprintf(kh, sizeof kh, "%s.known_hosts", path);
    /* known_hosts with each device's usual key */
    na_buf b;
    na_buf_init(&b, 0);
    int rc = 0;
    char line[8192];
    for (size_t k = 0; k < s->ndevs && rc == 0; k++) {
        rc = sim_key_public_line(s->rt[k].usual, line, sizeof line, err);
        if (rc == 0 && s->rt[k].ssh_port == 22)
            rc = na_buf_printf(&b, err, "%s %s\n", addr, line);
        else if (rc == 0)
            rc = na_buf_printf(&b, err, "[%s]:%d %s\n", addr, s->rt[k].ssh_port, line);
    }
    if (rc == 0)
        rc = write_atomic(kh, b.data ? b.data : "", b.len, err);
    na_buf_reset(&b);
    /* the inventory, pointing at it with an absolute path */
    char dirbuf[PATH_MAX], absdir[PATH_MAX], base[PATH_MAX];
    snprintf(dirbuf, sizeof dirbuf, "%s", kh);
    snprintf(base, sizeof base, "%s", basename(dirbuf));
    snprintf(dirbuf, sizeof dirbuf, "%s", kh);
    if (rc == 0 && !realpath(dirname(dirbuf), absdir))
        rc = na_err_set(err, NA_E_IO, "cannot resolve the directory of %s: %s", path,
                        strerror(errno));
    if (rc == 0) {
        rc |= na_buf_printf(&b, err, "# netauto inventory written by netauto-sim pid=%ld\n"
                                     "defaults:\n  transport: ssh\n  username: ",
                            (long)getpid());
        rc |= yq(&b, s->creds.username, err);
        rc |= na_buf_puts(&b, "\n  password: ", err);
        rc |= yq(&b, s->creds.password, err);
        rc |= na_buf_puts(&b, "\n  secret: ", err);
        rc |= yq(&b, s->creds.secret, err);
        rc |= na_buf_puts(&b, "\n  host_key_policy: strict\n  known_hosts: ", err);
        char full[PATH_MAX * 2 + 2];
        snprintf(full, sizeof full, "%s/%s", absdir, base);
        rc |= yq(&b, full, err);
        rc |= na_buf_puts(&b, "\ngroups:\n  sim: {}\n", err);
        for (int p = 0; p < SIM_PERSONA__COUNT; p++)
            rc |= na_buf_printf(&b, err, "  %s:\n    platform: %s\n",
                                sim_persona_name((sim_persona)p),
                                sim_persona_platform((sim_persona)p));
        rc |= na_buf_puts(&b, "hosts:\n", err);
        for (size_t k = 0; k < s->ndevs && rc == 0; k++) {
            const sim_device *d = &s->devs[k];
            rc |= na_buf_printf(&b, err,
                                "  %s:\n    host: %s%s%s\n    ssh_port: %d\n    telnet_port: %d\n"
                                "    groups: [sim, %s]\n",
                                d->name, v6 ? "'" : "", addr, v6 ? "'" : "", s->rt[k].ssh_port,
                                s->rt[k].telnet_port, sim_persona_name(d->persona));
            if (d->f.legacy_crypto)
                rc |= na_buf_puts(&b, "    ssh_algorithms: {kex: [diffie-hellman-group14-sha1], "
                                      "host_keys: [ssh-rsa]}\n",
                                  err);
        }
        if (rc == 0)
            rc = write_atomic(path, b.data, b.len, err);
        else
            rc = -1;
    }
    na_buf_free(&b);
    return rc;
}

static json_t *device_json(const sim_srv *s, size_t k)
{
    const sim_device *d = &s->devs[k];
    const sim_counters *c = &d->c;
    json_t *vl = json_array();
    for (size_t i = 0; i < d->nvlans; i++)
        json_array_append_new(vl, json_integer(d->vlans[i].id));
    return json_pack("{s:s, s:s, s:i, s:i, s:{s:I, s:I}, s:I, s:I, s:I, s:i, s:i, s:i, s:i, s:I, "
                     "s:I, s:I, s:o}",
                     "personality", sim_persona_name(d->persona), "hostname", d->hostname,
                     "ssh_port", s->rt[k].ssh_port, "telnet_port", s->rt[k].telnet_port,
                     "logins", "ssh", (json_int_t)c->logins_ssh, "telnet",
                     (json_int_t)c->logins_telnet, "login_failures",
                     (json_int_t)c->login_failures, "commands", (json_int_t)c->commands,
                     "config_commands", (json_int_t)c->config_commands, "sessions_open",
                     c->sessions_open, "max_concurrent_sessions", c->max_sessions, "in_config",
                     c->in_config, "max_concurrent_config", c->max_in_config, "connections",
                     (json_int_t)c->connections, "saves", (json_int_t)c->saves, "reloads",
                     (json_int_t)c->reloads, "vlans", vl);
}

int sim_files_stats(const sim_srv *s, const char *path, unsigned seq, na_err *err)
{
    json_t *devs = json_object();
    for (size_t k = 0; k < s->ndevs; k++) {
        json_t *j = device_json(s, k);
        if (!j) {
            json_decref(devs);
            return na_err_set(err, NA_E_NOMEM, "out of memory");
        }
        json_object_set_new(devs, s->devs[k].name, j);
    }
    json_t *root = json_pack("{s:I, s:I, s:I, s:I, s:o}", "seq", (json_int_t)seq, "pid",
                             (json_int_t)getpid(), "time_ms", (json_int_t)na_wall_ms(),
                             "connections_open", (json_int_t)s->nconns, "devices", devs);
    if (!root)
        return na_err_set(err, NA_E_NOMEM, "out of memory");
    char *text = json_dumps(root, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(root);
    if (!text)
        return na_err_set(err, NA_E_NOMEM, "out of memory");
    int rc = write_atomic(path, text, strlen(text), err);
    free(text);
    return rc;
}

/* ---- event log ---------------------------------------------------------------------------- */

static FILE *log_fp;

int sim_files_log_open(const char *path, na_err *err)
{
    log_fp = fopen(path, "a");
    if (!log_fp)
        return na_err_set(err, NA_E_IO, "--log %s: %s", path, strerror(errno));
    return 0;
}

void sim_files_log_close(void)
{
    if (log_fp)
        fclose(log_fp);
    log_fp = NULL;
}

void sim_files_log(const sim_device *d, sim_transport tr, const char *peer, const char *event,
                   const char *text)
{
    if (!log_fp)
        return;
    char ts[40], line[2048], red[2400];
    na_format_wall(na_wall_ms(), ts, sizeof ts);
    snprintf(line, sizeof line, "%s %s %s %s %s %s", ts, d->name, sim_transport_name(tr),
             peer && *peer ? peer : "-", event, text ? text : "");
    for (char *p = line; *p; p++)
        if (*p == '\n' || *p == '\r')
            *p = ' ';
    na_redact_cstr(line, red, sizeof red);
    fprintf(log_fp, "%s\n", red);
    fflush(log_fp);
}
