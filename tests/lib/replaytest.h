/* replaytest.h — what the unit tests that replay transcripts through the channel and the session
 * share (test_channel.c, test_session.c, test_golden.c): the connection parameters of the
 * replayed device, the built-in platform registry as a cmocka group setup, and one channel
 * exchange driven to its end with poll(), as the blocking session wrapper drives it. Not a test
 * framework (cmocka is) and not a fake device (drivers/replay.h plays the recordings). */
#ifndef NA_REPLAYTEST_H
#define NA_REPLAYTEST_H

#include "channel.h"
#include "err.h"
#include "platform.h"
#include "transport.h"

/* Device sw1 at 127.0.0.1, user admin, password lab-pass-1. */
extern const na_conn_params rt_params;

/* The built-in platforms, loaded by rt_platforms_setup() (a cmocka group setup: 0 or -1) and
 * freed by rt_platforms_teardown(), which also empties the secret registry. */
extern na_platforms *rt_platforms;
int rt_platforms_setup(void **state);
int rt_platforms_teardown(void **state);

/* na_channel_begin(c, x), then step until the exchange ends, waiting with poll() for the
 * channel's fd or its wake time in between. Returns the last step's status (never NA_AGAIN). */
na_status rt_channel_run(na_channel *c, na_expect *x, na_err *err);

#endif
