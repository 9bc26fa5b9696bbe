/* ssh_algo.c — SSH algorithm preferences: netauto's secure defaults (a wish list filtered by
 * what this libssh2 build supports), per-host lists from the inventory or ssh_config (replace,
 * or OpenSSH's "+append", "-remove", "^prepend"), host key algorithms reordered to prefer the
 * key types known_hosts records for the host (as OpenSSH does), applying them to a session,
 * recording what was negotiated, and explaining a failed negotiation from the server's KEXINIT,
 * which our recv callback sees go by (libssh2 does not expose it).
 * Not the transport state machine (ssh.c). */
#include "ssh.h"
#include "ssh_int.h"

#include "log.h"

#include <fnmatch.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Preference order. Left out on purpose: SHA-1 key exchange (diffie-hellman-group14-sha1,
 * group1, group-exchange-sha1), ssh-rsa (SHA-1 signatures) and ssh-dss host keys, CBC and
 * other legacy ciphers, hmac-sha1 and weaker MACs. Names libssh2 does not implement are
 * dropped at run time (libssh2 >= 1.11 implements all of these). Strict key exchange
 * (kex-strict-c-v00@openssh.com, against the Terrapin attack) and ext-info-c are added by
 * libssh2 itself. */
static const char *const wish[ALG__COUNT] = {
    [ALG_KEX] = "curve25519-sha256,curve25519-sha256@libssh.org,ecdh-sha2-nistp256,"
                "ecdh-sha2-nistp384,ecdh-sha2-nistp521,diffie-hellman-group-exchange-sha256,"
                "diffie-hellman-group16-sha512,diffie-hellman-group18-sha512,"
                "diffie-hellman-group14-sha256",
    [ALG_HOSTKEY] = "ssh-ed25519,ecdsa-sha2-nistp256,ecdsa-sha2-nistp384,ecdsa-sha2-nistp521,"
                    "rsa-sha2-512,rsa-sha2-256",
    [ALG_CIPHER] = "chacha20-poly1305@openssh.com,aes256-gcm@openssh.com,"
                   "aes128-gcm@openssh.com,aes256-ctr,aes192-ctr,aes128-ctr",
    [ALG_MAC] = "hmac-sha2-256-etm@openssh.com,hmac-sha2-512-etm@openssh.com,hmac-sha2-256,"
                "hmac-sha2-512",
};
static const char *const cat_key[ALG__COUNT] = {"kex", "host_keys", "ciphers", "macs"};
static const char *const cat_label[ALG__COUNT] = {"key exchange", "host key", "cipher", "MAC"};
static const int cat_method[ALG__COUNT] = {LIBSSH2_METHOD_KEX, LIBSSH2_METHOD_HOSTKEY,
                                           LIBSSH2_METHOD_CRYPT_CS, LIBSSH2_METHOD_MAC_CS};

static pthread_once_t lists_once = PTHREAD_ONCE_INIT;
static char *supported[ALG__COUNT];
static char *defaults[ALG__COUNT];

/* ---- comma-separated name lists ------------------------------------------------------------ */

/* Next name in a list separated by commas and/or blanks; returns its length, 0 at the end. */
static size_t next_name(const char **pp, const char **start)
{
    const char *p = *pp;
    while (*p == ',' || *p == ' ' || *p == '\t')
        p++;
    *start = p;
    while (*p && *p != ',' && *p != ' ' && *p != '\t')
        p++;
    *pp = p;
    return (size_t)(p - *start);
}

static bool list_has(const char *list, const char *name, size_t n)
{
    if (!list)
        return false;
    const char *p = list, *s;
    size_t k;
    while ((k = next_name(&p, &s)) > 0)
        if (k == n && !memcmp(s, name, n))
            return true;
    return false;
}

/* Append name to a malloc'd list (no duplicates). 0 or -1 (out of memory). */
static int list_add(char **list, const char *name, size_t n)
{
    if (list_has(*list, name, n))
        return 0;
    size_t old = *list ? strlen(*list) : 0;
    char *r = realloc(*list, old + n + 2);
    if (!r)
        return -1;
    if (old)
        r[old++] = ',';
    memcpy(r + old, name, n);
    r[old + n] = '\0';
    *list = r;
    return 0;
}

static bool pseudo(const char *s, size_t n)
{
    return (n >= 9 && !memcmp(s, "ext-info-", 9)) || (n >= 11 && !memcmp(s, "kex-strict-", 11));
}

