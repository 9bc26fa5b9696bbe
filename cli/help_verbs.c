/* help_verbs.c — the verbs of netauto as data: synopsis, what each does, its options (the table
 * its parser uses, cli_args.c) and its notes, plus the global options. The text of `netauto
 * VERB --help` and of netauto(1) comes from here and nowhere else. Not the page's framing
 * sections (help.c) and not the file formats (help_formats.c). */
#include "help.h"

#include <string.h>

/* ---- options shared by several verbs ---------------------------------------------------------- */

#define OPT_HELP {O_HELP, 'h', "help", NULL, "Print this help and exit 0.", 0}
#define OPT_VERBOSE                                                                               \
    {O_VERBOSE, 'v', "verbose", NULL,                                                             \
     "More log lines on stderr: -v information, -vv debug, -vvv trace. Passwords and secrets "    \
     "show as ********.", NA_DOC_REPEAT}
#define OPT_INVENTORY                                                                             \
    {O_INVENTORY, 'i', "inventory", "SOURCE",                                                     \
     "The inventory: a netauto YAML file, or any Ansible inventory source (YAML, INI, a "        \
     "directory, a script, \"h1,h2,\"); give it several times to merge sources in order. "        \
     "Default: $NETAUTO_INVENTORY (comma-separated), else the inventory: of the user "            \
     "configuration file. With --server the server's own inventory is used and -i is refused.",  \
     NA_DOC_REPEAT | CLI_OPT_LOCAL}
#define OPT_VAULT                                                                                 \
    {O_VAULT_FILE, 0, "vault-password-file", "FILE",                                              \
     "Read the vault passphrase from FILE (its first line), or run FILE when it is executable "   \
     "and use what it prints. Without it: $NETAUTO_VAULT_PASSWORD, "                              \
     "$ANSIBLE_VAULT_PASSWORD_FILE, then a prompt on the terminal.", CLI_OPT_LOCAL},              \
    {O_VAULT_ID, 0, "vault-id", "[LABEL@]SOURCE",                                                 \
     "An Ansible Vault identity: SOURCE is a password file, an executable, or 'prompt'.",         \
     NA_DOC_REPEAT | CLI_OPT_LOCAL},                                                              \
    {O_ASK_VAULT, 0, "ask-vault-pass", NULL,                                                      \
     "Ask for the vault passphrase on the terminal (the same as --vault-id default@prompt).",     \
     CLI_OPT_LOCAL}
#define OPT_TIMEOUT(what)                                                                         \
    {O_TIMEOUT, 0, "timeout", "SECONDS",                                                          \
     "Deadline of each command" what " (default: the inventory's timeouts.command, 30).",       \
     CLI_OPT_LOCAL}

/* ---- show --------------------------------------------------------------------------------------- */

static const char *const show_syn[] = {
    "show [-i INVENTORY] HOST 'COMMAND' ['COMMAND'...] [options]",
    "show [-i INVENTORY] --limit PATTERN 'COMMAND' ['COMMAND'...] [options]",
    "show [-i INVENTORY] HOST -c 'COMMAND' [-c 'COMMAND'...] [options]",
    NULL,
};

