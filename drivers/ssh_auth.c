/* ssh_auth.c — SSH user authentication as a resumable step: asks the server which methods it
 * allows, then tries, in order and when both sides have them: the keys in ssh-agent (those that
 * are also configured key files first, the others unless IdentitiesOnly — OpenSSH's order), the
 * key files (inventory key_file, ssh_config IdentityFile, or OpenSSH's default ~/.ssh/id_*),
 * password, keyboard-interactive (password prompts answered with the password). RSA keys sign
 * with rsa-sha2-512/256 when the server announces them (libssh2 >= 1.11, RFC 8332). The failure
 * message lists what was tried, what the server allows and why a key could not be used.
 * Not host key checking (ssh_hostkey.c) and not the transport state machine (ssh.c). */
#include "ssh.h"
#include "ssh_int.h"

#include "clock.h"
#include "log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define AGENT_ANSWER_MS 10000 /* ssh-agent is local: a longer silence means it is stuck */

enum { M_AGENT = 0, M_KEYS, M_PASSWORD, M_KBD, M_DONE };

/* How long to wait for ssh-agent's next answer: AGENT_ANSWER_MS, or less when the
 * authentication deadline comes first. Sets the deadline; returns the wait in seconds. */
static double agent_wait(na_ssh_conn *c)
{
    int64_t now = na_now_ms(), dl = now + AGENT_ANSWER_MS;
    if (c->t.deadline_ms > 0 && c->t.deadline_ms < dl)
        dl = c->t.deadline_ms > now ? c->t.deadline_ms : now;
    c->auth.agent_deadline_ms = dl > now ? dl : now + 1;
    return (double)(c->auth.agent_deadline_ms - now) / 1000.0;
}

static bool offers(const na_ssh_auth *a, const char *method)
{
    size_t n = strlen(method);
    for (const char *p = a->offered; p && *p;) {
        const char *e = strchr(p, ',');
        size_t k = e ? (size_t)(e - p) : strlen(p);
        if (k == n && !memcmp(p, method, n))
            return true;
        p = e ? e + 1 : NULL;
    }
    return false;
}

