/* cfgtree.h — a device's running configuration as a tree of sections (by indentation, the way
 * IOS, NX-OS, EOS and IOS XR print it), and what a config task needs to converge: which of the
 * wanted lines are missing (parents / lines / match / replace / before / after, the model of
 * Ansible's ios_config), and the running configuration the device would show once they are
 * added (for `--check --diff`). Pure text work: nothing here talks to a device, and nothing here
 * knows a vendor — the syntax (comment lines such as `!`, section-end lines such as `exit`,
 * `exit-address-family`, `end`) is the platform's data (drivers/platforms/NAME.yaml,
 * `running_config:`).
 *
 * Volatile lines (diff.h: `Building configuration...`, `Current configuration : N bytes`...)
 * count as comments. Lines are compared without their indentation and without trailing white space; everything
 * else must be written exactly as the device shows it (`interface GigabitEthernet0/1`, not
 * `int gi0/1`). Not a configuration parser: no abbreviations, no defaults, no `no` commands. */
#ifndef NA_CFGTREE_H
#define NA_CFGTREE_H

#include "buf.h"
#include "err.h"
#include "strv.h"

#include <stdbool.h>
#include <stddef.h>

#define NA_CFG_MAX_LINES ((size_t)1000000) /* lines of one configuration text */
#define NA_CFG_MAX_DEPTH 32                 /* nested sections */

/* How a platform writes its configuration. Borrowed arrays of borrowed strings. */
typedef struct na_cfg_syntax {
    const char *const *comments; /* a line whose text starts with one of these is no config */
    size_t ncomments;
    const char *const *ends;     /* a line whose text is exactly one of these closes a section */
    size_t nends;
} na_cfg_syntax;

typedef struct na_cfg na_cfg;

/* Parse text[0..n) (a `show running-config` output, or a snippet written the same way). Blank,
 * comment and section-end lines are kept for rendering but are not configuration. Returns a new
 * tree (na_cfg_free) or NULL with NA_E_NOMEM / NA_E_OVERFLOW (over NA_CFG_MAX_LINES lines). */
na_cfg *na_cfg_parse(const char *text, size_t n, const na_cfg_syntax *syn, na_err *err);
void na_cfg_free(na_cfg *c);

/* Configuration lines (not comments, blanks or section ends) in the tree. */
size_t na_cfg_count(const na_cfg *c);

typedef enum {
    NA_CFG_MATCH_LINE = 0, /* each line anywhere in its section */
    NA_CFG_MATCH_STRICT,   /* line i is the section's line i */
    NA_CFG_MATCH_EXACT,    /* the section is exactly these lines, in this order */
    NA_CFG_MATCH_NONE,     /* never present: always send */
} na_cfg_match;

typedef enum {
    NA_CFG_REPLACE_LINE = 0, /* send only the missing lines */
    NA_CFG_REPLACE_BLOCK,    /* send every line when one is missing */
} na_cfg_replace;

/* "line", "strict", "exact", "none" / "line", "block": 0, or -1 for another word. */
int na_cfg_match_parse(const char *s, na_cfg_match *out);
int na_cfg_replace_parse(const char *s, na_cfg_replace *out);

/* One group of wanted lines: `lines` belong to the section named by `parents` (outermost
 * first; none = top level). Everything borrowed. */
typedef struct na_cfg_block {
    const char *const *parents;
    size_t nparents;
    const char *const *lines;
    size_t nlines;
    const char *const *before; /* sent before, only when something is sent */
    size_t nbefore;
    const char *const *after;  /* sent after, only when something is sent */
    size_t nafter;
    na_cfg_match match;
    na_cfg_replace replace;
} na_cfg_block;

/* What must be sent for block b to hold in c (c NULL: nothing is known, everything is missing).
 * Appends to `send` the lines to send — before, the parents, the lines (all, or only the
 * missing ones), after — or nothing when the block already holds. *nmissing (may be NULL) gets
 * the number of the block's lines that are missing. Sent lines are trimmed of indentation and
 * trailing white space. 0, or -1 on NOMEM. */
int na_cfg_plan(const na_cfg *c, const na_cfg_block *b, na_strv *send, size_t *nmissing,
                na_err *err);

/* Is every configuration line of `snippet` (a list-form task's lines, sections by indentation)
 * present at its place in c? An empty snippet is present. */
bool na_cfg_contains(const na_cfg *c, const na_cfg *snippet);

/* Do a and b hold the same configuration lines in the same sections (in any order; comments,
 * blank lines, section ends and volatile lines such as `Current configuration : N bytes` aside)?
 * save: modified compares the running and startup configurations with it. */
bool na_cfg_equal(const na_cfg *a, const na_cfg *b);

/* Change c as the device will once b's missing lines are sent: a line goes at the end of its
 * section; a new top-level section goes after the last top-level line that starts with the same
 * word (with a copy of the comment line that follows it, such as IOS's `!`), else before the
 * final section-end line (`end`), else at the end; a new sub-section at the end of its parent.
 * New lines are indented like their siblings. match: none adds nothing (the lines may be
 * commands that are not configuration). 0, or -1 on NOMEM / NA_E_OVERFLOW. */
int na_cfg_apply(na_cfg *c, const na_cfg_block *b, na_err *err);
/* The same for every line of a snippet. */
int na_cfg_apply_snippet(na_cfg *c, const na_cfg *snippet, na_err *err);

/* The text of c as the device would print it: the parsed lines byte for byte (each followed by
 * a newline), with the lines added by na_cfg_apply in their places. Appended to out. */
int na_cfg_render(const na_cfg *c, na_buf *out, na_err *err) NA_MUST_CHECK;

#endif
