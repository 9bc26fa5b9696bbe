/* strmap.h — a small string-keyed hash map (chained, grows by doubling), used by netautod's lock
 * manager, token table and device backend. Keys are copied; values are borrowed pointers the
 * caller owns. Not thread-safe (one user per map, like netautod's single loop). */
#ifndef NA_STRMAP_H
#define NA_STRMAP_H

#include <stddef.h>

typedef struct na_strmap na_strmap;

na_strmap *na_strmap_new(void);                 /* NULL on OOM; free with na_strmap_free */
void na_strmap_free(na_strmap *m);              /* frees keys, not values */
void *na_strmap_get(const na_strmap *m, const char *key);
/* Insert or replace (key copied). -1 on OOM. */
int na_strmap_put(na_strmap *m, const char *key, void *val);
/* Remove; returns the old value (NULL if absent). */
void *na_strmap_del(na_strmap *m, const char *key);
size_t na_strmap_len(const na_strmap *m);
/* Iterate: call fn for each entry (do not modify the map inside). */
void na_strmap_each(const na_strmap *m, void (*fn)(const char *key, void *val, void *ud), void *ud);

#endif