static const na_doc_opt show_opts[] = {
    OPT_INVENTORY,
    {O_LIMIT, 'l', "limit", "PATTERN",
     "Hosts to run on: a host, a group, a glob (sw*), a:b (union), a:&b (both), a:!b (except). "
     "With HOST, only the hosts matching both. Not with --server (one HOST there).",
     CLI_OPT_LOCAL},
    {O_COMMAND, 'c', "command", "COMMAND",
     "A command to send, given explicitly: it is never mistaken for a host or a file name, and "
     "all commands then come from -c.", NA_DOC_REPEAT},
    {O_TRANSPORT, 't', "transport", "ssh|telnet",
     "Use this transport for every host instead of each host's own (the port for it comes from "
     "the inventory).", 0},
    {O_JSON, 0, "json", NULL,
     "Print the results as one JSON document on stdout (the result schema: netauto help "
     "results, docs/results.md). It takes no file name: redirect stdout to keep it.", 0},
    {O_PARSE, 0, "parse", NULL,
     "Records instead of text: each output goes through the TextFSM template picked by the "
     "host's platform and the command. Every template is found and compiled before anything is "
     "sent; an output that does not parse makes the exit status 1.", 0},
    {O_TEMPLATES, 0, "templates", "DIR",
     "With --parse: templates with an ntc-templates index (default: the inventory's "
     "templates:, the configuration's templates:, $NET_TEXTFSM, $NTC_TEMPLATES_DIR; the "
     "built-in templates are searched last).", CLI_OPT_LOCAL},
    OPT_TIMEOUT(""),
    {O_MAX_OUTPUT, 0, "max-output", "BYTES",
     "Output limit per command, like 64M (default 16 MiB); past it the command fails.",
     CLI_OPT_LOCAL},
    {O_FORKS, 'f', "forks", "N",
     "Hosts in flight at once (default: the configuration's forks:, else 50).", CLI_OPT_LOCAL},
    {O_TRANSCRIPT, 0, "transcript", "FILE",
     "Record each session's bytes in FILE ({host} in FILE is replaced by the host's name; with "
     "several hosts and no {host}, FILE.HOST). What netauto types as a password never appears "
     "in it.", CLI_OPT_LOCAL},
    OPT_VAULT,
    OPT_VERBOSE,
    OPT_HELP,
    {0},
};

static const na_doc_sect show_sects[] = {
    {"How the words are read",
     "The first word after the options is HOST (a host name, or any --limit pattern); every "
     "word after it is one command (quote each command). With --limit, the first word is HOST "
     "only when it names a host or a group. A word that is a host or group name, that is close "
     "to one (sw9 when the inventory has sw1 to sw4), that names a file or looks like a file "
     "name (out.json, ./x, backup.txt), or that comes right after an option taking no value "
     "(--json out.json) is not sent: netauto stops with exit status 2 and says how it read the "
     "line. Give such a command with -c, or after --.",
     NULL},
    {"Output",
     "Text: the outputs one after another; with several commands each is preceded by --- "
     "COMMAND ---, with several hosts each host's block by === HOST ===, in inventory order, "
     "after every host has finished. Errors go to stderr, one line each, after the output. A "
     "command the device rejects is reported and the next command still runs; a timeout, a "
     "closed connection or an overflow ends that host's session.",
     NULL},
    {NULL, NULL, NULL},
};

/* ---- run ---------------------------------------------------------------------------------------- */

static const char *const run_syn[] = {
    "run PLAYBOOK [-i INVENTORY]... [--limit PATTERN] [--check] [--diff] [options]",
    "run PLAYBOOK --syntax-check [-i INVENTORY]...",
    "run PLAYBOOK --list-tasks [--tags T] [--skip-tags T]",
    "run PLAYBOOK --list-hosts [-i INVENTORY]... [--limit PATTERN]",
    NULL,
};

