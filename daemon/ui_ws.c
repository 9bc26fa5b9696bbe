/* ui_ws.c — the web page's terminal (see ui.h): an interactive shell on a device through
 * netautod, over a WebSocket (RFC 6455) on the same TLS listener.
 *
 *  1. POST /v1/shell/{host} (Bearer token with the `commands` scope; body {"transport"} or
 *     none) -> {"ticket", "url", "expires_in"}: a random single-use ticket, valid 30 s, bound to
 *     the token's name, the host and the transport. Browsers cannot put an Authorization header
 *     on a WebSocket, so the ticket carries the authentication into the upgrade request; it is
 *     in the query string, which netautod never logs.
 *  2. GET /v1/shell/{host}/ws?ticket=T with the WebSocket handshake: the ticket is taken (used
 *     once), an Origin header must be this server's own (https://HOST of the request), then
 *     101, and the backend opens the shell (device lock held, login with the inventory's
 *     credentials: the browser never sees them).
 *  3. Frames: the client's binary or text frames are keystrokes, sent to the device as they
 *     are; the device's bytes go to the client as binary frames; status as text frames of JSON
 *     ({"status": "connecting"|"open"|"closed", ...}). Client frames are at most 64 KiB; a
 *     client that lets limits.stream_backlog of output pile up is closed, as a slow event
 *     stream is.
 *
 * Each shell is audited (shell.open, shell.close with its duration and byte counts) and its
 * transcript (the device's output, which carries the echo of what was typed) is kept in
 * <state_dir>/transcripts/ (0600), with registered secrets redacted. Named states: OPENING
 * (logging in), OPEN, CLOSING (close sent, waiting for the output to drain). Not the backend's
 * session (backend_shell.c) nor the HTTP server's protocol switch (http_upgrade.c). */
#include "ui.h"
#include "clock.h"
#include "log.h"
#include "secret.h"

#include <errno.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/queue.h>
#include <sys/stat.h>
#include <time.h>

#define TICKETS 32
#define TICKET_TTL_MS 30000
#define FRAME_MAX 65536
#define WS_GUID "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

/* ---- tickets --------------------------------------------------------------------------------- */

typedef struct ticket {
    char id[65];
    char host[256];
    char transport[8];
    char who[128];
    int64_t expires_ms; /* 0: free */
} ticket;
static ticket tickets[TICKETS];

static bool same(const char *a, const char *b) /* constant time for equal lengths */
{
    size_t n = strlen(a);
    if (n != strlen(b))
        return false;
    unsigned char d = 0;
    for (size_t i = 0; i < n; i++)
        d |= (unsigned char)(a[i] ^ b[i]);
    return d == 0;
}

/* ---- terminals --------------------------------------------------------------------------------- */

typedef enum { T_OPENING = 0, T_OPEN, T_CLOSING } term_state;

typedef struct term {
    nd_api *a;
    struct bufferevent *bev;
    void *conn;        /* the HTTP server's connection (nd_http_upgraded_close) */
    nd_be_shell *sh;   /* NULL once the backend ended it */
    term_state st;
    char host[256], who[128], addr[64], path[1024];
    FILE *transcript;
    int64_t t0_ms;
    uint64_t bytes_in, bytes_out;
    bool audited_close;
    LIST_ENTRY(term) link;
} term;
static LIST_HEAD(, term) terms = LIST_HEAD_INITIALIZER(terms);

static void frame(term *t, int opcode, const void *data, size_t n)
{
    unsigned char hd[10];
    size_t hl = 2;
    hd[0] = (unsigned char)(0x80 | opcode);
    if (n < 126) {
        hd[1] = (unsigned char)n;
    } else if (n < 65536) {
        hd[1] = 126;
        hd[2] = (unsigned char)(n >> 8);
        hd[3] = (unsigned char)n;
        hl = 4;
    } else {
        hd[1] = 127;
        for (int i = 0; i < 8; i++)
            hd[2 + i] = (unsigned char)((uint64_t)n >> (56 - 8 * i));
        hl = 10;
    }
    bufferevent_write(t->bev, hd, hl);
    if (n)
        bufferevent_write(t->bev, data, n);
}

