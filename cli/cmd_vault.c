/* cmd_vault.c — `netauto vault encrypt|decrypt|edit|create FILE`: encrypt a plaintext YAML
 * file in place, decrypt to stdout (or in place), edit through $EDITOR on a private 0600 copy, or
 * create a new vault. Passphrase: --vault-password-file, $NETAUTO_VAULT_PASSWORD, or the terminal.
 * decrypt also shows ansible-vault files (their passwords as for inventories: --vault-id ...).
 * Plaintext buffers are wiped; temporary copies are zeroed and removed. Not the crypto (vault.c). */
#include "avault.h"
#include "cli_args.h"
#include "verbs.h"
#include "cli_inv.h"
#include "secret.h"
#include "vault.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define PLAIN_MAX ((size_t)16 << 20)


static int fail(const na_err *err, int code)
{
    cli_print_err(err);
    return code;
}

static int exit_for(const na_err *err)
{
    return err->code == NA_E_IO || err->code == NA_E_NOMEM || err->code == NA_E_INTERNAL
               ? CLI_EXIT_FAILED : CLI_EXIT_INVALID;
}

static char *passphrase(const char *file, const char *vpf, bool confirm, na_err *err)
{
    return na_vault_passphrase(file, NULL, vpf, cli_tty_prompt, NULL, confirm, err);
}

static int encrypt_to(const char *file, const char *plain, size_t n, const char *pass,
                      const na_vault_kdf *kdf, na_err *err)
{
    na_buf out;
    na_buf_init(&out, PLAIN_MAX * 2);
    int rc = na_vault_encrypt(file, plain, n, pass, kdf, &out, err);
    if (rc == 0)
        rc = na_vault_write_file(file, out.data, out.len, err);
    na_buf_free(&out);
    return rc;
}

static int do_encrypt(const char *file, const char *vpf)
{
    na_err err = NA_ERR_INIT;
    na_buf plain;
    if (na_vault_read_file(file, PLAIN_MAX, &plain, &err) < 0)
        return fail(&err, CLI_EXIT_INVALID);
    int rc = CLI_EXIT_OK;
    char *pass = NULL;
    if (na_vault_is_vault(plain.data, plain.len)) {
        fprintf(stderr, "vault %s: already encrypted (use netauto vault edit %s)\n", file, file);
        rc = CLI_EXIT_INVALID;
    } else if (na_vault_check_plain(file, plain.data, plain.len, &err) < 0 ||
               !(pass = passphrase(file, vpf, true, &err)) ||
               encrypt_to(file, plain.data, plain.len, pass, NULL, &err) < 0) {
        rc = fail(&err, exit_for(&err));
    } else {
        fprintf(stderr, "vault %s: encrypted (AES-256-GCM, scrypt N=%llu r=%u p=%u)\n", file,
                (unsigned long long)na_vault_kdf_default.N, na_vault_kdf_default.r,
                na_vault_kdf_default.p);
    }
    na_secret_free(pass);
    na_buf_free_wipe(&plain);
    return rc;
}

/* Read and decrypt file into plain (caller wipes). */
static int open_plain(const char *file, const char *vpf, na_buf *plain, na_vault_kdf *kdf,
                      char **pass_out, na_err *err)
{
    na_buf enc;
    na_buf_init(plain, PLAIN_MAX);
    if (na_vault_read_file(file, PLAIN_MAX * 2, &enc, err) < 0)
        return -1;
    int rc = -1;
    char *pass = NULL;
    if (!na_vault_is_vault(enc.data, enc.len))
        na_err_set(err, NA_E_CONFIG, "vault %s: not encrypted (encrypt it with: netauto vault "
                   "encrypt %s)", file, file);
    else if ((pass = passphrase(file, vpf, false, err)) != NULL)
        rc = na_vault_decrypt(file, enc.data, enc.len, pass, plain, kdf, err);
    na_buf_free(&enc);
    if (rc == 0 && pass_out)
        *pass_out = pass;
    else
        na_secret_free(pass);
    return rc;
}

