/* vault.h — netauto's encrypted secrets file. The plaintext is a YAML mapping NAME: secret; the
 * file is a text header followed by base64:
 *
 *   $NETAUTO_VAULT;1;AES256-GCM;scrypt;N=32768,r=8,p=3
 *   <base64 of salt(16) || nonce(12) || ciphertext || GCM tag(16)>, 64 columns per line
 *
 * The key is scrypt(passphrase, salt, N, r, p) -> 32 bytes; the whole header line is the GCM
 * additional authenticated data, so the format name, version and KDF parameters cannot be
 * changed without the tag failing. Salt and nonce are fresh random bytes on every encryption.
 * A wrong passphrase or any changed byte gives "vault FILE: wrong passphrase or corrupted file",
 * never garbage. Not a general key store and not Ansible Vault compatible. */
#ifndef NA_VAULT_H
#define NA_VAULT_H

#include "buf.h"
#include "err.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define NA_VAULT_MAGIC "$NETAUTO_VAULT"
#define NA_VAULT_PASS_MAX 1024 /* longest passphrase accepted, bytes */

/* scrypt parameters. Default N=2^15, r=8, p=3: OWASP's scrypt minimum (equivalent to N=2^17,
 * r=8, p=1) with 32 MiB of memory per derivation. Files written with other parameters are read
 * with the parameters in their header, within sane bounds (N a power of two from 2^10 to 2^20,
 * r 1..32, p 1..16, N*r*128 <= 1 GiB) so a crafted header cannot exhaust memory. */
typedef struct na_vault_kdf {
    uint64_t N;
    uint32_t r, p;
} na_vault_kdf;
extern const na_vault_kdf na_vault_kdf_default;

/* Asks for a passphrase (e.g. on the terminal without echo): writes a NUL-terminated string of at
 * most cap-1 bytes into buf. Returns 0, or -1 + err (no terminal, cancelled). */
typedef int (*na_vault_prompt_fn)(const char *prompt, char *buf, size_t cap, void *ud,
                                  na_err *err);

/* Is this text a netauto vault (starts with the magic)? */
bool na_vault_is_vault(const char *data, size_t n);

/* Encrypt plaintext -> vault text appended to out (out's ceiling applies). kdf NULL = default.
 * label names the file in messages. */
int na_vault_encrypt(const char *label, const char *plain, size_t n, const char *pass,
                     const na_vault_kdf *kdf, na_buf *out, na_err *err);
/* Decrypt vault text -> plaintext appended to out. The caller must wipe out (na_wipe) and free
 * it. kdf_out (may be NULL) receives the file's KDF parameters. */
int na_vault_decrypt(const char *label, const char *data, size_t n, const char *pass,
                     na_buf *out, na_vault_kdf *kdf_out, na_err *err);

/* Check that plaintext is a valid vault body: a YAML mapping (or empty) of NAME: scalar, names of
 * letters, digits, '_', '-', '.'. Errors are "label:line:column: ...". Parser buffers wiped. */
int na_vault_check_plain(const char *label, const char *plain, size_t n, na_err *err);

/* A decrypted vault: name -> secret (each held with na_secret_dup, registered for redaction). */
typedef struct na_vault na_vault;
/* Read and decrypt a file. NULL + err on failure. Free with na_vault_free (wipes everything). */
na_vault *na_vault_open(const char *path, const char *pass, na_err *err);
/* The same from vault text in memory (label names it in messages). */
na_vault *na_vault_open_mem(const char *label, const char *data, size_t n, const char *pass,
                            na_err *err);
const char *na_vault_get(const na_vault *v, const char *name); /* NULL if absent; borrowed */
size_t na_vault_count(const na_vault *v);
void na_vault_free(na_vault *v);

/* Get the passphrase for vault `label`: `pass` if not NULL, else `pass_file` if not NULL (read
 * with na_vault_pass_from_file), else $NETAUTO_VAULT_PASSWORD, else prompt (if not NULL;
 * confirm = ask twice and compare, for new vaults). Returns a na_secret_dup'd string (caller
 * na_secret_free's it) or NULL + err (NA_E_USAGE when there is no source, naming all three). */
char *na_vault_passphrase(const char *label, const char *pass, const char *pass_file,
                          na_vault_prompt_fn prompt, void *ud, bool confirm, na_err *err);

/* A password file, as ansible-vault takes them: an executable file is run (no arguments, or
 * `--vault-id CLIENT_ID` when its name ends in "-client" and client_id is not NULL; 30 s at
 * most) and the first line of its stdout is the password (its stderr is shown if it fails);
 * any other file's first line is the password. `label` names what it is for in messages.
 * Returns a na_secret_dup'd string or NULL + err (NA_E_USAGE: missing, empty, too long, failed). */
char *na_vault_pass_from_file(const char *label, const char *file, const char *client_id,
                              na_err *err);

/* Read a whole file (ceiling max bytes) into out. */
int na_vault_read_file(const char *path, size_t max, na_buf *out, na_err *err);
/* Replace path atomically with data: a 0600 temporary file in the same directory, fsync, rename.
 * The temporary file is removed on any failure. */
int na_vault_write_file(const char *path, const char *data, size_t n, na_err *err);

#endif
