/* help_formats.c — the two file-format pages, netauto-inventory(5) and netauto-playbook(5), as
 * data (core/doc.h): what `netauto help inventory-format` / `netauto help playbook` print and
 * what `netauto help --man` writes for the build to install. They summarise the keys; the full
 * reference with every rule stays in docs/inventory.md and docs/playbooks.md. Not the verbs
 * (help_verbs.c) and not the netauto(1) page (help.c). */
#include "help.h"

/* ---- netauto-inventory(5) ---------------------------------------------------------------------- */

static const char *const inv_syn[] = {"lab.yaml: defaults, groups and hosts of devices", NULL};

static const na_doc_item inv_top[] = {
    {"vault", "An encrypted secrets file (netauto vault) the ${vault:NAME} references read."},
    {"platform_dirs", "Extra directories of platform YAML files (a list, or one directory)."},
    {"templates", "A directory of TextFSM templates with an ntc-templates index (show --parse, "
                  "parse: true in playbooks)."},
    {"defaults", "Host settings every host gets."},
    {"groups", "NAME: host settings, plus parents: [GROUP...] applied before the group itself."},
    {"hosts", "NAME: host settings, plus groups: [GROUP...] in order."},
    {NULL, NULL},
};

static const na_doc_item inv_host[] = {
    {"host", "Address or DNS name (default: the host's name)."},
    {"port, ssh_port, telnet_port",
     "Ports; ssh_port and telnet_port win over port, which applies to the host's own transport "
     "(default 22 and 23)."},
    {"platform", "A platform name (built in, or from platform_dirs); default generic."},
    {"transport", "ssh (default) or telnet."},
    {"username, password, secret",
     "Login credentials and the enable secret: plain text, ${ENV_VAR} or ${vault:NAME}. They "
     "are never printed: netauto shows ********."},
    {"key_file, key_passphrase, use_agent", "SSH keys and ssh-agent."},
    {"host_key_policy", "strict (default), accept-new or off; known_hosts names the file."},
    {"jump_host", "Another inventory host, or user@host:port, to reach this one through (SSH)."},
    {"ssh_config", "An OpenSSH client configuration file (default ~/.ssh/config), or none; "
                   "what the inventory leaves out comes from it."},
    {"ssh_algorithms", "{kex, host_keys, ciphers, macs}: lists in preference order; +, - and ^ "
                       "change the secure defaults as in OpenSSH."},
    {"timeouts", "{connect, negotiate, auth, shell, command} in seconds (10/10/15/15/30)."},
    {"vars", "Free-form variables for playbooks, merged key by key."},
    {NULL, NULL},
};

static const na_doc_sect inv_sects[] = {
    {"TOP-LEVEL KEYS", "Any other key is an error.", inv_top},
    {"HOST SETTINGS",
     "Every setting may appear in defaults, in a group or in a host. Precedence: defaults < "
     "groups (in the host's order, each group's parents first) < the host.",
     inv_host},
    {"EXAMPLE",
     "  defaults:\n"
     "    platform: cisco_ios\n"
     "    username: admin\n"
     "    password: ${NETAUTO_PASSWORD}\n"
     "  groups:\n"
     "    switches: {transport: telnet}\n"
     "  hosts:\n"
     "    sw1: {host: 192.0.2.11, groups: [switches]}",
     NULL},
    {"ANSIBLE INVENTORIES",
     "Any Ansible inventory source is read unchanged: YAML, INI, a directory with group_vars/ "
     "and host_vars/, an executable script, a host list (\"h1,h2,\"), Ansible Vault; the "
     "resulting host variables are those of ansible-inventory, and ansible_host, ansible_port, "
     "ansible_user, ansible_password, ansible_become_password, ansible_network_os and "
     "ansible_connection become the settings above.",
     NULL},
    {"ERRORS",
     "Every problem is reported as FILE:LINE:COLUMN naming the field, before anything is sent "
     "to any device (exit status 2).",
     NULL},
    {NULL, NULL, NULL},
};