static void status(term *t, json_t *j)
{
    char *s = j ? json_dumps(j, JSON_COMPACT) : NULL;
    json_decref(j);
    if (s)
        frame(t, 0x1, s, strlen(s));
    free(s);
}

static void audit_close(term *t, const char *why)
{
    if (t->audited_close)
        return;
    t->audited_close = true;
    char detail[1400];
    snprintf(detail, sizeof detail, "%lld s, %llu bytes typed, %llu bytes from the device (%s); "
             "transcript %s", (long long)(na_now_ms() - t->t0_ms) / 1000,
             (unsigned long long)t->bytes_in, (unsigned long long)t->bytes_out, why,
             *t->path ? t->path : "(none)");
    nd_audit(t->a->env.store, t->who, "shell.close", t->host, detail);
}

static void term_free(term *t)
{
    if (t->sh)
        t->a->env.be_ops->shell_close(t->a->env.be, t->sh);
    audit_close(t, "closed by the client");
    if (t->transcript)
        fclose(t->transcript);
    LIST_REMOVE(t, link);
    nd_http_upgraded_close(t->conn);
    free(t);
}

/* Send the close frame, then end once it has left. */
static void term_closing(term *t, const char *why, const na_err *err)
{
    if (t->st == T_CLOSING)
        return;
    t->st = T_CLOSING;
    status(t, json_pack("{s:s,s:s?}", "status", "closed", "error",
                        err && na_err_isset(err) ? err->msg : NULL));
    unsigned char code[2] = {0x03, 0xe8}; /* 1000: normal closure */
    frame(t, 0x8, code, sizeof code);
    audit_close(t, why);
    bufferevent_disable(t->bev, EV_READ);
}

/* ---- the backend's shell --------------------------------------------------------------------- */

static void sh_opened(void *ud, const char *transport, const char *mode)
{
    term *t = ud;
    if (t->st == T_CLOSING) /* the client left while netautod was logging in */
        return;
    t->st = T_OPEN;
    status(t, json_pack("{s:s,s:s,s:s,s:s}", "status", "open", "host", t->host, "transport",
                        transport, "mode", mode));
}

static void sh_output(void *ud, const char *data, size_t n)
{
    term *t = ud;
    t->bytes_out += n;
    if (t->st != T_CLOSING &&
        evbuffer_get_length(bufferevent_get_output(t->bev)) > t->a->env.cfg->stream_backlog) {
        na_err e = NA_ERR_INIT;
        na_err_set(&e, NA_E_OVERFLOW, "the browser read the device's output too slowly "
                                      "(limits.stream_backlog)");
        term_closing(t, e.msg, &e); /* nothing more is queued; it ends once the rest has left */
    }
    if (t->st != T_CLOSING)
        frame(t, 0x2, data, n);
    if (t->transcript) {
        char *red = na_redact_dup(data, n); /* what netauto typed never lands in a file */
        if (red) {
            fputs(red, t->transcript);
            fflush(t->transcript);
        }
        free(red);
    }
}

static void sh_closed(void *ud, const na_err *err)
{
    term *t = ud;
    t->sh = NULL;
    term_closing(t, err ? err->msg : "the device closed the session", err);
}

/* ---- WebSocket frames from the client ---------------------------------------------------------- */

