/* ui_serve.c — serves netautod's web page (see ui.h): /ui/ and its files from the embedded
 * copy, with the security headers (CSP without 'unsafe-inline', no framing, no referrer, no
 * sniffing, HSTS: the listener is always TLS), `/` and `/ui` redirected to `/ui/`; and GET
 * /v1/whoami. Only GET and HEAD; an unknown file is a 404. Not the page itself (daemon/ui/)
 * nor the API it calls (api.c). */
#include "ui.h"
#include "tokens.h"

#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NONCE_MARK "__STYLE_NONCE__"

/* index.html with a fresh nonce in place of NONCE_MARK, and the CSP allowing styles with it
 * (the terminal emulator's two <style> elements; app.js puts the nonce on them). */
static void serve_index(nd_req *r, const nd_ui_file *f)
{
    unsigned char rnd[16];
    char nonce[2 * sizeof rnd + 1], csp[512];
    if (RAND_bytes(rnd, sizeof rnd) != 1) {
        nd_reply_error(r, 500, "no random bytes for the page's nonce");
        return;
    }
    for (size_t i = 0; i < sizeof rnd; i++)
        snprintf(nonce + 2 * i, 3, "%02x", rnd[i]);
    snprintf(csp, sizeof csp, "%s 'nonce-%s'%s", ND_UI_CSP_HEAD, nonce, ND_UI_CSP_TAIL);
    nd_req_header(r, "Content-Security-Policy", csp);
    const char *m = strstr(f->data, NONCE_MARK);
    size_t ml = strlen(NONCE_MARK), nl = strlen(nonce);
    char *page = m ? malloc(f->len - ml + nl + 1) : NULL;
    if (!page) {
        nd_reply_text(r, 200, "text/html; charset=utf-8", f->data, f->len);
        return;
    }
    size_t pre = (size_t)(m - f->data);
    memcpy(page, f->data, pre);
    memcpy(page + pre, nonce, nl);
    memcpy(page + pre + nl, m + ml, f->len - pre - ml);
    nd_reply_text(r, 200, "text/html; charset=utf-8", page, f->len - ml + nl);
    free(page);
}

static void security_headers(nd_req *r)
{
    nd_req_header(r, "X-Frame-Options", "DENY");
    nd_req_header(r, "Referrer-Policy", "no-referrer");
    nd_req_header(r, "Cross-Origin-Opener-Policy", "same-origin");
    nd_req_header(r, "Cross-Origin-Resource-Policy", "same-origin");
    nd_req_header(r, "Permissions-Policy", "camera=(), microphone=(), geolocation=()");
    nd_req_header(r, "Strict-Transport-Security", "max-age=31536000");
}

static const char *ctype_of(const char *name)
{
    static const struct {
        const char *ext, *type;
    } types[] = {
        {".html", "text/html; charset=utf-8"},
        {".js", "text/javascript; charset=utf-8"},
        {".css", "text/css; charset=utf-8"},
        {".svg", "image/svg+xml"},
        {".png", "image/png"},
    };
    const char *dot = strrchr(name, '.');
    for (size_t i = 0; dot && i < sizeof types / sizeof types[0]; i++)
        if (!strcmp(dot, types[i].ext))
            return types[i].type;
    return "application/octet-stream";
}

bool nd_ui_path(const char *path)
{
    return !strcmp(path, "/") || !strcmp(path, "/ui") || !strncmp(path, "/ui/", 4);
}

bool nd_ui_handle(nd_req *r)
{
    if (!nd_ui_path(r->path))
        return false;
    security_headers(r);
    if (strcmp(r->method, "GET") && strcmp(r->method, "HEAD")) {
        nd_req_header(r, "Content-Security-Policy", ND_UI_CSP);
        nd_req_header(r, "Allow", "GET, HEAD");
        nd_reply_error(r, 405, "method %s is not allowed here (allowed: GET, HEAD)", r->method);
        return true;
    }
    if (strncmp(r->path, "/ui/", 4)) {
        nd_req_header(r, "Content-Security-Policy", ND_UI_CSP);
        nd_req_header(r, "Location", "/ui/");
        nd_reply_text(r, 302, "text/plain; charset=utf-8", "see /ui/\n", 9);
        return true;
    }
    const char *name = r->path + 4;
    if (!*name)
        name = "index.html";
    for (size_t i = 0; i < nd_ui_assets_count; i++) {
        const nd_ui_file *f = &nd_ui_assets[i];
        if (!strcmp(f->name, name)) {
            if (!strcmp(name, "index.html")) {
                serve_index(r, f);
                return true;
            }
            nd_req_header(r, "Content-Security-Policy", ND_UI_CSP);
            nd_reply_text(r, 200, ctype_of(name), f->data, f->len);
            return true;
        }
    }
    nd_req_header(r, "Content-Security-Policy", ND_UI_CSP);
    nd_reply_error(r, 404, "no such page file: %s", r->path);
    return true;
}

void nd_ui_h_whoami(nd_api *a, nd_req *r, char **seg)
{
    (void)a;
    (void)seg;
    static const unsigned bits[] = {ND_SCOPE_READ, ND_SCOPE_RUN, ND_SCOPE_COMMANDS,
                                    ND_SCOPE_ADMIN};
    json_t *scopes = json_array();
    for (size_t i = 0; scopes && i < sizeof bits / sizeof bits[0]; i++)
        if (r->scopes & bits[i]) /* admin holds every bit */
            json_array_append_new(scopes, json_string(nd_scope_name(bits[i])));
    nd_reply_json(r, 200, json_pack("{s:s,s:o}", "name", r->who, "scopes", scopes));
}