static const na_doc_opt run_opts[] = {
    OPT_INVENTORY,
    {O_LIMIT, 'l', "limit", "PATTERN", "Only the hosts matching PATTERN (as for show).", 0},
    {O_CHECK, 'C', "check", NULL,
     "Send nothing that changes a device: print what each task would send.", 0},
    {O_DIFF, 'D', "diff", NULL,
     "Read the running configuration before and after, and show a unified diff per host.",
     CLI_OPT_LOCAL},
    {O_FORKS, 'f', "forks", "N",
     "Hosts in flight at once (default: the configuration's forks:, else 100; 0 = no limit).",
     CLI_OPT_LOCAL},
    {O_JSON_FILE, 0, "json", "FILE",
     "Write the results as JSON to FILE ('-' for stdout; the people's text then goes to "
     "stderr). {\"schema\": 1, \"kind\": \"run\", \"hosts\", \"summary\"} (docs/results.md).", 0},
    {O_EXTRA, 'e', "extra-vars", "VARS",
     "Extra variables, highest precedence: KEY=VALUE (several separated by spaces), a JSON "
     "object, or @FILE (YAML or JSON).", NA_DOC_REPEAT},
    {O_TAGS, 0, "tags", "TAG[,TAG]", "Only the tasks with one of these tags (and 'always' ones).",
     NA_DOC_REPEAT},
    {O_SKIP_TAGS, 0, "skip-tags", "TAG[,TAG]", "Leave out the tasks with one of these tags.",
     NA_DOC_REPEAT},
    {O_SYNTAX, 0, "syntax-check", NULL,
     "Load and check the playbook (and the inventory when given) and stop: nothing is "
     "contacted.", CLI_OPT_LOCAL},
    {O_LIST_HOSTS, 0, "list-hosts", NULL, "Print each play's hosts and stop.", CLI_OPT_LOCAL},
    {O_LIST_TASKS, 0, "list-tasks", NULL, "Print each play's tasks (as --tags selects) and stop.",
     CLI_OPT_LOCAL},
    {O_TRANSPORT, 't', "transport", "ssh|telnet",
     "Use this transport for every host instead of each host's own.", CLI_OPT_LOCAL},
    {O_TRANSCRIPTS, 0, "transcripts", "DIR",
     "Record each host's session in DIR/HOST.transcript (the directory is created).",
     CLI_OPT_LOCAL},
    {O_BACKUP_DIR, 0, "backup-dir", "DIR",
     "Where backup: true keeps each host's running configuration before its first change, as "
     "HOST_YYYYmmddTHHMMSS.cfg (default ./backups, created private).", CLI_OPT_LOCAL},
    OPT_TIMEOUT(" of a task without its own timeout"),
    {O_HOST_TIMEOUT, 0, "host-timeout", "SECONDS",
     "Deadline of a host's whole program, open to close (default: none).", CLI_OPT_LOCAL},
    {O_WINDOW, 0, "config-window", "N",
     "Configuration lines in flight (1 = send, echo, prompt for each line; default 1).",
     CLI_OPT_LOCAL},
    {O_MAX_OUTPUT, 0, "max-output", "BYTES",
     "Output limit per command, like 64M (default 16 MiB).", CLI_OPT_LOCAL},
    {O_TEMPLATES, 0, "templates", "DIR",
     "TextFSM templates (an ntc-templates index) for tasks with parse: true.", CLI_OPT_LOCAL},
    OPT_VAULT,
    OPT_VERBOSE,
    OPT_HELP,
    {0},
};

static const na_doc_sect run_sects[] = {
    {"Running",
     "Everything that can be checked before connecting is checked first (YAML, variables, "
     "templates, hosts, platforms); a mistake is reported as FILE:LINE:COLUMN and nothing is "
     "sent (exit status 2). Then every host runs on one event loop, at most --forks at once; a "
     "host that fails stops only itself. What each host produced is printed as it finishes, a "
     "progress line is kept on a terminal, and a table of every host ends the run. Ctrl-C "
     "cancels the run (a second Ctrl-C quits at once).\n\n"
     "With --server, PLAYBOOK is a name in the server's playbook directory, or a local file (a "
     "path with a / or ending in .yml or .yaml) sent inline; the job is followed live.",
     NULL},
    {NULL, NULL, NULL},
};

/* ---- put, get ----------------------------------------------------------------------------------- */

static const char *const put_syn[] = {
    "put [-i INVENTORY] HOSTS LOCAL REMOTE [options]",
    NULL,
};

static const char *const get_syn[] = {
    "get [-i INVENTORY] HOSTS REMOTE LOCALDIR [options]",
    NULL,
};

