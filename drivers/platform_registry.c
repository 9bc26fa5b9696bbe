/* platform_registry.c — finding platforms by name: user directories first (DIR/NAME.yaml), then
 * the built-in YAML compiled into the binary; each platform is loaded once and shared. Not the
 * loader (platform.c). */
#include "platform.h"

#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

struct na_platforms {
    pthread_mutex_t mu;
    char **dirs;
    size_t ndirs;
    na_platform **loaded;
    size_t nloaded, cap;
};

na_platforms *na_platforms_new(const char *const *dirs, size_t ndirs, na_err *err)
{
    na_platforms *r = calloc(1, sizeof *r);
    if (!r)
        goto oom;
    pthread_mutex_init(&r->mu, NULL);
    r->dirs = calloc(ndirs ? ndirs : 1, sizeof *r->dirs);
    if (!r->dirs)
        goto oom;
    for (size_t i = 0; i < ndirs; i++) {
        if (!(r->dirs[i] = strdup(dirs[i] ? dirs[i] : ".")))
            goto oom;
        r->ndirs = i + 1;
    }
    return r;
oom:
    na_platforms_free(r);
    na_err_set(err, NA_E_NOMEM, "out of memory");
    return NULL;
}

void na_platforms_free(na_platforms *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->ndirs; i++)
        free(r->dirs[i]);
    free(r->dirs);
    for (size_t i = 0; i < r->nloaded; i++)
        na_platform_free(r->loaded[i]);
    free(r->loaded);
    pthread_mutex_destroy(&r->mu);
    free(r);
}

static const na_builtin_file *builtin(const char *name)
{
    char file[80];
    snprintf(file, sizeof file, "%s.yaml", name);
    for (size_t i = 0; i < na_builtin_platforms_count; i++)
        if (!strcmp(na_builtin_platforms[i].name, file))
            return &na_builtin_platforms[i];
    return NULL;
}

static na_platform *load_named(na_platforms *r, const char *name, na_err *err)
{
    for (size_t i = 0; i < r->ndirs; i++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s.yaml", r->dirs[i], name);
        struct stat st;
        if (stat(path, &st) == 0)
            return na_platform_load_file(path, err);
    }
    const na_builtin_file *b = builtin(name);
    if (b) {
        char label[128];
        snprintf(label, sizeof label, "<built-in>/%s", b->name);
        return na_platform_load_mem(label, b->data, b->len, name, err);
    }
    char **names = na_platforms_names(r, NULL);
    char list[400] = "";
    size_t o = 0;
    for (size_t i = 0; names && names[i] && o < sizeof list; i++)
        o += (size_t)snprintf(list + o, sizeof list - o, "%s%s", i ? ", " : "", names[i]);
    na_platform_names_free(names);
    na_err_set(err, NA_E_NOTFOUND, "unknown platform '%s' (available: %s)", name, list);
    return NULL;
}

const na_platform *na_platform_find(na_platforms *r, const char *name, na_err *err)
{
    if (!na_platform_name_ok(name)) {
        na_err_set(err, NA_E_NOTFOUND, "bad platform name '%s' (use a-z, 0-9, _ and -)",
                   name ? name : "");
        return NULL;
    }
    pthread_mutex_lock(&r->mu);
    na_platform *p = NULL;
    for (size_t i = 0; i < r->nloaded && !p; i++)
        if (!strcmp(r->loaded[i]->name, name))
            p = r->loaded[i];
    if (!p) {
        p = load_named(r, name, err);
        if (p && r->nloaded == r->cap) {
            size_t nc = r->cap ? r->cap * 2 : 8;
            na_platform **nl = realloc(r->loaded, nc * sizeof *nl);
            if (!nl) {
                na_platform_free(p);
                p = NULL;
                na_err_set(err, NA_E_NOMEM, "out of memory");
            } else {
                r->loaded = nl;
                r->cap = nc;
            }
        }
        if (p)
            r->loaded[r->nloaded++] = p;
    }
    pthread_mutex_unlock(&r->mu);
    return p;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int add_name(char ***v, size_t *n, size_t *cap, const char *file)
{
    size_t l = strlen(file);
    if (l <= 5 || strcmp(file + l - 5, ".yaml") != 0)
        return 0;
    char stem[80];
    if (l - 5 >= sizeof stem)
        return 0;
    memcpy(stem, file, l - 5);
    stem[l - 5] = '\0';
    if (!na_platform_name_ok(stem))
        return 0;
    for (size_t i = 0; i < *n; i++)
        if (!strcmp((*v)[i], stem))
            return 0;
    if (*n + 2 > *cap) {
        size_t nc = *cap ? *cap * 2 : 16;
        char **nv = realloc(*v, nc * sizeof *nv);
        if (!nv)
            return -1;
        *v = nv;
        *cap = nc;
    }
    if (!((*v)[*n] = strdup(stem)))
        return -1;
    (*n)++;
    (*v)[*n] = NULL;
    return 0;
}

char **na_platforms_names(na_platforms *r, na_err *err)
{
    char **v = NULL;
    size_t n = 0, cap = 0;
    for (size_t i = 0; i < r->ndirs; i++) {
        DIR *dir = opendir(r->dirs[i]);
        if (!dir)
            continue;
        struct dirent *de;
        while ((de = readdir(dir)))
            if (add_name(&v, &n, &cap, de->d_name) < 0) {
                closedir(dir);
                goto oom;
            }
        closedir(dir);
    }
    for (size_t i = 0; i < na_builtin_platforms_count; i++)
        if (add_name(&v, &n, &cap, na_builtin_platforms[i].name) < 0)
            goto oom;
    if (!v && !(v = calloc(1, sizeof *v)))
        goto oom;
    qsort(v, n, sizeof *v, cmp_str);
    return v;
oom:
    na_platform_names_free(v);
    na_err_set(err, NA_E_NOMEM, "out of memory");
    return NULL;
}

void na_platform_names_free(char **names)
{
    if (!names)
        return;
    for (size_t i = 0; names[i]; i++)
        free(names[i]);
    free(names);
}
