/* cmdline.c — the `netautod` command line: run the daemon, manage API tokens, print the
 * certificate fingerprint, check a configuration. Shared by the production binary and the test
 * binary (which passes its test-double backend). Not the daemon itself: see daemon.c. */
#include "clock.h"
#include "netautod.h"
#include "config.h"
#include "tokens.h"
#include "tlsfp.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static int usage(void)
{
    fprintf(stderr, "usage:\n");
    for (const char *const *l = nd_help_page()->synopsis; *l; l++)
        fprintf(stderr, "  %s\n", *l);
    fprintf(stderr, "(netautod --help explains every option)\n");
    return 2;
}

/* The page as text (--help) or roff (--man) on stdout. */
static int print_page(bool roff)
{
    na_buf b;
    na_err e = NA_ERR_INIT;
    na_buf_init(&b, 1 << 20);
    int rc = roff ? na_doc_page_roff(&b, nd_help_page(), &e)
                  : na_doc_page_text(&b, nd_help_page(), 80, &e);
    if (rc < 0)
        fprintf(stderr, "netautod: %s\n", e.msg);
    else
        fputs(na_buf_cstr(&b), stdout);
    na_buf_free(&b);
    return rc < 0 ? 1 : 0;
}

int nd_main(int argc, char **argv, const nd_backend_ops *ops)
{
    const char *config = NULL;
    const char *pos[4];
    int npos = 0;
    unsigned scopes = 0;
    bool scope_given = false, pin = false;
    na_err e = NA_ERR_INIT;
    const na_doc_opt *tables[] = {nd_help_opts, NULL};
    na_doc_arg *args = calloc((size_t)argc + 1, sizeof *args);
    size_t nargs = 0;
    if (!args) {
        fprintf(stderr, "netautod: out of memory\n");
        return 1;
    }
    if (na_doc_parse(tables, argc, argv, args, &nargs, &e) < 0) {
        fprintf(stderr, "netautod: %s\n", e.msg);
        free(args);
        return usage();
    }
    for (size_t i = 0; i < nargs; i++) {
        const na_doc_arg *x = &args[i];
        int id = x->opt ? x->opt->id : 0;
        if (!x->opt) {
            if (!strcmp(x->val, "version") && npos == 0) {
                id = ND_OPT_VERSION;
            } else if (npos < 4) {
                pos[npos++] = x->val;
                continue;
            } else {
                free(args);
                return usage();
            }
        }
        switch (id) {
        case 'c': config = x->val; break;
        case ND_OPT_PIN: pin = true; break;
        case ND_OPT_SCOPE: {
            unsigned bits;
            if (nd_scopes_parse(x->val, &bits, &e) < 0) {
                fprintf(stderr, "netautod: %s\n", e.msg);
                free(args);
                return 2;
            }
            scopes |= bits;
            scope_given = true;
            break;
        }
        case ND_OPT_VERSION:
            printf("netautod %s (backend %s)\n", NETAUTOD_VERSION, ops->name);
            free(args);
            return 0;
        case ND_OPT_MAN: free(args); return print_page(true);
        case 'h': free(args); return print_page(false);
        default: break;
        }
    }
    free(args);
    if (!config) {
        fprintf(stderr, "netautod: --config FILE is required\n");
        return usage();
    }
    if (npos == 0 || (npos == 1 && !strcmp(pos[0], "run")))
        return nd_run(config, ops);

    if (pin && !(npos == 1 && !strcmp(pos[0], "fingerprint"))) {
        fprintf(stderr, "netautod: --pin is for `netautod fingerprint`\n");
        return usage();
    }
    if (scope_given && !(npos == 3 && !strcmp(pos[0], "token") && !strcmp(pos[1], "add"))) {
        fprintf(stderr, "netautod: --scope is for `netautod token add`\n");
        return usage();
    }
    nd_conf cfg;
    if (nd_conf_load(config, &cfg, &e) < 0) {
        fprintf(stderr, "netautod: %s\n", e.msg);
        return 2;
    }
    int rc = 0;
    if (npos == 1 && !strcmp(pos[0], "check-config")) {
        printf("%s: ok (%zu schedules, listen %s:%d)\n", config, cfg.n_schedules, cfg.listen,
               cfg.port);
    } else if (npos == 1 && !strcmp(pos[0], "fingerprint")) {
        char fp[80];
        const char *cert = cfg.tls_cert;
        char def[4200];
        if (!cert) {
            snprintf(def, sizeof def, "%s/tls-cert.pem", cfg.state_dir);
            cert = def;
        }
        if ((pin ? na_tls_pubkey_pin_file(cert, fp, sizeof fp, &e)
                 : na_tls_fingerprint_file(cert, fp, sizeof fp, &e)) < 0)
            rc = 1;
        else
            printf("%s\n", fp);
    } else if (npos == 3 && !strcmp(pos[0], "token") && !strcmp(pos[1], "add")) {
        char tok[ND_TOKEN_LEN + 1], sc[64];
        mkdir(cfg.state_dir, 0700); /* first token before the first start */
        if (!scope_given) {
            na_err_set(&e, NA_E_USAGE, "choose what the token may do: --scope read, run, "
                                       "commands or admin (several: --scope read,run)");
            rc = 2;
        } else if (nd_tokens_add(cfg.tokens_file, pos[2], scopes, tok, sizeof tok, &e) < 0) {
            rc = e.code == NA_E_USAGE || e.code == NA_E_CONFIG ? 2 : 1;
        } else {
            printf("%s\n", tok);
            fflush(stdout);
            fprintf(stderr,
                    "netautod: token '%s' (scopes %s) created; it is shown only this once (only "
                    "its hash is kept in %s). A running netautod accepts it at once.\n",
                    pos[2], nd_scopes_format(scopes & ND_SCOPE_ADMIN ? ND_SCOPE_ADMIN : scopes,
                                             sc, sizeof sc),
                    cfg.tokens_file);
        }
    } else if (npos == 2 && !strcmp(pos[0], "token") && !strcmp(pos[1], "list")) {
        nd_tokens t;
        if (nd_tokens_load(cfg.tokens_file, &t, &e) < 0)
            rc = 1;
        else {
            for (size_t i = 0; i < t.n; i++) {
                char ts[40], sc[64];
                unsigned bits = t.v[i].scopes == ND_SCOPES_ALL ? ND_SCOPE_ADMIN : t.v[i].scopes;
                na_format_wall(t.v[i].created_ms, ts, sizeof ts);
                printf("%-24s created %s  scopes %s\n", t.v[i].name, ts,
                       nd_scopes_format(bits, sc, sizeof sc));
            }
            nd_tokens_free(&t);
        }
    } else if (npos == 3 && !strcmp(pos[0], "token") && !strcmp(pos[1], "revoke")) {
        if (nd_tokens_revoke(cfg.tokens_file, pos[2], &e) < 0)
            rc = 1;
        else
            fprintf(stderr, "netautod: token '%s' revoked (a running netautod refuses it from "
                            "its next request on)\n",
                    pos[2]);
    } else {
        rc = usage();
    }
    if (na_err_isset(&e))
        fprintf(stderr, "netautod: %s\n", e.msg);
    nd_conf_free(&cfg);
    return rc;
}
