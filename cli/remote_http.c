/* remote_http.c — HTTPS client for netautod (see remote_http.h): TCP connect through
 * drivers/net.h, OpenSSL on a non-blocking socket driven by poll() with deadlines, certificate
 * pinning in the verify callback (so a mismatch aborts the handshake before any request byte),
 * an incremental chunked-transfer decoder and a server-sent-events line parser. Not a general
 * HTTP client: no redirects, no keep-alive, no proxies. */
#include "remote_http.h"
#include "clock.h"
#include "net.h"
#include "tlsfp.h"
#include "transport.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#define MAX_HEADER_BYTES 65536
#define MAX_BODY_BYTES ((size_t)256 << 20)

int cli_remote_parse_url(na_remote *r, const char *url, na_err *err)
{
    memset(r->host, 0, sizeof r->host);
    r->prefix[0] = '\0';
    r->port = 8443;
    if (!url || !*url)
        return na_err_set(err, NA_E_USAGE, "no server URL (--server https://HOST:PORT)");
    if (!strncasecmp(url, "http://", 7))
        return na_err_set(err, NA_E_USAGE,
                          "refusing plain http:// for %s: netautod speaks HTTPS only", url);
    if (strncasecmp(url, "https://", 8))
        return na_err_set(err, NA_E_USAGE, "server URL must start with https:// (got '%s')", url);
    const char *p = url + 8, *end;
    if (*p == '[') {
        end = strchr(p, ']');
        if (!end || (size_t)(end - p - 1) >= sizeof r->host)
            return na_err_set(err, NA_E_USAGE, "bad IPv6 address in '%s'", url);
        memcpy(r->host, p + 1, (size_t)(end - p - 1));
        p = end + 1;
    } else {
        end = p + strcspn(p, ":/");
        if (end == p || (size_t)(end - p) >= sizeof r->host)
            return na_err_set(err, NA_E_USAGE, "no host in '%s'", url);
        memcpy(r->host, p, (size_t)(end - p));
        p = end;
    }
    if (*p == ':') {
        char *e;
        long port = strtol(p + 1, &e, 10);
        if (e == p + 1 || port < 1 || port > 65535 || (*e && *e != '/'))
            return na_err_set(err, NA_E_USAGE, "bad port in '%s'", url);
        r->port = (int)port;
        p = e;
    }
    if (*p == '/') {
        snprintf(r->prefix, sizeof r->prefix, "%s", p);
        size_t n = strlen(r->prefix);
        while (n && r->prefix[n - 1] == '/')
            r->prefix[--n] = '\0';
    }
    return 0;
}

/* ---- connection ---------------------------------------------------------------------------- */

typedef struct conn {
    int fd;
    SSL_CTX *ctx;
    SSL *ssl;
    const na_remote *r;
    bool pin_checked, pin_ok;
    char seen_fp[80];
} conn;

static int wait_fd(int fd, short events, int64_t deadline, na_err *err, const char *what)
{
    for (;;) {
        int64_t left = na_ms_until(deadline);
        if (left == 0)
            return na_err_set(err, NA_E_TIMEOUT, "netautod did not answer in time (%s)", what);
        struct pollfd p = {fd, events, 0};
        int n = poll(&p, 1, left < 0 ? -1 : (int)(left > 1000000 ? 1000000 : left));
        if (n > 0)
            return 0;
        if (n < 0 && errno != EINTR)
            return na_err_set(err, NA_E_IO, "poll: %s", strerror(errno));
    }
}