/* put's and get's: the same options */
static const na_doc_opt files_opts[] = {
    OPT_INVENTORY,
    {O_LIMIT, 'l', "limit", "PATTERN", "Narrow the hosts further (as for show).", 0},
    {O_PROTOCOL, 0, "protocol", "scp|sftp|auto",
     "The protocol (default auto: the platform's first one whose check passes).", 0},
    {O_VERIFY, 0, "verify", "md5|sha256|sha512|none|auto",
     "The digest that verifies the copy, computed by the device itself (default auto: the "
     "platform's preferred one).", 0},
    {O_OVERWRITE, 0, "overwrite", NULL, "Replace a different file already there.", 0},
    {O_CHECK, 0, "check", NULL,
     "Ask the device (server, digest, free space) and say what would be done; change nothing.",
     0},
    {O_TIMEOUT, 0, "timeout", "SECONDS", "The transfer, start to end (default 3600).", 0},
    {O_STALL_TIMEOUT, 0, "stall-timeout", "SECONDS",
     "Fail when nothing moves this long (default 30).", 0},
    {O_FORKS, 'f', "forks", "N",
     "Hosts at once (default: the configuration's forks:, else 50).", 0},
    {O_JSON, 0, "json", NULL,
     "Print the results as one JSON document on stdout (docs/files.md).", 0},
    OPT_VAULT,
    OPT_VERBOSE,
    OPT_HELP,
    {0},
};

static const na_doc_sect put_sects[] = {
    {"The words",
     "HOSTS is a host name or a --limit pattern (group, glob, a:b, a:!b). LOCAL is the file to "
     "send. REMOTE is where it goes on each device (flash:c9300.bin, /tmp/x); a bare name goes "
     "to the platform's default file system.",
     NULL},
    {NULL, NULL, NULL},
};

static const na_doc_sect get_sects[] = {
    {"The words",
     "HOSTS is a host name or a --limit pattern (group, glob, a:b, a:!b). REMOTE is the file on "
     "each device (flash:crashinfo_1). LOCALDIR is where it goes: LOCALDIR/NAME for one host, "
     "LOCALDIR/HOST/NAME for several; {host} in LOCALDIR is replaced by each host's name.",
     NULL},
    {NULL, NULL, NULL},
};

#define FILES_TEXT(what)                                                                          \
    what " every host selected, each over its own SSH session, all hosts at once from one "     \
    "loop, verified with the digest the device computes itself; a line per host as it ends, "   \
    "and a progress line on a terminal. Everything that can be checked before connecting is "   \
    "(the inventory, an unreadable local file, a platform without file transfers, a host "      \
    "reached over Telnet, a digest or protocol the platform lacks): exit 2 with nothing sent. " \
    "Exit 0 when every host has the file (sent, or already there), 1 when any failed."

/* ---- compare ------------------------------------------------------------------------------------ */

static const char *const compare_syn[] = {
    "compare [-i INVENTORY] HOST -c 'COMMAND' [-c 'COMMAND'...] [--json] [options]",
    NULL,
};

static const na_doc_opt compare_opts[] = {
    OPT_INVENTORY,
    {O_COMMAND, 'c', "command", "COMMAND", "A command to run over both transports.",
     NA_DOC_REPEAT},
    {O_JSON, 0, "json", NULL,
     "Print the report as one JSON document on stdout (the result schema, docs/results.md).", 0},
    OPT_TIMEOUT(""),
    OPT_VAULT,
    OPT_VERBOSE,
    OPT_HELP,
    {0},
};

/* ---- shell -------------------------------------------------------------------------------------- */

static const char *const shell_syn[] = {
    "shell [-i INVENTORY] HOST [--transport ssh|telnet]",
    NULL,
};

static const na_doc_opt shell_opts[] = {
    OPT_INVENTORY,
    {O_TRANSPORT, 't', "transport", "ssh|telnet", "Use this transport instead of the host's own.",
     0},
    OPT_VAULT,
    OPT_VERBOSE,
    OPT_HELP,
    {0},
};

/* ---- inventory ---------------------------------------------------------------------------------- */

static const char *const inventory_syn[] = {
    "inventory [-i INVENTORY]... [--limit PATTERN] [--json]",
    NULL,
};

