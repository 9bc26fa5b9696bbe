/* vault_store.c — what sits around the vault's crypto: the plaintext body (a YAML mapping
 * NAME: secret, parsed with libyaml whose buffers and node strings are wiped afterwards), the
 * decrypted na_vault, passphrase sources, and reading/atomically replacing files. Not the format
 * or the cryptography (vault.c), and not a terminal prompt (the CLI's callback). */
#include "vault.h"
#include "runproc.h"
#include "secret.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml.h>

/* ---- the plaintext body: NAME: secret ------------------------------------------------------ */

struct na_vault {
    char **names;
    char **values; /* na_secret_dup */
    size_t n, cap;
};

static void wipe_parser(yaml_parser_t *p)
{
    if (p->buffer.start)
        na_wipe(p->buffer.start, (size_t)(p->buffer.end - p->buffer.start));
    if (p->raw_buffer.start)
        na_wipe(p->raw_buffer.start, (size_t)(p->raw_buffer.end - p->raw_buffer.start));
}

static void wipe_doc(yaml_document_t *d)
{
    for (yaml_node_t *nd = d->nodes.start; nd && nd < d->nodes.top; nd++)
        if (nd->type == YAML_SCALAR_NODE && nd->data.scalar.value)
            na_wipe(nd->data.scalar.value, nd->data.scalar.length);
}

static bool valid_name(const char *s)
{
    if (!*s)
        return false;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
              *s == '_' || *s == '-' || *s == '.'))
            return false;
    return true;
}

static int vault_add(na_vault *v, const char *name, const char *value, na_err *err)
{
    if (v->n == v->cap) {
        size_t nc = v->cap ? v->cap * 2 : 16;
        char **nn = realloc(v->names, nc * sizeof *nn);
        if (nn)
            v->names = nn;
        char **nv = nn ? realloc(v->values, nc * sizeof *nv) : NULL;
        if (!nv)
            return na_err_set(err, NA_E_NOMEM, "out of memory");
        v->values = nv;
        v->cap = nc;
    }
    char *a = strdup(name), *b = na_secret_dup(value);
    if (!a || !b) {
        free(a);
        na_secret_free(b);
        return na_err_set(err, NA_E_NOMEM, "out of memory");
    }
    v->names[v->n] = a;
    v->values[v->n++] = b;
    return 0;
}

#define PERR(node, ...)                                                                         \
    do {                                                                                        \
        char m_[256];                                                                           \
        snprintf(m_, sizeof m_, __VA_ARGS__);                                                   \
        na_err_set(err, NA_E_CONFIG, "%s:%zu:%zu: %s", label, (node)->start_mark.line + 1,      \
                   (node)->start_mark.column + 1, m_);                                          \
    } while (0)

