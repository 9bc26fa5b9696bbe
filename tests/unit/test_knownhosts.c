/* test_knownhosts.c — drivers/knownhosts.c against OpenSSH's own answer: a known_hosts file
 * with plain names, comma lists, wildcards, negations, [host]:port entries, hashed names
 * (hashed by ssh-keygen -H), upper case, @revoked and @cert-authority lines and garbage; for
 * each name, the lines (and markers) `ssh-keygen -F NAME -f FILE` finds must be exactly the ones
 * na_kh_lookup finds, and the keys decoded must have the fingerprints ssh-keygen -l prints.
 * Plus the lookup name, several files, appending, and the cache seeing a changed file. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "knownhosts.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char dir[256];
#define NKEYS 3
static char keyline[NKEYS][1024]; /* "TYPE BASE64" */
static char keyfp[NKEYS][96];

static int sh(const char *cmd) { return system(cmd); }

static int setup(void **st)
{
    (void)st;
    snprintf(dir, sizeof dir, "%s/netauto-kh-XXXXXX",
             getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    if (!mkdtemp(dir))
        return -1;
    static const char *const types[NKEYS] = {"ed25519", "ecdsa", "rsa"};
    for (int i = 0; i < NKEYS; i++) {
        char cmd[600], path[400];
        snprintf(path, sizeof path, "%s/k%d", dir, i);
        snprintf(cmd, sizeof cmd, "/usr/bin/ssh-keygen -q -t %s -N '' -f '%s' %s", types[i],
                 path, i == 2 ? "-b 2048" : "");
        if (sh(cmd) != 0)
            return -1;
        snprintf(cmd, sizeof cmd, "cut -d' ' -f1,2 '%s.pub'", path);
        FILE *p = popen(cmd, "r");
        if (!p || !fgets(keyline[i], sizeof keyline[i], p))
            return -1;
        pclose(p);
        keyline[i][strcspn(keyline[i], "\n")] = '\0';
        snprintf(cmd, sizeof cmd, "/usr/bin/ssh-keygen -E sha256 -lf '%s.pub'", path);
        p = popen(cmd, "r");
        char out[512];
        if (!p || !fgets(out, sizeof out, p) || sscanf(out, "%*d %95s", keyfp[i]) != 1)
            return -1;
        pclose(p);
    }
    return 0;
}

static int teardown(void **st)
{
    (void)st;
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return sh(cmd) == 0 ? 0 : -1;
}

/* The host fields of the table; each line gets key (line % NKEYS). */
static const char *const HOSTS[] = {
    "sw1",
    "sw1,sw2,10.0.0.1",
    "127.0.0.*",
    "[10.1.1.*]:*",
    "*.lab,!core.lab",
    "[sw3]:2222",
    "@revoked *",
    "@cert-authority *.corp",
    "SW4",
    "sw??",
    "!sw1,sw*",
    "[sw5]:22",
    "[127.0.0.1]:2201,[127.0.0.1]:2202",
    "@cert-authority [10.9.*]:2222",
    "10.0.0.?,!10.0.0.9",
    "@revoked sw2",
};

static const char *const QUERIES[] = {
    "sw1", "sw2", "10.0.0.1", "10.0.0.9", "127.0.0.5", "[10.1.1.9]:2200", "10.1.1.9", "x.lab",
    "core.lab", "[sw3]:2222", "sw3", "hashed.example", "[hashed.example]:830", "a.corp", "sw4",
    "sw12", "sw5", "[sw5]:22", "[127.0.0.1]:2201", "[127.0.0.1]:2203", "[10.9.1.1]:2222",
    "nothing.at.all",
};

static void write_table(const char *path)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fprintf(f, "# known_hosts for the test\n\n");
    for (size_t i = 0; i < sizeof HOSTS / sizeof *HOSTS; i++)
        fprintf(f, "%s %s comment %zu\n", HOSTS[i], keyline[i % NKEYS], i);
    fprintf(f, "garbage\n");
    fprintf(f, "sw1 ssh-ed25519 not-base64!!\n");
    fprintf(f, "sw1 2048 65537 1234567890\n"); /* an SSH-1 line */
    fclose(f);
    /* hashed names, as ssh-keygen -H writes them */
    char plain[400], cmd[1400];
    snprintf(plain, sizeof plain, "%s.plain", path);
    f = fopen(plain, "w");
    assert_non_null(f);
    fprintf(f, "hashed.example %s\n[hashed.example]:830 %s\n", keyline[1], keyline[2]);
    fclose(f);
    snprintf(cmd, sizeof cmd, "/usr/bin/ssh-keygen -q -H -f '%s' >/dev/null 2>&1 && "
             "grep '^|1|' '%s' >> '%s'", plain, plain, path);
    assert_int_equal(sh(cmd), 0);
}

