/* sim_flash.h — each simulated device's flash file system (docs/simulator.md): a directory on
 * the host (DIR/NAME/flash with --state-dir, else under a private temporary directory removed at
 * exit) with a capacity, the CLI commands that look at it (dir, verify /md5 | /sha256 | /sha512,
 * show file ... md5sum, delete, rename / move; the SCP and SFTP server switches), the
 * --opt/--fault settings for files (flash-size, scp-server=off, xfer-stall, xfer-corrupt,
 * xfer-full) and what the SCP and SFTP servers (sim_scp.c, sim_sftp.c) use to read and write it.
 * Flat: no subdirectories. Not the SSH server. */
#ifndef SIM_FLASH_H
#define SIM_FLASH_H

#include "buf.h"
#include "err.h"
#include "sim_cmd.h"
#include "sim_device.h"
#include "sim_opts.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

typedef struct sim_flash sim_flash;

/* The device's flash (created on first use; NULL only when out of memory). */
sim_flash *sim_flash_of(sim_device *d);
/* Free it and remove its directory when it was a temporary one. NULL is fine. */
void sim_flash_free(sim_flash *f);

/* ---- options and faults (hooks in sim_opts.c) --------------------------------------------- */

/* Is kind[0..kl) one of the flash's --opt / --fault names? 1 (f filled like sim_opts does),
 * 0 not one of ours, -1 + err (a bad value). */
int sim_flash_parse_opt(const char *spec, const char *kind, size_t kl, const char *arg,
                        bool is_opt, sim_faultspec *f, na_err *err);
/* Apply one: 1 done, 0 not ours, -1 + err. */
int sim_flash_apply(sim_device *d, const sim_faultspec *f, na_err *err);
/* Usage lines for --help. */
void sim_flash_usage(FILE *out);

/* ---- the CLI (hooks in sim_cmds.c and sim_runcfg.c) --------------------------------------- */
extern const sim_cmd sim_flash_cmds[];
extern const size_t sim_flash_ncmds;
/* Running-config lines of the file servers ("ip scp server enable", "feature scp-server"). */
int sim_flash_runcfg(const sim_device *d, na_buf *out, na_err *err);

/* ---- the file servers' side ------------------------------------------------------------------ */

/* Is the device's SCP / SFTP server on? */
bool sim_flash_scp_on(sim_device *d);
bool sim_flash_sftp_on(sim_device *d);
/* A path as the SCP/SFTP server sees it ("flash:x", "flash:/x", "/mnt/flash/x", "x") to the
 * host file (into host) and the file's name. 0, or -1 (not on this flash, or not a plain name). */
int sim_flash_resolve(sim_device *d, const char *path, char *host, size_t cap, char *name,
                      size_t ncap);

/* An open file being written or read by a transfer, with the device's faults applied. */
typedef struct sim_ffile sim_ffile;
/* Open for writing (create; trunc: empty it first) / for reading. NULL + *eno (errno). */
sim_ffile *sim_ffile_write(sim_device *d, const char *path, bool trunc, int mode, int *eno);
sim_ffile *sim_ffile_read(sim_device *d, const char *path, int *eno);
/* Write n bytes at off: 0, or -1 with *eno (ENOSPC past the capacity or the xfer-full fault). */
int sim_ffile_pwrite(sim_ffile *ff, uint64_t off, const void *p, size_t n, int *eno);
/* Read up to n bytes at off into p (the corrupt fault applied): bytes read, -1 + *eno. */
ssize_t sim_ffile_pread(sim_ffile *ff, uint64_t off, void *p, size_t n, int *eno);
/* Cut a file being written to size bytes. 0, or -1 + *eno. */
int sim_ffile_truncate(sim_ffile *ff, uint64_t size, int *eno);
uint64_t sim_ffile_size(const sim_ffile *ff);
int sim_ffile_mode(const sim_ffile *ff);
/* How many more payload bytes this transfer may move before the stall fault stops it
 * (UINT64_MAX: no fault). moved: bytes this transfer moved so far. */
uint64_t sim_ffile_stall_left(const sim_ffile *ff, uint64_t moved);
void sim_ffile_close(sim_ffile *ff);

/* Flash metadata a server may need: stat (0 / -1 + errno), remove, rename (replacing). */
int sim_flash_stat(sim_device *d, const char *path, uint64_t *size, int *mode);
int sim_flash_remove(sim_device *d, const char *path);
int sim_flash_rename(sim_device *d, const char *from, const char *to);

#endif
