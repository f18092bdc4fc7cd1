/* SPDX-License-Identifier: MIT */
/* Signing keys of identity tokens: generated per instance, rotated, public halves in the database. */
#include "host/auth/keystore.h"

#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "host/auth/base64url.h"
#include "host/auth/jwk.h"
#include "host/common/alloc.h"
#include "host/common/error.h"
#include "host/log/log.h"
#include "host/store/migrate.h"

static const gr_db_migration auth_migrations[] = {
    {
        .version = 1,
        .description = "create auth_signing_keys and auth_secrets",
        .sql = "CREATE TABLE auth_signing_keys ("
               " kid TEXT PRIMARY KEY,"
               " public_jwk TEXT NOT NULL,"
               " created_at BIGINT NOT NULL,"
               " expires_at BIGINT NOT NULL);"
               "CREATE INDEX auth_signing_keys_expires ON auth_signing_keys (expires_at);"
               "CREATE TABLE auth_secrets ("
               " name TEXT PRIMARY KEY,"
               " value TEXT NOT NULL,"
               " created_at BIGINT NOT NULL)",
    },
    {
        .version = 2,
        .description = "create auth_sessions",
        .sql = "CREATE TABLE auth_sessions ("
               " id TEXT PRIMARY KEY,"
               " subject TEXT NOT NULL,"
               " created_at BIGINT NOT NULL,"
               " expires_at BIGINT NOT NULL);"
               "CREATE INDEX auth_sessions_expires ON auth_sessions (expires_at)",
    },
};

typedef struct {
    char kid[37];
    EVP_PKEY *key;
    int64_t expires_at; /* seconds */
} cached_key;

struct gr_auth_keys {
    gr_db *db;
    int64_t rotation_s;
    int64_t token_ttl_s;
    gr_auth_clock_fn clock;
    void *clock_payload;
    pthread_mutex_t lock;

    EVP_PKEY *signing_key; /* private; NULL until the first token */
    char signing_kid[37];
    int64_t signing_since;

    cached_key cache[GR_AUTH_KEYS_CACHE];
    size_t cache_next; /* slot replaced next, round robin */
    unsigned char secret[GR_AUTH_SECRET_BYTES];
};

static int64_t system_clock(void *payload)
{
    (void)payload;
    return (int64_t)time(NULL);
}

void gr_auth_keys_set_clock(gr_auth_keys *keys, gr_auth_clock_fn clock, void *payload)
{
    keys->clock = clock ? clock : system_clock;
    keys->clock_payload = payload;
}

int64_t gr_auth_keys_now(const gr_auth_keys *keys)
{
    return keys->clock(keys->clock_payload);
}

const unsigned char *gr_auth_keys_secret(const gr_auth_keys *keys)
{
    return keys->secret;
}

void gr_auth_keys_free(gr_auth_keys *keys)
{
    if (keys == NULL)
        return;
    EVP_PKEY_free(keys->signing_key);
    for (size_t i = 0; i < GR_AUTH_KEYS_CACHE; i++)
        EVP_PKEY_free(keys->cache[i].key);
    OPENSSL_cleanse(keys->secret, sizeof(keys->secret));
    pthread_mutex_destroy(&keys->lock);
    free(keys);
}

/* Reads the shared secret, creating it when no instance has yet. */
static int keys_load_secret(gr_auth_keys *keys)
{
    unsigned char fresh[GR_AUTH_SECRET_BYTES];
    char *fresh_text;
    gr_db_conn *conn = NULL;
    gr_db_stmt *stmt = NULL;
    unsigned char *stored = NULL;
    size_t stored_len = 0;
    int rc;

    if (RAND_bytes(fresh, sizeof(fresh)) != 1)
        return gr_error_set(GR_ERROR, "the random number generator failed");
    fresh_text = gr_base64url_encode(fresh, sizeof(fresh));
    OPENSSL_cleanse(fresh, sizeof(fresh));

    if ((rc = gr_db_acquire(keys->db, GR_DB_WRITE, &conn)) < 0)
        goto done;
    rc = gr_db_prepare(conn,
                       "INSERT INTO auth_secrets (name, value, created_at) VALUES ('session', ?, ?)"
                       " ON CONFLICT (name) DO NOTHING",
                       &stmt);
    if (rc == GR_OK && (rc = gr_db_bind_text(stmt, 1, fresh_text)) == GR_OK &&
        (rc = gr_db_bind_int64(stmt, 2, gr_auth_keys_now(keys) * 1000)) == GR_OK)
        rc = gr_db_step(stmt);
    gr_db_finalize(stmt);
    stmt = NULL;
    if (rc < 0)
        goto done;

    rc = gr_db_prepare(conn, "SELECT value FROM auth_secrets WHERE name = 'session'", &stmt);
    if (rc == GR_OK && (rc = gr_db_step(stmt)) == GR_DB_ROW) {
        const char *text = gr_db_column_text(stmt, 0);

        stored = gr_base64url_decode(text, strlen(text), &stored_len);
    }
    if (rc >= 0)
        rc = stored != NULL && stored_len == GR_AUTH_SECRET_BYTES
                 ? GR_OK
                 : gr_error_set(GR_EINVALID, "auth_secrets: the stored session secret is "
                                             "malformed; delete its row to make a new one");
    if (rc == GR_OK)
        memcpy(keys->secret, stored, GR_AUTH_SECRET_BYTES);

done:
    gr_db_finalize(stmt);
    gr_db_release(conn);
    if (stored != NULL)
        OPENSSL_cleanse(stored, stored_len);
    free(stored);
    OPENSSL_cleanse(fresh_text, strlen(fresh_text));
    free(fresh_text);
    return rc;
}