static int verify_cb(int preverify, X509_STORE_CTX *xs)
{
    SSL *ssl = X509_STORE_CTX_get_ex_data(xs, SSL_get_ex_data_X509_STORE_CTX_idx());
    conn *c = SSL_get_app_data(ssl);
    int depth = X509_STORE_CTX_get_error_depth(xs);
    if (!c->r->fingerprint)
        return preverify; /* CA verification only */
    if (depth > 0)
        return c->r->cacert ? preverify : 1; /* the pin decides on the leaf */
    X509 *leaf = X509_STORE_CTX_get_current_cert(xs);
    c->pin_checked = true;
    if (na_tls_is_pubkey_pin(c->r->fingerprint)) { /* sha256//BASE64: the public key */
        if (na_tls_pubkey_pin_x509(leaf, c->seen_fp, sizeof c->seen_fp) < 0)
            c->seen_fp[0] = '\0';
        c->pin_ok = c->seen_fp[0] && !strcmp(c->seen_fp + 8, c->r->fingerprint + 8);
    } else {
        na_tls_fingerprint_x509(leaf, c->seen_fp, sizeof c->seen_fp);
        c->pin_ok = na_tls_fingerprint_eq(c->seen_fp, c->r->fingerprint);
    }
    if (!c->pin_ok)
        return 0;
    if (c->r->cacert && !preverify)
        return 0;
    X509_STORE_CTX_set_error(xs, X509_V_OK);
    return 1;
}

static void conn_close(conn *c)
{
    if (c->ssl)
        SSL_free(c->ssl);
    if (c->ctx)
        SSL_CTX_free(c->ctx);
    if (c->fd >= 0)
        close(c->fd);
    c->ssl = NULL;
    c->ctx = NULL;
    c->fd = -1;
}

static int ssl_fail(conn *c, int rc, na_err *err, const char *what)
{
    int e = SSL_get_error(c->ssl, rc);
    unsigned long oe = ERR_get_error();
    char buf[256] = "";
    if (oe)
        ERR_error_string_n(oe, buf, sizeof buf);
    ERR_clear_error();
    if (c->pin_checked && !c->pin_ok)
        return na_err_set(err, NA_E_HOSTKEY_CHANGED,
                          "the server's certificate (%s) does not match --fingerprint "
                          "%s: refusing to talk to it (nothing was sent)",
                          c->seen_fp, c->r->fingerprint);
    long vr = SSL_get_verify_result(c->ssl);
    if (vr != X509_V_OK)
        return na_err_set(err, NA_E_HOSTKEY_UNKNOWN,
                          "cannot verify the server's certificate: %s (nothing was sent)",
                          X509_verify_cert_error_string(vr));
    if (e == SSL_ERROR_ZERO_RETURN || (e == SSL_ERROR_SYSCALL && !oe))
        return na_err_set(err, NA_E_CLOSED, "netautod closed the connection (%s)", what);
    return na_err_set(err, NA_E_PROTOCOL, "TLS %s failed: %s", what, *buf ? buf : "error");
}

static int conn_open(conn *c, const na_remote *r, int64_t deadline, na_err *err)
{
    memset(c, 0, sizeof *c);
    c->fd = -1;
    c->r = r;
    if (!r->fingerprint && !r->cacert)
        return na_err_set(err, NA_E_USAGE,
                          "refusing unverified TLS: pass --fingerprint SHA256:... (netautod "
                          "prints it at start, or `netautod fingerprint`) or --cacert FILE");
    na_tcp *t = na_tcp_new(r->host, r->port, "netautod", err);
    if (!t)
        return -1;
    for (;;) {
        na_status st = na_tcp_step(t, deadline, err);
        if (st == NA_OK)
            break;
        if (st == NA_ERROR) {
            na_tcp_free(t);
            return -1;
        }
        short ev = na_tcp_want(t) & NA_WANT_WRITE ? POLLOUT : POLLIN;
        struct pollfd p = {na_tcp_fd(t), ev, 0};
        int64_t left = na_ms_until(deadline);
        (void)poll(&p, 1, left < 0 ? 1000 : (int)(left > 1000 ? 1000 : left));
    }
    c->fd = na_tcp_take_fd(t);
    na_tcp_free(t);
    c->ctx = SSL_CTX_new(TLS_client_method());
    if (!c->ctx)
        return na_err_set(err, NA_E_NOMEM, "cannot create a TLS context");
    SSL_CTX_set_min_proto_version(c->ctx, TLS1_2_VERSION);
    if (r->cacert && SSL_CTX_load_verify_locations(c->ctx, r->cacert, NULL) != 1) {
        ERR_clear_error();
        return na_err_set(err, NA_E_IO, "%s: cannot load the CA certificate(s)", r->cacert);
    }
    SSL_CTX_set_verify(c->ctx, SSL_VERIFY_PEER, verify_cb);
    c->ssl = SSL_new(c->ctx);
    if (!c->ssl)
        return na_err_set(err, NA_E_NOMEM, "cannot create a TLS session");
    SSL_set_app_data(c->ssl, c);
    SSL_set_fd(c->ssl, c->fd);
    struct in6_addr a6;
    struct in_addr a4;
    bool is_ip = inet_pton(AF_INET, r->host, &a4) == 1 || inet_pton(AF_INET6, r->host, &a6) == 1;
    if (!is_ip)
        SSL_set_tlsext_host_name(c->ssl, r->host);
    if (r->cacert) { /* a CA-verified certificate must also name the host we asked for */
        X509_VERIFY_PARAM *vp = SSL_get0_param(c->ssl);
        if (is_ip)
            X509_VERIFY_PARAM_set1_ip_asc(vp, r->host);
        else
            X509_VERIFY_PARAM_set1_host(vp, r->host, 0);
    }
    for (;;) {
        int rc = SSL_connect(c->ssl);
        if (rc == 1)
            break;
        int e = SSL_get_error(c->ssl, rc);
        if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
            if (wait_fd(c->fd, e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT, deadline, err,
                        "TLS handshake") < 0)
                return -1;
            continue;
        }
        return ssl_fail(c, rc, err, "handshake");
    }
    if (r->fingerprint && !(c->pin_checked && c->pin_ok)) /* belt and braces */
        return na_err_set(err, NA_E_HOSTKEY_CHANGED, "the server's certificate was not checked "
                                                     "against --fingerprint");
    return 0;
}

