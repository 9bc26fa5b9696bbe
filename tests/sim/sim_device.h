/* sim_device.h — one simulated device's shared state: personality, hostname, VLANs,
 * interfaces, startup-config, faults and counters. Every session (SSH or Telnet) to the device
 * sees and changes this one state. Transport-independent and free of I/O except the
 * startup-config file under --state-dir. Not a terminal: see sim_term.h for sessions. */
#ifndef SIM_DEVICE_H
#define SIM_DEVICE_H

#include "buf.h"
#include "err.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum {
    SIM_IOS = 0,
    SIM_NXOS = 1,
    SIM_EOS = 2,
    SIM_IOSXR = 3, /* IOS's command set with IOS XR's prompts and commit model (sim_commit.c) */
    SIM_JUNOS = 4, /* its own CLI: set/delete, commit, two-line prompts (sim_junos.c) */
    SIM_PERSONA__COUNT
} sim_persona;

/* "ios", "nxos", "eos", "iosxr", "junos" */
const char *sim_persona_name(sim_persona p);
/* "cisco_ios", "cisco_nxos", "arista_eos", "cisco_iosxr", "juniper_junos" */
const char *sim_persona_platform(sim_persona p);
const char *sim_persona_prefix(sim_persona p);   /* "sw", "nx", "eos", "xr", "jn" */
int sim_persona_parse(const char *s, sim_persona *out); /* 0 ok, -1 unknown */
/* The personality whose commands and texts this one shares (IOS XR: IOS). */
sim_persona sim_persona_base(sim_persona p);

/* Misbehaviour and per-device options (--fault / --opt). Zero = well-behaved. */
typedef struct sim_faults {
    bool refuse_login;
    unsigned close_after;    /* drop the connection after N commands (0 = off) */
    unsigned stall_after;    /* stop answering after N commands (0 = off) */
    unsigned long slow_bps;  /* output rate limit in bytes/second (0 = off) */
    bool garbage;
    unsigned long long huge_output; /* show tech-support size in bytes (0 = modest text) */
    bool hostkey_change;
    unsigned banner_delay_ms;
    bool legacy_crypto;      /* --opt legacy-crypto */
    bool rsa_host_key;       /* --opt rsa-host-key: an RSA key, rsa-sha2-512/256 only */
    bool priv15;             /* --opt privilege=15 */
    char *banner;            /* --opt banner=TEXT (owned), NULL = the global --banner */
    /* real CLIs' habits (issue 12), each an --opt */
    bool cr_prompt;          /* cr-prompt: an output's last line ends in a bare CR (NX-OS 9K) */
    int fixed_width;         /* fixed-width=N: ignore `terminal width` and the PTY size; long
                                input lines are scrolled (ios, iosxr) or wrapped (the others) */
    int async;               /* async=after|glued: syslog messages (1) after the prompt on
                                lines of their own, (2) glued to the prompt */
    unsigned banner_trap_ms; /* banner-trap=MS: a banner with lines ending in > and #, each
                                followed by a pause, and hash art drawn slowly */
    bool kerberos;           /* kerberos: Telnet "Username: " with the NX-OS notice glued */
    bool cr_only;            /* cr-only: Enter is CR; a bare LF is ignored (Go's x/term) */
    bool re_master;          /* re-master: junos prints "{master:0}" above its prompts */
    unsigned revert_minute_ms; /* revert-minute=MS: a minute of `configure terminal revert
                                  timer` lasts MS ms (tests); 0 = 60000 */
} sim_faults;

/* Login credentials shared by every device (borrowed by devices; owned by the caller). */
typedef struct sim_creds {
    const char *username;
    const char *password;
    const char *secret;
    const char *banner; /* global MOTD banner or NULL */
} sim_creds;

enum { SIM_IF_PHYS = 0, SIM_IF_SVI, SIM_IF_LOOP, SIM_IF_MGMT };
enum { SIM_SW_DEFAULT = 0, SIM_SW_ACCESS, SIM_SW_TRUNK };
enum { SIM_IPM_UNSET = 0, SIM_IPM_MANUAL, SIM_IPM_NVRAM };

typedef struct sim_intf {
    char name[32];       /* canonical: "GigabitEthernet0/1", "Ethernet1/1", "Vlan10" */
    char *desc;          /* owned, NULL = none */
    uint8_t kind;        /* SIM_IF_* */
    uint8_t swmode;      /* SIM_SW_* */
    uint8_t ip_method;   /* SIM_IPM_* */
    bool shutdown;
    bool routed;         /* "no switchport" */
    uint16_t access_vlan;
    uint32_t ip, mask;   /* host byte order; ip == 0: no address */
} sim_intf;

typedef struct sim_vlan {
    uint16_t id;
    char name[33];
} sim_vlan;

typedef struct sim_counters {
    uint64_t logins_ssh, logins_telnet, login_failures;
    uint64_t commands, config_commands, connections, saves, reloads;
    int sessions_open, max_sessions;
    int in_config, max_in_config;
} sim_counters;

typedef struct sim_term sim_term;

