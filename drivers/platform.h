/* platform.h — platforms are data: one YAML file per device family (drivers/platforms/NAME.yaml,
 * compiled into the binary, plus user directories) describing modes and their prompts (one line or
 * several), how to move between modes, on-open commands, failure text (and the errors a config
 * line may answer), pagers, prompted-input answers, asynchronous messages, the commit and save
 * commands, login prompts and the key that means Enter. Loading validates every field and
 * compiles every pattern once; a loaded platform is immutable and shared read-only by every
 * session (and thread) using it.
 * The format is documented field by field in docs/platforms.md. Not a driver: session.h runs it. */
#ifndef NA_PLATFORM_H
#define NA_PLATFORM_H

#include "digest.h"
#include "err.h"
#include "pattern.h"

#include <stdbool.h>
#include <stddef.h>

#define NA_NO_MODE ((size_t)-1)
#define NA_PLATFORM_DEFAULT_HOST "[\\w.\\-@/:+]{1,63}"
#define NA_PLATFORM_MAX_PROMPT_LINES 4

/* A prompted-input answer. reply may contain ${secret}, ${password} and ${username}, filled from
 * the session at run time. */
typedef struct na_panswer {
    na_pattern *prompt;
    char *reply;
    bool newline;     /* send the platform newline after the reply (default true) */
    bool secret;      /* write flagged secret (default: reply uses ${secret} or ${password}) */
    unsigned max;     /* answers per exchange, 0 = unlimited (default: 1 if secret, else 0) */
} na_panswer;

typedef struct na_pmode {
    char *name;
    char *prompt_src;   /* the pattern as written, with {host} */
    na_pattern *prompt; /* compiled with {host} replaced by the platform's host pattern */
} na_pmode;

typedef struct na_ptransition {
    size_t from, to;    /* mode indexes */
    char *send;         /* the command */
    na_panswer *answers;
    size_t nanswers;
} na_ptransition;

typedef struct na_platform {
    char *name;
    char *description;
    char *source;        /* file it came from ("<built-in>/cisco_ios.yaml" for built-ins) */
    char *host;          /* what {host} stands for in prompt patterns */
    bool na_sess_learn_host; /* learn the host name from the first prompt even when a mode matched,
                        and specialise every {host} prompt to it */
    char *newline;       /* ends every line sent: Enter (default "\r", as a terminal sends it) */

    na_pmode *modes;     /* in matching order: the first mode whose prompt matches wins */
    size_t nmodes;
    na_pattern **prompts; /* modes[i].prompt, as an array for na_expect */
    unsigned prompt_lines; /* lines the longest prompt spans (1 + its "\n"s); 1 for most */
    size_t default_mode; /* commands run here; NA_NO_MODE = wherever the device is */
    size_t config_mode;  /* config lines go here; NA_NO_MODE = wherever the device is */

    na_ptransition *transitions;
    size_t ntransitions;

    char **on_open;      /* commands after login; their failure is tolerated */
    size_t non_open;

    na_pattern **failures; /* device error text, matched in the first 8 KiB of each output */
    size_t nfailures;

    struct {                   /* errors in answer to a config line, beyond `failures` */
        na_pattern *match;     /* a line of the answer matching this is an error ... */
        na_pattern **except;   /* ... unless it matches one of these (informational) */
        size_t nexcept;
    } config_errors;

    na_pattern **asyncs;   /* asynchronous messages (syslog on the terminal): one line each */
    size_t nasyncs;

    na_pattern **pagers;
    size_t npagers;
    char *pager_reply;     /* default " " */

    na_panswer *answers;   /* standard prompted input, answered during every command */
    size_t nanswers;

    struct {
        char *send;            /* NULL = the platform cannot save */
        size_t mode;           /* mode to save from (default: default_mode) */
        na_panswer *answers;
        size_t nanswers;
        na_pattern *success;   /* must appear in the output; NULL = no device error is enough */
        int timeout_ms;        /* 0 = the command timeout */
    } save;

    struct {
        char *send;            /* commit model: sent after the config lines; NULL = none */
        char *discard;         /* sent instead when a line was rejected (NULL = nothing) */
        na_panswer *answers;
        size_t nanswers;
        na_pattern *success;   /* must appear in its output; NULL = no device error is enough */
        int timeout_ms;        /* 0 = the command timeout */
    } commit;

    struct {                   /* safe changes (commit-confirmed); neither enter nor commit = not
                                  supported. {minutes} / {seconds} stand for the task's time */
        char *enter;           /* classic CLI: enters config mode with the device's undo timer */
        char *commit;          /* commit model: the commit that starts the timer, instead of
                                  commit.send */
        char **confirm;        /* commands that keep the change */
        size_t nconfirm;
        char **rollback;       /* commands that undo it at once */
        size_t nrollback;
        size_t mode;           /* the mode they are sent in; NA_NO_MODE = default_mode */
    } confirm;

    struct {                   /* how the device shows its configuration (config tasks read it
                                  to send only what is missing: playbooks/runner_task.c) */
        char *show;            /* NULL = not described: config tasks always send their lines */
        char *startup;         /* the startup configuration (save: modified); NULL = unknown */
        char **comments;       /* a line starting with one of these is no configuration */
        size_t ncomments;
        char **ends;           /* lines that close a section (`exit`, `end`) */
        size_t nends;
    } running;

    struct {
        na_pattern *username;  /* in-band login prompts answered while opening (optional) */
        na_pattern *password;
    } login;

    struct na_pfiles *files;   /* file transfer (`files:`, platform_files.c); NULL = none */
} na_platform;