static void ws_read(struct bufferevent *bev, void *arg)
{
    term *t = arg;
    struct evbuffer *in = bufferevent_get_input(bev);
    for (;;) {
        size_t avail = evbuffer_get_length(in);
        if (avail < 2)
            return;
        unsigned char hd[14];
        evbuffer_copyout(in, hd, avail < sizeof hd ? avail : sizeof hd);
        int opcode = hd[0] & 0x0f;
        bool masked = hd[1] & 0x80;
        uint64_t len = hd[1] & 0x7f;
        size_t hl = 2;
        if (len == 126) {
            if (avail < 4)
                return;
            len = (uint64_t)hd[2] << 8 | hd[3];
            hl = 4;
        } else if (len == 127) {
            if (avail < 10)
                return;
            len = 0;
            for (int i = 0; i < 8; i++)
                len = len << 8 | hd[2 + i];
            hl = 10;
        }
        if (!masked || len > FRAME_MAX) { /* a client must mask; a keystroke frame is small */
            NA_LOGW("api", "%s: shell %s: %s: closed", t->addr, t->host,
                    masked ? "a frame over 64 KiB" : "an unmasked frame");
            term_free(t);
            return;
        }
        if (avail < hl + 4 + len)
            return;
        unsigned char mask[4];
        memcpy(mask, hd + hl, 4);
        evbuffer_drain(in, hl + 4);
        unsigned char *p = malloc(len ? len : 1);
        if (!p) {
            term_free(t);
            return;
        }
        evbuffer_remove(in, p, len);
        for (uint64_t i = 0; i < len; i++)
            p[i] ^= mask[i & 3];
        switch (opcode) {
        case 0x0: /* continuation */
        case 0x1: /* text */
        case 0x2: /* binary: keystrokes, as they are */
            if (t->st == T_OPEN && t->sh && len) {
                na_err e = NA_ERR_INIT;
                t->bytes_in += len;
                t->a->env.be_ops->shell_write(t->a->env.be, t->sh, (const char *)p, len, &e);
            }
            break;
        case 0x8: /* close */
            free(p);
            if (t->sh) { /* the device's session ends now, the lock goes back */
                t->a->env.be_ops->shell_close(t->a->env.be, t->sh);
                t->sh = NULL;
            }
            if (t->st != T_CLOSING) {
                unsigned char code[2] = {0x03, 0xe8};
                frame(t, 0x8, code, sizeof code);
                t->st = T_CLOSING;
                audit_close(t, "closed by the client");
                bufferevent_disable(bev, EV_READ);
            }
            return;
        case 0x9: /* ping */
            frame(t, 0xA, p, len);
            break;
        default: /* pong, reserved */
            break;
        }
        free(p);
    }
}

static void ws_write(struct bufferevent *bev, void *arg)
{
    term *t = arg;
    if (t->st == T_CLOSING && evbuffer_get_length(bufferevent_get_output(bev)) == 0)
        term_free(t);
}

static void ws_event(struct bufferevent *bev, short what, void *arg)
{
    (void)bev;
    term *t = arg;
    if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR))
        term_free(t);
}

/* ---- the routes --------------------------------------------------------------------------------- */

void nd_ui_h_shell_ticket(nd_api *a, nd_req *r, char **seg)
{
    const char *host = seg[2];
    if (a->draining) {
        nd_reply_error(r, 503, "netautod is shutting down");
        return;
    }
    if (!a->env.be_ops->shell_open) {
        nd_reply_error(r, 501, "this netautod's backend (%s) has no interactive shell",
                       a->env.be_ops->name);
        return;
    }
    json_t *hj = a->env.be_ops->host_json(a->env.be, host);
    if (!hj) {
        nd_reply_error(r, 404, "no host '%s' in the inventory", host);
        return;
    }
    json_decref(hj);
    const char *transport = NULL;
    size_t blen = 0;
    nd_req_body(r, &blen);
    json_t *body = NULL;
    if (blen) {
        na_err e = NA_ERR_INIT;
        if (!(body = nd_api_read_body(r, &e))) {
            nd_reply_error(r, 400, "%s", e.msg);
            return;
        }
        json_t *tr = json_object_get(body, "transport");
        transport = json_string_value(tr);
        if ((tr && !transport) || (transport && strcmp(transport, "ssh") &&
                                   strcmp(transport, "telnet"))) {
            json_decref(body);
            nd_reply_error(r, 400, "transport must be \"ssh\" or \"telnet\"");
            return;
        }
    }
    int64_t now = na_now_ms();
    ticket *k = NULL;
    for (int i = 0; i < TICKETS && !k; i++)
        if (tickets[i].expires_ms <= now)
            k = &tickets[i];
    if (!k) {
        json_decref(body);
        nd_req_header(r, "Retry-After", "30");
        nd_reply_error(r, 429, "too many terminals being opened at once; try again shortly");
        return;
    }
    unsigned char rnd[32];
    if (RAND_bytes(rnd, sizeof rnd) != 1) {
        json_decref(body);
        nd_reply_error(r, 500, "no random bytes for a ticket");
        return;
    }
    for (int i = 0; i < 32; i++)
        snprintf(k->id + 2 * i, 3, "%02x", rnd[i]);
    snprintf(k->host, sizeof k->host, "%s", host);
    snprintf(k->transport, sizeof k->transport, "%s", transport ? transport : "");
    snprintf(k->who, sizeof k->who, "%s", r->who);
    k->expires_ms = now + TICKET_TTL_MS;
    json_decref(body);
    char *qh = evhttp_encode_uri(host);
    char url[1024];
    snprintf(url, sizeof url, "/v1/shell/%s/ws?ticket=%s", qh ? qh : host, k->id);
    free(qh);
    nd_reply_json(r, 200, json_pack("{s:s,s:s,s:i}", "ticket", k->id, "url", url, "expires_in",
                                    TICKET_TTL_MS / 1000));
}

