/* SPDX-License-Identifier: MIT */
/* A source on 127.0.0.1 that accepts connections and never responds, for tests of slow reads. */
#include "support/silent_source.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

struct gr_test_silent {
    int listener;
    int port;
    pthread_t acceptor;
    int closed;
    pthread_mutex_t lock;
    int accepted[GR_TEST_SILENT_MAX];
    int accepted_count;
};

static void *silent_accept(void *arg)
{
    gr_test_silent *source = arg;
    int fd;

    /* accept() fails once gr_test_silent_close() shuts the listener down. */
    while ((fd = accept(source->listener, NULL, NULL)) >= 0) {
        pthread_mutex_lock(&source->lock);
        if (source->accepted_count < GR_TEST_SILENT_MAX)
            source->accepted[source->accepted_count++] = fd;
        else
            close(fd);
        pthread_mutex_unlock(&source->lock);
    }
    return NULL;
}

/* Returns a listening socket on an ephemeral loopback port and sets *port, or -1. */
static int listen_loopback(int *port)
{
    struct sockaddr_in addr = {.sin_family = AF_INET};
    socklen_t len = sizeof(addr);
    int fd = socket(AF_INET, SOCK_STREAM, 0);

    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0)
        return -1;
    if (bind(fd, (struct sockaddr *)&addr, sizeof(addr)) != 0 ||
        listen(fd, GR_TEST_SILENT_MAX) != 0 ||
        getsockname(fd, (struct sockaddr *)&addr, &len) != 0) {
        close(fd);
        return -1;
    }
    *port = ntohs(addr.sin_port);
    return fd;
}

gr_test_silent *gr_test_silent_start(void)
{
    gr_test_silent *source = calloc(1, sizeof(*source));

    if (source == NULL)
        return NULL;
    source->listener = listen_loopback(&source->port);
    if (source->listener < 0) {
        free(source);
        return NULL;
    }
    pthread_mutex_init(&source->lock, NULL);
    if (pthread_create(&source->acceptor, NULL, silent_accept, source) != 0) {
        pthread_mutex_destroy(&source->lock);
        close(source->listener);
        free(source);
        return NULL;
    }
    return source;
}

int gr_test_silent_port(const gr_test_silent *source)
{
    return source->port;
}

int gr_test_silent_wait(gr_test_silent *source, int count, int timeout_ms)
{
    int accepted = 0;

    for (int waited = 0; waited <= timeout_ms; waited += 10) {
        pthread_mutex_lock(&source->lock);
        accepted = source->accepted_count;
        pthread_mutex_unlock(&source->lock);
        if (accepted >= count)
            break;
        poll(NULL, 0, 10);
    }
    return accepted;
}

void gr_test_silent_close(gr_test_silent *source)
{
    if (source->closed)
        return;
    source->closed = 1;
    shutdown(source->listener, SHUT_RDWR);
    pthread_join(source->acceptor, NULL);
    close(source->listener);
    for (int i = 0; i < source->accepted_count; i++)
        close(source->accepted[i]);
}

void gr_test_silent_free(gr_test_silent *source)
{
    if (source == NULL)
        return;
    gr_test_silent_close(source);
    pthread_mutex_destroy(&source->lock);
    free(source);
}
