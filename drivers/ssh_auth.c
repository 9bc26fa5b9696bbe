/* ssh_auth.c — SSH user authentication as a resumable step: asks the server which methods it
 * allows, then tries, in order and when both sides have them: public key from key_file (with
 * passphrase), the keys in ssh-agent, password, keyboard-interactive (password prompts answered
 * with the password). The failure message lists what was tried and what the server allows.
 * Not host key checking (ssh_hostkey.c) and not the transport state machine (ssh.c). */
#include "ssh.h"
#include "ssh_int.h"

#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { M_KEY = 0, M_AGENT, M_PASSWORD, M_KBD, M_DONE };

static bool offers(const ssh_auth *a, const char *method)
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

static na_status success(ssh_conn *c, const char *method)
{
    snprintf(c->t.info.auth_method, sizeof c->t.info.auth_method, "%s", method);
    NA_LOGD(c->who, "SSH authenticated as %s by %s", c->p->username, method);
    return NA_OK;
}

/* A method's attempt ended with rc != 0 and != EAGAIN: connection-level failures end the whole
 * authentication; anything else means "try the next method". */
static bool fatal(ssh_conn *c, int rc)
{
    return c->peer_closed || c->wire_failed || rc == LIBSSH2_ERROR_SOCKET_DISCONNECT ||
           rc == LIBSSH2_ERROR_SOCKET_RECV || rc == LIBSSH2_ERROR_SOCKET_SEND ||
           rc == LIBSSH2_ERROR_ALLOC;
}

static na_status give_up(ssh_conn *c, na_err *err, bool closed)
{
    ssh_auth *a = &c->auth;
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
    ssh_conn *c = *abstract;
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

na_status ssh_auth_step(ssh_conn *c, na_err *err)
{
    ssh_auth *a = &c->auth;
    const char *user = c->p->username;
    unsigned ulen = (unsigned)strlen(user);
    if (!a->listed) {
        char *list = libssh2_userauth_list(c->sess, user, ulen);
        if (!list) {
            if (libssh2_userauth_authenticated(c->sess))
                return success(c, "none");
            int rc = libssh2_session_last_errno(c->sess);
            if (ssh_again(rc))
                return NA_AGAIN;
            ssh_fail(c, rc, "SSH authentication", err);
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
        case M_KEY:
            if (!c->p->key_file || !*c->p->key_file || !offers(a, "publickey")) {
                a->step++;
                continue;
            }
            rc = libssh2_userauth_publickey_fromfile_ex(c->sess, user, ulen, NULL,
                                                        c->p->key_file, c->p->key_passphrase);
            if (ssh_again(rc))
                return NA_AGAIN;
            if (!rc)
                return success(c, "publickey");
            add(a->tried, sizeof a->tried, ", ", "publickey");
            if (fatal(c, rc))
                return give_up(c, err, true);
            if (rc == LIBSSH2_ERROR_FILE)
                add(a->notes, sizeof a->notes, "; ", "key file %s could not be used (missing, "
                    "unreadable, wrong passphrase or unsupported format)", c->p->key_file);
            else if (rc != LIBSSH2_ERROR_AUTHENTICATION_FAILED)
                add(a->notes, sizeof a->notes, "; ", "key file %s: %s", c->p->key_file,
                    ssh_last_error(c->sess));
            a->step++;
            continue;
        case M_AGENT:
            if (!c->p->use_agent || !offers(a, "publickey")) {
                a->step++;
                continue;
            }
            if (!a->agent) {
                /* libssh2's agent API talks to ssh-agent over a blocking local UNIX socket
                 * ($SSH_AUTH_SOCK): connect, list and each signature wait on that local
                 * process (briefly), never on the network. Accepted for that reason. */
                a->agent = libssh2_agent_init(c->sess);
                if (!a->agent)
                    return na_err_set(err, NA_E_NOMEM, "out of memory"), NA_ERROR;
                if (libssh2_agent_connect(a->agent)) {
                    add(a->notes, sizeof a->notes, "; ", "cannot reach ssh-agent (%s)",
                        getenv("SSH_AUTH_SOCK") ? "connect to $SSH_AUTH_SOCK failed"
                                                : "$SSH_AUTH_SOCK is not set");
                    a->step++;
                    continue;
                }
                if (libssh2_agent_list_identities(a->agent) ||
                    libssh2_agent_get_identity(a->agent, &a->ident, NULL) != 0)
                    a->ident = NULL;
            }
            while (a->ident) {
                rc = libssh2_agent_userauth(a->agent, user, a->ident);
                if (ssh_again(rc))
                    return NA_AGAIN;
                if (!rc)
                    return success(c, "agent");
                a->agent_keys++;
                if (fatal(c, rc)) {
                    add(a->tried, sizeof a->tried, ", ", "agent (%d key%s)", a->agent_keys,
                        a->agent_keys == 1 ? "" : "s");
                    return give_up(c, err, true);
                }
                struct libssh2_agent_publickey *next = NULL;
                if (libssh2_agent_get_identity(a->agent, &next, a->ident) != 0)
                    next = NULL;
                a->ident = next;
            }
            if (a->agent_keys)
                add(a->tried, sizeof a->tried, ", ", "agent (%d key%s)", a->agent_keys,
                    a->agent_keys == 1 ? "" : "s");
            else
                add(a->notes, sizeof a->notes, "; ", "ssh-agent holds no keys");
            a->step++;
            continue;
        case M_PASSWORD:
            if (!c->p->password || !offers(a, "password")) {
                a->step++;
                continue;
            }
            rc = libssh2_userauth_password_ex(c->sess, user, ulen, c->p->password,
                                              (unsigned)strlen(c->p->password), NULL);
            if (ssh_again(rc))
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
            if (ssh_again(rc))
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

void ssh_auth_free(ssh_conn *c)
{
    ssh_auth *a = &c->auth;
    if (a->agent) {
        libssh2_agent_disconnect(a->agent);
        libssh2_agent_free(a->agent);
        a->agent = NULL;
    }
    a->ident = NULL;
    free(a->offered);
    a->offered = NULL;
}
