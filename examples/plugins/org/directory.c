/* SPDX-License-Identifier: MIT */
/* LDIF and CSV exports of people and teams, converted to User and Group entities. */
#include "directory.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* A record read from an export, before conversion:
 *   {"kind": "user"|"group", "id", "dn"?, "displayName"?, "email"?,
 *    "parent"? (group id), "teams"? [group ids], "memberDns"? [dn], "memberUids"? [uid]} */

typedef struct {
    char *message;
    size_t size;
} error_out;

static int fail(error_out *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int fail(error_out *err, const char *fmt, ...)
{
    va_list args;

    va_start(args, fmt);
    vsnprintf(err->message, err->size, fmt, args);
    va_end(args);
    return -1;
}

/* Makes a valid entity name: letters, digits and [-_.] inside, at most ORG_NAME_MAX bytes. */
static void sanitize(const char *in, char out[ORG_NAME_MAX + 1])
{
    size_t len = 0;

    for (const char *p = in; *p != '\0' && len < ORG_NAME_MAX; p++) {
        unsigned char c = (unsigned char)*p;

        out[len++] = (char)(isalnum(c) || c == '-' || c == '_' || c == '.' ? c : '-');
    }
    while (len > 0 && !isalnum((unsigned char)out[len - 1]))
        len--;
    out[len] = '\0';
    while (out[0] != '\0' && !isalnum((unsigned char)out[0]))
        memmove(out, out + 1, strlen(out));
}

static char *lower_dup(const char *text)
{
    char *copy = strdup(text);

    for (char *p = copy; *p != '\0'; p++)
        *p = (char)tolower((unsigned char)*p);
    return copy;
}

/* Normalizes a DN for lookups: lower case, no spaces after commas. */
static char *normalize_dn(const char *dn)
{
    char *copy = lower_dup(dn);
    char *w = copy;

    for (const char *r = copy; *r != '\0'; r++) {
        if (*r == ' ' && w > copy && w[-1] == ',')
            continue;
        *w++ = *r;
    }
    *w = '\0';
    return copy;
}

/* ---- LDIF ---- */

static int base64_value(int c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+')
        return 62;
    return c == '/' ? 63 : -1;
}

/* Decodes base64 text into a new NUL-terminated string, or NULL when malformed. */
static char *base64_decode(const char *text)
{
    size_t len = strlen(text);
    char *out = malloc(len / 4 * 3 + 4);
    size_t n = 0;
    unsigned bits = 0;
    int count = 0;

    for (const char *p = text; *p != '\0'; p++) {
        int v;

        if (*p == '=' || *p == ' ')
            continue;
        if ((v = base64_value((unsigned char)*p)) < 0) {
            free(out);
            return NULL;
        }
        bits = (bits << 6) | (unsigned)v;
        if (++count == 4) {
            out[n++] = (char)(bits >> 16);
            out[n++] = (char)(bits >> 8);
            out[n++] = (char)bits;
            bits = 0;
            count = 0;
        }
    }
    if (count == 3) {
        out[n++] = (char)(bits >> 10);
        out[n++] = (char)(bits >> 2);
    } else if (count == 2) {
        out[n++] = (char)(bits >> 4);
    } else if (count == 1) {
        free(out);
        return NULL;
    }
    out[n] = '\0';
    return out;
}

/* Adds one `attr: value` line (unfolded) to `record`. */
static int ldif_attribute(json_t *record, const char *line, int line_no, error_out *err)
{
    const char *colon = strchr(line, ':');
    char name[128];
    size_t name_len;
    const char *value;
    char *decoded = NULL;
    json_t *values;

    if (colon == NULL || colon == line)
        return fail(err, "line %d: expected 'attribute: value'", line_no);
    name_len = strcspn(line, ":;");
    if (name_len >= sizeof(name))
        return fail(err, "line %d: attribute name is too long", line_no);
    for (size_t i = 0; i < name_len; i++)
        name[i] = (char)tolower((unsigned char)line[i]);
    name[name_len] = '\0';
    value = colon + 1;
    if (*value == ':') {
        value++;
        while (*value == ' ')
            value++;
        if ((decoded = base64_decode(value)) == NULL)
            return fail(err, "line %d: invalid base64 value of %s", line_no, name);
        value = decoded;
    } else if (*value == '<') {
        return fail(err, "line %d: URL values (%s:<) are not supported", line_no, name);
    } else {
        while (*value == ' ')
            value++;
    }
    values = json_object_get(record, name);
    if (values == NULL) {
        values = json_array();
        json_object_set_new(record, name, values);
    }
    json_array_append_new(values, json_string(value));
    free(decoded);
    return 0;
}

static const char *first(const json_t *record, const char *attr)
{
    return json_string_value(json_array_get(json_object_get(record, attr), 0));
}

static bool has_class(const json_t *record, const char *const *classes)
{
    size_t index;
    const json_t *value;

    json_array_foreach (json_object_get(record, "objectclass"), index, value) {
        for (const char *const *c = classes; *c != NULL; c++) {
            if (strcasecmp(json_string_value(value), *c) == 0)
                return true;
        }
    }
    return false;
}

static void set_string(json_t *object, const char *key, const char *value)
{
    if (value != NULL && value[0] != '\0')
        json_object_set_new(object, key, json_string(value));
}

/* Turns a raw LDIF record into a user or group record; other records are dropped. */
static void ldif_record(json_t *raw, json_t *records)
{
    static const char *const user_classes[] = {"person", "organizationalPerson",
                                               "inetOrgPerson", "user", NULL};
    static const char *const group_classes[] = {"groupOfNames", "groupOfUniqueNames",
                                                "posixGroup", "group", NULL};
    const char *changetype = first(raw, "changetype");
    bool user = has_class(raw, user_classes);
    bool group = !user && has_class(raw, group_classes);
    const char *id = user && first(raw, "uid") != NULL ? first(raw, "uid") : first(raw, "cn");
    json_t *record;
    char *dn;

    if ((changetype != NULL && strcasecmp(changetype, "add") != 0) || (!user && !group) ||
        id == NULL || first(raw, "dn") == NULL)
        return;
    record = json_object();
    dn = normalize_dn(first(raw, "dn"));
    json_object_set_new(record, "kind", json_string(user ? "user" : "group"));
    json_object_set_new(record, "id", json_string(id));
    json_object_set_new(record, "dn", json_string(dn));
    set_string(record, "displayName",
               first(raw, "displayname") ? first(raw, "displayname") : first(raw, "cn"));
    set_string(record, "email", first(raw, "mail"));
    if (group) {
        json_t *dns = json_array();
        json_t *uids = json_array();
        const char *const member_attrs[] = {"member", "uniquemember"};
        size_t index;
        json_t *value;

        for (size_t i = 0; i < 2; i++) {
            json_array_foreach (json_object_get(raw, member_attrs[i]), index, value) {
                char *member = normalize_dn(json_string_value(value));

                json_array_append_new(dns, json_string(member));
                free(member);
            }
        }
        json_array_foreach (json_object_get(raw, "memberuid"), index, value)
            json_array_append(uids, value);
        json_object_set_new(record, "memberDns", dns);
        json_object_set_new(record, "memberUids", uids);
    }
    free(dn);
    json_array_append_new(records, record);
}

/* Splits LDIF text into unfolded lines and collects records. */
static int parse_ldif(const char *text, size_t len, json_t *records, error_out *err)
{
    const char *p = text;
    const char *end = text + len;
    char *line = NULL;
    size_t line_len = 0;
    int line_no = 0;
    int logical_no = 0;
    bool comment = false;
    json_t *raw = json_object();
    int rc = 0;

    while (rc == 0) {
        bool at_end = p >= end;
        const char *eol = at_end ? NULL : memchr(p, '\n', (size_t)(end - p));
        const char *stop = eol != NULL ? eol : end;
        size_t n = at_end ? 0 : (size_t)(stop - p);

        if (n > 0 && p[n - 1] == '\r')
            n--;
        if (!at_end)
            line_no++;
        if (!at_end && n > 0 && p[0] == ' ') {
            /* A folded line continues the previous one, without its first space. */
            if (!comment && line != NULL) {
                line = realloc(line, line_len + n);
                memcpy(line + line_len, p + 1, n - 1);
                line_len += n - 1;
                line[line_len] = '\0';
            }
        } else {
            if (line != NULL && !comment) {
                if (json_object_size(raw) == 0 && strncasecmp(line, "dn:", 3) != 0 &&
                    strncasecmp(line, "version:", 8) == 0) {
                    /* "version: 1" opens the file. */
                } else {
                    rc = ldif_attribute(raw, line, logical_no, err);
                }
            }
            free(line);
            line = NULL;
            comment = false;
            if (at_end || n == 0) {
                if (json_object_size(raw) > 0) {
                    if (json_array_size(records) >= ORG_MAX_RECORDS)
                        rc = fail(err, "more than %d records", ORG_MAX_RECORDS);
                    ldif_record(raw, records);
                    json_object_clear(raw);
                }
                if (at_end)
                    break;
            } else if (p[0] == '#') {
                comment = true;
                line = strdup("");
            } else {
                line = malloc(n + 1);
                memcpy(line, p, n);
                line[n] = '\0';
                line_len = n;
                logical_no = line_no;
            }
        }
        p = eol != NULL ? eol + 1 : end;
    }
    free(line);
    json_decref(raw);
    return rc;
}

/* ---- CSV ---- */

/* Reads one CSV row into `fields` (strings); returns 1, 0 at the end, or -1. */
static int csv_row(const char **cursor, const char *end, json_t *fields, int *line_no,
                   error_out *err)
{
    const char *p = *cursor;
    char *field = malloc((size_t)(end - p) + 1);
    size_t n = 0;
    bool quoted = false;
    int start_line = *line_no;

    json_array_clear(fields);
    if (p >= end) {
        free(field);
        return 0;
    }
    for (;;) {
        if (p >= end || (!quoted && (*p == '\n' || *p == ',' || *p == '\r'))) {
            field[n] = '\0';
            json_array_append_new(fields, json_string(field));
            n = 0;
            if (p < end && *p == ',') {
                p++;
                continue;
            }
            if (p < end && *p == '\r')
                p++;
            if (p < end && *p == '\n') {
                p++;
                (*line_no)++;
            }
            break;
        }
        if (quoted && *p == '"' && p + 1 < end && p[1] == '"') {
            field[n++] = '"';
            p += 2;
        } else if (*p == '"') {
            quoted = !quoted;
            p++;
        } else {
            if (*p == '\n')
                (*line_no)++;
            field[n++] = *p++;
        }
    }
    free(field);
    *cursor = p;
    if (quoted)
        return fail(err, "line %d: a quoted field is not closed", start_line);
    return 1;
}

static int column_of(const json_t *header, const char *name)
{
    size_t index;
    const json_t *value;

    json_array_foreach (header, index, value) {
        if (strcasecmp(json_string_value(value), name) == 0)
            return (int)index;
    }
    return -1;
}

static const char *cell(const json_t *row, int column)
{
    return column >= 0 ? json_string_value(json_array_get(row, (size_t)column)) : NULL;
}

static int parse_csv(const char *text, size_t len, json_t *records, error_out *err)
{
    const char *p = text;
    const char *end = text + len;
    json_t *header = json_array();
    json_t *row = json_array();
    int line_no = 1;
    int cols[6];
    static const char *const names[] = {"type", "id", "display_name", "email", "parent", "teams"};
    int rc = csv_row(&p, end, header, &line_no, err);

    if (rc == 0)
        rc = fail(err, "line 1: the header row is missing");
    for (size_t i = 0; rc > 0 && i < 6; i++) {
        cols[i] = column_of(header, names[i]);
        if (i < 2 && cols[i] < 0)
            rc = fail(err, "line 1: the header has no '%s' column", names[i]);
    }
    while (rc > 0) {
        int row_line = line_no;
        const char *type;
        json_t *record;

        if ((rc = csv_row(&p, end, row, &line_no, err)) <= 0)
            break;
        if (json_array_size(row) == 1 && json_string_length(json_array_get(row, 0)) == 0)
            continue;
        type = cell(row, cols[0]);
        if (type == NULL || cell(row, cols[1]) == NULL || cell(row, cols[1])[0] == '\0') {
            rc = fail(err, "line %d: type and id are required", row_line);
            break;
        }
        if (strcasecmp(type, "person") != 0 && strcasecmp(type, "user") != 0 &&
            strcasecmp(type, "team") != 0 && strcasecmp(type, "group") != 0) {
            rc = fail(err, "line %d: type '%s' is invalid; use person or team", row_line, type);
            break;
        }
        if (json_array_size(records) >= ORG_MAX_RECORDS) {
            rc = fail(err, "line %d: more than %d records", row_line, ORG_MAX_RECORDS);
            break;
        }
        record = json_object();
        json_object_set_new(record, "kind",
                            json_string(strcasecmp(type, "person") == 0 ||
                                                strcasecmp(type, "user") == 0
                                            ? "user"
                                            : "group"));
        json_object_set_new(record, "id", json_string(cell(row, cols[1])));
        set_string(record, "displayName", cell(row, cols[2]));
        set_string(record, "email", cell(row, cols[3]));
        set_string(record, "parent", cell(row, cols[4]));
        if (cell(row, cols[5]) != NULL && cell(row, cols[5])[0] != '\0') {
            json_t *teams = json_array();
            char *copy = strdup(cell(row, cols[5]));
            char *save = NULL;

            for (char *team = strtok_r(copy, ";", &save); team != NULL;
                 team = strtok_r(NULL, ";", &save)) {
                while (*team == ' ')
                    team++;
                if (*team != '\0')
                    json_array_append_new(teams, json_string(team));
            }
            free(copy);
            json_object_set_new(record, "teams", teams);
        }
        json_array_append_new(records, record);
    }
    json_decref(header);
    json_decref(row);
    return rc < 0 ? -1 : 0;
}

/* ---- Entities ---- */

/* Indexes of the conversion: names by record id, and (kind, name) by DN. */
typedef struct {
    json_t *users;  /* name -> entity */
    json_t *groups; /* name -> entity */
    json_t *by_dn;  /* dn -> {"kind", "name"} */
    json_t *by_id;  /* "user:" / "group:" + record id -> name */
    const org_options *options;
} org_index;

static json_t *new_entity(const org_index *index, const char *kind, const char *name,
                          const json_t *record)
{
    json_t *entity = json_object();
    json_t *metadata = json_object();
    json_t *spec = json_object();
    json_t *profile = json_object();

    json_object_set_new(entity, "apiVersion", json_string("backstage.io/v1alpha1"));
    json_object_set_new(entity, "kind", json_string(kind));
    json_object_set_new(metadata, "name", json_string(name));
    json_object_set_new(metadata, "namespace", json_string(index->options->namespace_name));
    json_object_set_new(entity, "metadata", metadata);
    set_string(profile, "displayName", json_string_value(json_object_get(record, "displayName")));
    set_string(profile, "email", json_string_value(json_object_get(record, "email")));
    json_object_set_new(spec, "profile", profile);
    if (strcmp(kind, "User") == 0) {
        json_object_set_new(spec, "memberOf", json_array());
    } else {
        json_object_set_new(spec, "type", json_string(index->options->group_type));
        json_object_set_new(spec, "children", json_array());
        json_object_set_new(spec, "members", json_array());
    }
    json_object_set_new(entity, "spec", spec);
    return entity;
}

static void append_unique(json_t *array, const char *value)
{
    size_t index;
    const json_t *item;

    json_array_foreach (array, index, item) {
        if (strcmp(json_string_value(item), value) == 0)
            return;
    }
    json_array_append_new(array, json_string(value));
}

static void add_membership(org_index *index, const char *user, const char *group)
{
    json_t *user_entity = json_object_get(index->users, user);
    json_t *group_entity = json_object_get(index->groups, group);

    if (user_entity == NULL || group_entity == NULL)
        return;
    append_unique(json_object_get(json_object_get(user_entity, "spec"), "memberOf"), group);
    append_unique(json_object_get(json_object_get(group_entity, "spec"), "members"), user);
}

static void set_parent(org_index *index, const char *child, const char *parent)
{
    json_t *child_entity = json_object_get(index->groups, child);
    json_t *parent_entity = json_object_get(index->groups, parent);

    if (child_entity == NULL || parent_entity == NULL || strcmp(child, parent) == 0)
        return;
    json_object_set_new(json_object_get(child_entity, "spec"), "parent", json_string(parent));
}

static const char *name_of(const org_index *index, const char *kind, const char *id)
{
    char key[512];

    snprintf(key, sizeof(key), "%s:%s", kind, id);
    return json_string_value(json_object_get(index->by_id, key));
}

/* First pass: one entity per record, with the lookups the second pass needs. */
static void create_entities(org_index *index, const json_t *records)
{
    size_t i;
    const json_t *record;

    json_array_foreach (records, i, record) {
        const char *kind = json_string_value(json_object_get(record, "kind"));
        const char *id = json_string_value(json_object_get(record, "id"));
        const char *dn = json_string_value(json_object_get(record, "dn"));
        bool user = strcmp(kind, "user") == 0;
        json_t *table = user ? index->users : index->groups;
        char name[ORG_NAME_MAX + 1];
        char key[512];

        sanitize(id, name);
        if (name[0] == '\0' || json_object_get(table, name) != NULL)
            continue;
        json_object_set_new(table, name, new_entity(index, user ? "User" : "Group", name, record));
        snprintf(key, sizeof(key), "%s:%s", kind, id);
        json_object_set_new(index->by_id, key, json_string(name));
        if (dn != NULL) {
            json_t *target = json_object();

            json_object_set_new(target, "kind", json_string(kind));
            json_object_set_new(target, "name", json_string(name));
            json_object_set_new(index->by_dn, dn, target);
        }
    }
}

/* Second pass: membership and hierarchy from member DNs, uids, teams and parents. */
static void link_entities(org_index *index, const json_t *records)
{
    size_t i;
    const json_t *record;

    json_array_foreach (records, i, record) {
        const char *kind = json_string_value(json_object_get(record, "kind"));
        const char *self = name_of(index, kind, json_string_value(json_object_get(record, "id")));
        size_t j;
        const json_t *value;

        if (self == NULL)
            continue;
        json_array_foreach (json_object_get(record, "memberDns"), j, value) {
            const json_t *target = json_object_get(index->by_dn, json_string_value(value));
            const char *target_kind = json_string_value(json_object_get(target, "kind"));
            const char *target_name = json_string_value(json_object_get(target, "name"));

            if (target_kind != NULL && strcmp(target_kind, "user") == 0)
                add_membership(index, target_name, self);
            else if (target_kind != NULL)
                set_parent(index, target_name, self);
        }
        json_array_foreach (json_object_get(record, "memberUids"), j, value) {
            const char *user = name_of(index, "user", json_string_value(value));

            if (user != NULL)
                add_membership(index, user, self);
        }
        json_array_foreach (json_object_get(record, "teams"), j, value) {
            const char *group = name_of(index, "group", json_string_value(value));

            if (group != NULL)
                add_membership(index, self, group);
        }
        if (json_object_get(record, "parent") != NULL) {
            const char *parent =
                name_of(index, "group", json_string_value(json_object_get(record, "parent")));

            if (parent != NULL)
                set_parent(index, self, parent);
        }
    }
}

static int compare_names(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Sorts an array of strings in place, so the output is the same whatever the input order. */
static void sort_array(json_t *array)
{
    size_t count = json_array_size(array);
    const char **names = calloc(count + 1, sizeof(char *));
    json_t *sorted = json_array();

    for (size_t i = 0; i < count; i++)
        names[i] = json_string_value(json_array_get(array, i));
    if (count > 1)
        qsort(names, count, sizeof(names[0]), compare_names);
    for (size_t i = 0; i < count; i++)
        json_array_append_new(sorted, json_string(names[i]));
    json_array_clear(array);
    json_array_extend(array, sorted);
    json_decref(sorted);
    free(names);
}

/* Fills children from parents and returns every entity, groups first, each sorted by name;
 * the lists inside each entity are sorted too. */
static json_t *collect_entities(org_index *index)
{
    json_t *out = json_array();
    const char *name;
    json_t *entity;

    json_object_foreach (index->groups, name, entity) {
        const char *parent =
            json_string_value(json_object_get(json_object_get(entity, "spec"), "parent"));
        json_t *parent_spec = json_object_get(json_object_get(index->groups, parent), "spec");

        if (parent != NULL)
            append_unique(json_object_get(parent_spec, "children"), name);
    }
    for (size_t t = 0; t < 2; t++) {
        json_t *table = t == 0 ? index->groups : index->users;
        const char **names = calloc(json_object_size(table) + 1, sizeof(char *));
        size_t count = 0;

        json_object_foreach (table, name, entity)
            names[count++] = name;
        if (count > 1)
            qsort(names, count, sizeof(names[0]), compare_names);
        for (size_t k = 0; k < count; k++) {
            json_t *spec = json_object_get(json_object_get(table, names[k]), "spec");

            sort_array(json_object_get(spec, "memberOf"));
            sort_array(json_object_get(spec, "members"));
            sort_array(json_object_get(spec, "children"));
            json_array_append(out, json_object_get(table, names[k]));
        }
        free(names);
    }
    return out;
}

int org_directory_convert(const char *text, size_t len, org_format format,
                          const org_options *options, json_t **out, char *error,
                          size_t error_size)
{
    error_out err = {error, error_size};
    json_t *records = json_array();
    org_index index = {json_object(), json_object(), json_object(), json_object(), options};
    int rc;

    *out = NULL;
    error[0] = '\0';
    if (len > ORG_MAX_FILE_BYTES)
        rc = fail(&err, "the export is larger than %zu bytes", ORG_MAX_FILE_BYTES);
    else if (format == ORG_FORMAT_LDIF)
        rc = parse_ldif(text, len, records, &err);
    else
        rc = parse_csv(text, len, records, &err);
    if (rc == 0) {
        create_entities(&index, records);
        link_entities(&index, records);
        *out = collect_entities(&index);
    }
    json_decref(records);
    json_decref(index.users);
    json_decref(index.groups);
    json_decref(index.by_dn);
    json_decref(index.by_id);
    return rc;
}