static const na_doc_page inv_page = {
    .name = "netauto-inventory",
    .section = "5",
    .summary = "the devices netauto works on",
    .source = "netauto " NETAUTO_VERSION,
    .date = NETAUTO_DATE,
    .synopsis = inv_syn,
    .text = "An inventory names the devices, how to reach them and with which credentials. "
            "netauto reads its own YAML format (a file with defaults, groups or hosts at the "
            "top) and Ansible's inventories. netauto inventory -i FILE prints what it resolved.",
    .sects = inv_sects,
    .see_also = "netauto(1), netauto-playbook(5), netautod(8)",
};

const na_doc_page *cli_page_inventory(void)
{
    return &inv_page;
}

/* ---- netauto-playbook(5) ----------------------------------------------------------------------- */

static const char *const pb_syn[] = {"playbook.yaml: a list of plays, each with tasks", NULL};

static const na_doc_item pb_play[] = {
    {"hosts", "Required: a --limit pattern (names, groups, globs, a:b, a:&b, a:!b) or a list."},
    {"name", "Optional; default the hosts pattern."},
    {"vars, vars_files", "Variables for every task of the play."},
    {"tasks", "Required: a list (may be empty)."},
    {"handlers", "Tasks run at the end of the play where a task that notifies them changed "
                 "something."},
    {"tags", "Tags every task of the play has."},
    {"serial, max_fail_percentage, any_errors_fatal", "Batches of hosts and when to stop."},
    {NULL, NULL},
};

static const na_doc_item pb_task[] = {
    {"command", "A command or a list: each sent in exec mode."},
    {"config", "Lines (a list or a multi-line string) sent in one configuration session."},
    {"save", "true: the platform's save command."},
    {"vlans", "{state, config}: the VLAN commands needed to reach that state."},
    {"script", "{src, args}: (Linux hosts) upload src, run it, capture its output."},
    {"assert", "{that, msg}: conditions on variables and registered results."},
    {"register, expect, parse", "Keep the result; patterns the output must match; records "
                                "from TextFSM instead of text (parse: true)."},
    {"loop, loop_control, when", "Repeat per item; conditions."},
    {"ignore_errors, timeout, vars, tags, notify", "As in Ansible."},
    {NULL, NULL},
};

static const na_doc_sect pb_sects[] = {
    {"PLAYS", NULL, pb_play},
    {"TASKS", "Every task has a name and exactly one action:", pb_task},
    {"EXAMPLE",
     "  - name: access switch VLANs\n"
     "    hosts: switches\n"
     "    tasks:\n"
     "      - name: create the VLANs\n"
     "        config: [vlan 2, name users, exit]\n"
     "      - name: save\n"
     "        save: true",
     NULL},
    {"TEMPLATES",
     "Strings may use {{ variable }} with filters; a task's vars win over the play's, which win "
     "over the inventory's; -e on the command line wins over everything.",
     NULL},
    {"VALIDATION",
     "Everything that can be checked before connecting is checked first (YAML, variables, "
     "templates, hosts, platforms): a mistake is FILE:LINE:COLUMN and nothing is sent (exit "
     "status 2).",
     NULL},
    {NULL, NULL, NULL},
};

static const na_doc_page pb_page = {
    .name = "netauto-playbook",
    .section = "5",
    .summary = "what netauto run does on which devices",
    .source = "netauto " NETAUTO_VERSION,
    .date = NETAUTO_DATE,
    .synopsis = pb_syn,
    .text = "A playbook is a YAML list of plays. It looks like an Ansible playbook, smaller and "
            "stricter. The full reference is docs/playbooks.md.",
    .sects = pb_sects,
    .see_also = "netauto(1), netauto-inventory(5)",
};

const na_doc_page *cli_page_playbook(void)
{
    return &pb_page;
}
