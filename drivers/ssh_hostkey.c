/* ssh_hostkey.c — the device's host key against known_hosts (knownhosts.c, read as OpenSSH
 * reads it) under the strict / accept-new / off policies: OpenSSH-style SHA256 fingerprints,
 * "[host]:port" names for ports other than 22 (or the HostKeyAlias), @revoked keys refused for
 * every host, @cert-authority refused with a clear message (netauto does not verify host
 * certificates), a key of another type than the recorded ones refused under accept-new as
 * OpenSSH does, new keys appended to the first user file (created 0600, its directory 0700),
 * and messages that say what to do. Also the key types recorded for a host, so the host key
 * algorithms can prefer them (ssh_algo.c), as OpenSSH does. Not the key exchange (libssh2). */
#include "knownhosts.h"
#include "ssh.h"
#include "ssh_int.h"

#include "log.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int na_ssh_fingerprint(const void *key, size_t len, char *out, size_t cap)
{
    return na_kh_fingerprint(key, len, out, cap);
}

/* Process-wide set of strings, to warn once per host and to record a key once. */
#define SEEN_MAX 1024
static pthread_mutex_t seen_lock = PTHREAD_MUTEX_INITIALIZER;
static char *seen[SEEN_MAX];
static int nseen;

/* true the first time `s` is seen */
static bool first_time(const char *s)
{
    bool first = true;
    pthread_mutex_lock(&seen_lock);
    for (int i = 0; i < nseen; i++)
        if (!strcmp(seen[i], s)) {
            first = false;
            break;
        }
    if (first && nseen < SEEN_MAX) {
        char *d = strdup(s);
        if (d)
            seen[nseen++] = d;
    }
    pthread_mutex_unlock(&seen_lock);
    return first;
}

static int port_of(const na_ssh_conn *c) { return c->p->port > 0 ? c->p->port : 22; }

/* The name known_hosts is searched for: the HostKeyAlias as it is, else "host" or
 * "[host]:port". */
static int lookup_name(const na_ssh_conn *c, char *out, size_t cap)
{
    bool alias = c->res.kh_host && c->res.kh_host != c->p->host;
    return na_kh_name(alias ? c->res.kh_host : c->p->host, alias ? 22 : port_of(c), out, cap);
}

int na_ssh_hostkey_types(na_ssh_conn *c, char types[][64], int max)
{
    char name[300];
    if (c->p->host_key_policy == NA_HOSTKEY_OFF || lookup_name(c, name, sizeof name) < 0)
        return 0;
    na_kh_result r;
    int n = 0;
    if (na_kh_lookup(c->res.kh, c->res.nkh, name, &r, NULL) == 0) {
        for (size_t i = 0; i < r.n && n < max; i++) {
            if (r.v[i].marker != NA_KH_KEY)
                continue;
            bool dup = false;
            for (int j = 0; j < n; j++)
                dup |= !strcmp(types[j], r.v[i].type);
            if (!dup)
                snprintf(types[n++], 64, "%s", r.v[i].type);
        }
    }
    na_kh_result_free(&r);
    return n;
}

static void file_hint(const na_ssh_conn *c, char *out, size_t cap)
{
    snprintf(out, cap, "%s", c->res.nkh_user ? c->res.kh[0] : "your known_hosts file");
}

static int record(na_ssh_conn *c, const char *name, const char *type, const unsigned char *key,
                  size_t len, na_err *err)
{
    if (!c->res.nkh_user)
        return na_err_set(err, NA_E_HOSTKEY_UNKNOWN, "%s: the host key of %s is not known and "
                          "host_key_policy accept-new has no file to record it in "
                          "(UserKnownHostsFile none)", c->who, name);
    const char *path = c->res.kh[0];
    char b64tag[96];
    na_kh_fingerprint(key, len, b64tag, sizeof b64tag);
    char tag[1400];
    snprintf(tag, sizeof tag, "rec %s %s %s", path, name, b64tag);
    if (!first_time(tag))
        return 0; /* another session of this process recorded it already */
    if (na_kh_append(path, name, type, key, len, "added by netauto", err) < 0) {
        na_err_prefix(err, "%s: ", c->who);
        return -1;
    }
    NA_LOGI(c->who, "host key %s %s recorded in %s (host_key_policy accept-new)", type,
            c->t.info.host_key_fp, path);
    return 0;
}