/* An ansible-vault file (read-only here: ansible-vault changes it). 1 when it is not one. */
static int ansible_plain(const char *file, const cli_inv_args *ia, na_buf *plain, na_err *err)
{
    na_buf raw;
    if (na_vault_read_file(file, PLAIN_MAX * 4, &raw, err) < 0)
        return -1;
    if (!na_avault_is_vault(na_buf_cstr(&raw), raw.len)) {
        na_buf_free(&raw);
        return 1;
    }
    na_avault_keys *k = cli_vault_keys(ia, err);
    na_buf_init(plain, PLAIN_MAX);
    int rc = k ? na_avault_decrypt(k, file, raw.data, raw.len, plain, err) : -1;
    na_avault_keys_free(k);
    na_buf_free(&raw);
    return rc;
}

static int do_decrypt(const char *file, const char *vpf, bool in_place, const cli_inv_args *ia)
{
    na_err err = NA_ERR_INIT;
    na_buf plain;
    int arc = ansible_plain(file, ia, &plain, &err);
    if (arc < 0) {
        na_buf_free_wipe(&plain);
        return fail(&err, exit_for(&err));
    }
    if (arc == 1 && open_plain(file, vpf, &plain, NULL, NULL, &err) < 0) {
        na_buf_free_wipe(&plain);
        return fail(&err, exit_for(&err));
    }
    int rc = CLI_EXIT_OK;
    if (in_place) {
        if (na_vault_write_file(file, na_buf_cstr(&plain), plain.len, &err) < 0)
            rc = fail(&err, CLI_EXIT_FAILED);
        else
            fprintf(stderr, "vault %s: decrypted in place (mode 0600)\n", file);
    } else if (fwrite(na_buf_cstr(&plain), 1, plain.len, stdout) != plain.len ||
               fflush(stdout) != 0) {
        fprintf(stderr, "vault %s: cannot write to stdout\n", file);
        rc = CLI_EXIT_FAILED;
    }
    na_buf_free_wipe(&plain);
    return rc;
}

/* ---- editing through $EDITOR on a private copy --------------------------------------------- */

typedef struct tmpcopy {
    char dir[4096];
    char path[4200];
    bool made;
} tmpcopy;

static int tmp_create(tmpcopy *t, const char *data, size_t n, na_err *err)
{
    const char *base = getenv("TMPDIR");
    snprintf(t->dir, sizeof t->dir, "%s/netauto-vault.XXXXXX", base && *base ? base : "/tmp");
    if (!mkdtemp(t->dir)) /* mode 0700 */
        return na_err_set(err, NA_E_IO, "cannot create a private temporary directory: %s",
                          strerror(errno));
    t->made = true;
    snprintf(t->path, sizeof t->path, "%s/vault.yaml", t->dir);
    int fd = open(t->path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0)
        return na_err_set(err, NA_E_IO, "%s: %s", t->path, strerror(errno));
    size_t off = 0;
    while (off < n) {
        ssize_t w = write(fd, data + off, n - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0) {
            close(fd);
            return na_err_set(err, NA_E_IO, "%s: %s", t->path, strerror(errno));
        }
        off += (size_t)w;
    }
    close(fd);
    return 0;
}

/* Overwrite a regular file with zeros (best effort: the filesystem may keep old blocks). */
static void zero_file(int dirfd, const char *name)
{
    int fd = openat(dirfd, name, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
    struct stat st;
    if (fd < 0)
        return;
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
        static const char zero[4096];
        for (off_t o = 0; o < st.st_size; o += (off_t)sizeof zero)
            if (write(fd, zero, sizeof zero) < 0)
                break;
        (void)fsync(fd);
    }
    close(fd);
}

/* Zero and remove everything in the private directory (the copy, and any backup or swap file
 * the editor left next to it), then the directory. */