static void add(char *dst, size_t cap, const char *sep, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void add(char *dst, size_t cap, const char *sep, const char *fmt, ...)
{
    size_t used = strlen(dst);
    if (used + 1 >= cap)
        return;
    if (used)
        used += (size_t)snprintf(dst + used, cap - used, "%s", sep);
    if (used + 1 >= cap)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(dst + used, cap - used, fmt, ap);
    va_end(ap);
}

static na_status success(na_ssh_conn *c, const char *method)
{
    snprintf(c->t.info.auth_method, sizeof c->t.info.auth_method, "%s", method);
    NA_LOGD(c->who, "SSH authenticated as %s by %s", c->p->username, method);
    return NA_OK;
}

/* A method's attempt ended with rc != 0 and != EAGAIN: connection-level failures end the whole
 * authentication; anything else means "try the next method". */
static bool fatal(na_ssh_conn *c, int rc)
{
    return c->peer_closed || c->wire_failed || rc == LIBSSH2_ERROR_SOCKET_DISCONNECT ||
           rc == LIBSSH2_ERROR_SOCKET_RECV || rc == LIBSSH2_ERROR_SOCKET_SEND ||
           rc == LIBSSH2_ERROR_ALLOC;
}

static na_status give_up(na_ssh_conn *c, na_err *err, bool closed)
{
    na_ssh_auth *a = &c->auth;
    char what[512];
    if (a->tried[0])
        snprintf(what, sizeof what, "tried %s", a->tried);
    else
        snprintf(what, sizeof what, "nothing to try: no %s given that the server accepts",
                 "password, key_file or use_agent");
    na_err_set(err, NA_E_AUTH, "%s: authentication failed for user %s (%s; server allows %s)%s%s%s",
               c->who, c->p->username, what, a->offered && *a->offered ? a->offered : "nothing",
               a->notes[0] ? "; " : "", a->notes,
               closed ? "; the device closed the connection (too many attempts?)" : "");
    return NA_ERROR;
}

static LIBSSH2_USERAUTH_KBDINT_RESPONSE_FUNC(kbd_answer)
{
    (void)name;
    (void)name_len;
    (void)instruction;
    (void)instruction_len;
    na_ssh_conn *c = *abstract;
    c->auth.kbd_rounds++;
    for (int i = 0; i < num_prompts; i++) {
        /* echoed prompts ask for something visible (a user name); hidden ones for the password.
         * After a few rounds the server is looping: answer nothing so it fails. */
        const char *ans = c->auth.kbd_rounds > 3 ? ""
                          : prompts[i].echo      ? c->p->username
                                                 : (c->p->password ? c->p->password : "");
        size_t n = strlen(ans);
        responses[i].text = malloc(n + 1); /* libssh2 frees it (default allocator) */
        if (!responses[i].text) {
            responses[i].length = 0;
            continue;
        }
        memcpy(responses[i].text, ans, n + 1);
        responses[i].length = (unsigned)n;
    }
}

/* ---- keys ---------------------------------------------------------------------------------- */

static void tried_keys(na_ssh_auth *a)
{
    if (a->file_keys == 1)
        add(a->tried, sizeof a->tried, ", ", "publickey");
    else if (a->file_keys > 1)
        add(a->tried, sizeof a->tried, ", ", "publickey (%d key files)", a->file_keys);
    a->file_keys = 0;
}

/* Why a key file was not accepted, in words. */
static void key_refused_note(na_ssh_conn *c, const char *path, int rc)
{
    na_ssh_auth *a = &c->auth;
    na_ssh_keyinfo k;
    bool known = na_ssh_keyfile_info(path, &k) == 0;
    if (rc == LIBSSH2_ERROR_FILE || rc == LIBSSH2_ERROR_PUBLICKEY_UNVERIFIED) {
        if (known && k.encrypted)
            add(a->notes, sizeof a->notes, "; ", "key file %s could not be used: wrong "
                "key_passphrase", path);
        else
            add(a->notes, sizeof a->notes, "; ", "key file %s could not be used (unreadable, "
                "wrong passphrase or unsupported format)", path);
    } else if (rc == LIBSSH2_ERROR_METHOD_NONE) {
        add(a->notes, sizeof a->notes, "; ", "key file %s: the server accepts no signature "
            "algorithm netauto can make with this %s key", path, k.type[0] ? k.type : "");
    } else if (rc == LIBSSH2_ERROR_AUTHENTICATION_FAILED) {
        bool rsa = known && !strcmp(k.type, "ssh-rsa");
        add(a->notes, sizeof a->notes, "; ", "the server refused %s%s key %s%s%s%s", rsa ? "the "
            : "", known && k.type[0] ? k.type : "the", path, k.fp[0] ? " " : "", k.fp,
            rsa ? " (not authorized, or the server takes none of rsa-sha2-512, rsa-sha2-256 "
                  "and ssh-rsa signatures)"
                : "");
    } else {
        add(a->notes, sizeof a->notes, "; ", "key file %s: %s", path,
            na_ssh_last_error(c->sess));
    }
}

/* The public keys of the configured key files, to tell which agent keys are theirs. */
static bool same_key(const na_ssh_keyinfo *k, const struct libssh2_agent_publickey *id)
{
    return k->blob_len && k->blob_len == id->blob_len && !memcmp(k->blob, id->blob, k->blob_len);
}

/* Connect to ssh-agent, list its keys and put them in OpenSSH's order: keys that are also key
 * files first, then the others (not with IdentitiesOnly). -1 when the agent cannot be used (a
 * note says why). */
static int agent_prepare(na_ssh_conn *c)
{
    na_ssh_auth *a = &c->auth;
    const char *sock = c->res.agent_sock ? c->res.agent_sock : getenv("SSH_AUTH_SOCK");
    if (!sock || !*sock) {
        if (c->res.agent_asked)
            add(a->notes, sizeof a->notes, "; ", "cannot reach ssh-agent ($SSH_AUTH_SOCK is "
                "not set)");
        return -1;
    }
    /* libssh2's agent client talks to ssh-agent over a blocking local UNIX socket; our socket
     * callbacks bound each wait for its answers (AGENT_ANSWER_MS, see ssh_io.c) */
    a->agent = libssh2_agent_init(c->sess);
    if (!a->agent) {
        add(a->notes, sizeof a->notes, "; ", "ssh-agent: out of memory");
        return -1;
    }
    if (c->res.agent_sock)
        libssh2_agent_set_identity_path(a->agent, c->res.agent_sock);
    struct stat st;
    if (stat(sock, &st) < 0) {
        add(a->notes, sizeof a->notes, "; ", "cannot reach ssh-agent at %s: %s", sock,
            strerror(errno));
        return -1;
    }
    if (libssh2_agent_connect(a->agent)) {
        add(a->notes, sizeof a->notes, "; ", "cannot reach ssh-agent at %s (connect to "
            "$SSH_AUTH_SOCK failed: is the agent running?)", sock);
        return -1;
    }
    double waited = agent_wait(c);
    int lr = libssh2_agent_list_identities(a->agent);
    a->agent_deadline_ms = 0;
    if (lr) {
        if (a->agent_stuck)
            add(a->notes, sizeof a->notes, "; ", "ssh-agent at %s did not answer within %.1f s",
                sock, waited);
        else
            add(a->notes, sizeof a->notes, "; ", "ssh-agent at %s did not list its keys: %s",
                sock, na_ssh_last_error(c->sess));
        return -1;
    }
    struct libssh2_agent_publickey *all[64], *id = NULL;
    int n = 0;
    while (n < 64 && libssh2_agent_get_identity(a->agent, &id, id) == 0)
        all[n++] = id;
    if (!n) {
        add(a->notes, sizeof a->notes, "; ", "ssh-agent holds no keys");
        return -1;
    }
    a->via_agent = calloc(c->res.nids ? c->res.nids : 1, sizeof *a->via_agent);
    if (!a->via_agent)
        return -1;
    bool used[64] = {false};
    for (int j = 0; j < n; j++) { /* agent order, as OpenSSH */
        for (size_t i = 0; i < c->res.nids; i++) {
            na_ssh_keyinfo k;
            if (a->via_agent[i] || na_ssh_keyfile_info(c->res.ids[i], &k) < 0 ||
                !same_key(&k, all[j]))
                continue;
            a->via_agent[i] = true;
            if (!used[j])
                a->order[a->norder++] = all[j];
            used[j] = true;
        }
    }
    for (int j = 0; j < n && !c->res.identities_only; j++)
        if (!used[j])
            a->order[a->norder++] = all[j];
    if (!a->norder)
        add(a->notes, sizeof a->notes, "; ", "ssh-agent holds none of the key files "
            "(IdentitiesOnly)");
    return 0;
}

na_status na_ssh_auth_step(na_ssh_conn *c, na_err *err)
{
    na_ssh_auth *a = &c->auth;
    const char *user = c->p->username;
    unsigned ulen = (unsigned)strlen(user);
    if (!a->listed) {
        char *list = libssh2_userauth_list(c->sess, user, ulen);
        if (!list) {
            if (libssh2_userauth_authenticated(c->sess))
                return success(c, "none");
            int rc = libssh2_session_last_errno(c->sess);
            if (na_ssh_again(rc))
                return NA_AGAIN;
            na_ssh_fail(c, rc, "SSH authentication", err);
            return NA_ERROR;
        }
        a->offered = strdup(list);
        if (!a->offered)
            return na_err_set(err, NA_E_NOMEM, "out of memory"), NA_ERROR;
        a->listed = true;
    }
    for (;;) {
        int rc;
        switch (a->step) {
        case M_AGENT:
            if (!c->res.agent || !offers(a, "publickey")) {
                a->step++;
                continue;
            }
            if (!a->agent && agent_prepare(c) < 0) {
                a->step++;
                continue;
            }
            while (a->next < a->norder) {
                double waited = agent_wait(c);
                rc = libssh2_agent_userauth(a->agent, user, a->order[a->next]);
                a->agent_deadline_ms = 0;
                if (na_ssh_again(rc))
                    return NA_AGAIN;
                if (!rc)
                    return success(c, "agent");
                a->agent_keys++;
                a->next++;
                bool agent_io = !c->peer_closed && !c->wire_failed &&
                                (rc == LIBSSH2_ERROR_SOCKET_RECV ||
                                 rc == LIBSSH2_ERROR_SOCKET_SEND);
                if (a->agent_stuck || agent_io) { /* the agent failed, not the device */
                    if (a->agent_stuck)
                        add(a->notes, sizeof a->notes, "; ", "ssh-agent did not answer within "
                            "%.1f s", waited);
                    else
                        add(a->notes, sizeof a->notes, "; ", "ssh-agent stopped answering");
                    a->agent_keys--;
                    break;
                }
                if (fatal(c, rc)) {
                    add(a->tried, sizeof a->tried, ", ", "agent (%d key%s)", a->agent_keys,
                        a->agent_keys == 1 ? "" : "s");
                    return give_up(c, err, true);
                }
                if (rc != LIBSSH2_ERROR_AUTHENTICATION_FAILED &&
                    rc != LIBSSH2_ERROR_PUBLICKEY_UNVERIFIED)
                    add(a->notes, sizeof a->notes, "; ", "ssh-agent: %s",
                        na_ssh_last_error(c->sess));
            }
            if (a->agent_keys)
                add(a->tried, sizeof a->tried, ", ", "agent (%d key%s)", a->agent_keys,
                    a->agent_keys == 1 ? "" : "s");
            a->step++;
            continue;
        case M_KEYS:
            while (a->id < c->res.nids && offers(a, "publickey")) {
                size_t i = a->id;
                const char *path = c->res.ids[i];
                if (a->via_agent && a->via_agent[i]) { /* offered through the agent already */
                    a->id++;
                    continue;
                }
                na_ssh_keyinfo k;
                if (!a->offering) {
                    if (na_ssh_keyfile_info(path, &k) < 0) {
                        if (c->res.id_configured[i])
                            add(a->notes, sizeof a->notes, "; ", "key file %s: %s", path,
                                strerror(k.err_no));
                        a->id++;
                        continue;
                    }
                    if (k.encrypted && !c->p->key_passphrase) {
                        add(a->notes, sizeof a->notes, "; ", "key file %s is protected by a "
                            "passphrase and no key_passphrase is set", path);
                        a->id++;
                        continue;
                    }
                    a->offering = true;
                }
                rc = libssh2_userauth_publickey_fromfile_ex(c->sess, user, ulen, NULL, path,
                                                            c->p->key_passphrase);
                if (na_ssh_again(rc))
                    return NA_AGAIN;
                a->offering = false;
                if (!rc)
                    return success(c, "publickey");
                a->file_keys++;
                a->id++;
                if (fatal(c, rc)) {
                    tried_keys(a);
                    return give_up(c, err, true);
                }
                key_refused_note(c, path, rc);
            }
            tried_keys(a);
            a->step++;
            continue;
        case M_PASSWORD:
            if (!c->p->password || !offers(a, "password")) {
                a->step++;
                continue;
            }
            rc = libssh2_userauth_password_ex(c->sess, user, ulen, c->p->password,
                                              (unsigned)strlen(c->p->password), NULL);
            if (na_ssh_again(rc))
                return NA_AGAIN;
            if (!rc)
                return success(c, "password");
            add(a->tried, sizeof a->tried, ", ", "password");
            if (rc == LIBSSH2_ERROR_PASSWORD_EXPIRED) {
                na_err_set(err, NA_E_AUTH, "%s: the password of user %s has expired; change it "
                           "on the device first", c->who, user);
                return NA_ERROR;
            }
            if (fatal(c, rc))
                return give_up(c, err, true);
            a->step++;
            continue;
        case M_KBD:
            if (!c->p->password || !offers(a, "keyboard-interactive")) {
                a->step++;
                continue;
            }
            rc = libssh2_userauth_keyboard_interactive_ex(c->sess, user, ulen, kbd_answer);
            if (na_ssh_again(rc))
                return NA_AGAIN;
            if (!rc)
                return success(c, "keyboard-interactive");
            add(a->tried, sizeof a->tried, ", ", "keyboard-interactive");
            if (fatal(c, rc))
                return give_up(c, err, true);
            a->step++;
            continue;
        default:
            return give_up(c, err, false);
        }
    }
}

void na_ssh_auth_free(na_ssh_conn *c)
{
    na_ssh_auth *a = &c->auth;
    if (a->agent) {
        libssh2_agent_disconnect(a->agent);
        libssh2_agent_free(a->agent);
        a->agent = NULL;
    }
    a->norder = a->next = 0;
    free(a->via_agent);
    a->via_agent = NULL;
    free(a->offered);
    a->offered = NULL;
}