/* ---- files: the device side of file transfers (platform_files.c; docs/files.md) ----------- */

enum { NA_PF_SCP = 0, NA_PF_SFTP = 1, NA_PF__COUNT };

/* One device command: a template with {path} {dir} {name} {src} {dst} (filled with paths
 * quoted as the platform says), and for queries the pattern whose named group holds the answer
 * ((?<free>...) bytes free, (?<hash>...) the digest). */
typedef struct na_pfiles_cmd {
    char *command;             /* NULL = the platform has no such command */
    na_pattern *pattern;       /* MULTILINE */
    unsigned group;            /* number of the named group in pattern */
} na_pfiles_cmd;

typedef struct na_pfiles {
    char *default_dir;         /* where a bare file name goes ("flash:", "bootflash:", "") */
    bool shell_quote;          /* quote: shell (POSIX single quotes); else paths must be plain */
    int protocols[NA_PF__COUNT]; /* servers the device offers, preferred first ... */
    size_t nprotocols;         /* ... how many */
    struct {
        char *cli, *transfer;  /* a path starting with cli is reached as transfer + the rest by
                                  SCP/SFTP ("flash:" -> "/mnt/flash/") */
    } *paths;
    size_t npaths;
    na_pfiles_cmd free;        /* free space on a file system ({dir}); group "free" */
    unsigned long long free_unit; /* bytes per unit of the free number (1, or 1024 for df -k) */
    na_pfiles_cmd hash[NA_HASH__COUNT]; /* per algorithm ({path}); group "hash" */
    na_hash_alg hash_order[NA_HASH__COUNT]; /* algorithms available, preferred first ... */
    size_t nhash;              /* ... how many */
    na_pattern *missing;       /* output (or the device's error) meaning "no such file" */
    na_pfiles_cmd rename;      /* {src} to {dst} */
    bool rename_replaces;      /* rename replaces an existing dst by itself (else dst is removed
                                  first: no overwrite questions) */
    na_pfiles_cmd remove;      /* delete {path} without asking */
    struct {
        na_pfiles_cmd check;   /* command + pattern that must match when the server is on
                                  (command NULL = no check) */
        char *hint;            /* what to do when it is off or refuses ("configure 'ip scp server
                                  enable'"); NULL = nothing to say */
    } server[NA_PF__COUNT];
    int timeout_ms;            /* each of these commands (hashing an image takes a while) */
} na_pfiles;

const char *na_pf_proto_name(int proto); /* "scp", "sftp" */
/* Is protocol proto (NA_PF_*) one the platform offers? */
bool na_pfiles_offers(const na_pfiles *f, int proto);
/* May path be put into this platform's commands? (no control characters, no leading '-'; with
 * quote: none, only letters, digits and _ . / : + @ % = , ~ -). 0 or -1 + err (NA_E_USAGE). */
