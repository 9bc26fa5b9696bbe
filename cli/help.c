/* help.c — netauto(1) as a whole (synopsis, description, the verbs of help_verbs.c, the
 * environment, files and exit statuses), `netauto --help` (the verbs, the global options and the
 * mode in use), `netauto VERB --help`, and the `help` verb, which also writes the manual pages
 * as roff (`netauto help --man PAGE`, what the build installs). Not the verbs' tables
 * (help_verbs.c) and not the file formats (help_formats.c). */
#include "cli_args.h"
#include "help.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

static const char *const netauto_syn[] = {
    "netauto VERB [options] [--server URL | --local]",
    "netauto --help | --version",
    NULL,
};

static const na_doc_item env_items[] = {
    {"NETAUTO_INVENTORY",
     "The inventory when -i is not given: one source, or several separated by commas."},
    {"NETAUTO_SERVER",
     "Run the verbs that can be run remotely on this netautod. While it is set, netauto says "
     "so on stderr (on a terminal) and in its usage errors; --local, or unset NETAUTO_SERVER, "
     "runs them here again."},
    {"NETAUTO_TOKEN, NETAUTO_TOKEN_FILE", "The API token, or a file holding it."},
    {"NETAUTO_FINGERPRINT, NETAUTO_CACERT", "How the server is verified (see --fingerprint)."},
    {"NETAUTO_CONFIG", "The user configuration file instead of the default one (FILES)."},
    {"NETAUTO_VAULT_PASSWORD", "The vault passphrase (else a file option or the terminal)."},
    {"ANSIBLE_VAULT_PASSWORD_FILE", "As for ansible-playbook."},
    {"NET_TEXTFSM, NTC_TEMPLATES_DIR", "TextFSM templates for --parse and parse: true."},
    {"NO_COLOR", "When set (to anything), no colour, as with --color never."},
    {"XDG_CONFIG_HOME", "Where the user configuration file is (default ~/.config)."},
    {NULL, NULL},
};

static const na_doc_item file_items[] = {
    {"$XDG_CONFIG_HOME/netauto/config.yaml",
     "Defaults for this user (YAML; an unknown key is an error with FILE:LINE:COLUMN): "
     "inventory (a source or a list of them), forks, templates (a TextFSM template directory), "
     "server, fingerprint, cacert, token_file, color. The command line wins over the "
     "environment, which wins over this file.\n\n"
     "  inventory: ~/lab/lab.yaml\n"
     "  forks: 20\n"
     "  templates: ~/ntc-templates/ntc_templates/templates\n"
     "  server: https://netautod.example.net:8443\n"
     "  fingerprint: sha256//Xb9I0v2d...\n"
     "  token_file: ~/.config/netauto/token"},
    {NULL, NULL},
};

static const na_doc_item exit_items[] = {
    {"0", "Everything succeeded."},
    {"1", "At least one host, task or command failed (the others still ran), or the server "
          "could not be reached or verified."},
    {"2", "Invalid input: usage, inventory, vault, playbook, unknown host or platform, a "
          "command line that could be read two ways — nothing was sent to any device."},
    {NULL, NULL},
};

static const na_doc_sect netauto_sects[] = {
    {"Results",
     "show --json, run --json FILE and compare --json print JSON documents that start with "
     "{\"schema\": 1, \"kind\": \"show\"|\"run\"|\"compare\"}; show and run print the same "
     "document with --server (run's adds the job's id and state). Times are milliseconds. "
     "docs/results.md has every field; netauto help results prints a summary.",
     NULL},
    {"Environment", NULL, env_items},
    {"Files", NULL, file_items},
    {"Exit status", NULL, exit_items},
    {NULL, NULL, NULL},
};

static const char netauto_text[] =
    "netauto logs in to network devices over SSH or Telnet and runs commands, configuration "
    "and playbooks on them, many devices at once on one event loop. The hosts come from an "
    "inventory (netauto-inventory(5)): netauto's own YAML, or Ansible's inventories as they "
    "are. Playbooks are described in netauto-playbook(5).\n\n"
    "Every verb that can also run on a netautod (netautod(8)) takes the same options there: "
    "with --server (or NETAUTO_SERVER) show, run, inventory and shell go to the server and print the "
    "same output and the same JSON with the same exit status; an option that only means "
    "something here (-i, --transcript, --forks...) is refused with a message saying why. "
    "shell also runs there (a terminal through netautod); compare, put, get, vault and parse always run here.\n\n"
    "Nothing a user typed as an option, an option's value, a file name or a host name is ever "
    "sent to a device: a command line that could be read two ways is refused (exit status 2) "
    "with a message saying how it was read.";