int na_ssh_hostkey_check(na_ssh_conn *c, na_err *err)
{
    size_t len = 0;
    int ltype = 0;
    const unsigned char *key =
        (const unsigned char *)libssh2_session_hostkey(c->sess, &len, &ltype);
    if (!key || !len)
        return na_err_set(err, NA_E_PROTOCOL, "%s: the device presented no host key", c->who);
    char fp[96], type[64];
    if (na_kh_fingerprint(key, len, fp, sizeof fp) < 0)
        return na_err_set(err, NA_E_INTERNAL, "%s: cannot compute the host key fingerprint",
                          c->who);
    if (na_kh_blob_type(key, len, type, sizeof type) < 0)
        return na_err_set(err, NA_E_PROTOCOL, "%s: the device presented a malformed host key",
                          c->who);
    snprintf(c->t.info.host_key_fp, sizeof c->t.info.host_key_fp, "%s", fp);
    if (!c->t.info.host_key_type[0])
        snprintf(c->t.info.host_key_type, sizeof c->t.info.host_key_type, "%s", type);

    char name[300];
    if (lookup_name(c, name, sizeof name) < 0)
        return na_err_set(err, NA_E_CONFIG, "%s: host name too long", c->who);
    int port = port_of(c);
    if (c->p->host_key_policy == NA_HOSTKEY_OFF) {
        /* once per host: per inventory name and address, so a second name for the same
         * device, or a host reached through a jump host, is warned about too */
        char tag[700];
        snprintf(tag, sizeof tag, "off %s %s", c->who, name);
        if (first_time(tag))
            NA_LOGW(c->who, "HOST KEY NOT VERIFIED (host_key_policy off): accepting %s %s from "
                    "%s without checking; anyone in the path could be impersonating it",
                    type, fp, name);
        return 0;
    }

    na_kh_result r;
    if (na_kh_lookup(c->res.kh, c->res.nkh, name, &r, err) < 0) {
        na_kh_result_free(&r);
        na_err_prefix(err, "%s: ", c->who);
        return -1;
    }
    const na_kh_entry *revoked = NULL, *same = NULL, *changed = NULL, *ca = NULL, *other = NULL;
    for (size_t i = 0; i < r.n; i++) {
        const na_kh_entry *e = &r.v[i];
        bool eq = e->len == len && !memcmp(e->blob, key, len);
        if (e->marker == NA_KH_REVOKED) {
            if (eq && !revoked)
                revoked = e;
        } else if (e->marker == NA_KH_CA) {
            if (!ca)
                ca = e;
        } else if (eq) {
            if (!same)
                same = e;
        } else if (!strcmp(e->type, type)) {
            if (!changed)
                changed = e;
        } else if (!other) {
            other = e;
        }
    }
    char file[1024];
    file_hint(c, file, sizeof file);
    int rc = -1;
    char old[96] = "(unreadable)";
    if (revoked) {
        na_err_set(err, NA_E_HOSTKEY_CHANGED, "%s: the %s host key %s of %s is marked @revoked in "
                   "%s:%u: refusing to connect", c->who, type, fp, name, revoked->file,
                   revoked->line);
    } else if (same) {
        rc = 0;
    } else if (changed) {
        na_kh_fingerprint(changed->blob, changed->len, old, sizeof old);
        na_err_set(err, NA_E_HOSTKEY_CHANGED,
                   "%s: the %s host key of %s has CHANGED: recorded %s, presented %s. Someone "
                   "may be intercepting the connection, or the device was replaced or "
                   "re-keyed. If the change is expected, remove the old key (ssh-keygen -R "
                   "'%s' -f %s) and connect again", c->who, type, name, old, fp, name,
                   changed->file);
    } else if (ca) {
        na_err_set(err, NA_E_HOSTKEY_UNKNOWN,
                   "%s: %s:%u trusts a certificate authority (@cert-authority) for %s, but "
                   "netauto does not verify host certificates; the device's own key is %s %s: "
                   "after checking it, add it to %s (ssh-keyscan -p %d %s)", c->who, ca->file,
                   ca->line, name, type, fp, file, port, c->p->host);
    } else if (other && c->p->host_key_policy == NA_HOSTKEY_ACCEPT_NEW) {
        na_kh_fingerprint(other->blob, other->len, old, sizeof old);
        na_err_set(err, NA_E_HOSTKEY_CHANGED,
                   "%s: %s presents a %s host key %s, but a %s key %s is recorded for it (%s:%u); "
                   "accept-new does not add a key of another type. If the device was re-keyed, "
                   "remove the old key (ssh-keygen -R '%s' -f %s) and connect again", c->who,
                   name, type, fp, other->type, old, other->file, other->line, name,
                   other->file);
    } else if (c->p->host_key_policy == NA_HOSTKEY_ACCEPT_NEW) {
        rc = record(c, name, type, key, len, err);
    } else {
        na_err_set(err, NA_E_HOSTKEY_UNKNOWN,
                   "%s: the host key of %s is not known: %s %s%s. Check this fingerprint "
                   "against the device's own key, then accept it: set host_key_policy: "
                   "accept-new for this host to record it in %s, or add it yourself "
                   "(ssh-keyscan -p %d %s >> %s)", c->who, name, type, fp,
                   other ? " (only keys of another type are recorded for it)" : "", file, port,
                   c->p->host, file);
    }
    na_kh_result_free(&r);
    return rc;
}