/* Parse (and, with v, collect) a vault body. Every libyaml buffer holding plaintext is wiped. */
static int parse_body(const char *label, const char *plain, size_t n, na_vault *v, na_err *err)
{
    yaml_parser_t p;
    yaml_document_t doc;
    if (!yaml_parser_initialize(&p))
        return na_err_set(err, NA_E_NOMEM, "out of memory");
    yaml_parser_set_input_string(&p, (const unsigned char *)plain, n);
    int rc = -1;
    if (!yaml_parser_load(&p, &doc)) {
        na_err_set(err, NA_E_YAML, "%s:%zu:%zu: %s%s%s", label, p.problem_mark.line + 1,
                   p.problem_mark.column + 1, p.problem ? p.problem : "invalid YAML",
                   p.context ? " " : "", p.context ? p.context : "");
        wipe_parser(&p);
        yaml_parser_delete(&p);
        return -1;
    }
    yaml_node_t *root = yaml_document_get_root_node(&doc);
    bool empty_scalar = root && root->type == YAML_SCALAR_NODE && root->data.scalar.length == 0 &&
                        root->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
    if (!root || empty_scalar) {
        rc = 0;
        goto done;
    }
    if (root->type != YAML_MAPPING_NODE) {
        PERR(root, "a vault holds a YAML mapping of NAME: secret");
        goto done;
    }
    for (yaml_node_pair_t *pr = root->data.mapping.pairs.start; pr < root->data.mapping.pairs.top;
         pr++) {
        yaml_node_t *k = yaml_document_get_node(&doc, pr->key);
        yaml_node_t *val = yaml_document_get_node(&doc, pr->value);
        if (k->type != YAML_SCALAR_NODE || !valid_name((const char *)k->data.scalar.value)) {
            PERR(k, "vault names are letters, digits, '_', '-' and '.'");
            goto done;
        }
        const char *name = (const char *)k->data.scalar.value;
        for (yaml_node_pair_t *q = root->data.mapping.pairs.start; q < pr; q++) {
            yaml_node_t *qk = yaml_document_get_node(&doc, q->key);
            if (!strcmp((const char *)qk->data.scalar.value, name)) {
                PERR(k, "duplicate vault name '%s' (first at line %zu)", name,
                     qk->start_mark.line + 1);
                goto done;
            }
        }
        if (val->type != YAML_SCALAR_NODE) {
            PERR(val, "vault entry '%s' must be a string", name);
            goto done;
        }
        if (v && vault_add(v, name, (const char *)val->data.scalar.value, err) < 0)
            goto done;
    }
    rc = 0;
done:
    wipe_doc(&doc);
    yaml_document_delete(&doc);
    wipe_parser(&p);
    yaml_parser_delete(&p);
    return rc;
}

int na_vault_check_plain(const char *label, const char *plain, size_t n, na_err *err)
{
    return parse_body(label, plain, n, NULL, err);
}

void na_vault_free(na_vault *v)
{
    if (!v)
        return;
    for (size_t i = 0; i < v->n; i++) {
        free(v->names[i]);
        na_secret_free(v->values[i]);
    }
    free(v->names);
    free(v->values);
    free(v);
}

na_vault *na_vault_open_mem(const char *label, const char *data, size_t n, const char *pass,
                            na_err *err)
{
    na_buf plain;
    na_buf_init(&plain, (size_t)16 << 20);
    na_vault *v = calloc(1, sizeof *v);
    if (!v) {
        na_err_set(err, NA_E_NOMEM, "out of memory");
        return NULL;
    }
    int rc = na_vault_decrypt(label, data, n, pass, &plain, NULL, err);
    if (rc == 0) {
        char dlabel[512];
        snprintf(dlabel, sizeof dlabel, "%s (decrypted)", label);
        rc = parse_body(dlabel, na_buf_cstr(&plain), plain.len, v, err);
    }
    na_buf_free_wipe(&plain);
    if (rc < 0) {
        na_vault_free(v);
        return NULL;
    }
    return v;
}

int na_vault_read_file(const char *path, size_t max, na_buf *out, na_err *err)
{
    /* one allocation of the file's size, so no realloc leaves unwiped copies of a plaintext */
    na_buf_init(out, max);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return na_err_set(err, errno == ENOENT ? NA_E_NOTFOUND : NA_E_IO, "%s: cannot open: %s",
                          path, strerror(errno));
    struct stat st;
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return na_err_set(err, NA_E_IO, "%s: not a regular file", path);
    }
    if ((uint64_t)st.st_size > out->max) {
        close(fd);
        return na_err_set(err, NA_E_OVERFLOW, "%s: larger than %zu bytes", path, out->max);
    }
    size_t size = (size_t)st.st_size;
    char *data = na_buf_reserve(out, size, path, err);
    if (!data) {
        close(fd);
        return -1;
    }
    size_t len = 0;
    int rc = 0;
    while (len < size) {
        ssize_t r = read(fd, data + len, size - len);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            rc = na_err_set(err, NA_E_IO, "%s: read error: %s", path, strerror(errno));
        if (r <= 0)
            break;
        len += (size_t)r;
    }
    close(fd);
    if (rc < 0) {
        na_buf_free_wipe(out);
        return -1;
    }
    na_buf_commit(out, len);
    return 0;
}

