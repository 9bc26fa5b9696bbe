/* vlans.h — the `vlans` resource: read a device's VLANs from `show vlan brief` (IOS, NX-OS and
 * EOS table layouts, port lists wrapped onto continuation lines), compute the exact commands that
 * bring it to a desired state (merged, replaced, overridden, deleted), and verify the result.
 * Pure functions: nothing here talks to a device (the runner sends what these return).
 *
 * Never touched: VLAN 1 and 1002-1005 (the defaults); asking for them is a validation error.
 * Names: 1-32 printable ASCII characters without spaces, quotes or '?' (IOS and NX-OS take the
 * name as one word). A VLAN without a name has the default name VLANnnnn (VLAN0010). */
#ifndef NA_VLANS_H
#define NA_VLANS_H

#include "err.h"
#include "strv.h"

#include <stdbool.h>
#include <stddef.h>

#define NA_VLAN_NAME_MAX 32
#define NA_VLANS_MAX 4094

typedef struct na_vlan {
    int id;
    char *name;     /* owned */
    char *status;   /* owned: active, act/unsup, suspended, act/lshut, ... */
    na_strv ports;  /* owned: "Gi0/1", "Eth1/2", ... in the order shown */
} na_vlan;

typedef struct na_vlan_list {
    na_vlan *v;     /* owned, in the order the device listed them */
    size_t n;
} na_vlan_list;

typedef enum {
    NA_VLANS_MERGED = 0,
    NA_VLANS_REPLACED,
    NA_VLANS_OVERRIDDEN,
    NA_VLANS_DELETED,
} na_vlans_state;

/* One wanted VLAN. name NULL = not given (merged: leave the name alone; replaced/overridden:
 * the default name). */
typedef struct na_vlan_want {
    int id;
    char *name;     /* owned by whoever built the array */
} na_vlan_want;

/* Parse `show vlan brief` (or the first table of `show vlan`) output. The table is found by its
 * header ("VLAN Name Status Ports") and dashed underline; anything before it (echo, banners) and
 * after it (further tables) is ignored. Text without the table is NA_E_PROTOCOL. out is
 * overwritten; free it with na_vlan_list_free. */
int na_vlans_parse(const char *text, size_t n, na_vlan_list *out, na_err *err);
void na_vlan_list_free(na_vlan_list *l);
const na_vlan *na_vlan_find(const na_vlan_list *l, int id);

/* VLAN 1 and 1002-1005. */
bool na_vlan_is_default(int id);
/* "VLAN0010" for 10 into buf (>= 9 bytes). */
void na_vlan_default_name(int id, char *buf, size_t cap);
/* NULL if name is acceptable, else why not ("has a space"...). */
const char *na_vlan_name_problem(const char *name);
/* "merged"... -> state; -1 if unknown. */
int na_vlans_state_parse(const char *s);
const char *na_vlans_state_name(na_vlans_state s);

/* Check a desired state: ids 1..4094, not a default VLAN, no duplicates, valid names. Fails
 * with NA_E_CONFIG naming the VLAN. */
int na_vlans_check(const na_vlan_want *want, size_t n, na_err *err);

/* The commands (appended to cmds, config-mode lines) that take `current` to the desired state.
 * Deletions come first, then creations and renames, each in ascending VLAN id; every `vlan N`
 * block ends with `exit` so the VLAN is committed before the next one. No commands means
 * nothing to change (idempotent). `want` is checked with na_vlans_check first. */
int na_vlans_plan(na_vlans_state state, const na_vlan_want *want, size_t n,
                  const na_vlan_list *current, na_strv *cmds, na_err *err);

/* After the change: does `after` satisfy the desired state? 0 yes; -1 with NA_E_DEVICE and a
 * message listing the differences ("VLAN 10 is missing; VLAN 20 is named 'x', not 'y'"). */
int na_vlans_verify(na_vlans_state state, const na_vlan_want *want, size_t n,
                    const na_vlan_list *after, na_err *err);

#endif