/* "N[:CA|:REVOKED]" for every line ssh-keygen -F finds, space-separated, in file order. */
static void openssh_finds(const char *path, const char *name, char *out, size_t cap)
{
    char cmd[800];
    snprintf(cmd, sizeof cmd, "/usr/bin/ssh-keygen -F '%s' -f '%s'", name, path);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    char line[4096];
    size_t used = 0;
    out[0] = '\0';
    while (fgets(line, sizeof line, p)) {
        unsigned n;
        char mark[32] = "";
        if (strncmp(line, "# Host ", 7))
            continue;
        const char *f = strstr(line, " found: line ");
        if (!f || sscanf(f, " found: line %u %31s", &n, mark) < 1)
            continue;
        used += (size_t)snprintf(out + used, cap - used, "%s%u%s%s", used ? " " : "", n,
                                 mark[0] ? ":" : "", mark);
    }
    pclose(p);
}

static void ours_finds(const char *path, const char *name, char *out, size_t cap)
{
    const char *files[] = {path};
    na_kh_result r;
    na_err e = NA_ERR_INIT;
    char lname[300];
    assert_int_equal(na_kh_name(name, 0, lname, sizeof lname), 0);
    if (na_kh_lookup(files, 1, lname, &r, &e) < 0)
        fail_msg("lookup %s: %s", name, e.msg);
    size_t used = 0;
    out[0] = '\0';
    for (size_t i = 0; i < r.n; i++) {
        if (!r.v[i].host_matched)
            continue; /* @revoked lines for other hosts (we refuse them for every host) */
        const char *m = r.v[i].marker == NA_KH_CA ? ":CA" : r.v[i].marker == NA_KH_REVOKED
                                                                ? ":REVOKED"
                                                                : "";
        used += (size_t)snprintf(out + used, cap - used, "%s%u%s", used ? " " : "", r.v[i].line,
                                 m);
        /* the key decoded is the one on that line */
        char fp[96];
        assert_int_equal(na_kh_fingerprint(r.v[i].blob, r.v[i].len, fp, sizeof fp), 0);
        bool known = false;
        for (int k = 0; k < NKEYS; k++)
            known |= !strcmp(fp, keyfp[k]);
        if (!known)
            fail_msg("line %u: decoded key %s is none of the test keys", r.v[i].line, fp);
        assert_string_equal(r.v[i].file, path);
    }
    na_kh_result_free(&r);
}

static void same_lines_as_ssh_keygen(void **st)
{
    (void)st;
    char path[400];
    snprintf(path, sizeof path, "%s/known_hosts", dir);
    write_table(path);
    int found_some = 0;
    for (size_t i = 0; i < sizeof QUERIES / sizeof *QUERIES; i++) {
        char want[512], got[512];
        openssh_finds(path, QUERIES[i], want, sizeof want);
        ours_finds(path, QUERIES[i], got, sizeof got);
        /* ssh-keygen -F lists lines by their host field without reading the key; ssh itself
         * skips the line whose key is not base64 (the line after "garbage"), and so do we */
        char *bad = strstr(want, " 20");
        if (bad && (bad[3] == ' ' || !bad[3]))
            memmove(bad, bad + 3, strlen(bad + 3) + 1);
        if (strcmp(want, got))
            fail_msg("%s: ssh-keygen -F finds lines '%s', netauto '%s'", QUERIES[i], want, got);
        found_some += strchr(want, ' ') != NULL || (want[0] && !strstr(want, "REVOKED"));
    }
    assert_true(found_some >= 15); /* the table exercises matches, not only misses */
}

