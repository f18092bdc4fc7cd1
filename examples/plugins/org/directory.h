/* SPDX-License-Identifier: MIT */
/* Reading an LDIF or CSV export of people and teams into Backstage User and Group entities. */
#ifndef ORG_DIRECTORY_H
#define ORG_DIRECTORY_H

#include <jansson.h>
#include <stddef.h>

/** Maximum size of an export file, in bytes. */
#define ORG_MAX_FILE_BYTES ((size_t)64 << 20)
/** Maximum number of records (people and teams together) in one export. */
#define ORG_MAX_RECORDS 200000
/** Maximum length of an entity name, as Backstage's name rule allows. */
#define ORG_NAME_MAX 63

/** Formats of an export. */
typedef enum {
    ORG_FORMAT_LDIF = 1,
    ORG_FORMAT_CSV = 2,
} org_format;

/** Options of one conversion. */
typedef struct {
    const char *namespace_name; /* metadata.namespace of every entity */
    const char *group_type;     /* spec.type of every Group, such as "team" */
} org_options;

/**
 * Converts the export `text` (`len` bytes) into a JSON array of User and
 * Group entities in *out (caller releases): users carry profile.displayName,
 * profile.email and memberOf; groups carry type, profile, parent, children
 * and members. On error, returns -1 and writes a message naming the line to
 * `error` (`error_size` bytes); *out is NULL.
 *
 * LDIF: records separated by blank lines, folded lines (a leading space
 * continues the line before), `attr:: base64` values and # comments.
 * Users are records whose objectClass is person, organizationalPerson,
 * inetOrgPerson or user, named by uid (else cn); groups are groupOfNames,
 * groupOfUniqueNames, posixGroup or group, named by cn. A group's member or
 * uniqueMember DN names a user (membership) or a group (a child group);
 * memberUid names a user by uid.
 *
 * CSV: a header row with the columns type (person or team), id,
 * display_name, email, parent (teams: the parent team's id) and teams
 * (people: team ids separated by ';'), in any order; quoted fields may hold
 * commas, newlines and doubled quotes.
 */
int org_directory_convert(const char *text, size_t len, org_format format,
                          const org_options *options, json_t **out, char *error,
                          size_t error_size);

#endif
