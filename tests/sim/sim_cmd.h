/* sim_cmd.h — the CLI grammar engine: commands are patterns ("show vlan brief",
 * "switchport access vlan <1-4094>") and a line is matched the way IOS does it: every word may
 * be abbreviated to a unique prefix, an ambiguous prefix is reported as such, a missing word is
 * "incomplete", and the first character no command accepts is where the '^' caret goes. Not the
 * commands themselves (sim_cmds*.c) and not a terminal.
 *
 * Pattern elements, separated by single spaces:
 *   keyword      literal, matched case-insensitively by unique prefix
 *   <word>       any one word           <line>   the rest of the line (spaces kept)
 *   <A-B>        integer in [A, B]      <vlans>  VLAN list "10,20-22"
 *   <ip>         dotted IPv4 address    <ippfx>  "A.B.C.D/len"
 *   <if>         interface name for the personality (the rest of the line, "gi 0/1" allowed)
 */
#ifndef SIM_CMD_H
#define SIM_CMD_H

#include "sim_device.h"

#include <stddef.h>

enum {
    SIM_M_USER = 1,  /* user exec  "sw1>" */
    SIM_M_PRIV = 2,  /* privileged "sw1#" */
    SIM_M_CONF = 4,  /* "sw1(config)#" */
    SIM_M_VLAN = 8,  /* "sw1(config-vlan)#" */
    SIM_M_IF = 16,   /* "sw1(config-if)#" */
    SIM_M_RTR = 32,  /* "sw1(config-router)#" (router bgp, sim_bgp.c) */
    SIM_M_AF = 64,   /* "sw1(config-router-af)#" (its address families) */
    SIM_M_ARCH = 128, /* "sw1(config-archive)#" (sim_archive.c) */
};
#define SIM_M_EXEC (SIM_M_USER | SIM_M_PRIV)
#define SIM_M_SUB (SIM_M_VLAN | SIM_M_IF | SIM_M_RTR | SIM_M_AF | SIM_M_ARCH)
#define SIM_M_CFG (SIM_M_CONF | SIM_M_SUB)

#define SIM_P(p) (1u << (p))
#define SIM_P_ALL (SIM_P(SIM_IOS) | SIM_P(SIM_NXOS) | SIM_P(SIM_EOS))

#define SIM_ARGS_MAX 12

/* The matched elements of a line. Element i is a keyword (kw[i] = its canonical spelling) or
 * an argument (kw[i] = NULL); its text is line[off[i] .. off[i]+len[i]). For <if>, ifname
 * holds the canonical interface name. */
typedef struct sim_args {
    const char *line;  /* borrowed: the whole line being matched */
    int n;
    const char *kw[SIM_ARGS_MAX];
    size_t off[SIM_ARGS_MAX], len[SIM_ARGS_MAX];
    long num[SIM_ARGS_MAX];
    char ifname[32];
    int ifkind;
} sim_args;

typedef struct sim_term sim_term;
typedef void (*sim_cmd_fn)(sim_term *t, const sim_args *a);

typedef struct sim_cmd {
    unsigned pers;    /* SIM_P(...) mask */
    unsigned modes;   /* SIM_M_* mask */
    const char *pat;
    sim_cmd_fn fn;
} sim_cmd;

typedef enum {
    SIM_MATCH_OK = 0,
    SIM_MATCH_EMPTY,      /* blank line */
    SIM_MATCH_AMBIGUOUS,  /* a word is a prefix of two or more keywords */
    SIM_MATCH_INCOMPLETE, /* every word matched but the command needs more */
    SIM_MATCH_INVALID,    /* caret = column of the first character no command accepts */
} sim_match_kind;

typedef struct sim_match {
    sim_match_kind kind;
    const sim_cmd *cmd;   /* SIM_MATCH_OK */
    sim_args args;
    size_t caret;         /* INVALID: 0-based column of the bad character; AMBIGUOUS: of the
                             ambiguous word */
    size_t end;           /* column just past the last word looked at */
} sim_match;

/* Match line[start..] against the commands of tab[0..n) available to personality p in mode
 * (one SIM_M_* bit). Columns are relative to line[0]. */
void sim_cmd_match(const sim_cmd *tab, size_t n, sim_persona p, unsigned mode, const char *line,
                   size_t start, sim_match *m);

/* Copy argument i as a C string (truncated to cap). Returns out. */
char *sim_arg(const sim_args *a, int i, char *out, size_t cap);

/* Keywords that may follow the words of line[start..] (for '?' help), written as
 * "kw1\nkw2\n..." into out; arguments appear as their pattern ("<1-4094>"). */
void sim_cmd_help(const sim_cmd *tab, size_t n, sim_persona p, unsigned mode, const char *line,
                  size_t start, char *out, size_t cap);

#endif
