/* sim_term_int.h — internals shared by the terminal (sim_term.c), the output generators
 * (sim_gen.c) and the command handlers (sim_cmds*.c). Not for the server or tests: they use
 * sim_term.h. */
#ifndef SIM_TERM_INT_H
#define SIM_TERM_INT_H

#include "sim_cmd.h"
#include "sim_term.h"

#include <regex.h>

#define SIM_LINE_MAX 1023     /* longest command line */
#define SIM_IN_MAX (64 * 1024) /* type-ahead queue */
#define SIM_OUT_MAX ((size_t)1 << 20)  /* ready output (one step's worth at most) */
#define SIM_TXT_MAX ((size_t)32 << 20) /* text of one command's output */
#define SIM_EMIT_CHUNK 4096            /* lines emitted per step */

/* ---- output generators: a source of lines (without line ends) ------------------------- */
typedef struct sim_gen sim_gen;
struct sim_gen {
    /* Put the next line into `line` (already reset by the caller); 1 = got one, 0 = done. */
    int (*next)(sim_gen *g, na_buf *line);
    void (*free)(sim_gen *g);
};
/* Lines of a text with "\n" separators; takes over text's memory (text is left empty). */
sim_gen *sim_gen_text(na_buf *text);
/* Exactly `bytes` bytes of show tech-support once every line gets "\r\n" (min 2). */
sim_gen *sim_gen_huge(const sim_device *d, unsigned long long bytes);

/* ---- what the session waits for --------------------------------------------------------- */
typedef enum {
    W_CLI = 0,  /* a command line */
    W_LINE,     /* a dialog answer, echoed */
    W_SECRET,   /* a password, not echoed */
    W_KEY,      /* one keystroke ([confirm]) */
} sim_want;

typedef void (*sim_line_fn)(sim_term *t, const char *line);
typedef void (*sim_key_fn)(sim_term *t, int key); /* key: a byte, or '\r' for Enter */

enum { F_NONE = 0, F_INCLUDE, F_EXCLUDE, F_BEGIN, F_SECTION, F_COUNT };

struct sim_term {
    sim_device *dev;
    sim_transport transport;
    char user[64], peer[64];
    char *exec_cmd;
    sim_term *dnext;          /* device's session list */
    int vty;
    int64_t since_ms;
    bool counted;             /* counted in sessions_open */
    bool loading;             /* replaying startup-config: no output, no counters */

    sim_want want;
    sim_line_fn on_line;
    sim_key_fn on_key;
    unsigned mode;            /* SIM_M_* */
    int tries;
    bool logged_in, in_config;

    /* sub-mode context */
    uint8_t vlan_bits[512];
    char vlan_list[64];       /* as shown in the EOS prompt */
    char ifname[32];
    int bgp_af;               /* router bgp: the address family being configured */

    /* line editor */
    char line[SIM_LINE_MAX + 1];
    size_t len;
    bool after_cr;
    int esc;                  /* 0, 1 = got ESC, 2 = inside CSI/SS3 */

    na_buf in;
    size_t in_off;
    na_buf out;
    size_t out_off;
    na_buf txt;               /* output text of the command being run */

    /* output in progress */
    sim_gen *gen;
    na_buf la;                /* one-line lookahead held while --More-- waits */
    bool have_la, paging;
    int page_lines;
    int filt;
    regex_t re;
    bool re_ok, sec_on, begun;
    long count;

    /* what follows the output */
    sim_want next_want;
    sim_line_fn next_line;
    sim_key_fn next_key;
    char next_text[192];
    bool next_close;          /* close the session after the output */
    bool end_after;           /* Ctrl-Z: leave configuration after this command */

    int length, width;
    bool length_set, width_set;
    unsigned ncmd;
    size_t cmd_plen;          /* prompt length of the line being run (for carets) */
    int64_t last_input_ms;
    unsigned epoch;
    uint32_t rng;
    sim_term_status status;
    char pbuf[256];           /* prompt (junos: several lines) */

