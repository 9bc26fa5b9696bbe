/* sim_show.h — the text of show commands and of the configuration, per personality, rendered
 * from a device's state into a buffer with "\n" line ends (the terminal turns them into
 * "\r\n"). Layouts follow real IOS / NX-OS / EOS output byte for byte where it matters to
 * parsers (column widths, trailing spaces, wrapping). Not a pager and not I/O. Each function
 * appends to `out` (the caller owns it) and returns 0, or -1 with err set when out is full. */
#ifndef SIM_SHOW_H
#define SIM_SHOW_H

#include "sim_device.h"

/* The configuration as saved to startup-config (no "Building configuration..." header). */
int sim_render_config(const sim_device *d, na_buf *out, na_err *err);
/* IOS's `router bgp` section (sim_bgp.c); nothing when it is not configured. */
int sim_bgp_render(const sim_device *d, na_buf *out, na_err *err);
/* IOS's `archive` section (sim_archive.c); nothing when it is not configured. */
int sim_archive_render(const sim_device *d, na_buf *out, na_err *err);

int sim_show_running(const sim_device *d, na_buf *out, na_err *err);
int sim_show_startup(const sim_device *d, na_buf *out, na_err *err);
int sim_show_vlan(const sim_device *d, bool brief, na_buf *out, na_err *err);
int sim_show_version(const sim_device *d, na_buf *out, na_err *err);
int sim_show_ip_int_brief(const sim_device *d, na_buf *out, na_err *err);
int sim_show_int_status(const sim_device *d, na_buf *out, na_err *err);
int sim_show_clock(const sim_device *d, na_buf *out, na_err *err);
/* The modest show tech-support (several show outputs under section headers). */
int sim_show_tech(const sim_device *d, na_buf *out, na_err *err);

/* A stand-in for a password hash ("$9$salt$hash"-like, derived with SHA-256 so the secret
 * does not appear). */
void sim_fake_hash(const char *secret, const char *salt, char *out, size_t cap);

#endif
