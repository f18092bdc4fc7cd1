/* SPDX-License-Identifier: MIT */
/* Format rules for entity names, namespaces, kinds, label keys, tags and URLs. */
#ifndef GR_PLUGINS_CATALOG_MODEL_NAMES_H
#define GR_PLUGINS_CATALOG_MODEL_NAMES_H

#include <stdbool.h>

/*
 * The rules match @backstage/catalog-model 1.10 (KubernetesValidatorFunctions,
 * CommonValidatorFunctions and the default tag rule of makeValidator). Every
 * function takes a NUL-terminated UTF-8 string and is thread-safe.
 */

/** Maximum length of a name, namespace, kind, tag or DNS label, in characters. */
#define GR_MODEL_NAME_MAX 63

/** Maximum length of a DNS subdomain (the prefix of a label or annotation key). */
#define GR_MODEL_DNS_SUBDOMAIN_MAX 253

/** 1-63 of [A-Za-z0-9-_.], starting and ending with [A-Za-z0-9]. */
bool gr_model_is_valid_object_name(const char *value);

/** 1-63 of [a-z0-9] in groups joined by runs of '-'. */
bool gr_model_is_valid_dns_label(const char *value);

/** 1-253 characters of dot-separated DNS labels. */
bool gr_model_is_valid_dns_subdomain(const char *value);

/** [a-zA-Z][a-zA-Z0-9]*, at most 63 characters. */
bool gr_model_is_valid_kind(const char *value);

/** [dns-subdomain/]version where version is 1-63 of [a-zA-Z0-9]. */
bool gr_model_is_valid_api_version(const char *value);

/** [dns-subdomain/]object-name; the rule for label keys and annotation keys. */
bool gr_model_is_valid_label_key(const char *value);

/** "" or an object name. */
bool gr_model_is_valid_label_value(const char *value);

/** 1-63 of [a-z0-9:+#] in groups joined by single '-'. */
bool gr_model_is_valid_tag(const char *value);

/** True when some character is not JavaScript white space (String.prototype.trim). */
bool gr_model_is_non_empty_string(const char *value);

/**
 * True when the WHATWG URL parser (as `new URL(value)` in Node) accepts
 * `value` as an absolute URL. Checks the scheme, the host of special schemes
 * (http, https, ws, wss, ftp; non-empty, no forbidden characters, valid IPv4
 * when it ends in a number, bracketed IPv6) and the port (digits, at most
 * 65535).
 */
bool gr_model_is_valid_url(const char *value);

#endif