static const na_doc_opt inventory_opts[] = {
    OPT_INVENTORY,
    {O_LIMIT, 'l', "limit", "PATTERN", "Only the hosts matching PATTERN.", CLI_OPT_LOCAL},
    {O_JSON, 0, "json", NULL,
     "Print {\"inventory\", \"format\", \"hosts\": [...], \"warnings\"} as JSON instead of a "
     "table (with --server: the server's GET /v1/inventory answer).", 0},
    OPT_VAULT,
    OPT_HELP,
    {0},
};

/* ---- vault -------------------------------------------------------------------------------------- */

static const char *const vault_syn[] = {
    "vault encrypt FILE [--vault-password-file FILE]",
    "vault decrypt FILE [--in-place] [--vault-password-file FILE] [--vault-id [LABEL@]SOURCE]...",
    "vault edit FILE [--vault-password-file FILE]",
    "vault create FILE [--vault-password-file FILE]",
    NULL,
};

static const na_doc_opt vault_opts[] = {
    {O_VAULT_FILE, 0, "vault-password-file", "FILE",
     "Read the passphrase from FILE (else $NETAUTO_VAULT_PASSWORD, else the terminal).", 0},
    {O_VAULT_ID, 0, "vault-id", "[LABEL@]SOURCE",
     "decrypt: an Ansible Vault identity (password file, executable or 'prompt').",
     NA_DOC_REPEAT},
    {O_IN_PLACE, 0, "in-place", NULL, "decrypt: write the plaintext back to FILE instead of "
     "printing it.", 0},
    OPT_HELP,
    {0},
};

/* ---- parse -------------------------------------------------------------------------------------- */

static const char *const parse_syn[] = {
    "parse --template FILE [INPUT] [--table]",
    "parse [--templates DIR | -i INVENTORY] --platform P --command 'CMD' [INPUT]",
    NULL,
};

static const na_doc_opt parse_opts[] = {
    {O_TEMPLATE, 0, "template", "FILE", "A TextFSM template.", 0},
    {O_TEMPLATES, 0, "templates", "DIR",
     "Templates with an ntc-templates index (default: the inventory's templates:, the "
     "configuration's templates:, $NET_TEXTFSM, $NTC_TEMPLATES_DIR; the built-in templates "
     "are searched last).", 0},
    {O_INVENTORY, 'i', "inventory", "FILE", "Take the template directory from this inventory.",
     0},
    {O_PLATFORM, 0, "platform", "P", "The platform (cisco_ios...): with --command, the index "
     "picks the template.", 0},
    {O_COMMAND, 0, "command", "CMD", "The command that printed the text, e.g. 'show vlan'.", 0},
    {O_TABLE, 0, "table", NULL,
     "TextFSM's own shape: {\"header\": [...], \"rows\": [[...]]}.", 0},
    {O_MAX_INPUT, 0, "max-input", "BYTES", "Refuse larger input (default 256M).", 0},
    {O_VAULT_FILE, 0, "vault-password-file", "FILE", "The vault passphrase for -i.", 0},
    OPT_HELP,
    {0},
};

/* ---- the verbs of a netautod -------------------------------------------------------------------- */

static const char *const jobs_syn[] = {"jobs [--state STATE] [--limit N] [--json]", NULL};
static const na_doc_opt jobs_opts[] = {
    {O_STATE, 0, "state", "STATE",
     "Only jobs in this state: queued, running, succeeded, failed, cancelled, interrupted.", 0},
    {O_LIMIT, 'l', "limit", "N", "At most N jobs, newest first (default 50).", 0},
    {O_JSON, 0, "json", NULL, "The server's answer as JSON.", 0},
    OPT_HELP,
    {0},
};

static const char *const job_syn[] = {"job ID [--follow] [--json]", NULL};
static const na_doc_opt job_opts[] = {
    {'f', 'f', "follow", NULL, "Follow the job's events until it ends.", 0},
    {O_JSON, 0, "json", NULL, "Print the job as the server keeps it (GET /v1/jobs/ID).", 0},
    OPT_HELP,
    {0},
};

static const char *const cancel_syn[] = {"cancel ID", NULL};
static const na_doc_opt cancel_opts[] = {OPT_HELP, {0}};