na_vault *na_vault_open(const char *path, const char *pass, na_err *err)
{
    na_buf b;
    if (na_vault_read_file(path, (size_t)64 << 20, &b, err) < 0) {
        na_err_prefix(err, "vault ");
        return NULL;
    }
    na_vault *v = na_vault_open_mem(path, na_buf_cstr(&b), b.len, pass, err);
    na_buf_free(&b);
    return v;
}

const char *na_vault_get(const na_vault *v, const char *name)
{
    for (size_t i = 0; v && i < v->n; i++)
        if (!strcmp(v->names[i], name))
            return v->values[i];
    return NULL;
}

size_t na_vault_count(const na_vault *v) { return v ? v->n : 0; }

/* ---- passphrase sources and files ---------------------------------------------------------- */

/* The first line of text[0..n) as a secret, or NULL + err naming where it came from. */
static char *first_line(const char *label, const char *from, const char *text, size_t n,
                        na_err *err)
{
    size_t l = 0;
    while (l < n && text[l] != '\r' && text[l] != '\n')
        l++;
    if (l == 0) {
        na_err_set(err, NA_E_USAGE, "vault %s: the vault password %s is empty", label, from);
        return NULL;
    }
    if (l >= NA_VAULT_PASS_MAX) {
        na_err_set(err, NA_E_USAGE, "vault %s: the passphrase in %s is longer than %d bytes",
                   label, from, NA_VAULT_PASS_MAX - 1);
        return NULL;
    }
    char line[NA_VAULT_PASS_MAX];
    memcpy(line, text, l);
    line[l] = '\0';
    char *out = na_secret_dup(line);
    na_wipe(line, sizeof line);
    if (!out)
        na_err_set(err, NA_E_NOMEM, "out of memory");
    return out;
}

static bool client_script(const char *file)
{
    const char *base = strrchr(file, '/');
    base = base ? base + 1 : file;
    const char *dot = strrchr(base, '.');
    size_t n = dot && dot != base ? (size_t)(dot - base) : strlen(base);
    return n >= 7 && !strncmp(base + n - 7, "-client", 7);
}

/* Run an executable password file: the first line of its stdout. */
static char *pass_from_script(const char *label, const char *file, const char *client_id,
                              na_err *err)
{
    char *argv[4] = {(char *)file, NULL, NULL, NULL};
    if (client_id && client_script(file)) {
        argv[1] = (char *)"--vault-id";
        argv[2] = (char *)client_id;
    }
    na_buf out, errtext;
    na_buf_init(&out, 1 << 20);
    na_buf_init(&errtext, 8192);
    na_proc_opts o = {.timeout_ms = 30000, .max_out = 64 << 10, .max_err = 4096};
    char what[600];
    snprintf(what, sizeof what, "vault password script %s", file);
    int status = 0;
    char *res = NULL;
    if (na_proc_run(what, argv, &o, &out, &errtext, &status, err) < 0) {
        na_err_prefix(err, "vault %s: ", label);
        err->code = NA_E_USAGE;
    } else if (status != 0) {
        size_t el = errtext.len;
        while (el && (errtext.data[el - 1] == '\n' || errtext.data[el - 1] == '\r'))
            el--;
        na_err_set(err, NA_E_USAGE, "vault %s: %s exited with status %d%s%.*s", label, what,
                   status, el ? ": " : "", (int)(el > 300 ? 300 : el),
                   el ? errtext.data : "");
    } else {
        char from[700];
        snprintf(from, sizeof from, "printed by %s", file);
        res = first_line(label, from, na_buf_cstr(&out), out.len, err);
    }
    if (out.data)
        na_wipe(out.data, out.cap);
    na_buf_free(&out);
    na_buf_free(&errtext);
    return res;
}

char *na_vault_pass_from_file(const char *label, const char *file, const char *client_id,
                              na_err *err)
{
    struct stat st;
    if (stat(file, &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 0111) &&
        access(file, X_OK) == 0)
        return pass_from_script(label, file, client_id, err);
    na_buf b;
    if (na_vault_read_file(file, 8192, &b, err) < 0) {
        na_err_prefix(err, "vault password file ");
        if (err)
            err->code = NA_E_USAGE;
        return NULL;
    }
    char from[700];
    snprintf(from, sizeof from, "file %s", file);
    char *out = first_line(label, from, na_buf_cstr(&b), b.len, err);
    na_buf_free_wipe(&b);
    return out;
}