    /* commit model (sim_commit.c: iosxr; sim_junos.c): while configuring, `dev` is the
     * session's candidate, a copy of `real`'s configuration; commit copies it back */
    sim_device *real;         /* the device itself while `dev` is a candidate, else NULL */
    bool cand_dirty;          /* the candidate differs from the running configuration */
    bool cand_failed;         /* a candidate line failed a semantic check (iosxr: at commit) */
    char cand_log[2048];      /* the candidate's lines, for show configuration / | compare */
    char cand_err[200];       /* junos: why the candidate fails its check */
    char edit_path[128];      /* junos: the hierarchy level ("" = top) */
    bool junos_cli;           /* junos: the CLI was started (root logins land in the shell) */

    /* real CLIs' habits (issue 12) */
    char *pending_async[8];   /* syslog lines printed after the next prompt */
    int npending;
    size_t pause_at[16];      /* offsets in `out` where the output pauses ... */
    unsigned pause_ms[16];    /* ... for this long */
    int npause;
    int64_t hold_until_ms;    /* the output is paused until then */
    size_t ed_plen;           /* line editor: prompt columns on the input row */
    size_t ed_off, ed_shown;  /* scroll: chars hidden on the left, chars shown after the prompt */
    size_t ed_col;            /* wrap: cursor column on the current screen row */
    bool emitted;             /* the command printed output lines */
};