static const char *const backups_syn[] = {"backups HOST [ID] [--diff]", NULL};
static const na_doc_opt backups_opts[] = {
    {O_DIFF, 'D', "diff", NULL, "With ID: the diff against the previous backup, not the text.",
     0},
    OPT_HELP,
    {0},
};

static const char *const help_syn[] = {
    "help [VERB | inventory-format | playbook | results]",
    "help --man netauto|netautod|netauto-inventory|netauto-playbook",
    NULL,
};
static const na_doc_opt help_opts[] = {
    {O_MAN, 0, "man", "PAGE", "Print the manual page PAGE as roff (what `make install` "
     "installs; man -l - reads it).", 0},
    OPT_HELP,
    {0},
};

static const char *const version_syn[] = {"version", NULL};
static const na_doc_opt version_opts[] = {OPT_HELP, {0}};

/* ---- the table ---------------------------------------------------------------------------------- */

const cli_verb cli_verbs[] = {
    {{"show", "run commands on one host or many, print what the devices answered", show_syn,
      "Sends each COMMAND to every host selected, in the platform's default mode (privileged "
      "exec on IOS), all hosts at once on one event loop, and prints the outputs. Exit status "
      "0 when every command on every host succeeded, 1 when any failed, 2 for invalid input "
      "(nothing was sent to any device).",
      show_opts, show_sects},
     CLI_LOCAL | CLI_REMOTE, NULL},
    {{"run", "run a playbook", run_syn,
      "Runs PLAYBOOK (netauto-playbook(5)) against the inventory's hosts.", run_opts, run_sects},
     CLI_LOCAL | CLI_REMOTE, NULL},
    {{"put", "send a file to devices (scp or sftp, verified)", put_syn,
      FILES_TEXT("Sends LOCAL to REMOTE on"), files_opts, put_sects},
     CLI_LOCAL, "put sends a file from this machine"},
    {{"get", "fetch a file from devices (scp or sftp, verified)", get_syn,
      FILES_TEXT("Fetches REMOTE from"), files_opts, get_sects},
     CLI_LOCAL, "get writes files on this machine"},
    {{"compare", "run commands over Telnet and SSH and compare timings, bytes and outputs",
      compare_syn,
      "Logs in to one device over Telnet (its telnet_port) and then over SSH (its ssh_port), "
      "runs the same commands on both, and reports side by side the time of each phase, bytes "
      "on the wire, the negotiated algorithms and options, whether the outputs are identical "
      "after normalisation (with a unified diff when not), and a warning that Telnet sent the "
      "password in clear text. Exit 0 when both transports ran every command (whether or not "
      "the outputs match), 1 when either failed.",
      compare_opts, NULL},
     CLI_LOCAL, "compare measures the transports from this machine"},
    {{"shell", "an interactive session on one device", shell_syn,
      "Logs in through the driver (enable with the secret, on-open commands), prints "
      "'Connected to HOST in MODE mode.', then passes bytes both ways until the device closes "
      "the session, or you type ~. at the start of a line (~~ sends one ~). The terminal is "
      "restored on every exit, including signals. With --server the session is opened by "
      "netautod (holding the device's lock, audited, transcript on the server) and reaches "
      "this terminal over its WebSocket.",
      shell_opts, NULL},
     CLI_LOCAL | CLI_REMOTE, NULL},
    {{"inventory", "print the hosts of an inventory as netauto resolves them", inventory_syn,
      "Prints the selected hosts as a table (name, address, ports, platform, transport, user, "
      "password and secret as ******** or -, jump host, groups), or as JSON. Exit 0, or 2 with "
      "the message on stderr. With --server: the server's inventory.",
      inventory_opts, NULL},
     CLI_LOCAL | CLI_REMOTE, NULL},
    {{"vault", "encrypt, decrypt, edit or create a vault file", vault_syn,
      "Vault files hold secrets the inventory names as ${vault:NAME}. encrypt a YAML file in "
      "place; decrypt to stdout (or --in-place; also ansible-vault files); edit through "
      "$EDITOR on a private copy; create a new one.",
      vault_opts, NULL},
     CLI_LOCAL, "vault works on local files"},
    {{"parse", "turn command output into records with TextFSM", parse_syn,
      "Text (the INPUT file, or standard input) through a TextFSM template, printed as a JSON "
      "array of records. Nothing is sent to any device. Exit 0 with records, 1 when the text "
      "does not parse, 2 for a bad template or index.",
      parse_opts, NULL},
     CLI_LOCAL, "parse works on local text"},
    {{"jobs", "list a netautod's jobs (--server)", jobs_syn, "Lists jobs, newest first.",
      jobs_opts, NULL},
     CLI_REMOTE, NULL},
    {{"job", "show or follow one job of a netautod (--server)", job_syn,
      "Prints a job; with --follow, its events live until it ends. Exit 0 when it succeeded "
      "(or is still queued or running without --follow), 1 otherwise.",
      job_opts, NULL},
     CLI_REMOTE, NULL},
    {{"cancel", "cancel a job of a netautod (--server)", cancel_syn,
      "Cancels a queued or running job.", cancel_opts, NULL},
     CLI_REMOTE, NULL},
    {{"backups", "list or print a device's configuration backups (--server)", backups_syn,
      "Without ID: the backups netautod keeps for HOST. With ID: that backup's text, or its "
      "diff against the previous one.",
      backups_opts, NULL},
     CLI_REMOTE, NULL},
    {{"help", "this overview, a verb's help, or a file format", help_syn,
      "netauto help VERB is netauto VERB --help; netauto help inventory-format and netauto help "
      "playbook describe the file formats (netauto-inventory(5), netauto-playbook(5)).",
      help_opts, NULL},
     CLI_LOCAL, "help is local"},
    {{"version", "print netauto's version", version_syn, "Prints \"netauto VERSION\".",
      version_opts, NULL},
     CLI_LOCAL, "version is local"},
};

