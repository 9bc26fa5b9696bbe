/* sim_flash.c — a simulated device's flash file system and the CLI commands that show it (see
 * sim_flash.h): files in a host directory with a capacity, `dir` with the listing and the free
 * space each personality prints, the device's own digests (IOS and EOS `verify /ALG`, NX-OS
 * `show file ... ALGsum`), delete, rename (IOS asks for the destination, as IOS does) and move,
 * the SCP/SFTP server switches in the configuration, and the file servers' reads and writes with
 * the faults applied (stall after N bytes, one corrupted byte, a full flash). Output formats
 * follow the recordings in tests/fixtures/files/. Not the SSH side (sim_fchan.c, sim_scp.c,
 * sim_sftp.c). */
#include "sim_flash.h"

#include "digest.h"
#include "sim_term_int.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define DEFAULT_SIZE ((unsigned long long)4 << 30)
#define NAME_MAX_LEN 200

struct sim_flash {
    sim_device *d;
    char *dir;                 /* host directory, NULL until first use */
    bool temp;                 /* under the process's temporary root */
    unsigned long long size;   /* capacity */
    unsigned long long used;   /* bytes in files */
    bool used_known;
    bool scp_off, sftp_off;
    bool f_stall, f_corrupt, f_full;
    unsigned long long stall_at, corrupt_at, full_at;
    /* IOS rename: the question in flight */
    sim_term *ask_term;
    char ask_src[NAME_MAX_LEN + 1];
};

struct sim_ffile {
    sim_flash *f;
    int fd;
    char host[4400];           /* its path on the host */
    na_hash md5;               /* written from the start in order: its md5 as it goes, so the
                                  device's `verify /md5` needs no second read (a device would
                                  read its flash; the simulator keeps the time for the sessions) */
    bool md5_on;
    bool writing;
    uint64_t size;             /* current size (writing: grows) */
    uint64_t written;          /* bytes this transfer wrote (xfer-full counts these) */
    int mode;
};

/* ---- the process's temporary root ------------------------------------------------------------ */

static char *temp_root;
static int temp_users;

static void rm_rf(const char *path)
{
    DIR *dd = opendir(path);
    if (dd) {
        struct dirent *de;
        while ((de = readdir(dd))) {
            if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
                continue;
            char p[4200];
            snprintf(p, sizeof p, "%s/%s", path, de->d_name);
            struct stat st;
            if (lstat(p, &st) == 0 && S_ISDIR(st.st_mode))
                rm_rf(p);
            else
                unlink(p);
        }
        closedir(dd);
    }
    rmdir(path);
}

/* ---- life cycle ------------------------------------------------------------------------------ */

sim_flash *sim_flash_of(sim_device *d)
{
    if (!d->flash) {
        sim_flash *f = calloc(1, sizeof *f);
        if (!f)
            return NULL;
        f->d = d;
        f->size = DEFAULT_SIZE;
        d->flash = f;
    }
    return d->flash;
}

/* The host directory, made on first use. */
static const char *fdir(sim_flash *f)
{
    if (f->dir)
        return f->dir;
    char path[4200];
    if (f->d->state_dir) {
        snprintf(path, sizeof path, "%s/flash", f->d->state_dir);
    } else {
        if (!temp_root) {
            char t[] = "/tmp/netauto-sim-flash.XXXXXX";
            if (!mkdtemp(t))
                return NULL;
            temp_root = strdup(t);
            if (!temp_root)
                return NULL;
        }
        snprintf(path, sizeof path, "%s/%s", temp_root, f->d->name);
        f->temp = true;
        temp_users++;
    }
    if (mkdir(path, 0700) < 0 && errno != EEXIST)
        return NULL;
    f->dir = strdup(path);
    return f->dir;
}

void sim_flash_free(sim_flash *f)
{
    if (!f)
        return;
    if (f->temp && f->dir) {
        rm_rf(f->dir);
        if (--temp_users == 0 && temp_root) {
            rmdir(temp_root);
            free(temp_root);
            temp_root = NULL;
        }
    }
    free(f->dir);
    free(f);
}

/* ---- options and faults ---------------------------------------------------------------------- */