static void tmp_remove(tmpcopy *t)
{
    if (!t->made)
        return;
    DIR *d = opendir(t->dir);
    if (d) {
        struct dirent *e;
        while ((e = readdir(d)) != NULL) {
            if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
                continue;
            zero_file(dirfd(d), e->d_name);
            if (unlinkat(dirfd(d), e->d_name, 0) < 0)
                (void)unlinkat(dirfd(d), e->d_name, AT_REMOVEDIR);
        }
        closedir(d);
    }
    if (rmdir(t->dir) < 0)
        fprintf(stderr, "netauto vault: could not remove %s: %s\n", t->dir, strerror(errno));
    t->made = false;
}

/* Run $EDITOR (else $VISUAL, else vi) on path through /bin/sh, like git does. Ctrl-C goes to the
 * editor; netauto keeps waiting so it can clean up. */
static int run_editor(const char *path, na_err *err)
{
    const char *ed = getenv("EDITOR");
    if (!ed || !*ed)
        ed = getenv("VISUAL");
    if (!ed || !*ed)
        ed = "vi";
    struct sigaction ign, old_int, old_quit;
    memset(&ign, 0, sizeof ign);
    ign.sa_handler = SIG_IGN;
    sigemptyset(&ign.sa_mask);
    sigaction(SIGINT, &ign, &old_int);
    sigaction(SIGQUIT, &ign, &old_quit);
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        sigaction(SIGINT, &old_int, NULL);
        sigaction(SIGQUIT, &old_quit, NULL);
        char cmd[4096];
        snprintf(cmd, sizeof cmd, "%s \"$1\"", ed);
        execl("/bin/sh", "sh", "-c", cmd, "netauto-editor", path, (char *)NULL);
        _exit(127);
    }
    int status = 0, rc = 0;
    if (pid < 0)
        rc = na_err_set(err, NA_E_IO, "cannot start the editor: %s", strerror(errno));
    else {
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
            ;
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
            rc = na_err_set(err, NA_E_IO, "the editor (%s) failed (status %d); nothing changed",
                            ed, WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
    }
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGQUIT, &old_quit, NULL);
    return rc;
}

/* Edit `initial` in $EDITOR; on success *edited holds the new text (caller wipes). */
static int edit_text(const char *initial, size_t n, na_buf *edited, na_err *err)
{
    tmpcopy t = {.made = false};
    na_buf_init(edited, PLAIN_MAX);
    int rc = tmp_create(&t, initial, n, err);
    if (rc == 0)
        rc = run_editor(t.path, err);
    if (rc == 0)
        rc = na_vault_read_file(t.path, PLAIN_MAX, edited, err);
    tmp_remove(&t);
    return rc;
}

static int do_edit(const char *file, const char *vpf)
{
    na_err err = NA_ERR_INIT;
    na_buf plain, edited = {0};
    na_vault_kdf kdf;
    char *pass = NULL;
    int rc = CLI_EXIT_OK;
    if (open_plain(file, vpf, &plain, &kdf, &pass, &err) < 0) {
        rc = fail(&err, exit_for(&err));
    } else if (edit_text(na_buf_cstr(&plain), plain.len, &edited, &err) < 0) {
        rc = fail(&err, CLI_EXIT_FAILED);
    } else if (edited.len == plain.len && memcmp(na_buf_cstr(&edited), na_buf_cstr(&plain),
                                                 plain.len) == 0) {
        fprintf(stderr, "vault %s: no changes\n", file);
    } else if (na_vault_check_plain(file, na_buf_cstr(&edited), edited.len, &err) < 0) {
        fprintf(stderr, "vault %s: not saved, the edited text is invalid:\n", file);
        rc = fail(&err, CLI_EXIT_INVALID);
    } else if (encrypt_to(file, na_buf_cstr(&edited), edited.len, pass, &kdf, &err) < 0) {
        rc = fail(&err, exit_for(&err));
    } else {
        fprintf(stderr, "vault %s: saved\n", file);
    }
    na_secret_free(pass);
    na_buf_free_wipe(&plain);
    na_buf_free_wipe(&edited);
    return rc;
}

