/* replaytest.c — shared pieces of the replay-driven unit tests (see replaytest.h). */
#include "replaytest.h"
#include "clock.h"
#include "secret.h"

#include <poll.h>
#include <stddef.h>

const na_conn_params rt_params = {
    .name = "sw1",
    .host = "127.0.0.1",
    .username = "admin",
    .password = "lab-pass-1",
};

na_platforms *rt_platforms;

int rt_platforms_setup(void **state)
{
    (void)state;
    rt_platforms = na_platforms_new(NULL, 0, NULL);
    return rt_platforms ? 0 : -1;
}

int rt_platforms_teardown(void **state)
{
    (void)state;
    na_platforms_free(rt_platforms);
    rt_platforms = NULL;
    na_secret_clear_registry();
    return 0;
}

na_status rt_channel_run(na_channel *c, na_expect *x, na_err *err)
{
    na_channel_begin(c, x);
    for (;;) {
        na_status st = na_channel_step(c, err);
        if (st != NA_AGAIN)
            return st;
        struct pollfd p = {.fd = na_channel_fd(c), .events = POLLIN};
        int64_t ms = na_ms_until(na_channel_wake(c));
        poll(&p, 1, ms < 0 ? 1000 : (int)ms);
    }
}
