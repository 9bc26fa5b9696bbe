/* sim_keys.h — SSH host keys for the simulator: load a private key file or create it (so a key
 * stays the same across restarts), generate throw-away keys, and format the public half as a
 * known_hosts entry. A thin layer over libssh's pki functions. Not key checking: clients do
 * that. */
#ifndef SIM_KEYS_H
#define SIM_KEYS_H

#include "err.h"

#include <libssh/libssh.h>
#include <stddef.h>

/* Load the private key at path; when the file does not exist, generate one of `type` (bits for
 * RSA) and save it there (mode 0600). *out is the caller's (ssh_key_free). */
int sim_key_load_or_create(const char *path, enum ssh_keytypes_e type, int bits, ssh_key *out,
                           na_err *err);
/* A new in-memory key. */
int sim_key_generate(enum ssh_keytypes_e type, int bits, ssh_key *out, na_err *err);
/* "ssh-ed25519 AAAA..." (type name, space, base64) into out. */
int sim_key_public_line(const ssh_key k, char *out, size_t cap, na_err *err);

#endif