static const struct {
    const char *name;
    bool opt;
    bool text;        /* a word; else a number */
    unsigned long long min, max;
} catalogue[] = {
    {"flash-size", true, false, 1, 1ULL << 50},
    {"scp-server", true, true, 0, 0},
    {"sftp-server", true, true, 0, 0},
    {"xfer-stall", false, false, 0, 1ULL << 50},
    {"xfer-corrupt", false, false, 0, 1ULL << 50},
    {"xfer-full", false, false, 0, 1ULL << 50},
};
#define NCAT (sizeof catalogue / sizeof *catalogue)

void sim_flash_usage(FILE *out)
{
    fputs("  --opt SEL:flash-size=BYTES, scp-server=on|off, sftp-server=on|off   the flash and\n"
          "                           its file servers (default 4 GiB, both on)\n"
          "  --fault SEL:xfer-stall=N  file transfers stop moving after N bytes\n"
          "  --fault SEL:xfer-corrupt=N  byte N of every file received or sent is flipped\n"
          "  --fault SEL:xfer-full=N   the flash is full after N bytes of a transfer\n",
          out);
}

int sim_flash_parse_opt(const char *spec, const char *kind, size_t kl, const char *arg,
                        bool is_opt, sim_faultspec *f, na_err *err)
{
    const char *what = is_opt ? "--opt" : "--fault";
    size_t k;
    for (k = 0; k < NCAT; k++)
        if (catalogue[k].opt == is_opt && strlen(catalogue[k].name) == kl &&
            !strncmp(catalogue[k].name, kind, kl))
            break;
    if (k == NCAT)
        return 0;
    if (!arg)
        return na_err_set(err, NA_E_USAGE, "%s %s: '%s' needs a value", what, spec,
                          catalogue[k].name);
    if (catalogue[k].text) {
        if (strcmp(arg, "on") && strcmp(arg, "off"))
            return na_err_set(err, NA_E_USAGE, "%s %s: '%s' is on or off", what, spec,
                              catalogue[k].name);
    } else {
        char *end;
        errno = 0;
        unsigned long long v = strtoull(arg, &end, 10);
        if (errno || *end || end == arg || v < catalogue[k].min || v > catalogue[k].max)
            return na_err_set(err, NA_E_USAGE, "%s %s: '%s' needs a number from %llu to %llu",
                              what, spec, catalogue[k].name, catalogue[k].min,
                              catalogue[k].max);
    }
    const char *colon = strchr(spec, ':');
    f->sel = strndup(spec, (size_t)(colon - spec));
    f->kind = strdup(catalogue[k].name);
    f->arg = strdup(arg);
    f->is_opt = is_opt;
    if (!f->sel || !f->kind || !f->arg)
        return na_err_set(err, NA_E_NOMEM, "out of memory");
    return 1;
}

int sim_flash_apply(sim_device *d, const sim_faultspec *fs, na_err *err)
{
    size_t k;
    for (k = 0; k < NCAT; k++)
        if (!strcmp(catalogue[k].name, fs->kind))
            break;
    if (k == NCAT)
        return 0;
    sim_flash *f = sim_flash_of(d);
    if (!f)
        return na_err_set(err, NA_E_NOMEM, "out of memory");
    unsigned long long v = fs->arg ? strtoull(fs->arg, NULL, 10) : 0;
    bool on = fs->arg && !strcmp(fs->arg, "on");
    switch (k) {
    case 0: f->size = v; break;
    case 1: f->scp_off = !on; break;
    case 2: f->sftp_off = !on; break;
    case 3: f->f_stall = true, f->stall_at = v; break;
    case 4: f->f_corrupt = true, f->corrupt_at = v; break;
    case 5: f->f_full = true, f->full_at = v; break;
    }
    return 1;
}

/* ---- paths ----------------------------------------------------------------------------------- */

static const char *fs_name(const sim_device *d)
{
    return d->persona == SIM_NXOS ? "bootflash:" : "flash:";
}

static bool plain_name(const char *s)
{
    if (!*s || strlen(s) > NAME_MAX_LEN || !strcmp(s, ".") || !strcmp(s, ".."))
        return false;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
              strchr("._+-=,@%~", *s)))
            return false;
    return true;
}