/* Host certificates: libssh2 would accept them without checking the certificate authority. */
static bool cert(const char *s, size_t n)
{
    return n > 21 && !memcmp(s + n - 21, "-cert-v01@openssh.com", 21);
}

static void init_lists(void)
{
    LIBSSH2_SESSION *s = libssh2_session_init();
    for (int cat = 0; cat < ALG__COUNT; cat++) {
        const char **algs = NULL;
        int n = s ? libssh2_session_supported_algs(s, cat_method[cat], &algs) : 0;
        for (int i = 0; i < n; i++) {
            size_t k = strlen(algs[i]);
            if (!pseudo(algs[i], k) && !cert(algs[i], k))
                list_add(&supported[cat], algs[i], k);
        }
        if (algs)
            libssh2_free(s, algs);
        const char *p = wish[cat], *name;
        size_t k;
        while ((k = next_name(&p, &name)) > 0)
            if (list_has(supported[cat], name, k))
                list_add(&defaults[cat], name, k);
    }
    if (s)
        libssh2_session_free(s);
}

const char *na_ssh_default_algos(const char *category)
{
    pthread_once(&lists_once, init_lists);
    for (int cat = 0; cat < ALG__COUNT; cat++)
        if (category && !strcmp(category, cat_key[cat]))
            return defaults[cat] ? defaults[cat] : "";
    return NULL;
}

/* ---- preferences ------------------------------------------------------------------------- */

/* Does name match one of the comma-separated patterns (OpenSSH allows wildcards in "-" lists)? */
static bool matches_any(const char *pats, const char *name, size_t n)
{
    char nm[128], pat[128];
    if (n >= sizeof nm)
        return false;
    memcpy(nm, name, n);
    nm[n] = '\0';
    const char *p = pats, *s;
    size_t k;
    while ((k = next_name(&p, &s)) > 0) {
        if (k >= sizeof pat)
            continue;
        memcpy(pat, s, k);
        pat[k] = '\0';
        if (!fnmatch(pat, nm, 0))
            return true;
    }
    return false;
}

/* Where a list came from, for messages: "ssh_algorithms.kex" or "ssh_config FILE:LINE". */
static const char *origin(const na_ssh_conn *c, int cat, char *buf, size_t cap)
{
    if (c->res.cfg_where[cat][0])
        snprintf(buf, cap, "%s", c->res.cfg_where[cat]);
    else
        snprintf(buf, cap, "ssh_algorithms.%s", cat_key[cat]);
    return buf;
}

/* Put the host key algorithms for key types known_hosts records for this host first. */
static int prefer_known_types(na_ssh_conn *c, char **list)
{
    char types[8][64];
    int nt = na_ssh_hostkey_types(c, types, 8);
    if (nt <= 0)
        return 0;
    char *front = NULL, *back = NULL;
    const char *p = *list, *name;
    size_t k;
    while ((k = next_name(&p, &name)) > 0) {
        bool known = false;
        for (int i = 0; i < nt && !known; i++) {
            size_t tl = strlen(types[i]);
            if (!strcmp(types[i], "ssh-rsa"))
                known = (k == 7 && !memcmp(name, "ssh-rsa", 7)) ||
                        (k == 12 && !memcmp(name, "rsa-sha2-", 9));
            else
                known = k == tl && !memcmp(name, types[i], k);
        }
        if (list_add(known ? &front : &back, name, k) < 0) {
            free(front);
            free(back);
            return -1;
        }
    }
    if (!front) {
        free(back);
        return 0;
    }
    p = back ? back : "";
    while ((k = next_name(&p, &name)) > 0)
        if (list_add(&front, name, k) < 0) {
            free(front);
            free(back);
            return -1;
        }
    free(back);
    free(*list);
    *list = front;
    return 0;
}