/* ---- helpers for command handlers ------------------------------------------------------ */
int sim_t_printf(sim_term *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void sim_t_puts(sim_term *t, const char *s);
void sim_t_set_gen(sim_term *t, sim_gen *g);        /* output from a generator */
void sim_t_ask_line(sim_term *t, const char *prompt, bool echo, sim_line_fn fn);
void sim_t_ask_key(sim_term *t, const char *prompt, sim_key_fn fn);
void sim_t_close(sim_term *t);                      /* close after this output */
/* The output pauses here for ms (banners drawn slowly, a line followed by a pause). */
void sim_t_out_pause(sim_term *t, unsigned ms);
/* A syslog message (facility-severity-mnemonic and text) printed after the next prompt when the
 * device has --opt async; formatted as the personality prints them. */
void sim_t_async(sim_term *t, const char *fsm, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Columns of the prompt's last line (carets and the line editor count from there). */
size_t sim_t_prompt_cols(sim_term *t);
/* The terminal width the line editor uses (--opt fixed-width wins over everything). */
int sim_t_width(const sim_term *t);
void sim_t_set_mode(sim_term *t, unsigned mode);
const char *sim_t_prompt(sim_term *t);
/* The standard error output for a failed match of `line` typed after prompt length plen. */
void sim_t_match_error(sim_term *t, const sim_match *m, size_t plen, const char *line);
/* Set the IOS/NX-OS/EOS pipe filter; 0 ok, -1 (error already printed). */
int sim_t_set_filter(sim_term *t, const char *line, size_t bar, size_t plen);

/* ---- the terminal's own internals (sim_term.c, sim_input.c, sim_session.c) --------------- */
void sim_t_log(sim_term *t, const char *event, const char *text); /* --log hook */
void sim_t_out_raw(sim_term *t, const char *s, size_t n);         /* bytes as they are */
void sim_t_out_str(sim_term *t, const char *s);
void sim_t_emit_line(sim_term *t, const char *s, size_t n);       /* + "\r\n", garbage fault */
void sim_t_emit_prompt(sim_term *t);                              /* + close/stall-after */
void sim_t_begin_cmd(sim_term *t);    /* reset the command's text and what follows it */
void sim_t_start_output(sim_term *t); /* the command's text/generator starts flowing */
void sim_t_emit_lines(sim_term *t);   /* a step of output through filter and pager */
void sim_t_pager_key(sim_term *t, int key);
void sim_t_clear_filter(sim_term *t);
bool sim_t_step(sim_term *t);         /* one step of work; false = idle */

/* ---- commit model (sim_commit.c) and junos (sim_junos.c) ----------------------------------- */
/* iosxr: the config-mode line was handled here (commit, abort, end/exit with changes, show
 * configuration) — true; false: dispatch it normally (on the candidate). */
bool sim_xr_config_line(sim_term *t, const char *line);
void sim_xr_enter_config(sim_term *t); /* configure terminal: the candidate starts */
void sim_cand_begin(sim_term *t);      /* dev becomes a candidate copy of the device */
void sim_cand_commit(sim_term *t);     /* copy the candidate's configuration back */
void sim_cand_discard(sim_term *t);    /* back to the device itself */
void sim_cand_note(sim_term *t, const char *line);
void sim_junos_run_line(sim_term *t, const char *line);
const char *sim_junos_prompt(sim_term *t);

/* ---- commands (sim_cmds.c, sim_cmds_cfg.c) ------------------------------------------------ */
extern const sim_cmd sim_cmds[];
extern const size_t sim_ncmds;
/* Run one command line in the current mode (with sub-mode fallback to global configuration
 * and pipes in exec modes). plen is the prompt length for the caret. */
void sim_run_line(sim_term *t, const char *line, size_t plen);
/* Match and run line[start..] in `mode` (used by "do"). */
void sim_dispatch(sim_term *t, const char *line, size_t start, unsigned mode, size_t plen);
/* An IOS-style invalid-input error with the caret at column col of the line. */
void sim_t_invalid_at(sim_term *t, size_t col);

/* configuration handlers (sim_cmds_cfg.c) */
void sim_c_end(sim_term *t, const sim_args *a);
void sim_c_exit(sim_term *t, const sim_args *a);
void sim_c_do(sim_term *t, const sim_args *a);
void sim_c_hostname(sim_term *t, const sim_args *a);
void sim_c_no_hostname(sim_term *t, const sim_args *a);
void sim_c_vlan(sim_term *t, const sim_args *a);
void sim_c_no_vlan(sim_term *t, const sim_args *a);
void sim_c_vlan_name(sim_term *t, const sim_args *a);
void sim_c_vlan_no_name(sim_term *t, const sim_args *a);
void sim_c_interface(sim_term *t, const sim_args *a);
void sim_c_no_interface(sim_term *t, const sim_args *a);
void sim_c_description(sim_term *t, const sim_args *a);
void sim_c_no_description(sim_term *t, const sim_args *a);
void sim_c_switchport(sim_term *t, const sim_args *a);
void sim_c_no_switchport(sim_term *t, const sim_args *a);
void sim_c_swmode(sim_term *t, const sim_args *a);
void sim_c_no_swmode(sim_term *t, const sim_args *a);
void sim_c_access_vlan(sim_term *t, const sim_args *a);
void sim_c_no_access_vlan(sim_term *t, const sim_args *a);
void sim_c_shutdown(sim_term *t, const sim_args *a);
void sim_c_no_shutdown(sim_term *t, const sim_args *a);
void sim_c_ip_address(sim_term *t, const sim_args *a);
void sim_c_no_ip_address(sim_term *t, const sim_args *a);
void sim_c_ntp_server(sim_term *t, const sim_args *a);

/* router bgp (sim_bgp.c) */
void sim_c_router_bgp(sim_term *t, const sim_args *a);
void sim_c_no_router_bgp(sim_term *t, const sim_args *a);
void sim_c_bgp_af(sim_term *t, const sim_args *a);
void sim_c_bgp_exit_af(sim_term *t, const sim_args *a);
void sim_c_bgp_line(sim_term *t, const sim_args *a);
void sim_c_bgp_no(sim_term *t, const sim_args *a);

/* archive and the revert timer (sim_archive.c) */
void sim_c_archive(sim_term *t, const sim_args *a);
void sim_c_no_archive(sim_term *t, const sim_args *a);
void sim_c_archive_path(sim_term *t, const sim_args *a);
void sim_c_revert_timer(sim_term *t, const sim_args *a);
void sim_c_configure_confirm(sim_term *t, const sim_args *a);
void sim_c_revert_now(sim_term *t, const sim_args *a);

#endif