char *na_vault_passphrase(const char *label, const char *pass, const char *pass_file,
                          na_vault_prompt_fn prompt, void *ud, bool confirm, na_err *err)
{
    const char *src = pass;
    if (!src && pass_file)
        return na_vault_pass_from_file(label, pass_file, NULL, err);
    if (!src)
        src = getenv("NETAUTO_VAULT_PASSWORD");
    if (src) {
        if (!*src)
            na_err_set(err, NA_E_USAGE, "vault %s: the passphrase is empty", label);
        else if (strlen(src) >= NA_VAULT_PASS_MAX)
            na_err_set(err, NA_E_USAGE, "vault %s: the passphrase is longer than %d bytes", label,
                       NA_VAULT_PASS_MAX - 1);
        else {
            char *s = na_secret_dup(src);
            if (!s)
                na_err_set(err, NA_E_NOMEM, "out of memory");
            return s;
        }
        return NULL;
    }
    if (!prompt) {
        na_err_set(err, NA_E_USAGE,
                   "vault %s: no passphrase: set NETAUTO_VAULT_PASSWORD, use "
                   "--vault-password-file FILE, or run on a terminal", label);
        return NULL;
    }
    char a[NA_VAULT_PASS_MAX], b[NA_VAULT_PASS_MAX];
    char msg[600];
    char *out = NULL;
    snprintf(msg, sizeof msg, "Vault passphrase for %s: ", label);
    if (prompt(msg, a, sizeof a, ud, err) < 0) {
        na_err_prefix(err, "vault %s: ", label);
        goto done;
    }
    if (!*a) {
        na_err_set(err, NA_E_USAGE, "vault %s: the passphrase is empty", label);
        goto done;
    }
    if (confirm) {
        snprintf(msg, sizeof msg, "Repeat the passphrase for %s: ", label);
        if (prompt(msg, b, sizeof b, ud, err) < 0) {
            na_err_prefix(err, "vault %s: ", label);
            goto done;
        }
        if (strcmp(a, b) != 0) {
            na_err_set(err, NA_E_USAGE, "vault %s: the passphrases do not match", label);
            goto done;
        }
    }
    out = na_secret_dup(a);
    if (!out)
        na_err_set(err, NA_E_NOMEM, "out of memory");
done:
    na_wipe(a, sizeof a);
    na_wipe(b, sizeof b);
    return out;
}

int na_vault_write_file(const char *path, const char *data, size_t n, na_err *err)
{
    size_t pl = strlen(path);
    char *tmp = malloc(pl + 16);
    if (!tmp)
        return na_err_set(err, NA_E_NOMEM, "out of memory");
    snprintf(tmp, pl + 16, "%s.tmp.XXXXXX", path);
    int fd = mkostemp(tmp, O_CLOEXEC); /* mode 0600 */
    if (fd < 0) {
        na_err_set(err, NA_E_IO, "%s: cannot create a temporary file: %s", path, strerror(errno));
        free(tmp);
        return -1;
    }
    int rc = 0;
    for (size_t off = 0; off < n && rc == 0;) {
        ssize_t w = write(fd, data + off, n - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0)
            rc = na_err_set(err, NA_E_IO, "%s: write failed: %s", tmp, strerror(errno));
        else
            off += (size_t)w;
    }
    if (rc == 0 && fsync(fd) < 0)
        rc = na_err_set(err, NA_E_IO, "%s: fsync failed: %s", tmp, strerror(errno));
    if (close(fd) < 0 && rc == 0)
        rc = na_err_set(err, NA_E_IO, "%s: close failed: %s", tmp, strerror(errno));
    if (rc == 0 && rename(tmp, path) < 0)
        rc = na_err_set(err, NA_E_IO, "%s: cannot replace: %s", path, strerror(errno));
    if (rc < 0)
        unlink(tmp);
    free(tmp);
    return rc;
}