static na_doc_cmd verb_docs[32];

const na_doc_page *cli_page_netauto(void)
{
    static na_doc_page p;
    if (!p.name) {
        for (size_t i = 0; i < cli_n_verbs && i < sizeof verb_docs / sizeof *verb_docs; i++)
            verb_docs[i] = cli_verbs[i].doc;
        p = (na_doc_page){
            .name = "netauto",
            .section = "1",
            .summary = "network device automation: commands, playbooks, inventories",
            .source = "netauto " NETAUTO_VERSION,
            .date = NETAUTO_DATE,
            .synopsis = netauto_syn,
            .text = netauto_text,
            .opts = cli_global_opts,
            .cmds_title = "Verbs",
            .cmds = verb_docs,
            .ncmds = cli_n_verbs,
            .sects = netauto_sects,
            .see_also = "netautod(8), netauto-inventory(5), netauto-playbook(5), ssh_config(5), "
                        "ansible-inventory(1)",
        };
    }
    return &p;
}

static unsigned term_width(FILE *f)
{
    struct winsize ws;
    if (isatty(fileno(f)) && ioctl(fileno(f), TIOCGWINSZ, &ws) == 0 && ws.ws_col >= 40)
        return ws.ws_col > 100 ? 100 : ws.ws_col;
    return 80;
}

static void put_buf(FILE *f, na_buf *b)
{
    fputs(na_buf_cstr(b), f);
    na_buf_free(b);
}

void cli_print_overview(FILE *f)
{
    na_buf b;
    na_err e = NA_ERR_INIT;
    na_buf_init(&b, 1 << 20);
    unsigned w = term_width(f);
    int rc = na_buf_printf(&b, &e, "usage: netauto VERB [options]     (netauto VERB --help: "
                                   "the verb's options)\n\nverbs:\n");
    for (size_t i = 0; rc == 0 && i < cli_n_verbs; i++) {
        const cli_verb *v = &cli_verbs[i];
        rc = na_buf_printf(&b, &e, "  %-11s%s%s\n", v->doc.name, v->doc.summary,
                           v->where == CLI_LOCAL && strcmp(v->doc.name, "help") &&
                                   strcmp(v->doc.name, "version")
                               ? " (here only)"
                               : "");
    }
    if (rc == 0)
        rc = na_buf_puts(&b, "\nglobal options (before or after the verb):\n", &e);
    if (rc == 0)
        rc = na_doc_opts_text(&b, cli_global_opts, w, &e);
    char mode[600];
    cli_mode_line(mode, sizeof mode);
    if (rc == 0)
        rc = na_buf_printf(&b, &e,
                           "\nnow: %s\n\nnetauto help inventory-format, netauto help playbook: the "
                           "file formats; man netauto for everything.\n",
                           mode);
    if (rc < 0)
        fprintf(f, "netauto: %s\n", e.msg);
    put_buf(f, &b);
}

void cli_print_verb_help(FILE *f, const cli_verb *v)
{
    na_buf b;
    na_err e = NA_ERR_INIT;
    na_buf_init(&b, 1 << 20);
    int rc = na_doc_cmd_text(&b, "netauto", &v->doc, term_width(f), &e);
    if (rc == 0 && v->where == CLI_LOCAL && v->no_remote)
        rc = na_buf_printf(&b, &e, "\nThis verb always runs here (%s): --server does not "
                                   "apply.\n", v->no_remote);
    if (rc == 0 && v->where == CLI_REMOTE)
        rc = na_buf_puts(&b, "\nThis verb talks to a netautod: it needs --server URL (or "
                             "NETAUTO_SERVER).\n", &e);
    if (rc == 0 && v->where == (CLI_LOCAL | CLI_REMOTE))
        rc = na_buf_puts(&b, "\nWith --server (or NETAUTO_SERVER) this runs on a netautod, with "
                             "the same output and exit status; the options marked for local "
                             "use above are refused there.\n", &e);
    if (rc == 0)
        rc = na_buf_puts(&b, "\nglobal options: --server URL, --local, --token-file FILE, "
                             "--fingerprint PIN, --cacert FILE, --color WHEN (netauto --help)\n",
                         &e);
    if (rc < 0)
        fprintf(f, "netauto: %s\n", e.msg);
    put_buf(f, &b);
}