int gr_auth_keys_new(gr_auth_keys **out, gr_db *db, int64_t rotation_s, int64_t token_ttl_s)
{
    gr_auth_keys *keys;
    int rc;

    if (rotation_s <= 0 || token_ttl_s <= 0)
        return gr_error_set(GR_EINVALID, "key rotation and token lifetime must be positive");
    rc = gr_db_migrate(db, "auth", auth_migrations,
                       sizeof(auth_migrations) / sizeof(auth_migrations[0]));
    if (rc < 0)
        return rc;

    keys = gr_xcalloc(1, sizeof(*keys));
    keys->db = db;
    keys->rotation_s = rotation_s;
    keys->token_ttl_s = token_ttl_s;
    keys->clock = system_clock;
    pthread_mutex_init(&keys->lock, NULL);
    if ((rc = keys_load_secret(keys)) < 0) {
        gr_auth_keys_free(keys);
        return rc;
    }
    *out = keys;
    return GR_OK;
}

static void cache_put(gr_auth_keys *keys, const char *kid, EVP_PKEY *key, int64_t expires_at)
{
    cached_key *slot = &keys->cache[keys->cache_next];

    keys->cache_next = (keys->cache_next + 1) % GR_AUTH_KEYS_CACHE;
    EVP_PKEY_free(slot->key);
    snprintf(slot->kid, sizeof(slot->kid), "%s", kid);
    slot->key = key;
    slot->expires_at = expires_at;
}

static cached_key *cache_find(gr_auth_keys *keys, const char *kid)
{
    for (size_t i = 0; i < GR_AUTH_KEYS_CACHE; i++) {
        if (keys->cache[i].key != NULL && strcmp(keys->cache[i].kid, kid) == 0)
            return &keys->cache[i];
    }
    return NULL;
}

/* Stores the public half of a new key and deletes rows no token can need any more. */
static int keys_publish(gr_auth_keys *keys, const char *kid, EVP_PKEY *key, int64_t now,
                        int64_t expires_at)
{
    json_t *jwk = gr_jwk_from_pkey(key, kid, "ES256");
    char *text = json_dumps(jwk, JSON_COMPACT | JSON_SORT_KEYS);
    gr_db_conn *conn = NULL;
    gr_db_stmt *stmt = NULL;
    int rc;

    if ((rc = gr_db_acquire(keys->db, GR_DB_WRITE, &conn)) < 0)
        goto done;
    rc = gr_db_prepare(conn,
                       "INSERT INTO auth_signing_keys (kid, public_jwk, created_at, expires_at)"
                       " VALUES (?, ?, ?, ?)",
                       &stmt);
    if (rc == GR_OK && (rc = gr_db_bind_text(stmt, 1, kid)) == GR_OK &&
        (rc = gr_db_bind_text(stmt, 2, text)) == GR_OK &&
        (rc = gr_db_bind_int64(stmt, 3, now * 1000)) == GR_OK &&
        (rc = gr_db_bind_int64(stmt, 4, expires_at * 1000)) == GR_OK)
        rc = gr_db_step(stmt);
    gr_db_finalize(stmt);
    stmt = NULL;
    if (rc < 0)
        goto done;

    rc = gr_db_prepare(conn, "DELETE FROM auth_signing_keys WHERE expires_at <= ?", &stmt);
    if (rc == GR_OK && (rc = gr_db_bind_int64(stmt, 1, now * 1000)) == GR_OK)
        rc = gr_db_step(stmt);
    rc = rc < 0 ? rc : GR_OK;

done:
    gr_db_finalize(stmt);
    gr_db_release(conn);
    free(text);
    json_decref(jwk);
    return rc;
}

