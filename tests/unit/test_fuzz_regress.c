/* test_fuzz_regress.c — the fuzz targets (tests/fuzz/fuzz_*.c, built with gcc into
 * libtestutil.a) run over every file of tests/fuzz/corpus/<name>/ (the seed corpus: real
 * inventories, playbooks, platforms, transcripts, show outputs, requests) and
 * tests/fuzz/regressions/<name>/ (each input that once crashed, hung or leaked, kept after its
 * fix). A target aborts on a broken invariant, so a regression shows up as a crash of this
 * program (and under `make asan` as a sanitizer report). One test per target; it fails when a
 * target has no input at all. Not a fuzzer: `make fuzz` is. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "../fuzz/fuzz.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

typedef struct target {
    const char *name;
    int (*fn)(const uint8_t *data, size_t size);
} target;

static const target targets[] = {
    {"inventory", fuzz_inventory}, {"playbook", fuzz_playbook}, {"template", fuzz_template},
    {"platform", fuzz_platform},   {"telnet", fuzz_telnet},     {"vtnorm", fuzz_vtnorm},
    {"channel", fuzz_channel},     {"session", fuzz_session},   {"daemon", fuzz_daemon},
    {"vlans", fuzz_vlans},         {"sshfiles", fuzz_sshfiles}, {"ansinv", fuzz_ansinv},
    {"textfsm", fuzz_textfsm},     {"pyre", fuzz_pyre},         {"textfsm_diff", fuzz_textfsm_diff},
};

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Run fn over every regular file of dir (sorted, for a stable order); returns how many. */
static size_t run_dir(const target *t, const char *kind)
{
    const char *root = getenv("NETAUTO_ROOT");
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/tests/fuzz/%s/%s", root ? root : ".", kind, t->name);
    DIR *d = opendir(dir);
    if (!d)
        return 0;
    char **names = NULL;
    size_t n = 0, cap = 0;
    struct dirent *de;
    while ((de = readdir(d))) {
        if (de->d_name[0] == '.')
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 64;
            names = realloc(names, cap * sizeof *names);
            assert_non_null(names);
        }
        names[n] = strdup(de->d_name);
        assert_non_null(names[n]);
        n++;
    }
    closedir(d);
    if (n)
        qsort(names, n, sizeof *names, by_name);
    size_t ran = 0;
    for (size_t i = 0; i < n; i++) {
        char path[8192];
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        struct stat st;
        if (stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
            FILE *f = fopen(path, "rb");
            assert_non_null(f);
            uint8_t *buf = malloc((size_t)st.st_size + 1);
            assert_non_null(buf);
            size_t got = fread(buf, 1, (size_t)st.st_size, f);
            fclose(f);
            assert_int_equal(got, (size_t)st.st_size);
            /* name it first: if the target crashes, the log says on which input */
            fprintf(stderr, "# %s %s/%s\n", t->name, kind, names[i]);
            t->fn(buf, got);
            free(buf);
            ran++;
        }
        free(names[i]);
    }
    free(names);
    return ran;
}

static void run_target(void **st)
{
    const target *t = *st;
    size_t corpus = run_dir(t, "corpus");
    size_t regressions = run_dir(t, "regressions");
    printf("# %s: %zu corpus inputs, %zu regression inputs\n", t->name, corpus, regressions);
    assert_true(corpus + regressions > 0);
}

int main(void)
{
    enum { N = sizeof targets / sizeof targets[0] };
    struct CMUnitTest tests[N];
    for (size_t i = 0; i < N; i++)
        tests[i] = (struct CMUnitTest){.name = targets[i].name,
                                       .test_func = run_target,
                                       .initial_state = (void *)&targets[i]};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