/* The file name in a device path, or NULL: "" for the file system itself. */
static const char *name_of(const sim_device *d, const char *path)
{
    const char *fs = fs_name(d);
    size_t fl = strlen(fs);
    if (!strncmp(path, fs, fl))
        path += fl;
    else if (d->persona == SIM_EOS && !strncmp(path, "/mnt/flash", 10))
        path += 10;          /* EOS's SCP and SFTP servers see flash: there */
    else if (strchr(path, ':'))
        return NULL;         /* another file system */
    while (*path == '/')
        path++;
    return path;
}

int sim_flash_resolve(sim_device *d, const char *path, char *host, size_t cap, char *name,
                      size_t ncap)
{
    sim_flash *f = sim_flash_of(d);
    const char *n = name_of(d, path);
    const char *dir = f ? fdir(f) : NULL;
    if (!n || !plain_name(n) || !dir)
        return -1;
    snprintf(host, cap, "%s/%s", dir, n);
    if (name)
        snprintf(name, ncap, "%s", n);
    return 0;
}

/* ---- space ----------------------------------------------------------------------------------- */

static unsigned long long used_now(sim_flash *f)
{
    if (f->used_known)
        return f->used;
    unsigned long long u = 0;
    const char *dir = fdir(f);
    DIR *dd = dir ? opendir(dir) : NULL;
    if (dd) {
        struct dirent *de;
        while ((de = readdir(dd))) {
            char p[4200];
            struct stat st;
            snprintf(p, sizeof p, "%s/%s", dir, de->d_name);
            if (de->d_name[0] != '.' && stat(p, &st) == 0 && S_ISREG(st.st_mode))
                u += (unsigned long long)st.st_size;
        }
        closedir(dd);
    }
    f->used = u;
    f->used_known = true;
    return u;
}

static unsigned long long free_now(sim_flash *f)
{
    unsigned long long u = used_now(f);
    return u >= f->size ? 0 : f->size - u;
}

/* ---- files for the servers ------------------------------------------------------------------- */

bool sim_flash_scp_on(sim_device *d)
{
    sim_flash *f = sim_flash_of(d);
    return f && !f->scp_off;
}

bool sim_flash_sftp_on(sim_device *d)
{
    sim_flash *f = sim_flash_of(d);
    return f && !f->sftp_off;
}

static sim_ffile *open_ff(sim_device *d, const char *path, int flags, int mode, bool writing,
                          int *eno)
{
    char host[4400];
    if (sim_flash_resolve(d, path, host, sizeof host, NULL, 0) < 0) {
        *eno = ENOENT;
        return NULL;
    }
    sim_ffile *ff = calloc(1, sizeof *ff);
    if (!ff) {
        *eno = ENOMEM;
        return NULL;
    }
    ff->f = sim_flash_of(d);
    ff->writing = writing;
    ff->fd = open(host, flags | O_CLOEXEC, mode ? mode & 0777 : 0644);
    struct stat st;
    if (ff->fd < 0 || fstat(ff->fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        *eno = ff->fd < 0 ? errno : EISDIR;
        if (ff->fd >= 0)
            close(ff->fd);
        free(ff);
        return NULL;
    }
    ff->size = (uint64_t)st.st_size;
    ff->mode = (int)(st.st_mode & 0777);
    ff->f->used_known = false;
    snprintf(ff->host, sizeof ff->host, "%s", host);
    ff->md5_on = writing && ff->size == 0 && na_hash_init(&ff->md5, NA_HASH_MD5, NULL) == 0;
    return ff;
}

sim_ffile *sim_ffile_write(sim_device *d, const char *path, bool trunc, int mode, int *eno)
{
    return open_ff(d, path, O_WRONLY | O_CREAT | (trunc ? O_TRUNC : 0), mode, true, eno);
}

sim_ffile *sim_ffile_read(sim_device *d, const char *path, int *eno)
{
    return open_ff(d, path, O_RDONLY, 0, false, eno);
}

int sim_ffile_pwrite(sim_ffile *ff, uint64_t off, const void *p, size_t n, int *eno)
{
    sim_flash *f = ff->f;
    uint64_t end = off + n;
    uint64_t grow = end > ff->size ? end - ff->size : 0;
    if ((f->f_full && ff->written + n > f->full_at) || (grow && grow > free_now(f))) {
        *eno = ENOSPC;
        return -1;
    }
    char tmp[65536];
    const char *src = p;
    if (f->f_corrupt && f->corrupt_at >= off && f->corrupt_at < end && n <= sizeof tmp) {
        memcpy(tmp, p, n);
        tmp[f->corrupt_at - off] ^= 0x20;
        src = tmp;
    }
    for (size_t done = 0; done < n;) {
        ssize_t w = pwrite(ff->fd, src + done, n - done, (off_t)(off + done));
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0) {
            *eno = errno;
            return -1;
        }
        done += (size_t)w;
    }
    ff->written += n;
    if (ff->md5_on && off == ff->md5.bytes)
        na_hash_update(&ff->md5, src, n);
    else if (ff->md5_on) { /* not in order: the digest is computed when asked */
        na_hash_free(&ff->md5);
        ff->md5_on = false;
    }
    if (end > ff->size) {
        f->used += end - ff->size;
        ff->size = end;
    }
    return 0;
}