static bool header_has(nd_req *r, const char *name, const char *token)
{
    const char *v = nd_req_in_header(r, name);
    if (!v)
        return false;
    size_t n = strlen(token);
    for (const char *p = v; *p;) {
        while (*p == ' ' || *p == ',')
            p++;
        size_t l = strcspn(p, ",");
        size_t e = l;
        while (e && p[e - 1] == ' ')
            e--;
        if (e == n && !strncasecmp(p, token, n))
            return true;
        p += l;
    }
    return false;
}

static void open_transcript(term *t, const char *state_dir)
{
    char dir[900];
    snprintf(dir, sizeof dir, "%s/transcripts", state_dir);
    if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
        NA_LOGW("api", "shell %s: no transcript (%s: %s)", t->host, dir, strerror(errno));
        return;
    }
    char when[32];
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(when, sizeof when, "%Y%m%dT%H%M%SZ", &tm);
    char safe[sizeof t->host];
    size_t i = 0;
    for (; t->host[i] && i < sizeof safe - 1; i++) {
        char ch = t->host[i];
        bool plain = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                     (ch >= '0' && ch <= '9') || ch == '-' || ch == '_';
        safe[i] = plain ? ch : '_';
    }
    safe[i] = '\0';
    for (int n = 0; n < 100 && !t->transcript; n++) {
        snprintf(t->path, sizeof t->path, "%s/%s-%s%s%.0d.log", dir, safe, when, n ? "-" : "", n);
        t->transcript = fopen(t->path, "wx"); /* the daemon's umask 077: 0600 */
    }
    if (!t->transcript) {
        NA_LOGW("api", "shell %s: no transcript (%s: %s)", t->host, t->path, strerror(errno));
        t->path[0] = '\0';
    }
}

