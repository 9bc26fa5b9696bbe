/* sim_fchan_int.h — the simulator's file channels: an SSH channel of a connection that serves
 * SCP ("scp -t PATH" / "scp -f PATH" exec requests, sim_scp.c) or SFTP (the "sftp" subsystem,
 * sim_sftp.c) on the device's flash (sim_flash.h), next to the terminal's channel or alone (as
 * OpenSSH's scp opens it). sim_fchan.c opens and claims channels, routes libssh's callbacks,
 * pumps the protocols after every poll and closes channels; the hooks in sim_ssh.c and sim_srv.c
 * are the functions at the end. Internal to the simulator's server. */
#ifndef SIM_FCHAN_INT_H
#define SIM_FCHAN_INT_H

#include "sim_flash.h"
#include "sim_srv_int.h"

#define WITH_SERVER 1 /* libssh's server side of SFTP (declared only then) */
#include <libssh/sftp.h>

typedef enum { FC_NEW = 0, FC_SCP, FC_SFTP } fc_kind;

typedef struct sim_fchan sim_fchan;
struct sim_fchan {
    sim_conn *c;
    ssh_channel ch;
    struct ssh_channel_callbacks_struct cb;
    fc_kind kind;
    bool peer_eof;            /* the client sent EOF */
    bool peer_closed;         /* ... or closed the channel */
    bool done;                /* the protocol ended: exit status, EOF and close sent */
    int exit_status;
    /* bytes to send (protocol replies, file data), in order */
    na_buf out;
    /* SCP (sim_scp.c) */
    struct {
        bool sink;            /* -t: the client uploads */
        char *target;         /* the path given */
        int st;
        char line[1100];
        size_t line_len;
        sim_ffile *ff;
        uint64_t size, off;
        int werr;             /* a write failed with this errno: reported at the end */
        char name[256];
        bool ack_wait;        /* source: waiting for the client's zero byte */
    } scp;
    /* SFTP (sim_sftp.c) */
    struct {
        sftp_session sftp;
        bool inited;
        size_t ready;         /* complete packets in the channel's buffer (from its start) */
        uint64_t moved;       /* payload bytes moved (the stall fault counts these) */
        void *open;           /* handles the client has open (sim_sftp.c's list) */
    } sftp;
    sim_fchan *next;
};

/* sim_fchan.c helpers for the protocols */
/* Queue bytes to send. 0, or -1 (the channel is broken: it closes). */
int sim_fchan_send(sim_fchan *fc, const void *p, size_t n);
/* End the protocol: exit status, EOF, close (once the queued bytes are out). */
void sim_fchan_finish(sim_fchan *fc, int exit_status);
/* Can the connection take more output now (window and libssh's socket buffer)? */
size_t sim_fchan_room(sim_fchan *fc);

/* sim_scp.c */
int sim_scp_start(sim_fchan *fc, const char *cmd); /* 0, -1 not an scp command we serve */
size_t sim_scp_input(sim_fchan *fc, const char *p, size_t n); /* bytes consumed */
void sim_scp_pump(sim_fchan *fc);
void sim_scp_free(sim_fchan *fc);

/* sim_sftp.c */
int sim_sftp_start(sim_fchan *fc);
size_t sim_sftp_input(sim_fchan *fc, const char *p, size_t n); /* counts packets, takes none */
void sim_sftp_pump(sim_fchan *fc);
void sim_sftp_free(sim_fchan *fc);

/* ---- hooks for sim_ssh.c / sim_srv.c -------------------------------------------------------- */
/* A new channel while the terminal's is taken: a channel for files only. NULL = refused. */
ssh_channel sim_fchan_open(sim_conn *c, ssh_session ss);
/* An exec request / subsystem request on the terminal's channel: 1 it is a file channel now
 * (the caller forgets it), 0 not ours, -1 refused (the server is off). */
int sim_fchan_claim_exec(sim_conn *c, ssh_channel ch, const char *cmd);
int sim_fchan_claim_subsystem(sim_conn *c, ssh_channel ch, const char *name);
/* After every poll of the connection: advance every file channel, free the finished ones. */
void sim_fchan_pump(sim_conn *c);
bool sim_fchan_any(const sim_conn *c);
void sim_fchan_free_all(sim_conn *c);

#endif
