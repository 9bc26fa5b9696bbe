/* sim_cmd.c — IOS-style command matching (see sim_cmd.h): unique-prefix keywords, typed
 * arguments, and the caret column of the first character that no command accepts. Patterns are
 * parsed on each call (they are short and few), so there is no global state. Not the command
 * handlers. */
#include "sim_cmd.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MAXE SIM_ARGS_MAX
#define MAXTOK 64
#define MAXCMDS 256

typedef enum { E_KW, E_WORD, E_LINE, E_NUM, E_VLANS, E_IP, E_IPPFX, E_IF } ekind;

typedef struct elem {
    ekind k;
    const char *s; /* pattern text of the element */
    size_t sl;
    long lo, hi;
} elem;

typedef struct cand {
    const sim_cmd *c;
    elem e[MAXE];
    int ne;
} cand;

typedef struct tok {
    size_t off, len;
} tok;

static int compile(const char *pat, elem *e)
{
    int n = 0;
    const char *p = pat;
    while (*p && n < MAXE) {
        while (*p == ' ')
            p++;
        if (!*p)
            break;
        const char *q = p;
        while (*q && *q != ' ')
            q++;
        elem *x = &e[n++];
        x->s = p;
        x->sl = (size_t)(q - p);
        x->lo = x->hi = 0;
        if (*p != '<') {
            x->k = E_KW;
        } else if (strncmp(p, "<word>", 6) == 0) {
            x->k = E_WORD;
        } else if (strncmp(p, "<line>", 6) == 0) {
            x->k = E_LINE;
        } else if (strncmp(p, "<vlans>", 7) == 0) {
            x->k = E_VLANS;
        } else if (strncmp(p, "<ippfx>", 7) == 0) {
            x->k = E_IPPFX;
        } else if (strncmp(p, "<ip>", 4) == 0) {
            x->k = E_IP;
        } else if (strncmp(p, "<if>", 4) == 0) {
            x->k = E_IF;
        } else {
            x->k = E_NUM;
            char *end;
            x->lo = strtol(p + 1, &end, 10);
            x->hi = strtol(end + 1, NULL, 10);
        }
        p = q;
    }
    return n;
}

static size_t tokenize(const char *line, size_t start, tok *t, size_t max)
{
    size_t n = 0, i = start;
    for (;;) {
        while (line[i] == ' ' || line[i] == '\t')
            i++;
        if (!line[i] || n == max)
            return n;
        t[n].off = i;
        while (line[i] && line[i] != ' ' && line[i] != '\t')
            i++;
        t[n].len = i - t[n].off;
        n++;
    }
}

/* ---- argument checks ------------------------------------------------------------------- */

/* Longest prefix of s[0..n) that is still the beginning of a number <= hi. */
static size_t num_prefix(const char *s, size_t n, long hi)
{
    long v = 0;
    size_t i = 0;
    while (i < n && i < 10 && isdigit((unsigned char)s[i])) {
        long nv = v * 10 + (s[i] - '0');
        if (nv > hi)
            break;
        v = nv;
        i++;
    }
    return i;
}

static bool num_ok(const char *s, size_t n, long lo, long hi, long *out)
{
    if (n == 0 || n > 10)
        return false;
    long v = 0;
    for (size_t i = 0; i < n; i++) {
        if (!isdigit((unsigned char)s[i]))
            return false;
        v = v * 10 + (s[i] - '0');
    }
    if (v < lo || v > hi)
        return false;
    if (out)
        *out = v;
    return true;
}

/* Longest prefix that can begin a dotted IPv4 address; *full set when it is a whole one. */
static size_t ip_prefix(const char *s, size_t n, bool *full)
{
    int oct = 0, digits = 0, val = 0;
    size_t i;
    for (i = 0; i < n; i++) {
        char c = s[i];
        if (isdigit((unsigned char)c)) {
            if (digits == 3 || val * 10 + (c - '0') > 255)
                break;
            val = val * 10 + (c - '0');
            digits++;
        } else if (c == '.' && digits > 0 && oct < 3) {
            oct++;
            digits = 0;
            val = 0;
        } else {
            break;
        }
    }
    if (full)
        *full = oct == 3 && digits > 0; /* s[0..i) is a whole address */
    return i;
}