const size_t cli_n_verbs = sizeof cli_verbs / sizeof *cli_verbs;

const cli_verb *cli_verb_find(const char *name)
{
    for (size_t i = 0; name && i < cli_n_verbs; i++)
        if (!strcmp(cli_verbs[i].doc.name, name))
            return &cli_verbs[i];
    return NULL;
}

/* ---- global options ------------------------------------------------------------------------- */

const na_doc_opt cli_global_opts[] = {
    {O_SERVER, 0, "server", "URL",
     "Run the verb on the netautod at URL (https://HOST[:PORT][/PREFIX]) instead of here "
     "(default: $NETAUTO_SERVER, else the server: of the user configuration file).", 0},
    {O_LOCAL, 0, "local", NULL,
     "Run here even when $NETAUTO_SERVER or the configuration names a server.", 0},
    {O_TOKEN_FILE, 0, "token-file", "FILE",
     "The API token: the first line of FILE (default: $NETAUTO_TOKEN, $NETAUTO_TOKEN_FILE, "
     "the configuration's token_file:).", 0},
    {O_TOKEN, 0, "token", "TOKEN",
     "The API token on the command line: other local users can read it (ps); netauto warns.", 0},
    {O_FINGERPRINT, 0, "fingerprint", "PIN",
     "Pin the server: its public key as sha256//BASE64, or its certificate as SHA256:HEX (both "
     "printed by netautod at start and by netautod fingerprint; $NETAUTO_FINGERPRINT).", 0},
    {O_CACERT, 0, "cacert", "FILE",
     "Trust the server's certificate through this CA file ($NETAUTO_CACERT). Without a pin or a "
     "CA, nothing is sent.", 0},
    {O_COLOR, 0, "color", "auto|always|never",
     "Colour on a terminal (auto, the default, also honours $NO_COLOR).", 0},
    {O_VERSION, 0, "version", NULL, "Print the version and exit.", 0},
    {O_HELP, 'h', "help", NULL, "Print the list of verbs and exit 0.", 0},
    {0},
};