static int do_create(const char *file, const char *vpf)
{
    static const char template[] =
        "# One secret per line, NAME: value. Inventories refer to them as ${vault:NAME}.\n"
        "# This file is encrypted when you leave the editor.\n";
    na_err err = NA_ERR_INIT;
    struct stat st;
    if (lstat(file, &st) == 0) {
        fprintf(stderr, "vault %s: already exists (use netauto vault edit %s)\n", file, file);
        return CLI_EXIT_INVALID;
    }
    char *pass = passphrase(file, vpf, true, &err);
    if (!pass)
        return fail(&err, exit_for(&err));
    na_buf edited = {0};
    int rc = CLI_EXIT_OK;
    if (edit_text(template, sizeof template - 1, &edited, &err) < 0) {
        rc = fail(&err, CLI_EXIT_FAILED);
    } else if (na_vault_check_plain(file, na_buf_cstr(&edited), edited.len, &err) < 0) {
        fprintf(stderr, "vault %s: not created, the text is invalid:\n", file);
        rc = fail(&err, CLI_EXIT_INVALID);
    } else if (lstat(file, &st) == 0) {
        fprintf(stderr, "vault %s: appeared while you were editing; not overwritten\n", file);
        rc = CLI_EXIT_FAILED;
    } else if (encrypt_to(file, na_buf_cstr(&edited), edited.len, pass, NULL, &err) < 0) {
        rc = fail(&err, exit_for(&err));
    } else {
        fprintf(stderr, "vault %s: created\n", file);
    }
    na_secret_free(pass);
    na_buf_free_wipe(&edited);
    return rc;
}

int cli_cmd_vault(const cli_args *a)
{
    const char *vpf = NULL;
    cli_inv_args ia = {0};
    na_err ierr = NA_ERR_INIT;
    bool in_place = cli_opt(a, O_IN_PLACE) != NULL;
    for (size_t i = 0; i < a->nopts; i++) {
        if (a->opts[i].id == O_VAULT_FILE)
            vpf = ia.vault_password_file = a->opts[i].val;
        else if (a->opts[i].id == O_VAULT_ID && cli_inv_arg(&ia, 'I', a->opts[i].val, &ierr) < 0)
            return fail(&ierr, CLI_EXIT_INVALID);
    }
    if (a->npos != 2)
        return cli_usage_error(a->verb, "give an action (encrypt, decrypt, edit, create) and a "
                                        "FILE");
    const char *verb = a->pos[0], *file = a->pos[1];
    if (in_place && strcmp(verb, "decrypt") != 0) {
        fprintf(stderr, "netauto vault: --in-place is for decrypt\n");
        return CLI_EXIT_INVALID;
    }
    if (strcmp(verb, "decrypt") != 0 && strcmp(verb, "create") != 0) {
        na_buf head;
        na_err e = NA_ERR_INIT;
        if (na_vault_read_file(file, PLAIN_MAX * 4, &head, &e) == 0 &&
            na_avault_is_vault(na_buf_cstr(&head), head.len)) {
            na_buf_free(&head);
            fprintf(stderr, "vault %s: an Ansible Vault file: netauto reads it (netauto vault "
                            "decrypt, inventories) but changes it only with ansible-vault\n",
                    file);
            return CLI_EXIT_INVALID;
        }
        na_buf_free(&head);
    }
    if (!strcmp(verb, "encrypt"))
        return do_encrypt(file, vpf);
    if (!strcmp(verb, "decrypt"))
        return do_decrypt(file, vpf, in_place, &ia);
    if (!strcmp(verb, "edit"))
        return do_edit(file, vpf);
    if (!strcmp(verb, "create"))
        return do_create(file, vpf);
    return cli_usage_error(a->verb, "unknown action '%s' (encrypt, decrypt, edit, create)", verb);
}