ssize_t sim_ffile_pread(sim_ffile *ff, uint64_t off, void *p, size_t n, int *eno)
{
    ssize_t r;
    do
        r = pread(ff->fd, p, n, (off_t)off);
    while (r < 0 && errno == EINTR);
    if (r < 0) {
        *eno = errno;
        return -1;
    }
    sim_flash *f = ff->f;
    if (f->f_corrupt && f->corrupt_at >= off && f->corrupt_at < off + (uint64_t)r)
        ((char *)p)[f->corrupt_at - off] ^= 0x20;
    return r;
}

int sim_ffile_truncate(sim_ffile *ff, uint64_t size, int *eno)
{
    if (!ff->writing || ftruncate(ff->fd, (off_t)size) < 0) {
        *eno = ff->writing ? errno : EBADF;
        return -1;
    }
    if (ff->md5_on) {
        na_hash_free(&ff->md5);
        ff->md5_on = false;
    }
    ff->size = size;
    ff->f->used_known = false;
    return 0;
}

uint64_t sim_ffile_size(const sim_ffile *ff) { return ff->size; }
int sim_ffile_mode(const sim_ffile *ff) { return ff->mode; }

uint64_t sim_ffile_stall_left(const sim_ffile *ff, uint64_t moved)
{
    if (!ff->f->f_stall)
        return UINT64_MAX;
    return moved >= ff->f->stall_at ? 0 : ff->f->stall_at - moved;
}

void sim_ffile_close(sim_ffile *ff)
{
    if (!ff)
        return;
    close(ff->fd);
    if (ff->md5_on) {
        char hex[NA_HASH_HEX_MAX];
        if (ff->md5.bytes == ff->size && na_hash_final_hex(&ff->md5, hex, sizeof hex, NULL) == 0 &&
            na_hash_file_remember(ff->host, NA_HASH_MD5, hex) < 0) {
            /* the file went away meanwhile: nothing to remember */
        }
        na_hash_free(&ff->md5);
    }
    ff->f->used_known = false;
    free(ff);
}

int sim_flash_stat(sim_device *d, const char *path, uint64_t *size, int *mode)
{
    char host[4400];
    struct stat st;
    if (sim_flash_resolve(d, path, host, sizeof host, NULL, 0) < 0) {
        errno = ENOENT;
        return -1;
    }
    if (stat(host, &st) < 0)
        return -1;
    if (!S_ISREG(st.st_mode)) {
        errno = EISDIR;
        return -1;
    }
    *size = (uint64_t)st.st_size;
    *mode = (int)(st.st_mode & 0777);
    return 0;
}

int sim_flash_remove(sim_device *d, const char *path)
{
    char host[4400];
    if (sim_flash_resolve(d, path, host, sizeof host, NULL, 0) < 0) {
        errno = ENOENT;
        return -1;
    }
    sim_flash_of(d)->used_known = false;
    return unlink(host);
}