static int conn_write(conn *c, const char *p, size_t n, int64_t deadline, na_err *err)
{
    while (n > 0) {
        int rc = SSL_write(c->ssl, p, (int)(n > 65536 ? 65536 : n));
        if (rc > 0) {
            p += rc;
            n -= (size_t)rc;
            continue;
        }
        int e = SSL_get_error(c->ssl, rc);
        if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
            if (wait_fd(c->fd, e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT, deadline, err,
                        "sending the request") < 0)
                return -1;
            continue;
        }
        return ssl_fail(c, rc, err, "write");
    }
    return 0;
}

/* >0 bytes, 0 EOF, -1 error */
static int conn_read(conn *c, char *buf, size_t cap, int64_t deadline, na_err *err)
{
    for (;;) {
        int rc = SSL_read(c->ssl, buf, (int)cap);
        if (rc > 0)
            return rc;
        int e = SSL_get_error(c->ssl, rc);
        if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
            if (wait_fd(c->fd, e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT, deadline, err,
                        "waiting for the response") < 0)
                return -1;
            continue;
        }
        if (e == SSL_ERROR_ZERO_RETURN || (e == SSL_ERROR_SYSCALL && ERR_peek_error() == 0)) {
            ERR_clear_error();
            return 0; /* closed (with or without close_notify) */
        }
        return ssl_fail(c, rc, err, "read");
    }
}

/* ---- response parsing ----------------------------------------------------------------------- */

typedef int (*sink_fn)(void *ud, const char *p, size_t n, na_err *err);

typedef struct dec {
    enum { D_LEN, D_CHUNKED, D_EOF } mode;
    long long left;             /* D_LEN: bytes left; D_CHUNKED: bytes left in chunk */
    enum { C_SIZE, C_DATA, C_DATA_END, C_TRAILER } cs;
    char line[128];
    size_t ll;
    bool done;
} dec;

