/* SPDX-License-Identifier: MIT */
/* Host services of the plugin ABI implemented outside api.c, each documented in greenroom/plugin.h. */
#ifndef GR_HOST_PLUGIN_SERVICES_H
#define GR_HOST_PLUGIN_SERVICES_H

#include "greenroom/plugin.h"

/* config.c */
const char *gr_plugin__config_string(const gr_plugin_ctx *ctx, const char *path,
                                     const char *fallback);
int64_t gr_plugin__config_int(const gr_plugin_ctx *ctx, const char *path, int64_t fallback);
int gr_plugin__config_bool(const gr_plugin_ctx *ctx, const char *path, int fallback);
double gr_plugin__config_double(const gr_plugin_ctx *ctx, const char *path, double fallback);
size_t gr_plugin__config_count(const gr_plugin_ctx *ctx, const char *path);
char *gr_plugin__config_json(const gr_plugin_ctx *ctx, const char *path);

/* fetch.c */
int gr_plugin__http_fetch(gr_plugin_ctx *ctx, const char *method, const char *url,
                          const char *const *headers, const char *body, char **out_body,
                          size_t *out_len, long *out_status);

/* catalog.c: each call goes to the catalog provider (host/plugin/catalog_provider.h). */
int gr_plugin__catalog_get(gr_plugin_ctx *ctx, gr_request *req, const char *ref, char **out_json);
int gr_plugin__catalog_query(gr_plugin_ctx *ctx, gr_request *req, const char *filter,
                             size_t limit, char **out_json);
int gr_plugin__catalog_on_change(gr_plugin_ctx *ctx, gr_plugin_entity_changed_fn fn,
                                 void *payload);
int gr_plugin__provider_add(gr_plugin_ctx *ctx, const gr_plugin_provider *provider);
int gr_plugin__provider_apply_full(gr_provider_run *run, const char *entities_json);
int gr_plugin__provider_apply_delta(gr_provider_run *run, const char *added_json,
                                    const char *removed_json);
int gr_plugin__provider_stopping(gr_provider_run *run);

/* processors.c */
int gr_plugin__processor_add(gr_plugin_ctx *ctx, const gr_plugin_processor *processor);

/* extend.c */
int gr_plugin__collator_add(gr_plugin_ctx *ctx, const gr_plugin_collator *collator);
int gr_plugin__collator_document(gr_collator_run *run, const char *title, const char *text,
                                 const char *location);
int gr_plugin__job_add(gr_plugin_ctx *ctx, const char *name, int64_t interval_ms,
                       int64_t initial_delay_ms, int64_t timeout_ms, gr_plugin_job_fn fn,
                       void *payload);
int gr_plugin__job_trigger(gr_plugin_ctx *ctx, const char *name);
int gr_plugin__job_stopping(gr_sched_run *run);
int gr_plugin__permission_add(gr_plugin_ctx *ctx, const gr_plugin_permission *permission);
int gr_plugin__authorize(gr_plugin_ctx *ctx, gr_request *req, const char *permission,
                         const char *resource_ref);
int gr_plugin__action_add(gr_plugin_ctx *ctx, const gr_plugin_action *action);

/* service.c */
int gr_plugin__service_publish(gr_plugin_ctx *ctx, const char *name,
                               const gr_plugin_service *service);
/* `ctx` may be NULL when the host itself looks a service up. */
int gr_plugin__service_lookup(gr_plugin_ctx *ctx, const char *name, size_t min_size,
                              const gr_plugin_service **out);
/** Returns the service published under `name` (borrowed), or NULL without setting an error. */
const gr_plugin_service *gr_plugin__service_find(const char *name);
/** Forgets every service `ctx` published, when its setup fails and when it is freed. */
void gr_plugin__services_remove(const gr_plugin_ctx *ctx);

/* ui.c */
int gr_plugin__page_add(gr_plugin_ctx *ctx, const gr_plugin_page *page);
int gr_plugin__nav_add(gr_plugin_ctx *ctx, const gr_plugin_nav *nav);
int gr_plugin__entity_tab_add(gr_plugin_ctx *ctx, const gr_plugin_entity_view *tab);
int gr_plugin__entity_card_add(gr_plugin_ctx *ctx, const gr_plugin_entity_view *card);
void gr_plugin__html_text(gr_html *out, const char *text);
void gr_plugin__html_raw(gr_html *out, const char *html);
void gr_plugin__html_url(gr_html *out, const char *text);
void gr_plugin__html_entity_link(gr_html *out, const char *entity_ref);
int gr_plugin__page_frame(gr_html *out, const gr_plugin_page_frame *frame);
gr_response *gr_plugin__page_response(gr_html *out);
int gr_plugin__form_page_add(gr_plugin_ctx *ctx, const gr_plugin_page *page);

/* form.c */
size_t gr_plugin__req_form_count(const gr_request *req);
int gr_plugin__req_form_at(const gr_request *req, size_t index, const char **name,
                           const char **value);
const char *gr_plugin__req_form(const gr_request *req, const char *name);
const char *gr_plugin__req_csrf_token(gr_request *req);
void gr_plugin__html_csrf_field(gr_html *out, gr_request *req);

/* resource.c */
int gr_plugin__resource_loader_add(gr_plugin_ctx *ctx, const gr_plugin_resource_loader *loader);

/* signin.c */
int gr_plugin__signin_provider_add(gr_plugin_ctx *ctx, const gr_plugin_signin_provider *provider);
/** Forgets every sign-in provider `ctx` registered, when its setup fails. */
void gr_plugin__signins_remove(const gr_plugin_ctx *ctx);

#endif
