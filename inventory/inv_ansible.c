/* inv_ansible.c — Ansible inventories in YAML/JSON (the `yaml` plugin's all/children/hosts/vars
 * structure) and in the JSON that inventory scripts and `ansible-inventory --list` print
 * (groups with host lists, `_meta.hostvars`), built into groups and hosts the way Ansible's
 * InventoryData builds them: groups and hosts added once, host patterns with ranges and ports,
 * variables set in file order (a later setting replaces an earlier one), ansible_group_priority
 * taken as the group's priority. Stricter than Ansible where Ansible only warns and drops data
 * (a `hosts:` that is a list, an unknown key in a group): those are errors here. Not INI
 * (inv_ini.c), not files or directories (inv_src.c), not precedence (inv_avars.c). */
#include "inv_ans_int.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int na_inv_err_origin(na_inventory *inv, na_err *err, const char *origin, const char *fmt, ...)
{
    char msg[NA_ERR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return na_err_set(err, NA_E_CONFIG, "%s: %s", origin && *origin ? origin : inv->path, msg);
}

/* ---- entities -------------------------------------------------------------------------------- */

size_t na_inv_ans_group(na_inventory *inv, const char *name, const char *origin, na_err *err)
{
    size_t g = na_inv_group_index(inv, name);
    if (g != (size_t)-1)
        return g;
    if (!na_inv_valid_name(name)) {
        na_inv_err_origin(inv, err, origin, "bad group name '%s' (netauto's names have no spaces "
                       "and none of , : ! &)", name);
        return (size_t)-1;
    }
    const char *c = na_inv_strdup(inv, name, err);
    if (!c)
        return (size_t)-1;
    g = na_inv_add_group(inv, c, 0, 0, err);
    if (g != (size_t)-1)
        inv->groups[g].priority = 1;
    return g;
}

size_t na_inv_ans_host(na_inventory *inv, const char *name, size_t gi, long port,
                    const char *origin, na_err *err)
{
    size_t hi = na_inv_host_index(inv, name);
    if (hi == (size_t)-1) {
        if (!na_inv_valid_name(name)) {
            na_inv_err_origin(inv, err, origin, "bad host name '%s' (netauto's names have no "
                           "spaces and none of , : ! &)", name);
            return (size_t)-1;
        }
        const char *c = na_inv_strdup(inv, name, err);
        if (!c || (hi = na_inv_add_host(inv, c, 0, 0, err)) == (size_t)-1)
            return (size_t)-1;
        inv->hosts[hi].origin = origin ? na_inv_strdup(inv, origin, err) : NULL;
        if (port > 0 && na_inv_ans_host_var(inv, hi, "ansible_port", json_integer(port), origin,
                                         err) < 0)
            return (size_t)-1;
    }
    if (gi != (size_t)-1 && gi != 0) {
        inv_hostdef *h = &inv->hosts[hi];
        if (na_inv_add_link(&h->groups, &h->n_groups, &h->cap_groups, gi, 0, 0, err) < 0)
            return (size_t)-1;
    }
    return hi;
}

int na_inv_ans_child(na_inventory *inv, size_t parent, size_t child, const char *origin,
                  na_err *err)
{
    if (child == 0)
        return na_inv_err_origin(inv, err, origin, "group 'all' cannot be a child group");
    if (parent == child)
        return na_inv_err_origin(inv, err, origin, "group '%s' cannot be its own child",
                              inv->groups[child].name);
    if (parent == 0)
        return 0; /* every group is under "all" anyway */
    inv_group *c = &inv->groups[child];
    size_t before = c->n_parents;
    if (na_inv_add_link(&c->parents, &c->n_parents, &c->cap_parents, parent, 0, 0, err) < 0)
        return -1;
    if (c->n_parents > before && origin && *origin &&
        !(c->parents[before].origin = na_inv_strdup(inv, origin, err)))
        return -1;
    return 0;
}

int na_inv_ans_group_var(na_inventory *inv, size_t gi, const char *key, json_t *val,
                      const char *origin, na_err *err)
{
    if (!strcmp(key, "ansible_group_priority")) { /* Group.set_priority: int(value) */
        double d = 0;
        bool ok = true;
        if (json_is_integer(val) || json_is_real(val))
            d = json_number_value(val);
        else if (json_is_boolean(val))
            d = json_is_true(val);
        else if (json_is_string(val)) {
            char *end;
            d = (double)strtoll(json_string_value(val), &end, 10);
            ok = *json_string_value(val) && !*end;
        } else
            ok = false;
        json_decref(val);
        if (!ok || fabs(d) > 1e9)
            return na_inv_err_origin(inv, err, origin, "group '%s': ansible_group_priority must "
                                  "be a number", inv->groups[gi].name);
        inv->groups[gi].priority = (int)d;
        return 0;
    }
    return na_inv_avars_set(&inv->groups[gi].av, key, val, origin, err);
}

int na_inv_ans_host_var(na_inventory *inv, size_t hi, const char *key, json_t *val,
                     const char *origin, na_err *err)
{
    return na_inv_avars_set(&inv->hosts[hi].av, key, val, origin, err);
}

/* ---- the yaml plugin ------------------------------------------------------------------------- */

static const char *type_name(const json_t *j)
{
    switch (json_typeof(j)) {
    case JSON_OBJECT: return "a mapping";
    case JSON_ARRAY: return "a list";
    case JSON_STRING: return "a string";
    case JSON_NULL: return "empty";
    default: return "a number or boolean";
    }
}

static int parse_group(na_inventory *inv, const char *name, json_t *data, const inv_pos *pos,
                       const char *origin, int depth, size_t *gout, na_err *err);

/* A section (vars/children/hosts) may be a mapping, empty, or one name as a string. */
static json_t *section(na_inventory *inv, json_t *data, const char *key, const char *group,
                       const char *origin, na_err *err, bool *bad)
{
    *bad = false;
    json_t *s = json_object_get(data, key);
    if (!s || json_is_null(s))
        return NULL;
    if (json_is_string(s)) {
        json_t *o = json_object();
        json_object_set_new(o, json_string_value(s), json_null());
        return o;
    }
    if (!json_is_object(s)) {
        *bad = true;
        na_inv_err_origin(inv, err, origin, "group '%s': '%s' must be a mapping (of %s), not %s",
                       group, key, !strcmp(key, "vars") ? "variables" :
                       !strcmp(key, "hosts") ? "host names" : "group names", type_name(s));
        return NULL;
    }
    return json_incref(s);
}

static int parse_hosts(na_inventory *inv, size_t gi, json_t *hosts, const inv_pos *pos,
                       na_err *err)
{
    const char *pattern;
    json_t *hv;
    json_object_foreach (hosts, pattern, hv) {
        char origin[1200];
        na_inv_pos_key_origin(pos, hosts, pattern, origin, sizeof origin);
        if (!json_is_null(hv) && !json_is_object(hv))
            return na_inv_err_origin(inv, err, origin,
                                     "host '%s': its variables must be a mapping, "
                                     "not %s",
                                     pattern, type_name(hv));
        inv_strlist names = {0};
        long port = -1;
        char why[300];
        if (na_inv_expand_hostpattern(pattern, &names, &port, why, sizeof why) < 0) {
            na_inv_strlist_free(&names);
            return na_inv_err_origin(inv, err, origin, "host '%s': %s", pattern, why);
        }
        int rc = 0;
        for (size_t i = 0; rc == 0 && i < names.n; i++) {
            size_t hi = na_inv_ans_host(inv, names.v[i], gi, port, origin, err);
            if (hi == (size_t)-1) {
                rc = -1;
                break;
            }
            const char *k;
            json_t *v;
            if (json_is_object(hv))
                json_object_foreach (hv, k, v) {
                    char vo[1200];
                    na_inv_pos_origin(pos, hv, k, vo, sizeof vo);
                    if ((rc = na_inv_ans_host_var(inv, hi, k, json_incref(v), vo, err)) < 0)
                        break;
                }
        }
        na_inv_strlist_free(&names);
        if (rc < 0)
            return -1;
    }
    return 0;
}

static int parse_group(na_inventory *inv, const char *name, json_t *data, const inv_pos *pos,
                       const char *origin, int depth, size_t *gout, na_err *err)
{
    if (depth > INV_MAX_GROUP_DEPTH)
        return na_inv_err_origin(inv, err, origin, "group '%s': children nested more than %d "
                              "levels deep", name, INV_MAX_GROUP_DEPTH);
    if (!json_is_null(data) && !json_is_object(data))
        return na_inv_err_origin(inv, err, origin, "group '%s' must be a mapping with hosts, "
                              "children and vars, not %s", name, type_name(data));
    size_t gi = na_inv_ans_group(inv, name, origin, err);
    if (gi == (size_t)-1)
        return -1;
    *gout = gi;
    if (json_is_null(data))
        return 0;
    const char *key;
    json_t *v;
    json_object_foreach (data, key, v) {
        if (strcmp(key, "vars") && strcmp(key, "children") && strcmp(key, "hosts")) {
            char ko[1200];
            na_inv_pos_key_origin(pos, data, key, ko, sizeof ko);
            return na_inv_err_origin(inv, err, ko, "group '%s': unknown key '%s' (a group has "
                                  "hosts, children and vars)", name, key);
        }
    }
    json_object_foreach (data, key, v) { /* in file order, as Ansible reads them */
        bool bad;
        json_t *s = section(inv, data, key, name, origin, err, &bad);
        if (bad)
            return -1;
        if (!s)
            continue;
        const json_t *owner = json_is_object(v) ? v : s;
        int rc = 0;
        const char *k;
        json_t *x;
        if (!strcmp(key, "vars")) {
            json_object_foreach (s, k, x) {
                char vo[1200];
                na_inv_pos_origin(pos, owner, k, vo, sizeof vo);
                if ((rc = na_inv_ans_group_var(inv, gi, k, json_incref(x), vo, err)) < 0)
                    break;
            }
        } else if (!strcmp(key, "children")) {
            json_object_foreach (s, k, x) {
                char co[1200];
                na_inv_pos_key_origin(pos, owner, k, co, sizeof co);
                size_t ci;
                if ((rc = parse_group(inv, k, x, pos, co, depth + 1, &ci, err)) < 0 ||
                    (rc = na_inv_ans_child(inv, gi, ci, co, err)) < 0)
                    break;
            }
        } else {
            rc = parse_hosts(inv, gi, s, pos, err);
        }
        json_decref(s);
        if (rc < 0)
            return -1;
    }
    return 0;
}

int na_inv_ans_yaml(na_inventory *inv, json_t *root, const inv_pos *pos, na_err *err)
{
    const char *name;
    json_t *data;
    json_object_foreach (root, name, data) {
        char origin[1200];
        na_inv_pos_key_origin(pos, root, name, origin, sizeof origin);
        size_t gi;
        if (parse_group(inv, name, data, pos, origin, 0, &gi, err) < 0)
            return -1;
    }
    return 0;
}

/* ---- the script plugin (and ansible-inventory --list JSON) ------------------------------------ */

int na_inv_ans_script(na_inventory *inv, json_t *root, const char *script, const char *exe,
                   na_err *err)
{
    json_t *meta = NULL;
    const char *gname;
    json_t *gdata;
    json_t *seen = json_object(); /* hosts this source named, in order */
    int rc = 0;
    json_object_foreach (root, gname, gdata) {
        if (!strcmp(gname, "_meta")) {
            if (json_is_object(gdata))
                meta = json_object_get(gdata, "hostvars");
            continue;
        }
        size_t gi = na_inv_ans_group(inv, gname, script, err);
        if (gi == (size_t)-1) {
            rc = -1;
            break;
        }
        json_t *data = json_incref(gdata);
        if (!json_is_object(data)) { /* a bare list of hosts */
            json_t *o = json_object();
            json_object_set_new(o, "hosts", data);
            data = o;
        } else if (!json_object_get(data, "hosts") && !json_object_get(data, "vars") &&
                   !json_object_get(data, "children")) { /* a host named like the group */
            json_t *o = json_object(), *h = json_array();
            json_array_append_new(h, json_string(gname));
            json_object_set_new(o, "hosts", h);
            json_object_set_new(o, "vars", data);
            data = o;
        }
        json_t *hosts = json_object_get(data, "hosts"), *vars = json_object_get(data, "vars");
        json_t *children = json_object_get(data, "children");
        if (hosts && !json_is_array(hosts))
            rc = na_inv_err_origin(inv, err, script, "group '%s': hosts must be a list of host "
                                "names, not %s", gname, type_name(hosts));
        for (size_t i = 0; rc == 0 && hosts && i < json_array_size(hosts); i++) {
            json_t *h = json_array_get(hosts, i);
            if (!json_is_string(h)) {
                rc = na_inv_err_origin(inv, err, script, "group '%s': host names must be strings",
                                    gname);
                break;
            }
            if (na_inv_ans_host(inv, json_string_value(h), gi, -1, script, err) == (size_t)-1)
                rc = -1;
            json_object_set_new(seen, json_string_value(h), json_true());
        }
        if (rc == 0 && vars && !json_is_object(vars))
            rc = na_inv_err_origin(inv, err, script, "group '%s': vars must be a mapping, not %s",
                                gname, type_name(vars));
        const char *k;
        json_t *x;
        if (rc == 0 && vars)
            json_object_foreach (vars, k, x)
                if ((rc = na_inv_ans_group_var(inv, gi, k, json_incref(x), script, err)) < 0)
                    break;
        for (size_t i = 0; rc == 0 && children && i < json_array_size(children); i++) {
            json_t *c = json_array_get(children, i);
            size_t ci = json_is_string(c) ? na_inv_ans_group(inv, json_string_value(c), script,
                                                          err) : (size_t)-1;
            if (!json_is_string(c))
                rc = na_inv_err_origin(inv, err, script, "group '%s': children must be group "
                                    "names", gname);
            else if (ci == (size_t)-1 || na_inv_ans_child(inv, gi, ci, script, err) < 0)
                rc = -1;
        }
        if (rc == 0 && children && !json_is_array(children))
            rc = na_inv_err_origin(inv, err, script, "group '%s': children must be a list of "
                                "group names, not %s", gname, type_name(children));
        json_decref(data);
        if (rc < 0)
            break;
    }
    if (rc == 0 && meta && !json_is_object(meta))
        rc = na_inv_err_origin(inv, err, script, "_meta.hostvars must be a mapping of host names");
    const char *hname;
    json_t *dummy;
    json_object_foreach (seen, hname, dummy) {
        if (rc < 0)
            break;
        json_t *hv = NULL, *own = NULL;
        if (meta)
            hv = json_object_get(meta, hname);
        else if (exe && !(hv = own = na_inv_ans_script_host(inv, exe, hname, err)))
            rc = -1; /* an old-style script: its variables come from SCRIPT --host NAME */
        if (!hv)
            continue;
        if (!json_is_object(hv)) {
            rc = na_inv_err_origin(inv, err, script, "_meta.hostvars: host '%s': variables must "
                                "be a mapping", hname);
            break;
        }
        size_t hi = na_inv_host_index(inv, hname);
        const char *k;
        json_t *x;
        json_object_foreach (hv, k, x)
            if ((rc = na_inv_ans_host_var(inv, hi, k, json_incref(x), script, err)) < 0)
                break;
        json_decref(own);
    }
    json_decref(seen);
    return rc;
}