static int dec_feed(dec *d, const char *p, size_t n, sink_fn out, void *ud, na_err *err)
{
    while (n > 0 && !d->done) {
        if (d->mode == D_EOF) {
            return out(ud, p, n, err);
        }
        if (d->mode == D_LEN) {
            size_t k = (size_t)d->left < n ? (size_t)d->left : n;
            if (out(ud, p, k, err) < 0)
                return -1;
            d->left -= (long long)k;
            if (d->left == 0)
                d->done = true;
            return 0;
        }
        if (d->cs == C_DATA) {
            size_t k = (size_t)d->left < n ? (size_t)d->left : n;
            if (out(ud, p, k, err) < 0)
                return -1;
            d->left -= (long long)k;
            p += k;
            n -= k;
            if (d->left == 0)
                d->cs = C_DATA_END;
            continue;
        }
        /* line-oriented states */
        char ch = *p++;
        n--;
        if (ch != '\n') {
            if (ch != '\r') {
                if (d->ll + 1 >= sizeof d->line)
                    return na_err_set(err, NA_E_PROTOCOL, "bad chunked encoding from netautod");
                d->line[d->ll++] = ch;
            }
            continue;
        }
        d->line[d->ll] = '\0';
        if (d->cs == C_SIZE) {
            char *e;
            long long sz = strtoll(d->line, &e, 16);
            if (e == d->line || sz < 0)
                return na_err_set(err, NA_E_PROTOCOL, "bad chunk size from netautod");
            d->left = sz;
            d->cs = sz == 0 ? C_TRAILER : C_DATA;
        } else if (d->cs == C_DATA_END) {
            if (d->ll)
                return na_err_set(err, NA_E_PROTOCOL, "bad chunk end from netautod");
            d->cs = C_SIZE;
        } else if (d->cs == C_TRAILER) {
            if (d->ll == 0)
                d->done = true;
        }
        d->ll = 0;
    }
    return 0;
}

typedef struct exchange {
    conn c;
    int status;
    char ctype[128];
    dec d;
    char rest[16384]; /* body bytes that arrived with the headers */
    size_t nrest;
} exchange;

static int send_and_read_head(exchange *x, const na_remote *r, const char *method,
                              const char *path, const char *body, const char *extra_hdr,
                              int64_t deadline, na_err *err)
{
    if (conn_open(&x->c, r, deadline, err) < 0)
        return -1;
    na_buf req;
    na_buf_init(&req, MAX_BODY_BYTES);
    char hostport[300];
    snprintf(hostport, sizeof hostport, strchr(r->host, ':') ? "[%s]:%d" : "%s:%d", r->host,
             r->port);
    int rc = na_buf_printf(&req, err,
                           "%s %s%s HTTP/1.1\r\nHost: %s\r\nUser-Agent: netauto\r\nConnection: "
                           "close\r\n",
                           method, r->prefix, path, hostport);
    if (rc == 0 && r->token && *r->token)
        rc = na_buf_printf(&req, err, "Authorization: Bearer %s\r\n", r->token);
    if (rc == 0 && extra_hdr)
        rc = na_buf_puts(&req, extra_hdr, err);
    if (rc == 0 && body)
        rc = na_buf_printf(&req, err,
                           "Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n%s",
                           strlen(body), body);
    else if (rc == 0)
        rc = na_buf_puts(&req, "\r\n", err);
    if (rc == 0)
        rc = conn_write(&x->c, req.data, req.len, deadline, err);
    na_buf_free(&req);
    if (rc < 0)
        return -1;
    /* headers */
    na_buf h;
    na_buf_init(&h, MAX_HEADER_BYTES);
    char buf[8192];
    char *eoh = NULL;
    while (!eoh) {
        int n = conn_read(&x->c, buf, sizeof buf, deadline, err);
        if (n < 0 || (n == 0 && na_err_set(err, NA_E_CLOSED,
                                           "netautod closed the connection without answering") < 0) ||
            na_buf_append(&h, buf, (size_t)n, "response headers", err) < 0) {
            na_buf_free(&h);
            return -1;
        }
        eoh = strstr(h.data, "\r\n\r\n");
    }
    size_t hl = (size_t)(eoh - h.data) + 4;
    x->nrest = h.len - hl;
    if (x->nrest > sizeof x->rest) {
        na_buf_free(&h);
        return na_err_set(err, NA_E_PROTOCOL, "oversized response head");
    }
    memcpy(x->rest, h.data + hl, x->nrest);
    *eoh = '\0';
    if (sscanf(h.data, "HTTP/1.%*d %d", &x->status) != 1) {
        na_buf_free(&h);
        return na_err_set(err, NA_E_PROTOCOL, "not an HTTP response from %s:%d", r->host, r->port);
    }
    x->d.mode = D_EOF;
    for (char *save = NULL, *line = strtok_r(h.data, "\r\n", &save); line;
         line = strtok_r(NULL, "\r\n", &save)) {
        char *colon = strchr(line, ':');
        if (!colon)
            continue;
        *colon = '\0';
        char *v = colon + 1;
        while (*v == ' ' || *v == '\t')
            v++;
        if (!strcasecmp(line, "Content-Length") && x->d.mode != D_CHUNKED) {
            x->d.mode = D_LEN;
            x->d.left = atoll(v);
            if (x->d.left == 0)
                x->d.done = true;
        } else if (!strcasecmp(line, "Transfer-Encoding") && strcasestr(v, "chunked")) {
            x->d.mode = D_CHUNKED;
            x->d.done = false;
        } else if (!strcasecmp(line, "Content-Type")) {
            snprintf(x->ctype, sizeof x->ctype, "%s", v);
        }
    }
    na_buf_free(&h);
    return 0;
}