int sim_flash_rename(sim_device *d, const char *from, const char *to)
{
    char a[4400], b[4400];
    if (sim_flash_resolve(d, from, a, sizeof a, NULL, 0) < 0 ||
        sim_flash_resolve(d, to, b, sizeof b, NULL, 0) < 0) {
        errno = ENOENT;
        return -1;
    }
    struct stat st;
    if (stat(a, &st) < 0)
        return -1;
    return rename(a, b);
}

/* ---- the CLI --------------------------------------------------------------------------------- */

/* The path as the device prints it: "flash:NAME". */
static void shown(const sim_device *d, const char *name, char *out, size_t cap)
{
    snprintf(out, cap, "%s%s", fs_name(d), name);
}

static void no_such_file(sim_term *t, const char *verb, const char *path)
{
    switch (t->dev->persona) {
    case SIM_NXOS: sim_t_printf(t, "%s: No such file or directory\n", path); break;
    case SIM_EOS:
        sim_t_printf(t, "%% Error %s %s (No such file or directory)\n", verb, path);
        break;
    default: sim_t_printf(t, "%%Error %s %s (No such file or directory)\n", verb, path); break;
    }
}

static void list_one(sim_term *t, int idx, const char *name, const struct stat *st)
{
    unsigned long long sz = (unsigned long long)st->st_size;
    switch (t->dev->persona) {
    case SIM_NXOS:
        sim_t_printf(t, "%16llu    Aug 19 00:06:21 2021  %s\n", sz, name);
        break;
    case SIM_EOS:
        sim_t_printf(t, "       -rw-  %10llu            Jun 30  2021  %s\n", sz, name);
        break;
    default:
        sim_t_printf(t, "%6d  -rw-  %12llu  Mar 1 1993 00:07:10 +00:00  %s\n", idx, sz, name);
        break;
    }
}

static void dir_footer(sim_term *t, sim_flash *f)
{
    unsigned long long fr = free_now(f), used = f->size - fr;
    if (t->dev->persona == SIM_NXOS)
        sim_t_printf(t, "\nUsage for bootflash://sup-local\n%llu bytes used\n%llu bytes free\n"
                        "%llu bytes total\n", used, fr, f->size);
    else
        sim_t_printf(t, "\n%llu bytes total (%llu bytes free)\n", f->size, fr);
}

static void dir_path(sim_term *t, const char *arg)
{
    sim_flash *f = sim_flash_of(t->dev);
    const char *dir = f ? fdir(f) : NULL;
    const char *name = arg ? name_of(t->dev, arg) : "";
    if (!f || !dir || !name) {
        no_such_file(t, "opening", arg ? arg : "flash:");
        return;
    }
    if (*name) { /* one file: only the error when it is not there */
        char p[4200], sp[300];
        struct stat st;
        snprintf(p, sizeof p, "%s/%s", dir, name);
        if (!plain_name(name) || stat(p, &st) < 0 || !S_ISREG(st.st_mode)) {
            shown(t->dev, name, sp, sizeof sp);
            no_such_file(t, "opening", sp);
            return;
        }
    }
    if (t->dev->persona != SIM_NXOS)
        sim_t_printf(t, "Directory of %s/\n\n", fs_name(t->dev));
    int shown_any = 0;
    DIR *dd = opendir(dir);
    struct dirent *de;
    int idx = 2;
    while (dd && (de = readdir(dd))) {
        if (de->d_name[0] == '.' || (*name && strcmp(name, de->d_name)))
            continue;
        char p[4200];
        struct stat st;
        snprintf(p, sizeof p, "%s/%s", dir, de->d_name);
        if (stat(p, &st) == 0 && S_ISREG(st.st_mode)) {
            list_one(t, idx++, de->d_name, &st);
            shown_any++;
        }
    }
    if (dd)
        closedir(dd);
    (void)shown_any;
    dir_footer(t, f);
}

static void c_dir(sim_term *t, const sim_args *a)
{
    (void)a;
    dir_path(t, NULL);
}

static void c_dir_path(sim_term *t, const sim_args *a)
{
    char arg[512];
    sim_arg(a, 1, arg, sizeof arg);
    dir_path(t, arg);
}

