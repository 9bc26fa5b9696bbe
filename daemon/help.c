/* help.c — netautod(8) as data (core/doc.h): its subcommands, the options its command line is
 * parsed with (cmdline.c uses nd_help_opts), the configuration keys, signals, files and exit
 * statuses. `netautod --help` prints it as text and `netautod --man` as roff (the installed
 * manual page), so neither can drift from what the parser takes. Not the parser (cmdline.c) and
 * not docs/daemon.md, which explains the same at length. */
#include "netautod.h"

static const char *const syn[] = {
    "netautod [run] --config FILE",
    "netautod token add NAME --scope SCOPE[,SCOPE] --config FILE",
    "netautod token list --config FILE",
    "netautod token revoke NAME --config FILE",
    "netautod fingerprint [--pin] --config FILE",
    "netautod check-config --config FILE",
    "netautod --version | --help | --man",
    NULL,
};

const na_doc_opt nd_help_opts[] = {
    {'c', 'c', "config", "FILE", "The configuration file (YAML; CONFIGURATION below).", 0},
    {ND_OPT_SCOPE, 0, "scope", "SCOPE[,SCOPE]",
     "token add: what the token may do: read (every GET and /metrics), run (submit and cancel "
     "jobs, run schedules), commands (POST /v1/commands), admin (everything, and the audit "
     "log). Required; may be repeated.", NA_DOC_REPEAT},
    {ND_OPT_PIN, 0, "pin", NULL,
     "fingerprint: print the public-key pin (sha256//BASE64, what netauto --fingerprint and "
     "curl --pinnedpubkey take) instead of the certificate's SHA256 fingerprint.", 0},
    {ND_OPT_VERSION, 0, "version", NULL, "Print the version and the backend, and exit.", 0},
    {ND_OPT_MAN, 0, "man", NULL, "Print this manual page as roff, and exit.", 0},
    {'h', 'h', "help", NULL, "Print this help, and exit 0.", 0},
    {0},
};

static const na_doc_item cmds[] = {
    {"run (or nothing)",
     "Run the daemon in the foreground: HTTPS API on the configured address (127.0.0.1:8443 by "
     "default), jobs, schedules, the session pool. It prints the address, the certificate and "
     "its fingerprint and public-key pin on stdout once it listens, and tells systemd (Type="
     "notify) through $NOTIFY_SOCKET."},
    {"token add NAME",
     "Create an API token with --scope; it is printed once (only its SHA-256 is kept). A "
     "running netautod accepts it at once."},
    {"token list", "Names, creation times and scopes."},
    {"token revoke NAME", "Remove it; a running netautod refuses it from its next request on."},
    {"fingerprint", "The SHA-256 fingerprint of the TLS certificate (--pin: the public-key pin)."},
    {"check-config", "Validate the configuration and exit."},
    {NULL, NULL},
};

static const na_doc_item conf[] = {
    {"listen, port", "Address and TCP port to listen on (127.0.0.1, 8443; port 0 = any free "
                     "port, printed at start)."},
    {"state_dir", "Job store, token file, generated TLS pair, lock file; created 0700 "
                  "($STATE_DIRECTORY, else the configuration's directory)."},
    {"tls.cert, tls.key", "PEM certificate and key (default: a self-signed pair generated in "
                          "state_dir on first start)."},
    {"tokens", "The token file (default state_dir/tokens)."},
    {"inventory", "The inventory (netauto-inventory(5)); reloaded on SIGHUP."},
    {"vault_password_file", "The inventory vault's passphrase (else $NETAUTO_VAULT_PASSWORD; "
                            "netautod never prompts)."},
    {"playbook_dir", "Where POST /v1/jobs {\"playbook\": NAME} looks (default: playbooks next "
                     "to the configuration)."},
    {"job_store, store.synchronous, store.max_size", "The SQLite job store and how it writes."},
    {"retention.jobs, retention.events, retention.audit", "How long finished jobs, their "
                                                          "events and audit rows are kept."},
    {"limits.*", "hosts_in_flight, jobs_running, jobs_queued, body_bytes, connections, "
                 "connections_per_address, client_timeout, request_timeout, token_rate, "
                 "token_burst, validations_per_token, validation_bytes, validation_time, "
                 "stream_backlog, sse_heartbeat, drain_grace (docs/daemon.md)."},
    {"session_pool.idle_timeout", "Seconds an idle device session stays pooled (0: none)."},
    {"log.file, log.level", "Where the log goes and how much (error ... trace)."},
    {"timezone", "local or utc, for schedules."},
    {"backups.keep", "Backups kept per device and command."},
    {"schedules", "Jobs and backups on a cron schedule (name, cron, playbook or backup, "
                  "limit, check, vars, transport)."},
    {"backend", "The backend's settings (pool_size)."},
    {NULL, NULL},
};

static const na_doc_item sigs[] = {
    {"SIGHUP", "Reload the token file and the inventory, reopen the log file; a broken one "
               "keeps the previous one."},
    {"SIGTERM, SIGINT", "Drain: new jobs and commands get 503, running jobs get "
                        "limits.drain_grace seconds, then netautod exits 0. A second SIGTERM "
                        "skips the rest of the grace."},
    {NULL, NULL},
};

static const na_doc_item files[] = {
    {"/etc/netautod/netautod.yaml", "The configuration the packaged systemd unit uses."},
    {"/var/lib/netautod", "The packaged unit's state_dir (StateDirectory=netautod, user "
                          "netautod)."},
    {NULL, NULL},
};

static const na_doc_item exits[] = {
    {"0", "Success (also after a SIGTERM drain)."},
    {"1", "Runtime failure: port in use, another netautod on the same state directory..."},
    {"2", "Invalid configuration or usage (FILE:LINE:COLUMN: ...)."},
    {NULL, NULL},
};

static const na_doc_sect sects[] = {
    {"Commands", NULL, cmds},
    {"Configuration",
     "YAML; unknown keys are errors; relative paths are relative to the configuration file's "
     "directory.", conf},
    {"API",
     "JSON over HTTPS with Authorization: Bearer TOKEN: GET /healthz, /metrics; POST and GET "
     "/v1/jobs, GET /v1/jobs/ID and its events (server-sent events), DELETE /v1/jobs/ID; POST "
     "/v1/commands; GET /v1/inventory, /v1/hosts/NAME, /v1/backups/HOST[/ID], /v1/schedules; "
     "POST /v1/schedules/NAME/run; GET /v1/audit. netauto --server URL VERB uses it.", NULL},
    {"Signals", NULL, sigs},
    {"Files", NULL, files},
    {"Exit status", NULL, exits},
    {NULL, NULL, NULL},
};

const na_doc_page *nd_help_page(void)
{
    static const na_doc_page p = {
        .name = "netautod",
        .section = "8",
        .summary = "the netauto daemon: an HTTPS API for jobs, commands and backups",
        .source = "netauto " NETAUTOD_VERSION,
        .date = NETAUTOD_DATE,
        .synopsis = syn,
        .text = "netautod runs netauto's playbooks and commands for API clients (netauto "
                "--server, curl, CI), one device at a time per device, many devices at once, "
                "keeps every job's results and events in a SQLite store, takes configuration "
                "backups on a schedule, and keeps logged-in device sessions in a pool. It "
                "listens on loopback by default, speaks HTTPS only, and needs a scoped token "
                "for everything but /healthz.",
        .opts = nd_help_opts,
        .sects = sects,
        .see_also = "netauto(1), netauto-inventory(5), netauto-playbook(5), systemd.service(5)",
    };
    return &p;
}
