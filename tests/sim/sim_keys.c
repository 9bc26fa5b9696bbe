/* sim_keys.c — host key files and generation for the simulator (see sim_keys.h). */
#include "sim_keys.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int sim_key_generate(enum ssh_keytypes_e type, int bits, ssh_key *out, na_err *err)
{
    *out = NULL;
    if (ssh_pki_generate(type, bits, out) != SSH_OK || !*out)
        return na_err_set(err, NA_E_INTERNAL, "cannot generate a %s host key",
                          ssh_key_type_to_char(type));
    return 0;
}

int sim_key_load_or_create(const char *path, enum ssh_keytypes_e type, int bits, ssh_key *out,
                           na_err *err)
{
    *out = NULL;
    if (access(path, F_OK) == 0) {
        if (ssh_pki_import_privkey_file(path, NULL, NULL, NULL, out) != SSH_OK || !*out)
            return na_err_set(err, NA_E_IO, "cannot read host key %s (not an unencrypted "
                                            "private key?)", path);
        return 0;
    }
    if (errno != ENOENT)
        return na_err_set(err, NA_E_IO, "cannot access host key %s: %s", path, strerror(errno));
    if (sim_key_generate(type, bits, out, err) < 0)
        return -1;
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.tmp%ld", path, (long)getpid());
    mode_t old = umask(077);
    int rc = ssh_pki_export_privkey_file(*out, NULL, NULL, NULL, tmp);
    umask(old);
    if (rc != SSH_OK || rename(tmp, path) < 0) {
        unlink(tmp);
        ssh_key_free(*out);
        *out = NULL;
        return na_err_set(err, NA_E_IO, "cannot write host key %s: %s", path,
                          rc != SSH_OK ? "libssh export failed" : strerror(errno));
    }
    return 0;
}

int sim_key_public_line(const ssh_key k, char *out, size_t cap, na_err *err)
{
    char *b64 = NULL;
    if (ssh_pki_export_pubkey_base64(k, &b64) != SSH_OK || !b64)
        return na_err_set(err, NA_E_INTERNAL, "cannot export a public key");
    snprintf(out, cap, "%s %s", ssh_key_type_to_char(ssh_key_type(k)), b64);
    ssh_string_free_char(b64);
    return 0;
}
