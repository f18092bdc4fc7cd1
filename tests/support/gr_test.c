/* SPDX-License-Identifier: MIT */
/* Test harness: temporary folders, running the binary, a real server on loopback. */
#include "gr_test.h"

#include <curl/curl.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "host/common/alloc.h"
#include "host/common/buf.h"
#include "host/common/error.h"
#include "host/store/db.h"

void gr_test_output_free(gr_test_output *output)
{
    free(output->out);
    free(output->err);
    output->out = NULL;
    output->err = NULL;
}

char *gr_test_tmpdir(const char *prefix)
{
    const char *base = getenv("TMPDIR");
    char *path = gr_xasprintf("%s/gr-%s-XXXXXX", base ? base : "/tmp", prefix);

    if (mkdtemp(path) == NULL) {
        fprintf(stderr, "mkdtemp %s failed: %s\n", path, strerror(errno));
        abort();
    }
    return path;
}

static int rmtree_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

void gr_test_rmtree(const char *path)
{
    nftw(path, rmtree_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static void make_parents(char *path)
{
    for (char *p = path + 1; *p != '\0'; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        mkdir(path, 0755);
        *p = '/';
    }
}

void gr_test_write_file(const char *dir, const char *name, const char *text)
{
    char *path = gr_xasprintf("%s/%s", dir, name);
    FILE *file;

    make_parents(path);
    file = fopen(path, "wb");
    if (file == NULL || fwrite(text, 1, strlen(text), file) != strlen(text)) {
        fprintf(stderr, "writing %s failed: %s\n", path, strerror(errno));
        abort();
    }
    fclose(file);
    free(path);
}

static bool has_yaml_name(const char *name)
{
    size_t len = strlen(name);

    return (len > 5 && strcmp(name + len - 5, ".yaml") == 0) ||
           (len > 4 && strcmp(name + len - 4, ".yml") == 0);
}

static void read_whole_file(const char *path, gr_buf *out)
{
    FILE *file = fopen(path, "rb");
    char chunk[8192];
    size_t got;

    if (file == NULL) {
        fprintf(stderr, "reading %s failed: %s\n", path, strerror(errno));
        abort();
    }
    while ((got = fread(chunk, 1, sizeof(chunk), file)) > 0)
        gr_buf_append(out, chunk, got);
    fclose(file);
}

size_t gr_test_each_yaml_file(const char *dir, gr_test_file_fn fn, void *payload)
{
    DIR *folder = opendir(dir);
    struct dirent *entry;
    size_t files = 0;

    if (folder == NULL) {
        fprintf(stderr, "reading the folder %s failed: %s\n", dir, strerror(errno));
        abort();
    }
    while ((entry = readdir(folder)) != NULL) {
        char *path;
        struct stat info;

        if (entry->d_name[0] == '.')
            continue;
        path = gr_xasprintf("%s/%s", dir, entry->d_name);
        if (stat(path, &info) == 0 && S_ISDIR(info.st_mode)) {
            files += gr_test_each_yaml_file(path, fn, payload);
        } else if (has_yaml_name(entry->d_name)) {
            gr_buf text = GR_BUF_INIT;

            read_whole_file(path, &text);
            fn(path, gr_buf_cstr(&text), text.len, payload);
            gr_buf_free(&text);
            files++;
        }
        free(path);
    }
    closedir(folder);
    return files;
}

const char *gr_test_binary(void)
{
    static char resolved[4096];
    const char *bin = getenv("GREENROOM_BIN");

    if (bin == NULL) {
        fprintf(stderr, "GREENROOM_BIN is not set; run the tests through ctest\n");
        abort();
    }
    /* Tests change folders before exec, so a relative path must be made
     * absolute first. */
    if (realpath(bin, resolved) == NULL) {
        fprintf(stderr, "GREENROOM_BIN=%s: %s\n", bin, strerror(errno));
        abort();
    }
    return resolved;
}

static void read_all(int fd, gr_buf *buf)
{
    char chunk[4096];
    ssize_t got;

    while ((got = read(fd, chunk, sizeof(chunk))) > 0)
        gr_buf_append(buf, chunk, (size_t)got);
}

static char **build_argv(const char *const *argv)
{
    size_t count = 0;
    char **full;

    while (argv[count] != NULL)
        count++;
    full = gr_xcalloc(count + 2, sizeof(char *));
    full[0] = (char *)gr_test_binary();
    for (size_t i = 0; i < count; i++)
        full[i + 1] = (char *)argv[i];
    return full;
}

gr_test_output gr_test_run(const char *cwd, const char *const *argv)
{
    gr_test_output result = {0};
    gr_buf out = GR_BUF_INIT;
    gr_buf err = GR_BUF_INIT;
    char **full = build_argv(argv);
    char *err_path = gr_xasprintf("/tmp/gr-test-stderr-%d-%ld", getpid(), (long)time(NULL));
    int out_pipe[2];
    int status = 0;
    pid_t pid;

    if (pipe(out_pipe) != 0)
        abort();
    pid = fork();
    if (pid == 0) {
        int err_fd = open(err_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

        dup2(out_pipe[1], 1);
        dup2(err_fd, 2);
        close(out_pipe[0]);
        if (cwd != NULL && chdir(cwd) != 0)
            _exit(127);
        execv(full[0], full);
        _exit(127);
    }
    close(out_pipe[1]);
    read_all(out_pipe[0], &out);
    close(out_pipe[0]);
    waitpid(pid, &status, 0);

    {
        int err_fd = open(err_path, O_RDONLY);

        if (err_fd >= 0) {
            read_all(err_fd, &err);
            close(err_fd);
        }
        unlink(err_path);
    }

    result.status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    result.out_len = out.len;
    result.out = gr_buf_detach(&out);
    result.err = gr_buf_detach(&err);
    free(full);
    free(err_path);
    return result;
}

int gr_test_free_port(void)
{
    struct sockaddr_in addr = {0};
    socklen_t len = sizeof(addr);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    int port;

    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    if (fd < 0 || bind(fd, (struct sockaddr *)&addr, sizeof(addr)) != 0 ||
        getsockname(fd, (struct sockaddr *)&addr, &len) != 0) {
        abort();
    }
    port = ntohs(addr.sin_port);
    close(fd);
    return port;
}

static void print_file(const char *path)
{
    FILE *file = fopen(path, "r");
    char line[1024];

    if (file == NULL)
        return;
    while (fgets(line, sizeof(line), file) != NULL)
        fputs(line, stderr);
    fclose(file);
}

/* PostgreSQL databases this program created for its servers, dropped at exit. */
static char **pg_databases;
static size_t pg_database_count;

/* Runs one statement on the server of GR_TEST_PG_URL. Returns 0 or an error code. */
static int pg_admin(const char *base_url, const char *sql)
{
    gr_db_options opts = {.client = "pg", .connection = base_url, .pool_size = 1};
    gr_db *db = NULL;
    gr_db_conn *conn = NULL;
    int rc = gr_db_open(&db, &opts);

    if (rc == GR_OK)
        rc = gr_db_acquire(db, GR_DB_WRITE, &conn);
    if (rc == GR_OK)
        rc = gr_db_exec(conn, sql);
    gr_db_release(conn);
    gr_db_close(db);
    return rc;
}

static void pg_drop_databases(void)
{
    const char *base_url = getenv("GR_TEST_PG_URL");

    for (size_t i = 0; i < pg_database_count; i++) {
        char *sql = gr_xasprintf("DROP DATABASE IF EXISTS %s WITH (FORCE)", pg_databases[i]);

        if (base_url != NULL && pg_admin(base_url, sql) != GR_OK)
            fprintf(stderr, "dropping test database %s failed: %s\n", pg_databases[i],
                    gr_error_last());
        free(sql);
        free(pg_databases[i]);
    }
    free(pg_databases);
    pg_databases = NULL;
    pg_database_count = 0;
}

/* Replaces the database name of a postgresql:// URI, or appends dbname to key=value text. */
static char *pg_url_with_database(const char *base_url, const char *name)
{
    const char *scheme_end = strstr(base_url, "://");
    const char *path;
    const char *query;

    if (scheme_end == NULL)
        return gr_xasprintf("%s dbname=%s", base_url, name);
    path = strchr(scheme_end + 3, '/');
    query = strchr(scheme_end + 3, '?');
    if (path == NULL || (query != NULL && query < path))
        path = query != NULL ? query : base_url + strlen(base_url);
    return gr_xasprintf("%.*s/%s%s", (int)(path - base_url), base_url, name,
                        query != NULL ? query : "");
}

/* Returns 1 when the config file at `path` selects PostgreSQL itself. */
static int config_selects_pg(const char *path)
{
    static const char *const clients[] = {"pg", "postgres", "postgresql"};
    FILE *file = fopen(path, "r");
    char line[1024];
    int found = 0;

    while (file != NULL && !found && fgets(line, sizeof(line), file) != NULL) {
        char *p = strstr(line, "client:");

        if (p == NULL)
            continue;
        p += strlen("client:");
        p += strspn(p, " \t'\"");
        for (size_t i = 0; i < sizeof(clients) / sizeof(clients[0]) && !found; i++) {
            size_t len = strlen(clients[i]);

            found = strncmp(p, clients[i], len) == 0 && strchr(" \t'\"\r\n", p[len]) != NULL;
        }
    }
    if (file != NULL)
        fclose(file);
    return found;
}

/* FNV-1a, to name a database after the folder a server runs in. */
static unsigned hash_text(const char *text)
{
    unsigned hash = 2166136261u;

    for (const unsigned char *p = (const unsigned char *)text; *p != '\0'; p++)
        hash = (hash ^ *p) * 16777619u;
    return hash;
}

/*
 * Under GR_TEST_DB=pg, creates (once per program and folder) the database
 * the server uses and writes the config file that selects it. Returns 0,
 * also when nothing is to be done, or -1 after printing why.
 */
static int pg_prepare_server(gr_test_server *server, const char *cwd, const char *config_path)
{
    const char *mode = getenv("GR_TEST_DB");
    const char *base_url = getenv("GR_TEST_PG_URL");
    char folder[4096];
    char *config_file;
    char *name;
    char *sql;
    char *overlay;
    char *overlay_name;
    int selects_pg;
    int rc;

    if (mode == NULL || strcmp(mode, "pg") != 0)
        return 0;
    if (base_url == NULL || base_url[0] == '\0') {
        fprintf(stderr, "GR_TEST_DB=pg needs GR_TEST_PG_URL (scripts/pg-start.sh prints it)\n");
        return -1;
    }
    if (realpath(cwd != NULL ? cwd : ".", folder) == NULL) {
        fprintf(stderr, "%s: %s\n", cwd != NULL ? cwd : ".", strerror(errno));
        return -1;
    }
    config_file = config_path[0] == '/' ? gr_xstrdup(config_path)
                                        : gr_xasprintf("%s/%s", folder, config_path);
    selects_pg = config_selects_pg(config_file);
    free(config_file);
    if (selects_pg)
        return 0;

    name = gr_xasprintf("gr_test_%d_%08x", (int)getpid(), hash_text(folder));
    sql = gr_xasprintf("CREATE DATABASE %s", name);
    rc = pg_admin(base_url, sql);
    free(sql);
    if (rc != GR_OK && rc != GR_ECONFLICT && strstr(gr_error_last(), "already exists") == NULL) {
        fprintf(stderr, "creating test database %s failed: %s\n", name, gr_error_last());
        free(name);
        return -1;
    }
    if (rc == GR_OK) {
        if (pg_database_count == 0)
            atexit(pg_drop_databases);
        pg_databases = gr_xrealloc(pg_databases, (pg_database_count + 1) * sizeof(char *));
        pg_databases[pg_database_count++] = gr_xstrdup(name);
    }

    server->database_url = pg_url_with_database(base_url, name);
    overlay_name = gr_xasprintf("gr-test-pg-%d-%d.yaml", getpid(), server->port);
    server->overlay_path = gr_xasprintf("/tmp/%s", overlay_name);
    overlay = gr_xasprintf("backend:\n  database:\n    client: pg\n    connection: '%s'\n",
                           server->database_url);
    gr_test_write_file("/tmp", overlay_name, overlay);
    free(overlay_name);
    free(overlay);
    free(name);
    return 0;
}

const char *gr_test_server_database(const gr_test_server *server)
{
    return server->database_url;
}

int gr_test_server_db_open(const gr_test_server *server, const char *sqlite_path, gr_db **out)
{
    const char *pg = gr_test_server_database(server);
    gr_db_options options = {.client = pg != NULL ? "pg" : "better-sqlite3",
                             .connection = pg,
                             .path = pg != NULL ? NULL : sqlite_path};

    return gr_db_open(out, &options);
}

int gr_test_server_start(gr_test_server *server, const char *cwd, const char *config_path,
                         int timeout_ms)
{
    const char *const configs[] = {config_path, NULL};

    return gr_test_server_start_configs(server, cwd, configs, timeout_ms);
}

/*
 * Forks and execs the server. Everything is allocated before fork(): tests
 * start servers from several threads, and a child of a threaded process may
 * only call async-signal-safe functions (malloc could wait forever on a lock
 * another thread held at the fork).
 */
static pid_t server_spawn(const gr_test_server *server, const char *cwd,
                          const char *const *config_paths)
{
    extern char **environ;
    size_t count = 0;
    size_t env_count = 0;
    const char **argv;
    char **envp;
    char *port_env = gr_xasprintf("GREENROOM_PORT=%d", server->port);
    pid_t pid;

    while (config_paths[count] != NULL)
        count++;
    argv = gr_xcalloc(2 * count + 5, sizeof(*argv));
    argv[0] = gr_test_binary();
    argv[1] = "serve";
    for (size_t i = 0; i < count; i++) {
        argv[2 + 2 * i] = "--config";
        argv[3 + 2 * i] = config_paths[i];
    }
    if (server->overlay_path != NULL) {
        argv[2 + 2 * count] = "--config";
        argv[3 + 2 * count] = server->overlay_path;
    }
    while (environ[env_count] != NULL)
        env_count++;
    envp = gr_xcalloc(env_count + 2, sizeof(*envp));
    for (size_t i = 0, out = 0; i < env_count; i++)
        if (strncmp(environ[i], "GREENROOM_PORT=", 15) != 0)
            envp[out++] = environ[i];
    for (size_t i = 0;; i++)
        if (envp[i] == NULL) {
            envp[i] = port_env;
            break;
        }

    pid = fork();
    if (pid == 0) {
        int log_fd = open(server->log_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

        dup2(log_fd, 1);
        dup2(log_fd, 2);
        if (cwd != NULL && chdir(cwd) != 0)
            _exit(127);
        execve(argv[0], (char *const *)argv, envp);
        _exit(127);
    }
    free(argv);
    free(envp);
    free(port_env);
    return pid;
}

/* Time a server that returns 200 for readiness without logging its bind must keep running to
 * count as started, in ms. It is an estimate: a server that lost its port exits as soon as its
 * bind fails. */
#define SERVER_UNLOGGED_READY_MS 2000

/* Returns whether the server's log reports that its port was taken between
 * gr_test_free_port() and its own bind, which parallel tests can cause. */
static int server_lost_port(const gr_test_server *server)
{
    FILE *file = fopen(server->log_path, "r");
    char line[1024];
    int lost = 0;

    while (file != NULL && !lost && fgets(line, sizeof(line), file) != NULL)
        lost = strstr(line, "listening on") != NULL && strstr(line, "failed") != NULL;
    if (file != NULL)
        fclose(file);
    return lost;
}

/* Returns whether the server's log reports that it listens on its own port. */
static int server_bound_port(const gr_test_server *server)
{
    FILE *file = fopen(server->log_path, "r");
    char *expected = gr_xasprintf("listening on 127.0.0.1 port %d with", server->port);
    char line[1024];
    int bound = 0;

    while (file != NULL && !bound && fgets(line, sizeof(line), file) != NULL)
        bound = strstr(line, expected) != NULL;
    if (file != NULL)
        fclose(file);
    free(expected);
    return bound;
}

/*
 * Returns 0 once readiness returns 200 from this server, 1 when the server
 * exited because its port was taken, or -1 on any other failure. Another
 * test's server that took the port first also returns 200, so a 200 counts
 * once the log shows the bind. A log level above info hides that line, so a
 * server still running SERVER_UNLOGGED_READY_MS after its first 200 counts
 * too.
 */
static int server_wait_ready(gr_test_server *server, int timeout_ms)
{
    char *ready_url = gr_xasprintf("%s/.backstage/health/v1/readiness", server->base_url);
    int answered_ms = 0;
    int rc = -1;

    for (int waited = 0; waited < timeout_ms; waited += 20) {
        gr_test_output res = gr_test_http("GET", ready_url, NULL, NULL);
        int status = res.status;
        int child_status;

        gr_test_output_free(&res);
        if (status == 200 && server_bound_port(server)) {
            rc = 0;
            break;
        }
        if (waitpid(server->pid, &child_status, WNOHANG) == server->pid) {
            server->pid = 0;
            rc = server_lost_port(server) ? 1 : -1;
            break;
        }
        if (status == 200 && (answered_ms += 20) >= SERVER_UNLOGGED_READY_MS) {
            rc = 0;
            break;
        }
        poll(NULL, 0, 20);
    }
    free(ready_url);
    return rc;
}

static void server_pick_port(gr_test_server *server)
{
    free(server->base_url);
    free(server->log_path);
    server->port = gr_test_free_port();
    server->base_url = gr_xasprintf("http://127.0.0.1:%d", server->port);
    server->log_path = gr_xasprintf("/tmp/gr-test-server-%d-%d.log", getpid(), server->port);
}

int gr_test_server_start_configs(gr_test_server *server, const char *cwd,
                                 const char *const *config_paths, int timeout_ms)
{
    int rc = 1;

    memset(server, 0, sizeof(*server));
    server_pick_port(server);
    if (pg_prepare_server(server, cwd, config_paths[0]) != 0) {
        gr_test_server_stop(server);
        return -1;
    }

    for (int attempt = 0; rc == 1 && attempt < 5; attempt++) {
        if (attempt > 0) {
            unlink(server->log_path);
            server_pick_port(server);
        }
        server->pid = server_spawn(server, cwd, config_paths);
        rc = server_wait_ready(server, timeout_ms);
    }
    if (rc == 0)
        return 0;
    fprintf(stderr, "server did not become ready; its log:\n");
    print_file(server->log_path);
    gr_test_server_stop(server);
    return -1;
}

int gr_test_server_stop(gr_test_server *server)
{
    int status = 0;
    int result = -1;

    if (server->pid > 0) {
        kill(server->pid, SIGTERM);
        if (waitpid(server->pid, &status, 0) == server->pid && WIFEXITED(status))
            result = WEXITSTATUS(status);
        server->pid = 0;
        /* A server that did not stop cleanly shows why before its log goes. */
        if (result != 0 && server->log_path != NULL) {
            fprintf(stderr, "server stopped with %s %d; its log:\n",
                    WIFSIGNALED(status) ? "signal" : "status",
                    WIFSIGNALED(status) ? WTERMSIG(status) : result);
            print_file(server->log_path);
        }
    }
    if (server->log_path != NULL)
        unlink(server->log_path);
    if (server->overlay_path != NULL)
        unlink(server->overlay_path);
    free(server->base_url);
    free(server->log_path);
    free(server->database_url);
    free(server->overlay_path);
    server->base_url = NULL;
    server->log_path = NULL;
    server->database_url = NULL;
    server->overlay_path = NULL;
    return result;
}

static size_t collect(char *data, size_t size, size_t count, void *payload)
{
    gr_buf_append(payload, data, size * count);
    return size * count;
}

gr_test_output gr_test_http(const char *method, const char *url, const char *const *headers,
                            const char *body)
{
    return gr_test_http_bytes(method, url, headers, body, body != NULL ? strlen(body) : 0);
}

gr_test_output gr_test_http_bytes(const char *method, const char *url,
                                  const char *const *headers, const char *body, size_t body_len)
{
    gr_test_output result = {0};
    gr_buf out = GR_BUF_INIT;
    gr_buf head = GR_BUF_INIT;
    struct curl_slist *list = NULL;
    CURL *curl = curl_easy_init();
    long code = 0;

    for (size_t i = 0; headers != NULL && headers[i] != NULL; i++)
        list = curl_slist_append(list, headers[i]);
    curl_easy_setopt(curl, CURLOPT_URL, url);
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, list);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &out);
    curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, collect);
    curl_easy_setopt(curl, CURLOPT_HEADERDATA, &head);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT, 30L);
    if (strcmp(method, "HEAD") == 0)
        curl_easy_setopt(curl, CURLOPT_NOBODY, 1L);
    if (body != NULL) {
        curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, (long)body_len);
    }
    if (curl_easy_perform(curl) == CURLE_OK)
        curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &code);

    result.status = (int)code;
    result.out_len = out.len;
    result.out = gr_buf_detach(&out);
    result.err = gr_buf_detach(&head);
    curl_slist_free_all(list);
    curl_easy_cleanup(curl);
    return result;
}

int gr_test_connect_local(int port)
{
    struct sockaddr_in remote = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    int fd = socket(AF_INET, SOCK_STREAM, 0);

    if (fd < 0)
        return -1;
    remote.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&remote, sizeof(remote)) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}