static bool ip_ok(const char *s, size_t n)
{
    bool full;
    return ip_prefix(s, n, &full) == n && full;
}

static size_t ippfx_prefix(const char *s, size_t n, bool *full)
{
    bool ipfull;
    size_t i = ip_prefix(s, n, &ipfull);
    *full = false;
    if (i == n || !ipfull || s[i] != '/')
        return i;
    size_t j = num_prefix(s + i + 1, n - i - 1, 32);
    *full = j > 0 && i + 1 + j == n;
    return i + 1 + j;
}

static size_t if_prefix(sim_persona p, const char *s, size_t n)
{
    static const char *const names[3][4] = {
        {"GigabitEthernet", "Vlan", "Loopback", NULL},
        {"Ethernet", "Vlan", "loopback", "mgmt"},
        {"Ethernet", "Vlan", "Loopback", "Management"},
    };
    if ((int)p >= 3)
        p = SIM_IOS; /* iosxr: IOS's names (junos has its own CLI) */
    size_t best = 0;
    for (int k = 0; k < 4 && names[p][k]; k++) {
        size_t l = 0, kl = strlen(names[p][k]);
        while (l < n && l < kl && tolower((unsigned char)s[l]) ==
                                      tolower((unsigned char)names[p][k][l]))
            l++;
        if (l > best)
            best = l;
    }
    return best;
}

static size_t kw_prefix(const elem *e, const char *s, size_t n)
{
    size_t l = 0;
    while (l < n && l < e->sl && tolower((unsigned char)s[l]) == tolower((unsigned char)e->s[l]))
        l++;
    return l;
}

/* How far into the word could this element still accept input (for the caret)? */
static size_t elem_prefix(sim_persona p, const elem *e, const char *line, const tok *t)
{
    const char *s = line + t->off;
    bool full;
    size_t bad = 0;
    switch (e->k) {
    case E_KW:
        return kw_prefix(e, s, t->len);
    case E_NUM:
        return num_prefix(s, t->len, e->hi);
    case E_VLANS: {
        char buf[512];
        snprintf(buf, sizeof buf, "%.*s", (int)t->len, s);
        uint8_t bits[512];
        if (sim_vlan_list_parse(buf, bits, &bad) >= 0)
            return t->len;
        return bad;
    }
    case E_IP:
        return ip_prefix(s, t->len, &full);
    case E_IPPFX:
        return ippfx_prefix(s, t->len, &full);
    case E_IF:
        return if_prefix(p, s, t->len);
    default:
        return t->len;
    }
}

static size_t rtrim_len(const char *s, size_t n)
{
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
        n--;
    return n;
}

/* Does element e accept the word (or, for <line>/<if>, the rest of the line)? */
static bool elem_accepts(sim_persona p, const elem *e, const char *line, const tok *t, long *num,
                         char *ifname, size_t ifcap, int *ifkind)
{
    const char *s = line + t->off;
    bool full;
    switch (e->k) {
    case E_WORD:
    case E_LINE:
        return true;
    case E_NUM:
        return num_ok(s, t->len, e->lo, e->hi, num);
    case E_VLANS: {
        char buf[512];
        if (t->len >= sizeof buf)
            return false;
        snprintf(buf, sizeof buf, "%.*s", (int)t->len, s);
        uint8_t bits[512];
        return sim_vlan_list_parse(buf, bits, NULL) > 0;
    }
    case E_IP:
        return ip_ok(s, t->len);
    case E_IPPFX:
        return ippfx_prefix(s, t->len, &full) == t->len && full;
    case E_IF: {
        char buf[128];
        size_t rl = rtrim_len(s, strlen(s));
        if (rl >= sizeof buf)
            return false;
        snprintf(buf, sizeof buf, "%.*s", (int)rl, s);
        return sim_intf_canon(p, buf, ifname, ifcap, ifkind) == 0;
    }
    default:
        return false;
    }
}

