/* session_copy_int.h — the state of one verified file copy (session_copy.c), shared with its
 * local side (session_copy_local.c: the source's digest, the part file's name, the local
 * directory of a get). Private to those two files; the API is session_files.h. */
#ifndef NETAUTO_SESSION_COPY_INT_H
#define NETAUTO_SESSION_COPY_INT_H

#include "session_files.h"

#include "ssh.h"

#include <stdbool.h>
#include <stdint.h>

typedef enum {
    CP_START = 0, /* local side: digest of the source (put), directory of the destination (get) */
    CP_CHECK,     /* the protocol's server check on the device */
    CP_DIGEST,    /* the device's digest of the destination (put) or of the source (get) */
    CP_FREE,      /* put: free space where the file goes */
    CP_XFER,      /* the bytes */
    CP_VERIFY,    /* put: the device's digest of the part file */
    CP_REMOVE,    /* put: the old destination goes (when rename does not replace) */
    CP_RENAME,    /* put: the part file becomes the destination */
    CP_CLEAN,     /* put, after a failure: the part file goes */
    CP_DONE,
    CP_FAILED,
} cp_state;

struct na_copy {
    na_session *s;
    const na_platform *plat;
    const na_pfiles *f;
    na_copy_opts o;
    char *local, *remote, *name;     /* owned copies */
    char *part;                      /* put: the part file on the device; get: the local one */
    char *made_dir;                  /* get: the top-most local directory this copy made (it
                                        goes again, with those under it, when the get fails) */
    char dir[1024];                  /* put: the destination's directory on the device */
    cp_state st;
    bool kick;                       /* started, not stepped: the deadline is "now" */
    int proto_i;                     /* index into f->protocols while choosing (auto) */
    int proto;                       /* NA_PF_* chosen */
    na_hash_alg alg;
    int cmd_timeout_ms;
    /* a device command in flight */
    bool in_cmd;
    na_status cmd_st;
    na_err cmd_err;
    na_result res;
    /* the transfer */
    na_ssh_xfer *x;
    na_hash tap;                     /* get: digest of the bytes as they arrive */
    int64_t xfer_t0;
    /* outcome */
    na_copy_result r;
    na_err fail;                     /* the error a failure ends with (kept through CP_CLEAN) */
    int64_t t0_ms;
    char what[64];                   /* "put" / "get", for messages */
};

static inline const char *cp_who(const na_copy *c) { return na_session_name(c->s); }

/* put: digest and size of the source, the part file's name; get: the part file's name, the
 * local directory checked (not made). 0, or -1 with err set. */
int na_sess_cp_local_side(na_copy *c, na_err *err);
/* get: the local directory checked (make false) or made (make true; c->made_dir). */
int na_sess_cp_local_dir(na_copy *c, bool make, na_err *err);
/* A failed get: the directories it made go again while empty. */
void na_sess_cp_unmake_dir(na_copy *c);

#endif
