/* ui.h — netautod's web page (issue 19): the static files of /ui/ (embedded in the binary from
 * daemon/ui/ by scripts/embed-files.sh, so nothing is installed or fetched at run time), served
 * with a strict Content-Security-Policy and the other security headers, and GET /v1/whoami,
 * which tells the page what its token may do so it offers nothing else. Not the API the page
 * uses: that is the ordinary /v1 API with the same Bearer token (the page keeps the token in
 * memory only: no cookie, hence no CSRF). */
#ifndef ND_UI_H
#define ND_UI_H

#include "api_int.h"
#include "http.h"

#include <stdbool.h>
#include <stddef.h>

/* One embedded file (the generated $(BUILD)/gen/daemon/ui_assets.c). */
typedef struct nd_ui_file {
    const char *name;
    const char *data;
    size_t len;
} nd_ui_file;
extern const nd_ui_file nd_ui_assets[];
extern const size_t nd_ui_assets_count;

/* The Content-Security-Policy every page answer carries; the page itself (index.html) adds a
 * nonce to style-src for the two <style> elements the terminal emulator makes. */
#define ND_UI_CSP_HEAD "default-src 'none'; script-src 'self'; style-src 'self'"
#define ND_UI_CSP_TAIL                                                                          \
    "; img-src 'self' data:; connect-src 'self'; font-src 'self'; base-uri 'none'; "           \
    "form-action 'none'; frame-ancestors 'none'"
#define ND_UI_CSP ND_UI_CSP_HEAD ND_UI_CSP_TAIL

/* Answers r when its path is the page's (/, /ui, /ui/...): true then (r is answered and freed).
 * These need no token: they are the same static files for everyone and hold no data. */
bool nd_ui_handle(nd_req *r);
/* The path belongs to the page (for the head check: public, no body). */
bool nd_ui_path(const char *path);
/* GET /v1/whoami: {"name", "scopes": [...]} of the request's token (any scope). */
void nd_ui_h_whoami(nd_api *a, nd_req *r, char **seg);

/* The terminal (ui_ws.c): POST /v1/shell/{host} (scope commands) -> a single-use ticket;
 * GET /v1/shell/{host}/ws?ticket=T (public route: the ticket authenticates) -> WebSocket. */
void nd_ui_h_shell_ticket(nd_api *a, nd_req *r, char **seg);
void nd_ui_h_shell_ws(nd_api *a, nd_req *r, char **seg);
/* Close every open terminal (the API is being freed; before the backend is destroyed). */
void nd_ui_terminals_free(void);

#endif