/* Read the body through the decoder into out. idle_ms > 0: the deadline restarts with every
 * received byte (streams). */
static int read_body(exchange *x, int64_t deadline, int idle_ms, sink_fn out, void *ud,
                     na_err *err)
{
    if (x->nrest && dec_feed(&x->d, x->rest, x->nrest, out, ud, err) < 0)
        return -1;
    char buf[16384];
    while (!x->d.done) {
        if (idle_ms > 0)
            deadline = na_now_ms() + idle_ms;
        int n = conn_read(&x->c, buf, sizeof buf, deadline, err);
        if (n < 0)
            return -1;
        if (n == 0) {
            if (x->d.mode == D_EOF)
                return 0;
            return na_err_set(err, NA_E_CLOSED, "netautod closed the connection mid-response");
        }
        int rc = dec_feed(&x->d, buf, (size_t)n, out, ud, err);
        if (rc != 0)
            return rc;
    }
    return 0;
}

static int to_buf(void *ud, const char *p, size_t n, na_err *err)
{
    return na_buf_append(ud, p, n, "response from netautod", err);
}

int cli_remote_request(const na_remote *r, const char *method, const char *path, const char *body,
                      na_http_resp *resp, na_err *err)
{
    memset(resp, 0, sizeof *resp);
    na_buf_init(&resp->body, MAX_BODY_BYTES);
    exchange *x = calloc(1, sizeof *x);
    if (!x)
        return na_err_set(err, NA_E_NOMEM, "out of memory");
    int64_t deadline = na_now_ms() + (r->timeout_ms > 0 ? r->timeout_ms : 30000);
    int rc = send_and_read_head(x, r, method, path, body, NULL, deadline, err);
    if (rc == 0)
        rc = read_body(x, deadline, 0, to_buf, &resp->body, err);
    if (rc == 0) {
        resp->status = x->status;
        snprintf(resp->content_type, sizeof resp->content_type, "%s", x->ctype);
    }
    conn_close(&x->c);
    free(x);
    return rc < 0 ? -1 : 0;
}

/* ---- server-sent events --------------------------------------------------------------------- */

typedef struct sse_state {
    na_buf line;
    na_buf data;
    char event[64];
    char id[32];
    na_sse_cb cb;
    void *ud;
    int stopped;
} sse_state;

static int sse_line(sse_state *s, char *line, na_err *err)
{
    if (!*line) { /* dispatch */
        if (s->data.len || s->event[0]) {
            if (s->data.len && s->data.data[s->data.len - 1] == '\n')
                na_buf_truncate(&s->data, s->data.len - 1);
            if (s->cb(s->ud, s->event[0] ? s->event : "message", s->id, na_buf_cstr(&s->data))) {
                s->stopped = 1;
                return 1;
            }
        }
        na_buf_reset(&s->data);
        s->event[0] = '\0';
        return 0;
    }
    if (*line == ':')
        return 0; /* comment (heartbeat) */
    char *v = strchr(line, ':');
    if (v) {
        *v++ = '\0';
        if (*v == ' ')
            v++;
    } else
        v = line + strlen(line);
    if (!strcmp(line, "data")) {
        if (na_buf_puts(&s->data, v, err) < 0 || na_buf_puts(&s->data, "\n", err) < 0)
            return -1;
    } else if (!strcmp(line, "event"))
        snprintf(s->event, sizeof s->event, "%s", v);
    else if (!strcmp(line, "id"))
        snprintf(s->id, sizeof s->id, "%s", v);
    return 0;
}

