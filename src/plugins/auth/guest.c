/* SPDX-License-Identifier: MIT */
/* The guest provider: password-less sign-in for local development only. */
#include <stdlib.h>
#include <string.h>

#include "host/common/alloc.h"
#include "host/common/error.h"
#include "host/config/config.h"
#include "host/log/log.h"
#include "plugins/auth/plugin.h"

int auth_guest_configure(auth_plugin *plugin, const gr_config *cfg)
{
    auth_guest *guest = &plugin->guest;
    const json_t *ownership = gr_config_node(cfg, "auth.providers.guest.ownershipEntityRefs");
    const char *environment = gr_auth_environment(plugin->auth);
    bool outside = gr_config_bool(cfg, "auth.providers.guest.dangerouslyAllowOutsideDevelopment",
                                  false);

    if (gr_config_node(cfg, "auth.providers.guest") == NULL)
        return GR_OK;
    if (strcmp(environment, "development") != 0 && !outside) {
        gr_warn("auth",
                "auth.providers.guest is ignored because auth.environment is '%s'; guest "
                "sign-in works only in development unless dangerouslyAllowOutsideDevelopment "
                "is true",
                environment);
        return GR_OK;
    }
    if (strcmp(environment, "development") != 0)
        gr_warn("auth", "guest sign-in is enabled in environment '%s': anyone who can reach the "
                        "portal can sign in",
                environment);
    guest->enabled = true;
    guest->user_ref = gr_xstrdup(
        gr_config_string(cfg, "auth.providers.guest.userEntityRef", "user:development/guest"));
    if (json_is_array(ownership))
        guest->ownership = json_deep_copy(ownership);
    return GR_OK;
}

void auth_guest_clear(auth_guest *guest)
{
    free(guest->user_ref);
    json_decref(guest->ownership);
    memset(guest, 0, sizeof(*guest));
}

/* Names the guest user with the configured ownership refs, or with none so that the host uses
 * those of its catalog entity (or the user ref alone when the catalog has no such user). */
int auth_guest_sign_in(gr_request *req, gr_response *res, gr_plugin_signin_result *result,
                       void *payload)
{
    const auth_guest *guest = &((const auth_plugin *)payload)->guest;
    size_t count = json_array_size(guest->ownership);
    const char **refs;

    (void)res;
    result->user_ref = guest->user_ref;
    if (guest->ownership == NULL)
        return GR_OK;
    refs = gr_arena_calloc(gr_req_arena(req), (count + 1) * sizeof(*refs));
    for (size_t i = 0; i < count; i++)
        refs[i] = json_string_value(json_array_get(guest->ownership, i));
    result->ownership = refs;
    result->ownership_count = count;
    return GR_OK;
}