static const char results_text[] =
    "JSON results (schema 1; docs/results.md has every field). Every document starts with\n"
    "{\"schema\": 1, \"kind\": ...}; times are milliseconds; secrets from the inventory show as\n"
    "********; device output is kept byte for byte.\n\n"
    "  show --json (also with --server):\n"
    "    {\"schema\", \"kind\": \"show\", \"ok\",\n"
    "     \"hosts\": [{\"host\", \"address\", \"platform\", \"transport\", \"ok\", \"error\",\n"
    "                \"elapsed_ms\", \"commands\": [{\"command\", \"ok\", \"output\",\n"
    "                \"device_error\", \"error\", \"elapsed_ms\", \"parsed\" | \"parse_error\"}]}]}\n"
    "  run --json FILE (also with --server, which adds the job's fields):\n"
    "    {\"schema\", \"kind\": \"run\", \"hosts\": {NAME: {\"ok\", \"tasks\": [...], ...}},\n"
    "     \"summary\": {...}}\n"
    "  compare --json:\n"
    "    {\"schema\", \"kind\": \"compare\", \"host\", \"ok\", \"identical\", \"diff\",\n"
    "     \"commands\", \"transports\": {\"telnet\": {...}, \"ssh\": {...}}, \"warnings\"}\n"
    "  error: null, or {\"code\": \"timeout\", \"message\": \"sw1: ...\"}\n";

static int print_man(const char *page)
{
    const na_doc_page *p = NULL;
    if (!strcmp(page, "netauto"))
        p = cli_page_netauto();
    else if (!strcmp(page, "netauto-inventory"))
        p = cli_page_inventory();
    else if (!strcmp(page, "netauto-playbook"))
        p = cli_page_playbook();
    if (!p) {
        fprintf(stderr, "netauto help --man: no page '%s' (netauto, netauto-inventory, "
                        "netauto-playbook; netautod's is netautod --man)\n", page);
        return 2;
    }
    na_buf b;
    na_err e = NA_ERR_INIT;
    na_buf_init(&b, 4 << 20);
    if (na_doc_page_roff(&b, p, &e) < 0) {
        fprintf(stderr, "netauto: %s\n", e.msg);
        na_buf_free(&b);
        return 1;
    }
    put_buf(stdout, &b);
    return fflush(stdout) == 0 ? 0 : 1;
}

static int print_page(const na_doc_page *p)
{
    na_buf b;
    na_err e = NA_ERR_INIT;
    na_buf_init(&b, 4 << 20);
    if (na_doc_page_text(&b, p, term_width(stdout), &e) < 0) {
        fprintf(stderr, "netauto: %s\n", e.msg);
        na_buf_free(&b);
        return 1;
    }
    put_buf(stdout, &b);
    return 0;
}

int cli_cmd_help(int argc, char **argv)
{
    cli_args a;
    int rc = cli_args_parse(&a, cli_verb_find("help"), argc, argv);
    if (rc >= 0)
        return rc;
    const char *man = NULL;
    for (size_t i = 0; i < a.nopts; i++)
        if (a.opts[i].id == O_MAN)
            man = a.opts[i].val;
    if (man) {
        if (a.npos) {
            fprintf(stderr, "netauto help: --man takes the page; no other word\n");
            return 2;
        }
        return print_man(man);
    }
    if (a.npos > 1) {
        fprintf(stderr, "netauto help: one topic at a time (a verb, inventory, playbook or "
                        "results)\n");
        return 2;
    }
    if (a.npos == 0) {
        cli_print_overview(stdout);
        return 0;
    }
    const char *topic = a.pos[0];
    const cli_verb *v = cli_verb_find(topic);
    if (v) {
        cli_print_verb_help(stdout, v);
        return 0;
    }
    if (!strcmp(topic, "inventory-format") || !strcmp(topic, "netauto-inventory"))
        return print_page(cli_page_inventory());
    if (!strcmp(topic, "playbook") || !strcmp(topic, "netauto-playbook"))
        return print_page(cli_page_playbook());
    if (!strcmp(topic, "results") || !strcmp(topic, "json")) {
        fputs(results_text, stdout);
        return 0;
    }
    fprintf(stderr, "netauto help: no verb or topic '%s' (netauto --help lists them)\n", topic);
    return 2;
}
