/* doc.h — manual pages as data: a program's (or a file format's) page with its commands, their
 * options and sections, written once in C and rendered two ways — as the text `--help` and
 * `netauto help` print, and as roff for man(1) (netauto(1), netautod(8), netauto-inventory(5),
 * netauto-playbook(5)) — so the two cannot drift. The same option tables drive the
 * parser (na_doc_parse): an option the parser takes is an option the help and the manual describe.
 *
 * Text markup inside `text` fields: paragraphs are separated by a blank line; a paragraph whose
 * lines all start with two spaces is shown as it is (an example); a paragraph whose lines start
 * with "- " is a list (a line starting with two spaces continues the item above). Nothing else
 * is interpreted. Not a general documentation system: no inline markup, no tables. */
#ifndef NA_DOC_H
#define NA_DOC_H

#include "buf.h"
#include "err.h"

#include <stdbool.h>
#include <stddef.h>

/* An option of a command. Tables end with an entry whose long_name and short_name are both
 * unset. id identifies it to the program (by convention the short letter, or a value >= 256). */
typedef struct na_doc_opt {
    int id;
    char short_name;        /* 0 = none */
    const char *long_name;  /* NULL = none */
    const char *arg;        /* the value's name ("FILE"); NULL = a flag */
    const char *help;       /* what it does (markup as above) */
    unsigned flags;         /* NA_DOC_* below */
} na_doc_opt;

enum {
    NA_DOC_REPEAT = 1,  /* may be given several times (the help says "..." after it) */
    NA_DOC_HIDDEN = 2,  /* parsed, but not shown (kept for old spellings) */
};

/* A term and its explanation: an item of a section (EXIT STATUS, ENVIRONMENT, FILES, keys of a
 * file format). Lists end with {NULL}. */
typedef struct na_doc_item {
    const char *term;
    const char *text;
} na_doc_item;

/* A section: a heading, paragraphs, then items. Lists end with {NULL}. */
typedef struct na_doc_sect {
    const char *title;
    const char *text;           /* may be NULL */
    const na_doc_item *items;   /* may be NULL */
} na_doc_sect;

/* A command (a verb of netauto, a subcommand of netautod). */
typedef struct na_doc_cmd {
    const char *name;
    const char *summary;             /* one line, for lists of commands */
    const char *const *synopsis;     /* usage lines without the program name; NULL-terminated */
    const char *text;                /* what it does */
    const na_doc_opt *opts;          /* its options (may be NULL) */
    const na_doc_sect *sects;        /* more sections (may be NULL) */
} na_doc_cmd;

/* A whole page. */
typedef struct na_doc_page {
    const char *name;                /* "netauto", "netauto-inventory" */
    const char *section;             /* "1", "5", "8" */
    const char *summary;             /* the NAME line's description */
    const char *source;              /* "netauto 0.2.0" */
    const char *date;                /* "2026-12-08" */
    const char *const *synopsis;     /* NULL-terminated */
    const char *text;                /* DESCRIPTION */
    const na_doc_opt *opts;          /* OPTIONS of the program (may be NULL) */
    const char *cmds_title;          /* "COMMANDS" */
    const na_doc_cmd *cmds;          /* may be NULL */
    size_t ncmds;
    const na_doc_sect *sects;        /* more sections: ENVIRONMENT, FILES, EXIT STATUS ... */
    const char *see_also;            /* "netautod(8), netauto-inventory(5)" */
} na_doc_page;

/* Text for a terminal, `width` columns (0 = 80), appended to out. */
/* One command's help: "usage: PROG NAME ..." lines, its text, its options, its sections. */
int na_doc_cmd_text(na_buf *out, const char *prog, const na_doc_cmd *c,
                    unsigned width, na_err *err) NA_MUST_CHECK;
/* A whole page as text (what `netauto help inventory` prints). */
int na_doc_page_text(na_buf *out, const na_doc_page *p, unsigned width,
                     na_err *err) NA_MUST_CHECK;
/* A whole page as roff (man(7) macros), appended to out. */
int na_doc_page_roff(na_buf *out, const na_doc_page *p, na_err *err) NA_MUST_CHECK;
/* Options in the "  -i, --inventory FILE   text" layout only. */
int na_doc_opts_text(na_buf *out, const na_doc_opt *opts, unsigned width,
                     na_err *err) NA_MUST_CHECK;

/* One element of a parsed command line: an option with its value, or a word. */
typedef struct na_doc_arg {
    const na_doc_opt *opt;    /* the option, or NULL for a word */
    const char *val;          /* the option's value (NULL for a flag), or the word */
    const char *typed;        /* what was typed: "--json", "-v", "--trans" (abbreviated) */
    const na_doc_opt *after;  /* a word: the flag (an option taking no value) typed right
                                 before it, or NULL — so "--json out.json" can be caught */
    bool after_dashdash;      /* a word after "--": taken as it is */
} na_doc_arg;

/* Parse argv[1..argc) against the option tables (the first table that knows a name wins; NULL-
 * terminated list) the way getopt_long reads a command line — "--name value", "--name=value",
 * a unique prefix of a long name, clustered short flags "-vv", "-iFILE", "--" ending the
 * options — but keeping the order of everything typed, into out[0..*n) (argc entries at most).
 * Refused with NA_E_USAGE and a message saying what was understood: an unknown or ambiguous
 * option, a missing value, a value to a flag ("--json=x"), and a value that is itself an
 * option ("--transcript --json"). Words are never refused here. */
int na_doc_parse(const na_doc_opt *const *tables, int argc, char *const *argv, na_doc_arg *out,
                 size_t *n, na_err *err) NA_MUST_CHECK;
/* The option of the table whose id is id, or NULL. */
const na_doc_opt *na_doc_opt_find(const na_doc_opt *opts, int id);
/* "-i/--inventory" (the names the user may have typed) into buf. */
const char *na_doc_opt_name(const na_doc_opt *o, char *buf, size_t cap);

#endif
