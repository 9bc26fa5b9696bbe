/* tfsm_lib.h — picking TextFSM templates the way ntc-templates does, and parsing with them.
 * A library is an ordered list of template sources: directories holding an ntc-templates
 * `index` (Template, Hostname, Platform, Command columns; regexes in Python syntax; `sh[[ow]]`
 * completion; the first matching row wins; several templates joined with ':' are merged like
 * TextFSM's clitable), then, if asked, netauto's own templates built into the binary
 * (parsing/templates/). Templates are compiled once and cached; records come out as
 * ntc-templates' parse_output gives them (keys are the Value names lowercased).
 *
 *   const char *dirs[] = {"/usr/share/ntc-templates", NULL};
 *   na_tfsm_lib *lib = na_tfsm_lib_new(dirs, true, &err);     // every index read and checked
 *   json_t *recs = na_tfsm_lib_parse(lib, "cisco_ios", "show vlan", out, len, NULL, &err);
 *
 * Errors: a bad index is NA_E_CONFIG "DIR/index:LINE: ..."; no row for a platform and command
 * is NA_E_NOTFOUND; template and parse errors are those of tfsm.h. Not thread-safe: one library
 * per thread (or a lock around it). Not a template engine (tfsm.h). */
#ifndef NA_TFSM_LIB_H
#define NA_TFSM_LIB_H

#include "err.h"
#include "tfsm.h"

#include <jansson.h>
#include <stdbool.h>

typedef struct na_tfsm_lib na_tfsm_lib;

/* dirs: NULL-terminated list of directories (may be NULL or empty); builtin: search netauto's
 * own templates after them. Each directory's index is read now. NULL + err. */
na_tfsm_lib *na_tfsm_lib_new(const char *const *dirs, bool builtin, na_err *err);
void na_tfsm_lib_free(na_tfsm_lib *lib);

/* The templates the first matching index row names for platform and command: "a:b" (owned by
 * the library) and the directory they are in ("(built-in)" for netauto's own). NA_E_NOTFOUND
 * when no row matches. */
int na_tfsm_lib_lookup(na_tfsm_lib *lib, const char *platform, const char *command,
                       const char **templates, const char **dir, na_err *err);

/* Look the templates for platform and command up and compile them now (cached), so that a
 * missing or bad template is reported before any output exists. 0 or -1 + err. */
int na_tfsm_lib_prepare(na_tfsm_lib *lib, const char *platform, const char *command, na_err *err);

/* Parse text with the templates for platform and command: a new JSON array of records. */
json_t *na_tfsm_lib_parse(na_tfsm_lib *lib, const char *platform, const char *command,
                          const char *text, size_t len, const na_tfsm_limits *lim, na_err *err);
/* Parse text with one template file (cached by path). */
json_t *na_tfsm_lib_parse_file(na_tfsm_lib *lib, const char *path, const char *text, size_t len,
                               const na_tfsm_limits *lim, na_tfsm_keys keys, na_err *err);
/* A template file, compiled and cached (borrowed: valid until na_tfsm_lib_free). */
const na_tfsm *na_tfsm_lib_template(na_tfsm_lib *lib, const char *path, na_err *err);

/* The template directory named by the environment: $NET_TEXTFSM (Netmiko's), else
 * $NTC_TEMPLATES_DIR (ntc-templates'); NULL when neither is set. */
const char *na_tfsm_env_dir(void);
/* The one template directory to use: option_dir (--templates), else inventory_dir (the
 * inventory's `templates:`), else the environment's; NULL when none is given. */
const char *na_tfsm_pick_dir(const char *option_dir, const char *inventory_dir);
/* A library for that directory (if any) followed by the built-in templates. */
na_tfsm_lib *na_tfsm_lib_for(const char *option_dir, const char *inventory_dir, na_err *err);

/* netauto's own templates, built in (generated from parsing/templates/). */
typedef struct na_tfsm_file {
    const char *name;
    const char *data;
    size_t len;
} na_tfsm_file;
extern const na_tfsm_file na_tfsm_builtin[];
extern const size_t na_tfsm_builtin_count;

#endif
