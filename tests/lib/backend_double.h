/* backend_double.h — TEST DOUBLE of netautod's device backend (daemon/backend.h), for unit and
 * end-to-end tests of the daemon's service shell only. Jobs and commands complete on timers with
 * results scripted in YAML; no device is contacted. It honours the daemon's contract like a real
 * backend would: every host is touched only between host_acquire's grant and host_release, and
 * callbacks always come from the loop. It also counts overlapping use of a device (which the
 * daemon's lock manager must make impossible) and reports it in host status as
 * "double_overlaps". Never linked into the production netautod (it lives in libtestutil.a).
 *
 * Inventory (YAML):
 *   hosts:
 *     sw1:
 *       groups: [core]               # for --limit
 *       latency_ms: 20               # per command (default 5)
 *       commands: {"show version": "..."}   # scripted outputs (default "HOST# CMD")
 *       login_fail: true             # every session fails with an auth error
 *       password: s3cret             # registered as a secret, masked in host JSON
 * Playbook (file NAME, NAME.yaml or NAME.yml in playbook_dir, or inline YAML):
 *   tasks:
 *     - name: step one
 *       command: show version        # output from the host's commands
 *       delay_ms: 50
 *       delay_ms_by_host: {sw3: 3000}
 *       fail_on: [sw2]
 *       changed: true */
#ifndef ND_BACKEND_DOUBLE_H
#define ND_BACKEND_DOUBLE_H

#include "backend.h"

extern const nd_backend_ops nd_backend_double_ops;

#endif
