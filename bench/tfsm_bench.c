/* tfsm_bench.c — the parse benchmark's engine-only run (bench/run.sh, section parse): reads a
 * TextFSM template and a text file, then times na_tfsm_parse alone (CPU time of this process,
 * reading the files excluded, like bench/textfsm_parse.py times python3-textfsm's ParseText)
 * and prints {"records": N, "parse_s": S, "result_bytes": B} as its last line. Not a test.
 *
 *   tfsm_bench TEMPLATE FILE */
#include "tfsm.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double cpu_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: tfsm_bench TEMPLATE FILE\n");
        return 2;
    }
    na_err e = NA_ERR_INIT;
    na_tfsm *t = na_tfsm_load_file(argv[1], &e);
    FILE *f = t ? fopen(argv[2], "rb") : NULL;
    if (!f) {
        fprintf(stderr, "tfsm_bench: %s\n", t ? argv[2] : e.msg);
        return 1;
    }
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    rewind(f);
    char *text = malloc(n > 0 ? (size_t)n : 1);
    size_t got = text ? fread(text, 1, (size_t)n, f) : 0;
    fclose(f);
    if (!text || got != (size_t)n) {
        fprintf(stderr, "tfsm_bench: cannot read %s\n", argv[2]);
        return 1;
    }
    double t0 = cpu_s();
    na_tfsm_result *r = na_tfsm_parse(t, text, got, NULL, &e);
    double t1 = cpu_s();
    if (!r) {
        fprintf(stderr, "tfsm_bench: %s\n", e.msg);
        return 1;
    }
    printf("{\"records\": %zu, \"parse_s\": %.4f}\n", na_tfsm_result_rows(r), t1 - t0);
    na_tfsm_result_free(r);
    na_tfsm_free(t);
    free(text);
    return 0;
}