int na_ssh_algo_prepare(na_ssh_conn *c, na_err *err)
{
    pthread_once(&lists_once, init_lists);
    const char *user[ALG__COUNT] = {c->p->algos.kex, c->p->algos.host_keys, c->p->algos.ciphers,
                                    c->p->algos.macs};
    for (int cat = 0; cat < ALG__COUNT; cat++) {
        char where[360];
        const char *u = user[cat];
        bool from_cfg = c->res.cfg_where[cat][0] != '\0';
        while (u && (*u == ' ' || *u == '\t'))
            u++;
        if (!u || !*u) {
            if (!defaults[cat])
                return na_err_set(err, NA_E_ALGO, "%s: this libssh2 build supports none of "
                                  "netauto's default %s algorithms", c->who, cat_label[cat]);
            c->pref[cat] = strdup(defaults[cat]);
            if (!c->pref[cat])
                return na_err_set(err, NA_E_NOMEM, "out of memory");
            if (cat == ALG_HOSTKEY && prefer_known_types(c, &c->pref[cat]) < 0)
                return na_err_set(err, NA_E_NOMEM, "out of memory");
            continue;
        }
        char op = (*u == '+' || *u == '-' || *u == '^') ? *u++ : 0;
        if (op == '-') {
            /* the defaults without the names (or patterns) given */
            const char *p = defaults[cat] ? defaults[cat] : "", *name;
            size_t k;
            while ((k = next_name(&p, &name)) > 0)
                if (!matches_any(u, name, k) && list_add(&c->pref[cat], name, k) < 0)
                    return na_err_set(err, NA_E_NOMEM, "out of memory");
        } else {
            if (op == '+' && defaults[cat] && !(c->pref[cat] = strdup(defaults[cat])))
                return na_err_set(err, NA_E_NOMEM, "out of memory");
            char *given = NULL;
            const char *p = u, *name;
            size_t k;
            while ((k = next_name(&p, &name)) > 0) {
                if (!list_has(supported[cat], name, k)) {
                    if (from_cfg) { /* OpenSSH knows names libssh2 does not: not an error */
                        NA_LOGD(c->who, "%s: %.*s is not supported by libssh2 %s, left out",
                                origin(c, cat, where, sizeof where), (int)k, name,
                                LIBSSH2_VERSION);
                        continue;
                    }
                    free(given);
                    return na_err_set(err, NA_E_CONFIG, "%s: %s: '%.*s' is not a %s algorithm "
                                      "this build supports (supported: %s)", c->who,
                                      origin(c, cat, where, sizeof where), (int)k, name,
                                      cat_label[cat], supported[cat] ? supported[cat] : "none");
                }
                if (list_add(op == '^' ? &given : &c->pref[cat], name, k) < 0) {
                    free(given);
                    return na_err_set(err, NA_E_NOMEM, "out of memory");
                }
            }
            if (op == '^') { /* these first, then the defaults */
                p = defaults[cat] ? defaults[cat] : "";
                while ((k = next_name(&p, &name)) > 0)
                    if (list_add(&given, name, k) < 0) {
                        free(given);
                        return na_err_set(err, NA_E_NOMEM, "out of memory");
                    }
                c->pref[cat] = given;
            }
        }
        if (!c->pref[cat])
            return na_err_set(err, NA_E_CONFIG, "%s: %s is empty%s", c->who,
                              origin(c, cat, where, sizeof where),
                              from_cfg ? " once the names libssh2 does not support are left out"
                                       : "");
        if (cat == ALG_HOSTKEY && op == '+' && prefer_known_types(c, &c->pref[cat]) < 0)
            return na_err_set(err, NA_E_NOMEM, "out of memory");
    }
    return 0;
}

int na_ssh_algo_apply(na_ssh_conn *c, na_err *err)
{
    static const int methods[][2] = {
        [ALG_KEX] = {LIBSSH2_METHOD_KEX, -1},
        [ALG_HOSTKEY] = {LIBSSH2_METHOD_HOSTKEY, -1},
        [ALG_CIPHER] = {LIBSSH2_METHOD_CRYPT_CS, LIBSSH2_METHOD_CRYPT_SC},
        [ALG_MAC] = {LIBSSH2_METHOD_MAC_CS, LIBSSH2_METHOD_MAC_SC},
    };
    for (int cat = 0; cat < ALG__COUNT; cat++) {
        for (int d = 0; d < 2 && methods[cat][d] >= 0; d++) {
            int rc = libssh2_session_method_pref(c->sess, methods[cat][d], c->pref[cat]);
            if (rc)
                return na_err_set(err, NA_E_ALGO, "%s: libssh2 refused the %s list '%s': %s",
                                  c->who, cat_label[cat], c->pref[cat],
                                  na_ssh_last_error(c->sess));
        }
    }
    return 0;
}

