/* yjson.h — convert a YAML node (ydoc.h) into a jansson value. Inventory vars, playbook vars and
 * loop items are jansson values everywhere in netauto, so templating sees one data model.
 * Plain scalars are typed the way Ansible users expect (null/~, true/false/yes/no/on/off,
 * integers, floats); quoted scalars are always strings. Not a YAML emitter. */
#ifndef NA_YJSON_H
#define NA_YJSON_H

#include "err.h"
#include "ydoc.h"

#include <jansson.h>

/* New reference (caller json_decref's it), NULL + err (file:line:column) on failure, e.g. a
 * non-scalar mapping key. */
json_t *na_ynode_to_json(na_ydoc *d, const na_ynode *n, na_err *err);
/* The typed value of one scalar node (same rules); NULL if n is not a scalar. */
json_t *na_yscalar_to_json(const na_ynode *n);

#endif