int na_pfiles_check_path(const na_pfiles *f, const char *path, na_err *err);
/* path with the default directory in front when it is a bare name ("x.bin" -> "flash:x.bin").
 * malloc'd; NULL on OOM. */
char *na_pfiles_full_path(const na_pfiles *f, const char *path);
/* Directory (into dir: "flash:", "flash:/", "/tmp", "." for a bare name) and name (pointing
 * into path) of a device path. */
void na_pfiles_split(const char *path, char *dir, size_t dcap, const char **name);
/* The path the SCP/SFTP server knows the file by (transfer_paths applied). malloc'd. */
char *na_pfiles_transfer_path(const na_pfiles *f, const char *path);
/* A command from its template: vars holds name/value pairs ({"path", "flash:x", NULL}); values
 * are quoted as the platform says. malloc'd, or NULL + err. */
char *na_pfiles_render(const na_pfiles *f, const char *tmpl, const char *const *vars,
                       na_err *err);
/* The value the query's named group finds in out[0..n) into val (NUL-terminated): false when
 * the pattern does not match (or the value does not fit). */
bool na_pfiles_find(const na_pfiles_cmd *c, na_matcher *m, const char *out, size_t n, char *val,
                    size_t cap);

/* Load one platform from YAML. name_hint (may be NULL): the name the file must declare (the file
 * name without .yaml) — a file cannot pass itself off as another platform. label names the
 * source in messages. Errors: NA_E_YAML / NA_E_CONFIG "label:line:col: field: message" (a bad
 * regex includes PCRE2's message). The caller owns the result: na_platform_free(). */
na_platform *na_platform_load_mem(const char *label, const char *yaml, size_t n,
                                  const char *name_hint, na_err *err);
na_platform *na_platform_load_file(const char *path, na_err *err);
void na_platform_free(na_platform *p);

/* Mode index by name, NA_NO_MODE if unknown. */
size_t na_platform_mode(const na_platform *p, const char *name);
/* Index of the first mode whose prompt matches the whole of line[0..n), NA_NO_MODE if none. */
size_t na_platform_match_mode(const na_platform *p, na_matcher *m, const char *line, size_t n);
/* Shortest list of transitions from mode `from` to `to` (breadth-first). Writes up to cap
 * transition indexes into path and returns the count; 0 when from == to; -1 when unreachable
 * (or longer than cap). */
int na_platform_route(const na_platform *p, size_t from, size_t to, size_t *path, size_t cap);

/* A prompt source with every "{host}" replaced by `with` (a regex fragment, used verbatim), as
 * malloc'd text the caller frees; NULL on OOM. Used to specialise prompts to a learned host. */
char *na_platform_subst_host(const char *prompt_src, const char *with);

/* A platform or mode name: 1 to 64 of a-z, 0-9, _ and -. */
bool na_platform_name_ok(const char *s);

/* ---- registry: built-ins plus user directories ---- */

typedef struct na_platforms na_platforms;

/* A registry searching dirs (in order; copied) before the built-in platforms. Nothing is read
 * until a platform is asked for. Thread-safe. Caller frees with na_platforms_free(), which frees
 * every platform it returned. */
na_platforms *na_platforms_new(const char *const *dirs, size_t ndirs, na_err *err);
void na_platforms_free(na_platforms *r);

/* The platform called name: DIR/name.yaml from the first directory that has it, else the
 * built-in one; loaded once and cached. Borrowed: valid until na_platforms_free(). Unknown name
 * = NA_E_NOTFOUND listing what exists; a broken file = its load error. */
const na_platform *na_platform_find(na_platforms *r, const char *name, na_err *err);

/* Every available platform name (user directories and built-ins, sorted, no duplicates) as a
 * malloc'd NULL-terminated array of malloc'd strings; free with na_platform_names_free(). */
char **na_platforms_names(na_platforms *r, na_err *err);
void na_platform_names_free(char **names);

/* The built-in YAML texts compiled into the binary (from $(BUILD)/gen/platforms_builtin.c). */
typedef struct na_builtin_file {
    const char *name;  /* "cisco_ios.yaml" */
    const char *data;  /* NUL-terminated */
    size_t len;
} na_builtin_file;
extern const na_builtin_file na_builtin_platforms[];
extern const size_t na_builtin_platforms_count;

#endif