static void set_arg(sim_args *a, int i, const char *kw, size_t off, size_t len, long num)
{
    a->kw[i] = kw;
    a->off[i] = off;
    a->len[i] = len;
    a->num[i] = num;
    if (a->n < i + 1)
        a->n = i + 1;
}

void sim_cmd_match(const sim_cmd *tab, size_t n, sim_persona p, unsigned mode, const char *line,
                   size_t start, sim_match *m)
{
    memset(m, 0, sizeof *m);
    m->args.line = line;
    tok t[MAXTOK];
    size_t nt = tokenize(line, start, t, MAXTOK);
    if (nt == 0) {
        m->kind = SIM_MATCH_EMPTY;
        return;
    }
    static _Thread_local cand cands[MAXCMDS];
    bool alive[MAXCMDS];
    size_t nc = 0;
    for (size_t i = 0; i < n && nc < MAXCMDS; i++) {
        if (!(tab[i].pers & SIM_P(p)) || !(tab[i].modes & mode))
            continue;
        cands[nc].c = &tab[i];
        cands[nc].ne = compile(tab[i].pat, cands[nc].e);
        alive[nc] = true;
        nc++;
    }
    size_t ti;
    int matched = 0;
    bool rest = false;
    for (ti = 0; ti < nt && ti < MAXE; ti++) {
        const tok *tk = &t[ti];
        const char *s = line + tk->off;
        bool exact[MAXCMDS], pref[MAXCMDS], arg[MAXCMDS];
        size_t nexact = 0, npref = 0, narg = 0;
        const elem *pkw = NULL;
        bool pkw_multi = false;
        long num[MAXCMDS];
        char ifn[32] = "";
        int ifk = 0;
        bool any_rest = false;
        for (size_t c = 0; c < nc; c++) {
            exact[c] = pref[c] = arg[c] = false;
            if (!alive[c] || (int)ti >= cands[c].ne)
                continue;
            const elem *e = &cands[c].e[ti];
            if (e->k == E_KW) {
                if (e->sl == tk->len && strncasecmp(e->s, s, tk->len) == 0) {
                    exact[c] = true;
                    nexact++;
                } else if (tk->len < e->sl && strncasecmp(e->s, s, tk->len) == 0) {
                    pref[c] = true;
                    npref++;
                    if (pkw && (pkw->sl != e->sl || strncmp(pkw->s, e->s, e->sl) != 0))
                        pkw_multi = true;
                    pkw = e;
                }
            } else {
                char fn[32];
                int fk = 0;
                if (elem_accepts(p, e, line, tk, &num[c], fn, sizeof fn, &fk)) {
                    arg[c] = true;
                    narg++;
                    if (e->k == E_IF) {
                        memcpy(ifn, fn, sizeof fn);
                        ifk = fk;
                    }
                    if (e->k == E_LINE || e->k == E_IF)
                        any_rest = true;
                }
            }
        }
        bool *keep;
        if (nexact) {
            keep = exact;
        } else if (npref && pkw_multi) {
            m->kind = SIM_MATCH_AMBIGUOUS;
            m->caret = tk->off;
            m->end = tk->off + tk->len;
            return;
        } else if (npref) {
            keep = pref;
        } else if (narg) {
            keep = arg;
        } else {
            size_t best = 0;
            for (size_t c = 0; c < nc; c++) {
                if (!alive[c] || (int)ti >= cands[c].ne)
                    continue;
                size_t b = elem_prefix(p, &cands[c].e[ti], line, tk);
                if (b > best)
                    best = b;
            }
            if (best > tk->len)
                best = tk->len;
            m->kind = SIM_MATCH_INVALID;
            m->caret = tk->off + best;
            m->end = tk->off + tk->len;
            return;
        }
        /* record the element from the first surviving candidate */
        size_t first = nc;
        for (size_t c = 0; c < nc; c++) {
            alive[c] = alive[c] && keep[c];
            if (alive[c] && first == nc)
                first = c;
        }
        const elem *e = &cands[first].e[ti];
        if (e->k == E_KW) {
            /* the canonical keyword lives in the pattern (ends at a space or NUL) */
            set_arg(&m->args, (int)ti, e->s, tk->off, tk->len, 0);
        } else if (any_rest && (e->k == E_LINE || e->k == E_IF)) {
            size_t rl = rtrim_len(line + tk->off, strlen(line + tk->off));
            set_arg(&m->args, (int)ti, NULL, tk->off, rl, 0);
            if (e->k == E_IF) {
                memcpy(m->args.ifname, ifn, sizeof m->args.ifname);
                m->args.ifkind = ifk;
            }
            /* only candidates that take the rest of the line stay */
            for (size_t c = 0; c < nc; c++)
                if (alive[c] && cands[c].e[ti].k != E_LINE && cands[c].e[ti].k != E_IF)
                    alive[c] = false;
            matched = (int)ti + 1;
            rest = true;
            m->end = tk->off + rl;
            break;
        } else {
            set_arg(&m->args, (int)ti, NULL, tk->off, tk->len, num[first]);
        }
        matched = (int)ti + 1;
        m->end = tk->off + tk->len;
    }
    if (!rest && ti < nt) { /* more words than any pattern has elements */
        m->kind = SIM_MATCH_INVALID;
        m->caret = t[ti].off;
        m->end = t[ti].off + t[ti].len;
        return;
    }
    for (size_t c = 0; c < nc; c++) {
        if (alive[c] && cands[c].ne == matched) {
            m->kind = SIM_MATCH_OK;
            m->cmd = cands[c].c;
            return;
        }
    }
    m->kind = SIM_MATCH_INCOMPLETE;
}

