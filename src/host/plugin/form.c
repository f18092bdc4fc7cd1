/* SPDX-License-Identifier: MIT */
/* Form pages of plugins: the checks before a form post reaches the plugin, its fields and the
 * CSRF token of its forms. */
#include <stdio.h>

#include "host/auth/cookie.h"
#include "host/auth/identity.h"
#include "host/common/buf.h"
#include "host/common/error.h"
#include "host/http/http.h"
#include "host/log/log.h"
#include "host/plugin/ctx.h"
#include "host/plugin/services.h"

int gr_plugin__form_accept(gr_request *req)
{
    const gr_identity *identity = gr_req_identity(req);
    char reason[GR_ERROR_MAX];
    int rc;

    /* The check reads the token from the raw body, before any field reaches the plugin. */
    if ((rc = gr_auth_csrf_check(req)) == GR_OK)
        rc = gr_req_form_parse(req, GR_PLUGIN_FORM_MAX_FIELDS);
    if (rc == GR_OK)
        return GR_OK;
    snprintf(reason, sizeof(reason), "%s", gr_error_last());
    gr_log_fields(GR_LOG_WARN, "plugin", "form post rejected", "reason", reason, "path",
                  gr_req_path(req), "subject",
                  identity != NULL && identity->subject != NULL ? identity->subject : "", "client",
                  gr_req_client_addr(req), NULL);
    return gr_error_set(rc, "%s", reason);
}

size_t gr_plugin__req_form_count(const gr_request *req)
{
    return gr_req_form_count(req);
}

int gr_plugin__req_form_at(const gr_request *req, size_t index, const char **name,
                           const char **value)
{
    if (name == NULL || value == NULL)
        return gr_error_set(GR_EINVALID, "req_form_at needs name and value pointers");
    if (gr_req_form_at(req, index, name, value) < 0)
        return gr_error_set(GR_ENOTFOUND, "the form has %zu fields, so field %zu does not exist",
                            gr_req_form_count(req), index);
    return GR_OK;
}

const char *gr_plugin__req_form(const gr_request *req, const char *name)
{
    return name != NULL ? gr_req_form(req, name) : NULL;
}

const char *gr_plugin__req_csrf_token(gr_request *req)
{
    return gr_auth_csrf_token(req);
}

void gr_plugin__html_csrf_field(gr_html *out, gr_request *req)
{
    const char *token = gr_auth_csrf_token(req);

    if (token[0] == '\0')
        return;
    gr_buf_puts(&out->buf, "<input type=\"hidden\" name=\"" GR_PLUGIN_CSRF_FIELD "\" value=\"");
    gr_buf_put_html(&out->buf, token);
    gr_buf_puts(&out->buf, "\">");
}
