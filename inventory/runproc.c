/* runproc.c — run one local program with a deadline and bounded output (runproc.h): fork + exec
 * in a new process group, stdout/stderr through pipes, exec failures reported through a
 * close-on-exec pipe, and the waits done with poll() on the pipes and a pidfd until the deadline.
 * Not a shell and not asynchronous: the caller waits for the program. */
#include "runproc.h"
#include "clock.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static void child(char *const argv[], int out_w, int err_w, int st_w)
{
    setpgid(0, 0);
    int nul = open("/dev/null", O_RDONLY);
    if (nul >= 0 && nul != 0) {
        dup2(nul, 0);
        close(nul);
    }
    if (out_w != 1) {
        dup2(out_w, 1);
        close(out_w);
    }
    if (err_w != 2) {
        dup2(err_w, 2);
        close(err_w);
    }
    /* every other inherited descriptor closes on exec, except the status pipe (cloexec) */
    for (int fd = 3; fd < 1024; fd++)
        if (fd != st_w)
            close(fd);
    signal(SIGPIPE, SIG_DFL);
    execv(argv[0], argv);
    int e = errno;
    ssize_t w = write(st_w, &e, sizeof e);
    (void)w;
    _exit(127);
}

static void kill_group(pid_t pid)
{
    kill(-pid, SIGKILL);
    kill(pid, SIGKILL);
}

int na_proc_run(const char *what, char *const argv[], const na_proc_opts *o, na_buf *out,
                na_buf *errtext, int *status, na_err *err)
{
    int po[2] = {-1, -1}, pe[2] = {-1, -1}, ps[2] = {-1, -1};
    if (pipe2(po, O_CLOEXEC) < 0 || pipe2(pe, O_CLOEXEC) < 0 || pipe2(ps, O_CLOEXEC) < 0) {
        int e = errno;
        for (int i = 0; i < 2; i++) {
            if (po[i] >= 0)
                close(po[i]);
            if (pe[i] >= 0)
                close(pe[i]);
            if (ps[i] >= 0)
                close(ps[i]);
        }
        return na_err_set(err, NA_E_IO, "%s: cannot create pipes: %s", what, strerror(e));
    }
    pid_t pid = fork();
    if (pid < 0) {
        int e = errno;
        for (int i = 0; i < 2; i++) {
            close(po[i]);
            close(pe[i]);
            close(ps[i]);
        }
        return na_err_set(err, NA_E_IO, "%s: cannot start: %s", what, strerror(e));
    }
    if (pid == 0)
        child(argv, po[1], pe[1], ps[1]);
    setpgid(pid, pid); /* also in the parent: no race with kill(-pid) */
    close(po[1]);
    close(pe[1]);
    close(ps[1]);

    /* did exec work? (EOF: yes; an errno: no) */
    int exec_errno = 0;
    ssize_t r;
    do
        r = read(ps[0], &exec_errno, sizeof exec_errno);
    while (r < 0 && errno == EINTR);
    close(ps[0]);
    if (r == (ssize_t)sizeof exec_errno) {
        close(po[0]);
        close(pe[0]);
        waitpid(pid, NULL, 0);
        return na_err_set(err, NA_E_IO, "%s: cannot run %s: %s", what, argv[0],
                          strerror(exec_errno));
    }

    int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
    int64_t deadline = na_now_ms() + (o->timeout_ms > 0 ? o->timeout_ms : 60000);
    bool out_open = true, err_open = true, exited = false;
    int rc = 0, wst = 0;
    char buf[65536];
    while (rc == 0 && (out_open || err_open || !exited)) {
        struct pollfd pf[3];
        int n = 0, io = -1, ie = -1, ip = -1;
        if (out_open) {
            pf[n] = (struct pollfd){.fd = po[0], .events = POLLIN};
            io = n++;
        }
        if (err_open) {
            pf[n] = (struct pollfd){.fd = pe[0], .events = POLLIN};
            ie = n++;
        }
        if (!exited && pidfd >= 0) {
            pf[n] = (struct pollfd){.fd = pidfd, .events = POLLIN};
            ip = n++;
        }
        if (!exited && pidfd < 0 && !out_open && !err_open) {
            /* no pidfd (old kernel): the pipes are closed, so the program is ending */
            if (waitpid(pid, &wst, 0) == pid)
                exited = true;
            continue;
        }
        int64_t left = deadline - na_now_ms();
        if (left <= 0) {
            rc = na_err_set(err, NA_E_TIMEOUT, "%s did not finish within %d s", what,
                            (o->timeout_ms > 0 ? o->timeout_ms : 60000) / 1000);
            break;
        }
        int pr = poll(pf, (nfds_t)n, left > 1000000 ? 1000000 : (int)left);
        if (pr < 0 && errno == EINTR)
            continue;
        if (pr < 0) {
            rc = na_err_set(err, NA_E_IO, "%s: poll: %s", what, strerror(errno));
            break;
        }
        if (io >= 0 && pf[io].revents) {
            ssize_t k = read(po[0], buf, sizeof buf);
            if (k > 0) {
                if (out->len + (size_t)k > o->max_out)
                    rc = na_err_set(err, NA_E_OVERFLOW, "%s printed more than %zu bytes", what,
                                    o->max_out);
                else if (na_buf_append(out, buf, (size_t)k, what, err) < 0)
                    rc = -1;
            } else if (k == 0 || (errno != EINTR && errno != EAGAIN)) {
                out_open = false;
            }
        }
        if (rc == 0 && ie >= 0 && pf[ie].revents) {
            ssize_t k = read(pe[0], buf, sizeof buf);
            if (k > 0) {
                if (errtext && errtext->len < o->max_err) {
                    size_t room = o->max_err - errtext->len;
                    if (na_buf_append(errtext, buf, (size_t)k < room ? (size_t)k : room, what,
                                      NULL) < 0) {
                        /* stderr is kept only as far as it fits: it is for the message */
                    }
                }
            } else if (k == 0 || (errno != EINTR && errno != EAGAIN)) {
                err_open = false;
            }
        }
        if (rc == 0 && ip >= 0 && pf[ip].revents) {
            pid_t w = waitpid(pid, &wst, WNOHANG);
            if (w == pid)
                exited = true;
        }
    }
    if (rc < 0) {
        kill_group(pid);
        waitpid(pid, NULL, 0);
    } else {
        if (WIFEXITED(wst))
            *status = WEXITSTATUS(wst);
        else if (WIFSIGNALED(wst))
            *status = 128 + WTERMSIG(wst);
        else
            *status = 255;
    }
    if (pidfd >= 0)
        close(pidfd);
    close(po[0]);
    close(pe[0]);
    return rc;
}
