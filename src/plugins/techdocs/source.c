/* SPDX-License-Identifier: MIT */
/* The docs source of an entity: the folder to build from and the hash of its content. */
#include "plugins/techdocs/source.h"

#include <errno.h>
#include <limits.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "host/common/alloc.h"
#include "host/common/error.h"
#include "host/yaml/yaml.h"
#include "plugins/techdocs/build/build.h"
#include "plugins/techdocs/build/files.h"
#include "plugins/techdocs/files.h"
#include "plugins/techdocs/remote.h"

static int open_folder(const gr_techdocs_location *location, gr_techdocs_source *out)
{
    struct stat st;

    if (stat(location->target, &st) != 0 || !S_ISDIR(st.st_mode))
        return gr_error_set(GR_ENOTFOUND, "the docs folder %s is not found", location->target);
    out->dir = gr_xstrdup(location->target);
    return GR_OK;
}

int gr_techdocs_source_open(const gr_catalog_settings *reading,
                            const gr_techdocs_location *location, gr_techdocs_source *out)
{
    memset(out, 0, sizeof(*out));
    if (strcmp(location->type, "dir") == 0)
        return open_folder(location, out);
    if (strcmp(location->type, "url") == 0 || strcmp(location->type, "git") == 0) {
        out->temporary = true;
        return gr_techdocs_remote_fetch(reading, location, &out->dir);
    }
    return gr_error_set(GR_EINVALID,
                        "reading docs from '%s:%s' is not supported; use a dir, url or git "
                        "location",
                        location->type, location->target);
}

void gr_techdocs_source_close(gr_techdocs_source *source)
{
    if (source == NULL)
        return;
    if (source->temporary && source->dir != NULL)
        gr_techdocs_remove_tree(source->dir);
    free(source->dir);
    memset(source, 0, sizeof(*source));
}

static void digest_entry(EVP_MD_CTX *digest, const char *name, const unsigned char *data,
                         size_t size)
{
    char length[32];

    snprintf(length, sizeof(length), "%zu", size);
    EVP_DigestUpdate(digest, name, strlen(name) + 1);
    EVP_DigestUpdate(digest, length, strlen(length) + 1);
    EVP_DigestUpdate(digest, data, size);
}

/* Reads mkdocs.yml or mkdocs.yaml; stores the file name that was found. */
static int read_config(const char *src_dir, unsigned char **text, size_t *size, const char **name)
{
    static const char *const names[] = {"mkdocs.yml", "mkdocs.yaml"};
    int rc = GR_ENOTFOUND;

    for (size_t i = 0; i < 2 && rc == GR_ENOTFOUND; i++) {
        char *path = gr_xasprintf("%s/%s", src_dir, names[i]);

        rc = gr_techdocs_read_file(path, GR_TECHDOCS_MAX_SOURCE_BYTES, text, size);
        *name = names[i];
        free(path);
    }
    if (rc == GR_ENOTFOUND)
        return gr_error_set(GR_ENOTFOUND, "%s: no mkdocs.yml or mkdocs.yaml found", src_dir);
    return rc;
}

char *gr_techdocs_source_docs_dir(const char *name, const char *text, size_t size)
{
    gr_yaml_doc **docs = NULL;
    size_t count = 0;
    char *dir = NULL;

    if (gr_yaml_parse(name, text, size, NULL, &docs, &count) == GR_OK && count == 1) {
        const char *value = json_string_value(json_object_get(gr_yaml_doc_root(docs[0]),
                                                               "docs_dir"));
        if (value != NULL)
            dir = gr_xstrdup(value);
    }
    gr_yaml_docs_free(docs, count);
    return dir ? dir : gr_xstrdup("docs");
}

/* Lists the docs folder only when it stays inside the source folder, as the build requires. */
static int digest_docs(EVP_MD_CTX *digest, const char *src_dir, const char *docs_dir)
{
    char *joined = docs_dir[0] == '/' ? gr_xstrdup(docs_dir)
                                      : gr_xasprintf("%s/%s", src_dir, docs_dir);
    char src_real[PATH_MAX];
    char docs_real[PATH_MAX];
    gr_techdocs_files files = {0};
    size_t src_len;
    int rc = GR_OK;

    if (realpath(src_dir, src_real) == NULL || realpath(joined, docs_real) == NULL)
        goto done;
    src_len = strlen(src_real);
    if (strncmp(docs_real, src_real, src_len) != 0 ||
        (docs_real[src_len] != '/' && docs_real[src_len] != '\0'))
        goto done;
    rc = gr_techdocs_files_list(docs_real, &files, NULL, NULL);
    for (size_t i = 0; rc == GR_OK && i < files.count; i++) {
        unsigned char *data = NULL;
        size_t size = 0;

        rc = gr_techdocs_read_file(files.items[i].abs_path, (size_t)256 << 20, &data, &size);
        if (rc == GR_OK)
            digest_entry(digest, files.items[i].src_uri, data, size);
        free(data);
    }

done:
    gr_techdocs_files_free(&files);
    free(joined);
    return rc;
}

int gr_techdocs_source_hash(const char *src_dir, char out[GR_TECHDOCS_HASH_SIZE])
{
    EVP_MD_CTX *digest = EVP_MD_CTX_new();
    unsigned char *config = NULL;
    size_t config_size = 0;
    const char *config_name = NULL;
    unsigned char hash[EVP_MAX_MD_SIZE];
    unsigned int hash_len = 0;
    char *docs_dir = NULL;
    int rc;

    out[0] = '\0';
    if (digest == NULL || EVP_DigestInit_ex(digest, EVP_sha256(), NULL) != 1) {
        EVP_MD_CTX_free(digest);
        return gr_error_set(GR_ERROR, "cannot start a SHA-256 digest");
    }
    rc = read_config(src_dir, &config, &config_size, &config_name);
    if (rc == GR_OK) {
        digest_entry(digest, config_name, config, config_size);
        docs_dir = gr_techdocs_source_docs_dir(config_name, (const char *)config, config_size);
        rc = digest_docs(digest, src_dir, docs_dir);
    }
    if (rc == GR_OK) {
        EVP_DigestFinal_ex(digest, hash, &hash_len);
        for (unsigned int i = 0; i < hash_len && i < 32; i++)
            snprintf(out + 2 * i, 3, "%02x", hash[i]);
    }
    EVP_MD_CTX_free(digest);
    free(docs_dir);
    free(config);
    return rc;
}
