/* fuzz_vtnorm.c — fuzz target: the terminal normaliser (vtnorm.h) over the input as device
 * output. The whole input normalised in one call is the reference; then the same bytes fed in
 * pieces (split points drawn from the input's hash), and byte by byte, must give exactly the same
 * text — including when, between pieces, the finished lines are consumed from the front of the
 * buffer the way the channel does (na_vtnorm_shifted). Checks on every call: the cursor stays in
 * the current line, the line start in the buffer, and the text grows by at most what was fed.
 * Not a test of the rules themselves (tests/unit/test_vtnorm.c). */
#include "fuzz.h"

#include "vtnorm.h"

#include <string.h>

#define BYTEWISE_MAX 8192

static void check_state(const na_vtnorm *v, const na_buf *b)
{
    FUZZ_CHECK(v->line_start <= b->len);
    FUZZ_CHECK(v->col <= b->len - v->line_start);
    FUZZ_CHECK(b->len == 0 || b->data[b->len] == '\0');
}

static void feed(na_vtnorm *v, na_buf *b, const char *p, size_t n)
{
    size_t before = b->len;
    na_err e = NA_ERR_INIT;
    FUZZ_CHECK(na_vtnorm_feed(v, b, p, n, "fuzz", &e) == 0);
    FUZZ_CHECK(b->len <= before + n);
    check_state(v, b);
}

int fuzz_vtnorm(const uint8_t *data, size_t size)
{
    fuzz_init();
    const char *in = (const char *)data;
    size_t ref_len = 0;
    char *ref = na_vtnorm_string(in, size, &ref_len);
    FUZZ_CHECK(ref != NULL);
    FUZZ_CHECK(ref_len <= size);

    /* random pieces; every few pieces drop the finished lines from the front */
    fuzz_rng rng;
    fuzz_rng_seed(&rng, data, size);
    na_vtnorm v;
    na_vtnorm_init(&v);
    na_buf b, gone;
    na_buf_init(&b, size + 1);
    na_buf_init(&gone, size + 1);
    size_t off = 0;
    while (off < size) {
        size_t k = fuzz_rng_len(&rng, 64);
        if (k > size - off)
            k = size - off;
        feed(&v, &b, in + off, k);
        off += k;
        if (fuzz_rng_next(&rng) % 4 == 0 && v.line_start > 0) {
            size_t drop = fuzz_rng_next(&rng) % (v.line_start + 1);
            na_err e = NA_ERR_INIT;
            FUZZ_CHECK(na_buf_append(&gone, b.data, drop, NULL, &e) == 0);
            na_buf_consume(&b, drop);
            na_vtnorm_shifted(&v, drop);
            check_state(&v, &b);
        }
    }
    FUZZ_CHECK(gone.len + b.len == ref_len);
    FUZZ_CHECK(memcmp(gone.data ? gone.data : "", ref, gone.len) == 0);
    FUZZ_CHECK(memcmp(b.data ? b.data : "", ref + gone.len, b.len) == 0);
    na_buf_free(&b);
    na_buf_free(&gone);

    /* one byte at a time */
    if (size <= BYTEWISE_MAX) {
        na_vtnorm_init(&v);
        na_buf_init(&b, size + 33); /* room for the 32 bytes fed after the cut */
        for (size_t i = 0; i < size; i++)
            feed(&v, &b, in + i, 1);
        FUZZ_CHECK(b.len == ref_len && memcmp(b.data ? b.data : "", ref, ref_len) == 0);
        /* a pager cut at the line start, as the channel makes it, then more text */
        na_buf_truncate(&b, v.line_start);
        na_vtnorm_truncated(&v, &b);
        check_state(&v, &b);
        feed(&v, &b, in, size < 32 ? size : 32);
        na_buf_free(&b);
    }

    /* a ceiling too small: fails with OVERFLOW, never writes past it */
    if (ref_len > 1) {
        na_vtnorm_init(&v);
        na_buf_init(&b, ref_len / 2);
        na_err e = NA_ERR_INIT;
        int rc = na_vtnorm_feed(&v, &b, in, size, "small", &e);
        FUZZ_CHECK(b.len <= ref_len / 2);
        FUZZ_CHECK(rc < 0 && e.code == NA_E_OVERFLOW);
        na_buf_free(&b);
    }
    free(ref);
    fuzz_done();
    return 0;
}

#ifdef NA_LIBFUZZER
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fuzz_vtnorm(data, size);
}
#endif