/* The digest of a flash file, as the device prints it. */
static void digest_of(sim_term *t, na_hash_alg alg, const char *arg)
{
    char host[4400], name[NAME_MAX_LEN + 1], sp[300];
    if (sim_flash_resolve(t->dev, arg, host, sizeof host, name, sizeof name) < 0) {
        no_such_file(t, "opening", arg);
        return;
    }
    shown(t->dev, name, sp, sizeof sp);
    struct stat st;
    if (stat(host, &st) < 0 || !S_ISREG(st.st_mode)) {
        no_such_file(t, "opening", sp);
        return;
    }
    char hex[NA_HASH_HEX_MAX];
    na_err e = NA_ERR_INIT;
    if (na_hash_file(host, alg, hex, sizeof hex, NULL, &e) < 0) {
        sim_t_printf(t, "%%Error reading %s (%s)\n", sp, e.msg);
        return;
    }
    if (t->dev->persona == SIM_NXOS) {
        sim_t_printf(t, "%s\n", hex);
        return;
    }
    if (t->dev->persona == SIM_IOS) { /* a dot per MiB read, then Done! (IOS 15.9, IOS-XE) */
        unsigned long long dots = (unsigned long long)st.st_size >> 20;
        if (dots > 300)
            dots = 300;
        for (unsigned long long i = 0; i < dots; i++)
            sim_t_puts(t, (i + 1) % 75 ? "." : ".\n");
        sim_t_puts(t, "Done!\n");
    }
    sim_t_printf(t, "verify /%s (%s) = %s\n", na_hash_name(alg), sp, hex);
}

static void c_verify(sim_term *t, const sim_args *a)
{
    char arg[512], kw[16];
    sim_arg(a, 1, kw, sizeof kw); /* the keyword's full spelling: "/md5" */
    sim_arg(a, 2, arg, sizeof arg);
    na_hash_alg h = NA_HASH_MD5;
    if (na_hash_parse(kw + 1, &h) < 0)
        h = NA_HASH_MD5;
    digest_of(t, h, arg);
}

static void c_show_file_sum(sim_term *t, const sim_args *a)
{
    char arg[512], kw[16];
    sim_arg(a, 2, arg, sizeof arg);
    sim_arg(a, 3, kw, sizeof kw);
    if (strlen(kw) > 3)
        kw[strlen(kw) - 3] = '\0'; /* "md5sum" -> "md5" */
    na_hash_alg h;
    if (na_hash_parse(kw, &h) < 0)
        h = NA_HASH_MD5;
    digest_of(t, h, arg);
}

static void delete_path(sim_term *t, const char *arg)
{
    if (sim_flash_remove(t->dev, arg) < 0)
        no_such_file(t, "deleting", arg);
}

static void c_delete_force(sim_term *t, const sim_args *a)
{
    char arg[512];
    sim_arg(a, 2, arg, sizeof arg);
    delete_path(t, arg);
}

static void c_delete(sim_term *t, const sim_args *a)
{
    char arg[512];
    sim_arg(a, 1, arg, sizeof arg);
    delete_path(t, arg);
}

static void do_rename(sim_term *t, const char *from, const char *to)
{
    uint64_t sz;
    int mode;
    if (sim_flash_stat(t->dev, from, &sz, &mode) < 0) {
        no_such_file(t, "renaming", from);
        return;
    }
    if (sim_flash_rename(t->dev, from, to) < 0)
        sim_t_printf(t, "%%Error renaming %s (%s)\n", from, strerror(errno));
}

static void rename_answer(sim_term *t, const char *line)
{
    sim_flash *f = sim_flash_of(t->dev);
    if (!f || f->ask_term != t)
        return;
    f->ask_term = NULL;
    while (*line == ' ')
        line++;
    char to[NAME_MAX_LEN + 16];
    if (*line)
        snprintf(to, sizeof to, "%s", line);
    else
        snprintf(to, sizeof to, "%s", f->ask_src + strlen(f->ask_src) + 1); /* the default */
    do_rename(t, f->ask_src, to);
}