char *sim_arg(const sim_args *a, int i, char *out, size_t cap)
{
    if (cap == 0)
        return out;
    if (i < 0 || i >= a->n) {
        out[0] = '\0';
        return out;
    }
    if (a->kw[i]) {
        size_t l = 0;
        while (a->kw[i][l] && a->kw[i][l] != ' ')
            l++;
        snprintf(out, cap, "%.*s", (int)l, a->kw[i]);
    } else {
        snprintf(out, cap, "%.*s", (int)a->len[i], a->line + a->off[i]);
    }
    return out;
}

void sim_cmd_help(const sim_cmd *tab, size_t n, sim_persona p, unsigned mode, const char *line,
                  size_t start, char *out, size_t cap)
{
    size_t used = 0;
    out[0] = '\0';
    tok t[MAXTOK];
    size_t nt = tokenize(line, start, t, MAXTOK);
    size_t ll = strlen(line);
    bool partial = nt > 0 && ll > 0 && line[ll - 1] != ' ';
    size_t fixed = partial ? nt - 1 : nt; /* words that must match fully */
    for (size_t i = 0; i < n; i++) {
        if (!(tab[i].pers & SIM_P(p)) || !(tab[i].modes & mode))
            continue;
        elem e[MAXE];
        int ne = compile(tab[i].pat, e);
        if ((size_t)ne <= fixed)
            continue;
        bool ok = true;
        for (size_t k = 0; k < fixed && ok; k++) {
            if (e[k].k == E_KW)
                ok = t[k].len <= e[k].sl && strncasecmp(e[k].s, line + t[k].off, t[k].len) == 0;
        }
        if (!ok)
            continue;
        const elem *x = &e[fixed];
        if (partial && (x->k != E_KW || t[fixed].len > x->sl ||
                        strncasecmp(x->s, line + t[fixed].off, t[fixed].len) != 0))
            continue;
        char item[64], needle[70];
        snprintf(item, sizeof item, "%.*s\n", (int)x->sl, x->s);
        snprintf(needle, sizeof needle, "\n%s", item);
        size_t il = strlen(item);
        if (strncmp(out, item, il) == 0 || strstr(out, needle))
            continue; /* already listed */
        if (used + il + 1 > cap)
            break;
        memcpy(out + used, item, il + 1);
        used += il;
    }
}
