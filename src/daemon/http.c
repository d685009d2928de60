#include "daemon/http.h"

#include <microhttpd.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

struct Http {
    struct MHD_Daemon *mhd;
    HttpHandler fn;
    void *arg;
    int port;
};

static enum MHD_Result answer(void *cls, struct MHD_Connection *conn, const char *url,
                              const char *method, const char *version, const char *upload,
                              size_t *upload_size, void **state)
{
    (void)version;
    (void)upload;
    Http *h = cls;
    /* the first call only announces the request: answer on the second */
    static int seen;
    if (*state != &seen) {
        *state = &seen;
        return MHD_YES;
    }
    if (*upload_size) {
        *upload_size = 0;
        return MHD_YES;
    }
    StrBuf body;
    sb_init(&body);
    const char *type = "text/plain; charset=utf-8";
    int status;
    if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0) {
        status = MHD_HTTP_METHOD_NOT_ALLOWED;
        sb_append(&body, "only GET and HEAD\n");
    } else {
        status = h->fn(h->arg, url, &body, &type);
    }
    struct MHD_Response *resp =
        MHD_create_response_from_buffer(body.len, body.data, MHD_RESPMEM_MUST_COPY);
    sb_free(&body);
    if (!resp)
        return MHD_NO;
    MHD_add_response_header(resp, "Content-Type", type);
    MHD_add_response_header(resp, "Cache-Control", "no-store");
    enum MHD_Result r = MHD_queue_response(conn, (unsigned int)status, resp);
    MHD_destroy_response(resp);
    return r;
}

Http *http_start(const char *host, int port, HttpHandler fn, void *arg, char **err)
{
    Http *h = xcalloc(1, sizeof(*h));
    h->fn = fn;
    h->arg = arg;
    unsigned int flags = MHD_USE_EPOLL;
    struct addrinfo *ai = NULL;
    if (host) {
        struct addrinfo hints;
        memset(&hints, 0, sizeof(hints));
        hints.ai_family = AF_UNSPEC;
        hints.ai_socktype = SOCK_STREAM;
        hints.ai_flags = AI_PASSIVE;
        char portbuf[16];
        snprintf(portbuf, sizeof(portbuf), "%d", port);
        int rc = getaddrinfo(host, portbuf, &hints, &ai);
        if (rc != 0) {
            *err = xasprintf("cannot resolve %s: %s", host, gai_strerror(rc));
            free(h);
            return NULL;
        }
        if (ai->ai_family == AF_INET6)
            flags |= MHD_USE_IPv6;
        h->mhd =
            MHD_start_daemon(flags, (uint16_t)port, NULL, NULL, answer, h, MHD_OPTION_SOCK_ADDR,
                             ai->ai_addr, MHD_OPTION_CONNECTION_LIMIT, (unsigned int)32,
                             MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)10, MHD_OPTION_END);
        freeaddrinfo(ai);
    } else {
        /* every address: IPv6 and IPv4 together, or IPv4 where IPv6 is off */
        h->mhd = MHD_start_daemon(flags | MHD_USE_DUAL_STACK, (uint16_t)port, NULL, NULL, answer, h,
                                  MHD_OPTION_CONNECTION_LIMIT, (unsigned int)32,
                                  MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)10, MHD_OPTION_END);
        if (!h->mhd)
            h->mhd = MHD_start_daemon(
                flags, (uint16_t)port, NULL, NULL, answer, h, MHD_OPTION_CONNECTION_LIMIT,
                (unsigned int)32, MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)10, MHD_OPTION_END);
    }
    if (!h->mhd) {
        *err = xasprintf("cannot listen on %s%s%s:%d (in use, or not an address of this host)",
                         host && strchr(host, ':') ? "[" : "", host ? host : "",
                         host && strchr(host, ':') ? "]" : "", port);
        free(h);
        return NULL;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(h->mhd, MHD_DAEMON_INFO_BIND_PORT);
    h->port = info ? info->port : port;
    return h;
}

void http_stop(Http *h)
{
    if (!h)
        return;
    MHD_stop_daemon(h->mhd);
    free(h);
}

int http_port(const Http *h)
{
    return h->port;
}

int http_fd(const Http *h)
{
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(h->mhd, MHD_DAEMON_INFO_EPOLL_FD);
    return info ? info->epoll_fd : -1;
}

int http_timeout_ms(Http *h)
{
    MHD_UNSIGNED_LONG_LONG ms;
    if (MHD_get_timeout(h->mhd, &ms) != MHD_YES)
        return -1;
    return ms > 60000 ? 60000 : (int)ms;
}

void http_run(Http *h)
{
    MHD_run(h->mhd);
}