static void c_rename(sim_term *t, const sim_args *a)
{
    char from[512], to[512];
    sim_arg(a, 1, from, sizeof from);
    sim_arg(a, 2, to, sizeof to);
    sim_flash *f = sim_flash_of(t->dev);
    const char *tn = name_of(t->dev, to);
    if (t->dev->persona == SIM_IOS && f && !f->ask_term && tn &&
        strlen(from) + strlen(to) + 2 < sizeof f->ask_src) {
        /* IOS confirms the destination: "Destination filename [NAME]? " */
        f->ask_term = t;
        snprintf(f->ask_src, sizeof f->ask_src, "%s", from);
        memcpy(f->ask_src + strlen(from) + 1, to, strlen(to) + 1);
        char q[300];
        snprintf(q, sizeof q, "Destination filename [%s]? ", tn);
        sim_t_ask_line(t, q, true, rename_answer);
        return;
    }
    do_rename(t, from, to);
}

static void c_move(sim_term *t, const sim_args *a)
{
    char from[512], to[512];
    sim_arg(a, 1, from, sizeof from);
    sim_arg(a, 2, to, sizeof to);
    do_rename(t, from, to);
}

static void set_server(sim_term *t, bool scp, bool on)
{
    sim_flash *f = sim_flash_of(t->dev);
    if (!f)
        return;
    if (scp)
        f->scp_off = !on;
    else
        f->sftp_off = !on;
}

static void c_scp_on(sim_term *t, const sim_args *a) { (void)a; set_server(t, true, true); }
static void c_scp_off(sim_term *t, const sim_args *a) { (void)a; set_server(t, true, false); }
static void c_sftp_on(sim_term *t, const sim_args *a) { (void)a; set_server(t, false, true); }
static void c_sftp_off(sim_term *t, const sim_args *a) { (void)a; set_server(t, false, false); }

int sim_flash_runcfg(const sim_device *d, na_buf *out, na_err *err)
{
    sim_flash *f = d->flash;
    bool scp = !f || !f->scp_off, sftp = !f || !f->sftp_off;
    if (d->persona == SIM_IOS && scp)
        return na_buf_puts(out, "ip scp server enable\n!\n", err);
    if (d->persona == SIM_NXOS) {
        if (scp && na_buf_puts(out, "feature scp-server\n", err) < 0)
            return -1;
        if (sftp && na_buf_puts(out, "feature sftp-server\n", err) < 0)
            return -1;
    }
    return 0;
}

#define IOS SIM_P(SIM_IOS)
#define NX SIM_P(SIM_NXOS)
#define EOS SIM_P(SIM_EOS)
#define PR SIM_M_PRIV
#define CF SIM_M_CONF

const sim_cmd sim_flash_cmds[] = {
    {IOS | NX | EOS, PR, "dir", c_dir},
    {IOS | NX | EOS, PR, "dir <word>", c_dir_path},
    {IOS | EOS, PR, "verify /md5 <word>", c_verify},
    {IOS | EOS, PR, "verify /sha512 <word>", c_verify},
    {EOS, PR, "verify /sha256 <word>", c_verify},
    {NX, PR, "show file <word> md5sum", c_show_file_sum},
    {NX, PR, "show file <word> sha256sum", c_show_file_sum},
    {NX, PR, "show file <word> sha512sum", c_show_file_sum},
    {IOS, PR, "delete /force <word>", c_delete_force},
    {EOS, PR, "delete <word>", c_delete},
    {NX, PR, "delete <word> no-prompt", c_delete},
    {IOS | EOS, PR, "rename <word> <word>", c_rename},
    {NX, PR, "move <word> <word>", c_move},
    {IOS, CF, "ip scp server enable", c_scp_on},
    {IOS, CF, "no ip scp server enable", c_scp_off},
    {NX, CF, "feature scp-server", c_scp_on},
    {NX, CF, "no feature scp-server", c_scp_off},
    {NX, CF, "feature sftp-server", c_sftp_on},
    {NX, CF, "no feature sftp-server", c_sftp_off},
};
const size_t sim_flash_ncmds = sizeof sim_flash_cmds / sizeof *sim_flash_cmds;