/* Makes a new signing key when there is none or the current one is due for rotation. Locked. */
static int keys_rotate_if_due(gr_auth_keys *keys, int64_t now)
{
    EVP_PKEY *key = NULL;
    char kid[37];
    int64_t expires_at = now + keys->rotation_s + keys->token_ttl_s;
    int rc;

    if (keys->signing_key != NULL && now - keys->signing_since < keys->rotation_s)
        return GR_OK;
    if ((rc = gr_jwk_generate_es256(&key)) < 0)
        return rc;
    gr_jwk_random_uuid(kid);
    if ((rc = keys_publish(keys, kid, key, now, expires_at)) < 0) {
        EVP_PKEY_free(key);
        return rc;
    }

    EVP_PKEY_up_ref(key);
    cache_put(keys, kid, key, expires_at);
    EVP_PKEY_free(keys->signing_key);
    keys->signing_key = key;
    memcpy(keys->signing_kid, kid, sizeof(kid));
    keys->signing_since = now;
    gr_log_fields(GR_LOG_INFO, "auth", "signing key rotated", "kid", kid, NULL);
    return GR_OK;
}

int gr_auth_keys_sign(gr_auth_keys *keys, const json_t *claims, const char *typ, char **out)
{
    int rc;

    pthread_mutex_lock(&keys->lock);
    rc = keys_rotate_if_due(keys, gr_auth_keys_now(keys));
    if (rc == GR_OK)
        rc = gr_jwt_sign_es256(keys->signing_key, keys->signing_kid, typ, claims, out);
    pthread_mutex_unlock(&keys->lock);
    return rc;
}

/* Reads the public key `kid` from the database into the cache. Locked. */
static int keys_load_public(gr_auth_keys *keys, const char *kid, cached_key **out)
{
    gr_db_conn *conn = NULL;
    gr_db_stmt *stmt = NULL;
    json_t *jwk = NULL;
    EVP_PKEY *key = NULL;
    int64_t expires_at = 0;
    int rc;

    *out = NULL;
    if ((rc = gr_db_acquire(keys->db, GR_DB_READ, &conn)) < 0)
        return rc;
    rc = gr_db_prepare(conn, "SELECT public_jwk, expires_at FROM auth_signing_keys WHERE kid = ?",
                       &stmt);
    if (rc == GR_OK && (rc = gr_db_bind_text(stmt, 1, kid)) == GR_OK)
        rc = gr_db_step(stmt);
    if (rc == GR_DB_ROW) {
        jwk = json_loads(gr_db_column_text(stmt, 0), 0, NULL);
        expires_at = gr_db_column_int64(stmt, 1) / 1000;
    }
    gr_db_finalize(stmt);
    gr_db_release(conn);
    if (rc < 0)
        return rc;
    if (rc != GR_DB_ROW)
        return gr_error_set(GR_EUNAUTH, "token key id is not known");

    rc = gr_jwk_to_pkey(jwk, &key);
    json_decref(jwk);
    if (rc < 0)
        return gr_error_wrap(GR_EBACKEND, "auth_signing_keys row '%s'", kid);
    cache_put(keys, kid, key, expires_at);
    *out = cache_find(keys, kid);
    return GR_OK;
}

int gr_auth_keys_verify(gr_auth_keys *keys, const gr_jwt *jwt)
{
    const char *kid = json_string_value(json_object_get(jwt->header, "kid"));
    cached_key *entry;
    int rc = GR_OK;

    if (kid == NULL || strlen(kid) >= sizeof(entry->kid))
        return gr_error_set(GR_EUNAUTH, "token has no valid key id");

    pthread_mutex_lock(&keys->lock);
    entry = cache_find(keys, kid);
    if (entry == NULL)
        rc = keys_load_public(keys, kid, &entry);
    if (rc == GR_OK && entry->expires_at <= gr_auth_keys_now(keys))
        rc = gr_error_set(GR_EUNAUTH, "token key has expired");
    if (rc == GR_OK)
        rc = gr_jwt_verify(jwt, entry->key);
    pthread_mutex_unlock(&keys->lock);
    return rc;
}

int gr_auth_keys_jwks(gr_auth_keys *keys, json_t **out)
{
    gr_db_conn *conn = NULL;
    gr_db_stmt *stmt = NULL;
    json_t *list = json_array();
    int rc;

    if ((rc = gr_db_acquire(keys->db, GR_DB_READ, &conn)) < 0)
        goto done;
    rc = gr_db_prepare(conn,
                       "SELECT public_jwk FROM auth_signing_keys WHERE expires_at > ?"
                       " ORDER BY created_at, kid",
                       &stmt);
    if (rc == GR_OK)
        rc = gr_db_bind_int64(stmt, 1, gr_auth_keys_now(keys) * 1000);
    while (rc >= 0 && (rc = gr_db_step(stmt)) == GR_DB_ROW) {
        json_t *jwk = json_loads(gr_db_column_text(stmt, 0), 0, NULL);

        if (jwk != NULL)
            json_array_append_new(list, jwk);
    }

done:
    gr_db_finalize(stmt);
    gr_db_release(conn);
    if (rc < 0) {
        json_decref(list);
        return rc;
    }
    *out = json_pack("{s:o}", "keys", list);
    return GR_OK;
}
