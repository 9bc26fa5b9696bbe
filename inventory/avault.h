/* avault.h — Ansible Vault, so that inventories, group_vars/host_vars files, vars_files and inline
 * `!vault` values encrypted with `ansible-vault` are read unchanged. Formats 1.1 and 1.2:
 *
 *   $ANSIBLE_VAULT;1.1;AES256            (1.2 adds ";LABEL", the vault id)
 *   hex( hex(salt) "\n" hex(hmac) "\n" hex(ciphertext) ), 80 columns per line
 *
 * key1 (32) || key2 (32) || iv (16) = PBKDF2-HMAC-SHA256(password, salt, 10000 iterations, 80
 * bytes); the HMAC-SHA256 of the ciphertext with key2 must match (checked in constant time)
 * before AES-256-CTR with key1 and iv decrypts it; the plaintext is PKCS#7-padded. All of it is
 * OpenSSL's EVP/HMAC code.
 *
 * Passwords come from "vault ids" as ansible-playbook takes them: `--vault-id [LABEL@]SOURCE`
 * where SOURCE is a file (its first line), an executable (run with a deadline; the first line of
 * its stdout; a name ending in "-client" gets `--vault-id LABEL`), or `prompt` (asked on the
 * terminal). Each source is read only when some data needs it, then kept (as a secret) until
 * na_avault_keys_free. Decryption tries the key whose label matches a 1.2 header first, then
 * every other key, like Ansible. This is not netauto's own vault format (vault.h). */
#ifndef NA_AVAULT_H
#define NA_AVAULT_H

#include "buf.h"
#include "err.h"
#include "vault.h"

#include <stdbool.h>
#include <stddef.h>

#define NA_AVAULT_MAGIC "$ANSIBLE_VAULT"

/* Does the text start with "$ANSIBLE_VAULT;" (leading white space allowed)? */
bool na_avault_is_vault(const char *data, size_t n);

typedef struct na_avault_keys na_avault_keys;

/* An empty key ring; prompt (may be NULL) is used by `prompt` sources. NULL on OOM. */
na_avault_keys *na_avault_keys_new(na_vault_prompt_fn prompt, void *prompt_ud);
void na_avault_keys_free(na_avault_keys *k); /* NULL is fine; wipes every password */
/* Add "[LABEL@]SOURCE" (LABEL defaults to "default"). The source is checked to exist (a file or
 * "prompt") now and read later. -1 + err (NA_E_USAGE) when malformed or missing. */
int na_avault_keys_add_id(na_avault_keys *k, const char *vault_id, na_err *err);
/* Add a password given directly (copied as a secret). */
int na_avault_keys_add_pass(na_avault_keys *k, const char *label, const char *pass, na_err *err);
size_t na_avault_keys_count(const na_avault_keys *k);

/* Decrypt Ansible Vault text (k may be NULL: then it is an error saying how to give a password).
 * The plaintext is appended to out; the caller wipes it (na_wipe) when done. `label` names the
 * data in messages ("group_vars/all/vault.yml", "hosts.yml:12:20"). Errors: no key (NA_E_USAGE),
 * a malformed envelope (NA_E_CONFIG), no key that fits ("wrong vault password", NA_E_CONFIG; the
 * message says how many were tried and never shows one), a password source that failed. */
int na_avault_decrypt(na_avault_keys *k, const char *label, const char *data, size_t n,
                      na_buf *out, na_err *err);

/* Encrypt plaintext as ansible-vault does (1.1; 1.2 when vault_id is neither NULL nor
 * "default"), fresh random salt. Appended to out. */
int na_avault_encrypt(const char *plain, size_t n, const char *pass, const char *vault_id,
                      na_buf *out, na_err *err);

#endif