void na_ssh_algo_record(na_ssh_conn *c)
{
    na_conn_info *in = &c->t.info;
    const char *v;
#define REC(field, m)                                                                          \
    v = libssh2_session_methods(c->sess, m);                                                    \
    snprintf(in->field, sizeof in->field, "%s", v ? v : "")
    REC(kex, LIBSSH2_METHOD_KEX);
    REC(host_key_type, LIBSSH2_METHOD_HOSTKEY);
    REC(cipher_cs, LIBSSH2_METHOD_CRYPT_CS);
    REC(cipher_sc, LIBSSH2_METHOD_CRYPT_SC);
    REC(mac_cs, LIBSSH2_METHOD_MAC_CS);
    REC(mac_sc, LIBSSH2_METHOD_MAC_SC);
#undef REC
    v = libssh2_session_banner_get(c->sess);
    snprintf(in->server_banner, sizeof in->server_banner, "%s", v ? v : "");
}

/* ---- the server's KEXINIT ---------------------------------------------------------------- */

void na_ssh_offer_free(na_ssh_offer *o)
{
    for (int cat = 0; cat < ALG__COUNT; cat++)
        for (int d = 0; d < 2; d++) {
            free(o->list[cat][d]);
            o->list[cat][d] = NULL;
        }
    o->parsed = false;
}

static uint32_t be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void stop_sniffing(na_ssh_conn *c) { c->sniffing = false; }

static void parse_kexinit(na_ssh_conn *c, const unsigned char *pl, size_t n)
{
    /* byte 20, cookie[16], then name-lists: kex, host key, cipher c->s, cipher s->c, mac c->s,
     * mac s->c, compression c->s, compression s->c, languages... */
    static const int slot[6][2] = {{ALG_KEX, 0}, {ALG_HOSTKEY, 0}, {ALG_CIPHER, 0},
                                   {ALG_CIPHER, 1}, {ALG_MAC, 0}, {ALG_MAC, 1}};
    size_t off = 17;
    for (int i = 0; i < 6; i++) {
        if (off + 4 > n)
            goto bad;
        uint32_t len = be32(pl + off);
        off += 4;
        if (len > n - off)
            goto bad;
        char *s = malloc(len + 1);
        if (!s)
            goto bad;
        memcpy(s, pl + off, len);
        s[len] = '\0';
        off += len;
        c->offer.list[slot[i][0]][slot[i][1]] = s;
    }
    c->offer.parsed = true;
    return;
bad:
    na_ssh_offer_free(&c->offer);
}

void na_ssh_algo_sniff(na_ssh_conn *c, const void *data, size_t n)
{
    if (na_buf_append(&c->sniff, data, n, NULL, NULL) < 0) {
        stop_sniffing(c);
        return;
    }
    const unsigned char *b = (const unsigned char *)c->sniff.data;
    size_t len = c->sniff.len;
    na_ssh_offer *o = &c->offer;
    /* Lines before the identification string are allowed (RFC 4253 4.2). */
    while (!o->kex_at) {
        const unsigned char *nl = memchr(b + o->scan, '\n', len - o->scan);
        if (!nl)
            return;
        size_t end = (size_t)(nl - b) + 1;
        if (end - o->scan >= 4 && !memcmp(b + o->scan, "SSH-", 4)) {
            c->banner_seen = true;
            o->kex_at = end;
        }
        o->scan = end;
    }
    size_t pos = o->kex_at;
    if (len - pos < 6)
        return;
    uint32_t plen = be32(b + pos);
    unsigned pad = b[pos + 4];
    if (plen < 2 || plen > 35000 || pad + 1u >= plen) {
        stop_sniffing(c);
        return;
    }
    if (len - pos < 4 + (size_t)plen)
        return;
    const unsigned char *pl = b + pos + 5;
    size_t pln = plen - 1 - pad;
    if (pln >= 17 && pl[0] == 20) /* SSH_MSG_KEXINIT */
        parse_kexinit(c, pl, pln);
    stop_sniffing(c);
}

/* Names of `offer` (pseudo-algorithms left out) that are also in `in` (NULL = all), into out. */
static void pick(const char *offer, const char *in, char *out, size_t cap)
{
    size_t k, used = 0;
    const char *p = offer, *name;
    out[0] = '\0';
    while ((k = next_name(&p, &name)) > 0) {
        if (pseudo(name, k) || (in && !list_has(in, name, k)))
            continue;
        int w = snprintf(out + used, cap - used, "%s%.*s", used ? "," : "", (int)k, name);
        if (w < 0 || (size_t)w >= cap - used) {
            out[used] = '\0';
            return;
        }
        used += (size_t)w;
    }
}