static void lookup_names(void **st)
{
    (void)st;
    char out[300];
    assert_int_equal(na_kh_name("SW1.Lab", 22, out, sizeof out), 0);
    assert_string_equal(out, "sw1.lab");
    assert_int_equal(na_kh_name("10.0.0.1", 2222, out, sizeof out), 0);
    assert_string_equal(out, "[10.0.0.1]:2222");
    assert_int_equal(na_kh_name("[fe80::1]", 830, out, sizeof out), 0);
    assert_string_equal(out, "[fe80::1]:830");
    assert_int_equal(na_kh_name("fe80::1", 0, out, sizeof out), 0);
    assert_string_equal(out, "fe80::1");
    assert_int_equal(na_kh_name("x", 22, out, 1), -1);
    assert_int_equal(na_kh_match_hosts("a,!b*,c", 7, "bx"), -1);
    assert_int_equal(na_kh_match_hosts("a,!b*,c", 7, "c"), 1);
    assert_int_equal(na_kh_match_hosts("a,!b*,c", 7, "d"), 0);
}

static void several_files_append_and_cache(void **st)
{
    (void)st;
    char a[400], b[400], missing[400];
    snprintf(a, sizeof a, "%s/sub/dir/kh_a", dir); /* directories do not exist yet */
    snprintf(b, sizeof b, "%s/kh_b", dir);
    snprintf(missing, sizeof missing, "%s/nope", dir);
    FILE *f = fopen(b, "w");
    fprintf(f, "dev1 %s", keyline[0]); /* no newline at the end */
    fclose(f);
    const char *files[] = {missing, a, b};
    na_kh_result r;
    na_err e = NA_ERR_INIT;
    assert_int_equal(na_kh_lookup(files, 3, "dev1", &r, &e), 0);
    assert_int_equal(r.n, 1);
    assert_string_equal(r.v[0].file, b);
    na_kh_result_free(&r);
    /* append to a (created with its directories) and to b (newline added first) */
    unsigned char blob[2048];
    size_t len = 0;
    {
        char cmd[1200];
        snprintf(cmd, sizeof cmd, "echo '%s' | cut -d' ' -f2 | base64 -d", keyline[1]);
        FILE *p = popen(cmd, "r");
        len = fread(blob, 1, sizeof blob, p);
        pclose(p);
    }
    char type[64];
    assert_int_equal(na_kh_blob_type(blob, len, type, sizeof type), 0);
    assert_string_equal(type, "ecdsa-sha2-nistp256");
    assert_int_equal(na_kh_append(a, "[dev1]:2222", type, blob, len, "added by netauto", &e), 0);
    assert_int_equal(na_kh_append(b, "dev2", type, blob, len, "", &e), 0);
    struct stat sb;
    assert_int_equal(stat(a, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0600);
    char d[400];
    snprintf(d, sizeof d, "%s/sub/dir", dir);
    assert_int_equal(stat(d, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0700);
    /* the cache sees both changes; OpenSSH finds the appended lines */
    assert_int_equal(na_kh_lookup(files, 3, "[dev1]:2222", &r, &e), 0);
    assert_int_equal(r.n, 1);
    assert_string_equal(r.v[0].file, a);
    na_kh_result_free(&r);
    assert_int_equal(na_kh_lookup(files, 3, "dev2", &r, &e), 0);
    assert_int_equal(r.n, 1);
    assert_int_equal(r.v[0].line, 2);
    na_kh_result_free(&r);
    char cmd[900];
    snprintf(cmd, sizeof cmd, "/usr/bin/ssh-keygen -F '[dev1]:2222' -f '%s' | grep -q 'added "
             "by netauto' && /usr/bin/ssh-keygen -F dev2 -f '%s' >/dev/null", a, b);
    assert_int_equal(sh(cmd), 0);
    /* an unreadable file is an error, not an empty one */
    if (geteuid() != 0) {
        chmod(b, 0);
        assert_int_equal(na_kh_lookup(files, 3, "dev2", &r, &e), -1);
        assert_int_equal(e.code, NA_E_IO);
        na_kh_result_free(&r);
        chmod(b, 0600);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(same_lines_as_ssh_keygen),
        cmocka_unit_test(lookup_names),
        cmocka_unit_test(several_files_append_and_cache),
    };
    return cmocka_run_group_tests_name("knownhosts", tests, setup, teardown);
}
