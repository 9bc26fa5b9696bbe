/* platform_int.h — private to the platform layer's files: platform.c (the loader) hands the
 * `files:` block to platform_files.c. Not a public header: use platform.h. */
#ifndef NA_PLATFORM_INT_H
#define NA_PLATFORM_INT_H

#include "platform.h"
#include "ydoc.h"

/* Load the `files:` mapping n into a new na_pfiles (*out). Errors are "label:line:col:
 * files.FIELD: ..." like the rest of the platform. 0 or -1 + err (*out NULL). */
int na_pfiles_load(na_ydoc *d, na_ynode *n, na_pfiles **out, na_err *err);
void na_pfiles_free(na_pfiles *f);

#endif
