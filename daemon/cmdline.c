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
    fprintf(stderr,
            "usage: netautod --config FILE                  run the daemon (foreground)\n"
            "       netautod token add NAME --scope SCOPE[,SCOPE] --config FILE\n"
            "                                   create a token (printed once); scopes: read, run,\n"
            "                                   commands, admin (--scope may be repeated)\n"
            "       netautod token list --config FILE\n"
            "       netautod token revoke NAME --config FILE   (effective at once)\n"
            "       netautod fingerprint --config FILE      the TLS certificate's SHA-256\n"
            "       netautod check-config --config FILE\n"
            "       netautod --version\n");
    return 2;
}

int netautod_main(int argc, char **argv, const nd_backend_ops *ops)
{
    const char *config = NULL;
    const char *pos[4];
    int npos = 0;
    unsigned scopes = 0;
    bool scope_given = false;
    na_err e = NA_ERR_INIT;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--config") || !strcmp(argv[i], "-c")) {
            if (++i >= argc)
                return usage();
            config = argv[i];
        } else if (!strncmp(argv[i], "--config=", 9)) {
            config = argv[i] + 9;
        } else if (!strcmp(argv[i], "--scope") || !strncmp(argv[i], "--scope=", 8)) {
            const char *v = argv[i][7] == '=' ? argv[i] + 8 : ++i < argc ? argv[i] : NULL;
            unsigned bits;
            if (!v)
                return usage();
            if (nd_scopes_parse(v, &bits, &e) < 0) {
                fprintf(stderr, "netautod: %s\n", e.msg);
                return 2;
            }
            scopes |= bits;
            scope_given = true;
        } else if (!strcmp(argv[i], "--version") || !strcmp(argv[i], "version")) {
            printf("netautod %s (backend %s)\n", NETAUTOD_VERSION, ops->name);
            return 0;
        } else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            usage();
            return 0;
        } else if (argv[i][0] == '-') {
            fprintf(stderr, "netautod: unknown option %s\n", argv[i]);
            return usage();
        } else if (npos < 4) {
            pos[npos++] = argv[i];
        } else
            return usage();
    }
    if (!config) {
        fprintf(stderr, "netautod: --config FILE is required\n");
        return usage();
    }
    if (npos == 0 || (npos == 1 && !strcmp(pos[0], "run")))
        return netautod_run(config, ops);

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
        if (na_tls_fingerprint_file(cert, fp, sizeof fp, &e) < 0)
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
