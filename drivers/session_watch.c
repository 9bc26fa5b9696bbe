/* session_watch.c — arms a core event watch (core/evwatch.h) for what a session's operation in
 * progress waits for: its fd, direction and deadline. The glue the runner and netautod's pool use
 * to drive sessions from one libevent loop. Not an event loop and not a scheduler. */
#include "evwatch.h"
#include "session.h"

int na_evwatch_session(na_evwatch *w, const na_session *s, int64_t cap_deadline_ms, bool reassign,
                       na_err *err)
{
    int64_t deadline = na_session_deadline(s);
    if (cap_deadline_ms > 0 && (deadline <= 0 || cap_deadline_ms < deadline))
        deadline = cap_deadline_ms;
    return na_evwatch_arm(w, na_session_fd(s), na_session_want(s), deadline, reassign, err);
}