static bool intersects(const char *a, const char *b)
{
    const char *p = a, *name;
    size_t k;
    while ((k = next_name(&p, &name)) > 0)
        if (list_has(b, name, k))
            return true;
    return false;
}

/* When everything in `names` is a legacy algorithm netauto leaves out on purpose: why, in words
 * (which side lacks what). NULL otherwise. */
static const char *legacy_only(const char *names)
{
    static const struct { const char *pat, *why; } legacy[] = {
        {"*-sha1", "SHA-1"}, {"diffie-hellman-group1-*", "SHA-1"}, {"ssh-rsa", "SHA-1"},
        {"ssh-dss", "DSA"}, {"*-cbc", "CBC"}, {"*cbc@*", "CBC"}, {"arcfour*", "RC4"},
        {"hmac-sha1*", "SHA-1"}, {"hmac-md5*", "MD5"}, {"hmac-ripemd160*", "RIPEMD-160"},
    };
    const char *p = names, *name, *kind = NULL;
    size_t k;
    while ((k = next_name(&p, &name)) > 0) {
        char nm[128];
        if (k >= sizeof nm)
            return NULL;
        memcpy(nm, name, k);
        nm[k] = '\0';
        const char *hit = NULL;
        for (size_t i = 0; i < sizeof legacy / sizeof *legacy && !hit; i++)
            if (!fnmatch(legacy[i].pat, nm, 0))
                hit = legacy[i].why;
        if (!hit)
            return NULL;
        kind = hit;
    }
    if (!kind)
        return NULL;
    static __thread char buf[160];
    snprintf(buf, sizeof buf, "the device has only legacy algorithms (%s) here, which netauto "
             "leaves out unless asked per host", kind);
    return buf;
}

int na_ssh_algo_explain(na_ssh_conn *c, na_err *err)
{
    if (!c->offer.parsed)
        return na_err_set(err, NA_E_ALGO, "%s: no common SSH algorithm with the device "
                          "(netauto offered kex %s; host keys %s; ciphers %s; MACs %s) — add "
                          "what the device supports to ssh_algorithms in the inventory",
                          c->who, c->pref[ALG_KEX], c->pref[ALG_HOSTKEY], c->pref[ALG_CIPHER],
                          c->pref[ALG_MAC]);
    for (int cat = 0; cat < ALG__COUNT; cat++) {
        for (int d = 0; d < 2; d++) {
            const char *offer = c->offer.list[cat][d];
            if (!offer || intersects(c->pref[cat], offer))
                continue;
            char all[256], usable[256];
            pick(offer, NULL, all, sizeof all);
            pick(offer, supported[cat], usable, sizeof usable);
            char where[360], why[320] = "";
            origin(c, cat, where, sizeof where);
            if (c->res.cfg_where[cat][0]) /* the list netauto offered was the file's */
                snprintf(why, sizeof why, "; netauto offered only %s's list", where);
            else if (legacy_only(usable))
                snprintf(why, sizeof why, "; %s", legacy_only(usable));
            if (!usable[0])
                return na_err_set(err, NA_E_ALGO, "%s: no common %s algorithm; the device "
                                  "offers %s, none of which this build of netauto (libssh2 "
                                  "%s) supports", c->who, cat_label[cat],
                                  all[0] ? all : "nothing", LIBSSH2_VERSION);
            return na_err_set(err, NA_E_ALGO, "%s: no common %s algorithm; the device offers "
                              "%s — add %s to ssh_algorithms.%s in the inventory to allow it "
                              "(e.g. %s: \"+%.*s\")%s", c->who, cat_label[cat], all,
                              strchr(usable, ',') ? "one of them" : "it", cat_key[cat],
                              cat_key[cat], (int)strcspn(usable, ","), usable, why);
        }
    }
    char kex[256], hk[256];
    pick(c->offer.list[ALG_KEX][0], NULL, kex, sizeof kex);
    pick(c->offer.list[ALG_HOSTKEY][0], NULL, hk, sizeof hk);
    return na_err_set(err, NA_E_ALGO, "%s: SSH algorithm negotiation failed (the device offers "
                      "kex %s; host keys %s; netauto offered kex %s; host keys %s)", c->who, kex,
                      hk, c->pref[ALG_KEX], c->pref[ALG_HOSTKEY]);
}