typedef struct sim_device {
    char name[64];          /* inventory name ("sw1") */
    sim_persona persona;
    char hostname[64];
    sim_vlan *vlans;        /* sorted by id */
    size_t nvlans, capvlans;
    sim_intf *intfs;        /* physical first (in port order), then SVIs/loopbacks by creation */
    size_t nintfs, capintfs;
    char *startup;          /* saved startup-config text, NULL = none (owned) */
    size_t startup_len;
    char *state_dir;        /* DIR/NAME when --state-dir is given (owned), else NULL */
    sim_faults f;
    const sim_creds *creds; /* borrowed */
    sim_counters c;
    int64_t boot_ms;        /* wall clock at start or last reload */
    unsigned epoch;         /* bumped by reload: sessions of an older epoch close */
    int64_t (*clock_ms)(void); /* wall clock in ms (tests pin it); never NULL after init */
    sim_term *terms;        /* sessions open on this device (intrusive list, see sim_term.c) */
    void *srv;              /* server runtime data (sim_srv.c), NULL in unit tests */
    struct sim_flash *flash; /* its flash file system (sim_flash.c), made on first use */
    struct sim_bgp *bgp;    /* router bgp (sim_bgp.c), NULL when not configured (owned) */
    char *archive_path;     /* archive / path (sim_archive.c), NULL = none (owned) */
    char *revert_cfg;       /* configure terminal revert timer: the configuration to go back
                               to (owned), NULL = no change waiting for its confirmation */
    size_t revert_len;
    int64_t revert_at_ms;   /* when the device goes back by itself (clock_ms), 0 = never */
    struct sim_device *revert_snap; /* junos commit confirmed: the tables to go back to (owned;
                                       sim_snapshot_*), NULL = none */
} sim_device;

/* The revert timer (sim_archive.c): go back now if it expired. Called whenever the device is
 * looked at. */
void sim_revert_tick(sim_device *d);
/* Copies of a device's hostname, VLANs and interfaces (sim_commit.c): Junos' commit confirmed
 * goes back to one. take returns NULL on OOM; free accepts NULL. */
sim_device *sim_snapshot_take(const sim_device *d);
void sim_snapshot_restore(sim_device *d, const sim_device *snap);
void sim_snapshot_free(sim_device *snap);

/* router bgp's state (sim_bgp.c). */
void sim_bgp_free(struct sim_bgp *b);

/* Set up a factory-default device. With state_dir (may be NULL) the directory DIR/NAME is
 * created and DIR/NAME/startup-config, when present, is read as the startup-config (apply it
 * with sim_device_boot, sim_cli.h). creds is borrowed. The caller owns d's memory; free the
 * contents with sim_device_free. */
int sim_device_init(sim_device *d, const char *name, sim_persona p, const sim_creds *creds,
                    const char *state_dir, na_err *err);
void sim_device_free(sim_device *d);

/* Back to factory defaults (running config only; startup and counters stay). */
void sim_device_factory(sim_device *d);
/* running-config -> startup-config (and DIR/NAME/startup-config). */
int sim_device_save(sim_device *d, na_err *err);
/* Forget the startup-config (write erase). */
int sim_device_erase(sim_device *d, na_err *err);

/* Session accounting used by terminals (counters + max tracking). */
void sim_device_session_open(sim_device *d);
void sim_device_session_close(sim_device *d);
void sim_device_config_enter(sim_device *d);
void sim_device_config_leave(sim_device *d);

/* VLANs. find returns NULL when absent; add returns the (new or existing) entry or NULL when
 * out of memory. Names default to VLAN%04d. */
sim_vlan *sim_vlan_find(sim_device *d, unsigned id);
sim_vlan *sim_vlan_add(sim_device *d, unsigned id);
void sim_vlan_del(sim_device *d, unsigned id);
bool sim_vlan_is_default(const sim_device *d, unsigned id); /* 1, and 1002-1005 on IOS */

/* Interfaces. sim_intf_canon turns user input ("gi0/1", "Gi 0/1", "vlan 10", "e1/1") into the
 * canonical name for the personality; returns 0, or -1 when it names no interface type or the
 * number is malformed. kind receives SIM_IF_*. It does not check existence. */
int sim_intf_canon(sim_persona p, const char *in, char *out, size_t cap, int *kind);
sim_intf *sim_intf_find(sim_device *d, const char *canon);
/* Create an SVI or loopback (physical interfaces always exist); NULL if not creatable. */
sim_intf *sim_intf_create(sim_device *d, const char *canon, int kind);
int sim_intf_delete(sim_device *d, const char *canon); /* 0, -1 if absent or physical */
/* Short form for tables: "Gi0/1", "Eth1/1", "Et1", "Vl10", "Lo0", "Ma1". */
void sim_intf_short(sim_persona p, const char *canon, char *out, size_t cap);
/* Does the port count as an access port of VLAN `id` (show vlan)? */
bool sim_intf_in_vlan(const sim_intf *i, unsigned id);
/* Is the interface up (status shown by show commands)? */
bool sim_intf_up(const sim_device *d, const sim_intf *i);

/* Parse a VLAN list "10,20-22" into a sorted bitmap; returns the count of VLANs or -1. The
 * caret position (0-based into s) of the first bad character goes to *bad when not NULL. */
int sim_vlan_list_parse(const char *s, uint8_t bits[512], size_t *bad);

/* Deterministic per-device values (serial number, MAC) derived from the name. */
uint32_t sim_device_hash(const sim_device *d);

#endif
