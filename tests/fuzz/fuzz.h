/* fuzz.h — netauto's fuzz targets. Each tests/fuzz/fuzz_<name>.c defines
 *     int fuzz_<name>(const uint8_t *data, size_t size);
 * which feeds one input to one parser (or protocol path) and checks its invariants, aborting
 * (FUZZ_CHECK) when one breaks. Built with clang -DNA_LIBFUZZER, each file also defines
 * LLVMFuzzerTestOneInput (tests/fuzz/run.sh, `make fuzz`); built with gcc into libtestutil.a,
 * tests/unit/test_fuzz_regress.c runs every target over tests/fuzz/corpus/<name>/ and
 * tests/fuzz/regressions/<name>/ in `make test`. Targets are deterministic, bounded in time and memory per input, print nothing
 * and leave no state behind (the secret registry is cleared after each input).
 * Not a test framework: plain functions and a table. */
#ifndef NA_FUZZ_H
#define NA_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int fuzz_inventory(const uint8_t *data, size_t size); /* inventory YAML, --limit patterns */
int fuzz_playbook(const uint8_t *data, size_t size);  /* playbook YAML, validate, expand */
int fuzz_template(const uint8_t *data, size_t size);  /* {{ }} templates and expressions */
int fuzz_platform(const uint8_t *data, size_t size);  /* platform YAML */
int fuzz_telnet(const uint8_t *data, size_t size);    /* Telnet receive path, socketpair */
int fuzz_vtnorm(const uint8_t *data, size_t size);    /* normaliser, split invariance */
int fuzz_channel(const uint8_t *data, size_t size);   /* expect loop over fuzzed output */
int fuzz_session(const uint8_t *data, size_t size);   /* driver over a fuzzed replay */
int fuzz_daemon(const uint8_t *data, size_t size);    /* POST /v1/jobs, /v1/commands bodies */
int fuzz_vlans(const uint8_t *data, size_t size);     /* show vlan brief parser, planner */
int fuzz_textfsm(const uint8_t *data, size_t size);   /* TextFSM templates, parse, index */
int fuzz_pyre(const uint8_t *data, size_t size);      /* Python regexes on PCRE2 */
int fuzz_textfsm_diff(const uint8_t *data, size_t size); /* vs python3-textfsm (oracle) */
int fuzz_sshfiles(const uint8_t *data, size_t size);  /* ssh_config and known_hosts files */
int fuzz_ansinv(const uint8_t *data, size_t size);    /* Ansible INI, literals, host patterns,
                                                         Ansible Vault envelopes */

/* Once per process: logging silenced (formatted, then dropped), vault passphrase variable unset
 * so nothing prompts or reads a vault. Idempotent. */
void fuzz_init(void);
/* After each input: forget registered secrets (the registry would otherwise fill up). */
void fuzz_done(void);

/* FUZZ_VERBOSE=1 in the environment: targets that have steps describe them on stderr (triage). */
int fuzz_verbose(void);

/* A NUL-terminated malloc'd copy of data (caller frees); aborts on OOM. */
char *fuzz_strndup(const uint8_t *data, size_t size);

/* A small deterministic generator (xorshift64*) for split points and choices. */
typedef struct fuzz_rng {
    uint64_t s;
} fuzz_rng;
void fuzz_rng_seed(fuzz_rng *r, const uint8_t *data, size_t size); /* FNV-1a of the input */
uint32_t fuzz_rng_next(fuzz_rng *r);
/* 1..max inclusive */
size_t fuzz_rng_len(fuzz_rng *r, size_t max);

/* A fixed inventory (loaded once, never freed) for --limit patterns and daemon limits. */
struct na_inventory;
const struct na_inventory *fuzz_fixed_inventory(void);

/* An invariant: report and abort so libFuzzer (or the regression test) sees a crash. */
#define FUZZ_CHECK(cond)                                                                      \
    do {                                                                                      \
        if (!(cond)) {                                                                        \
            fprintf(stderr, "%s:%d: fuzz invariant failed: %s\n", __FILE__, __LINE__, #cond); \
            abort();                                                                          \
        }                                                                                     \
    } while (0)

#endif