static int sse_sink(void *ud, const char *p, size_t n, na_err *err)
{
    sse_state *s = ud;
    for (size_t i = 0; i < n; i++) {
        if (p[i] == '\n') {
            char *line = (char *)na_buf_cstr(&s->line);
            size_t ll = s->line.len;
            if (ll && line[ll - 1] == '\r')
                line[ll - 1] = '\0';
            int rc = sse_line(s, line, err);
            na_buf_reset(&s->line);
            if (rc)
                return rc;
        } else if (na_buf_append(&s->line, &p[i], 1, "event stream line", err) < 0)
            return -1;
    }
    return 0;
}

int cli_remote_sse(const na_remote *r, const char *path, const char *last_event_id, int idle_ms,
                  na_sse_cb cb, void *ud, int *status, na_err *err)
{
    *status = 0;
    exchange *x = calloc(1, sizeof *x);
    if (!x)
        return na_err_set(err, NA_E_NOMEM, "out of memory");
    char hdr[128] = "Accept: text/event-stream\r\n";
    if (last_event_id && *last_event_id)
        snprintf(hdr, sizeof hdr, "Accept: text/event-stream\r\nLast-Event-ID: %s\r\n",
                 last_event_id);
    int64_t deadline = na_now_ms() + (r->timeout_ms > 0 ? r->timeout_ms : 30000);
    int rc = send_and_read_head(x, r, "GET", path, NULL, hdr, deadline, err);
    if (rc == 0) {
        *status = x->status;
        if (x->status != 200) {
            na_buf b;
            na_buf_init(&b, 1 << 20);
            read_body(x, deadline, 0, to_buf, &b, NULL);
            na_err_set(err, NA_E_PROTOCOL, "HTTP %d: %s", x->status, na_buf_cstr(&b));
            na_buf_free(&b);
            rc = -1;
        } else {
            sse_state s;
            memset(&s, 0, sizeof s);
            na_buf_init(&s.line, 16 << 20);
            na_buf_init(&s.data, 64 << 20);
            s.cb = cb;
            s.ud = ud;
            rc = read_body(x, deadline, idle_ms > 0 ? idle_ms : 120000, sse_sink, &s, err);
            if (rc > 0 || s.stopped)
                rc = 1;
            na_buf_free(&s.line);
            na_buf_free(&s.data);
        }
    }
    conn_close(&x->c);
    free(x);
    return rc;
}

/* ---- a raw connection (remote_http.h) ------------------------------------------------------- */

struct na_remote_conn {
    conn c;
};

na_remote_conn *cli_remote_connect(const na_remote *r, na_err *err)
{
    na_remote_conn *rc = calloc(1, sizeof *rc);
    if (!rc) {
        na_err_set(err, NA_E_NOMEM, "out of memory");
        return NULL;
    }
    if (conn_open(&rc->c, r, na_now_ms() + (r->timeout_ms > 0 ? r->timeout_ms : 30000), err) < 0) {
        conn_close(&rc->c);
        free(rc);
        return NULL;
    }
    return rc;
}

int cli_remote_conn_fd(const na_remote_conn *c) { return c->c.fd; }

int cli_remote_conn_write(na_remote_conn *c, const char *p, size_t n, int64_t deadline,
                         na_err *err)
{
    return conn_write(&c->c, p, n, deadline, err);
}

int cli_remote_conn_read(na_remote_conn *c, char *buf, size_t cap, int64_t deadline, na_err *err)
{
    return conn_read(&c->c, buf, cap, deadline, err);
}

bool cli_remote_conn_pending(const na_remote_conn *c) { return SSL_pending(c->c.ssl) > 0; }

void cli_remote_conn_free(na_remote_conn *c)
{
    if (!c)
        return;
    conn_close(&c->c);
    free(c);
}
