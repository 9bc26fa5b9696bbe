/* session_side.c — a session's side channels (session_files.h): a command on an exec channel and
 * a raw upload, on the SSH connection the session already has, so the layers above reach exec and
 * SCP through the session. Thin wrappers over drivers/ssh.h. Not the copy with verification
 * (session_copy.c). */
#include "session_files.h"
#include "ssh.h"

#include <stdlib.h>

struct na_sexec {
    na_ssh_exec *x;
};

struct na_supload {
    na_ssh_xfer *x;
};

bool na_session_has_ssh(const na_session *s)
{
    return na_is_ssh(na_session_transport(s));
}

int na_session_side_fd(const na_session *s)
{
    na_transport *t = na_session_transport(s);
    return t->ops->fd(t);
}

int na_session_side_want(const na_session *s)
{
    na_transport *t = na_session_transport(s);
    return t->ops->want(t);
}

na_sexec *na_session_exec_start(na_session *s, const char *cmd, int timeout_ms, na_err *err)
{
    na_sexec *e = calloc(1, sizeof *e);
    if (!e) {
        na_err_set(err, NA_E_NOMEM, "out of memory");
        return NULL;
    }
    na_ssh_exec_opts o = {.timeout_ms = timeout_ms};
    if (!(e->x = na_ssh_exec_start(na_session_transport(s), cmd, &o, err))) {
        free(e);
        return NULL;
    }
    return e;
}

na_status na_sexec_step(na_sexec *x, na_err *err) { return na_ssh_exec_step(x->x, err); }
int64_t na_sexec_deadline(const na_sexec *x) { return na_ssh_exec_deadline(x->x); }
const na_buf *na_sexec_stdout(const na_sexec *x) { return na_ssh_exec_stdout(x->x); }
const na_buf *na_sexec_stderr(const na_sexec *x) { return na_ssh_exec_stderr(x->x); }
int na_sexec_exit_status(const na_sexec *x) { return na_ssh_exec_exit_status(x->x); }
const char *na_sexec_exit_signal(const na_sexec *x) { return na_ssh_exec_exit_signal(x->x); }

void na_sexec_free(na_sexec *x)
{
    if (!x)
        return;
    na_ssh_exec_free(x->x);
    free(x);
}

na_supload *na_session_upload_start(na_session *s, const char *local, const char *remote,
                                    int mode, int timeout_ms, na_err *err)
{
    na_supload *u = calloc(1, sizeof *u);
    if (!u) {
        na_err_set(err, NA_E_NOMEM, "out of memory");
        return NULL;
    }
    na_ssh_put_opts o = {.local_path = local, .mode = mode, .timeout_ms = timeout_ms};
    if (!(u->x = na_ssh_put_start(na_session_transport(s), remote, &o, err))) {
        free(u);
        return NULL;
    }
    return u;
}

na_status na_supload_step(na_supload *u, na_err *err) { return na_ssh_xfer_step(u->x, err); }
int64_t na_supload_deadline(const na_supload *u) { return na_ssh_xfer_deadline(u->x); }

void na_supload_free(na_supload *u)
{
    if (!u)
        return;
    na_ssh_xfer_free(u->x);
    free(u);
}