void nd_ui_h_shell_ws(nd_api *a, nd_req *r, char **seg)
{
    const char *host = seg[2];
    char tk[80];
    const char *given = nd_req_query(r, "ticket", tk, sizeof tk);
    int64_t now = na_now_ms();
    ticket *k = NULL;
    for (int i = 0; given && i < TICKETS; i++)
        if (tickets[i].expires_ms > now && same(tickets[i].id, given))
            k = &tickets[i];
    if (!k || strcmp(k->host, host)) {
        nd_audit(a->env.store, "-", "auth.failed", r->addr,
                 "GET /v1/shell/.../ws: no valid ticket (POST /v1/shell/HOST first)");
        a->env.metrics->api_auth_failures++;
        nd_reply_error(r, 401, "no valid ticket for this terminal (POST /v1/shell/%s first)",
                       host);
        return;
    }
    ticket tkt = *k;
    memset(k, 0, sizeof *k); /* used once */
    r->who = strdup(tkt.who);
    /* A cross-site page cannot hold a ticket, but a browser always sends Origin on a WebSocket:
     * only this server's own page may open one. */
    const char *origin = nd_req_in_header(r, "Origin");
    const char *hosthdr = nd_req_in_header(r, "Host");
    char own[600];
    snprintf(own, sizeof own, "https://%s", hosthdr ? hosthdr : "");
    if (origin && strcasecmp(origin, own)) {
        nd_reply_error(r, 403, "a terminal may only be opened from this server's own page");
        return;
    }
    const char *key = nd_req_in_header(r, "Sec-WebSocket-Key");
    const char *ver = nd_req_in_header(r, "Sec-WebSocket-Version");
    if (!header_has(r, "Upgrade", "websocket") || !header_has(r, "Connection", "upgrade") ||
        !key || strlen(key) > 64 || !ver || strcmp(ver, "13")) {
        nd_req_header(r, "Sec-WebSocket-Version", "13");
        nd_reply_error(r, 400, "a WebSocket (version 13) handshake is expected here");
        return;
    }
    char cat[160];
    snprintf(cat, sizeof cat, "%s%s", key, WS_GUID);
    unsigned char sha[EVP_MAX_MD_SIZE];
    unsigned int shalen = 0;
    char accept[64];
    if (!EVP_Digest(cat, strlen(cat), sha, &shalen, EVP_sha1(), NULL)) {
        nd_reply_error(r, 500, "SHA-1 unavailable");
        return;
    }
    EVP_EncodeBlock((unsigned char *)accept, sha, (int)shalen);
    term *t = calloc(1, sizeof *t);
    if (!t) {
        nd_reply_error(r, 500, "out of memory");
        return;
    }
    t->a = a;
    t->t0_ms = now;
    snprintf(t->host, sizeof t->host, "%s", host);
    snprintf(t->who, sizeof t->who, "%s", tkt.who);
    snprintf(t->addr, sizeof t->addr, "%s", r->addr);
    nd_shell_spec spec = {.host = host, .transport = *tkt.transport ? tkt.transport : NULL,
                          .requested_by = tkt.who};
    nd_shell_sink sink = {.opened = sh_opened, .output = sh_output, .closed = sh_closed,
                          .ud = t};
    na_err e = NA_ERR_INIT;
    char resp[256];
    snprintf(resp, sizeof resp,
             "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
             "Sec-WebSocket-Accept: %s\r\n\r\n", accept);
    /* the shell first (an unknown host is still an HTTP answer), the upgrade right after: the
     * backend's callbacks only ever come from the loop, later */
    t->sh = a->env.be_ops->shell_open(a->env.be, &spec, &sink, &e);
    if (!t->sh) {
        free(t);
        nd_reply_error(r, nd_http_status_for(&e, true), "%s", e.msg);
        return;
    }
    LIST_INSERT_HEAD(&terms, t, link);
    t->bev = nd_req_upgrade(r, resp, &t->conn);
    if (!t->bev) { /* the client is gone */
        a->env.be_ops->shell_close(a->env.be, t->sh);
        LIST_REMOVE(t, link);
        free(t);
        nd_req_done(r, 499);
        return;
    }
    bufferevent_setcb(t->bev, ws_read, ws_write, ws_event, t);
    bufferevent_enable(t->bev, EV_READ | EV_WRITE);
    open_transcript(t, a->env.cfg->state_dir);
    char detail[1200];
    snprintf(detail, sizeof detail, "from %s over %s; transcript %s", t->addr,
             *tkt.transport ? tkt.transport : "the host's transport",
             *t->path ? t->path : "(none)");
    nd_audit(a->env.store, t->who, "shell.open", t->host, detail);
    status(t, json_pack("{s:s,s:s}", "status", "connecting", "host", t->host));
    if (evbuffer_get_length(bufferevent_get_input(t->bev)))
        ws_read(t->bev, t);
}

void nd_ui_terminals_free(void)
{
    while (!LIST_EMPTY(&terms))
        term_free(LIST_FIRST(&terms));
}
