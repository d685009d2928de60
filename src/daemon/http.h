/* The metrics endpoint: libmicrohttpd driven from the scheduler's own poll
 * loop (epoll mode, no thread of its own), so handlers read the scheduler's
 * state without locks. */
#ifndef PGSTRATA_DAEMON_HTTP_H
#define PGSTRATA_DAEMON_HTTP_H

#include "core/strbuf.h"

typedef struct Http Http;

/* Fills body and *content_type for a GET of path; returns the status code. */
typedef int (*HttpHandler)(void *arg, const char *path, StrBuf *body, const char **content_type);

/* Listens on host (NULL: every address) and port (0: any free one). NULL
 * with *err on failure. */
Http *http_start(const char *host, int port, HttpHandler fn, void *arg, char **err);
void http_stop(Http *h);
/* The port it listens on (the one chosen when 0 was asked). */
int http_port(const Http *h);
/* The descriptor to poll for input; then http_run. */
int http_fd(const Http *h);
/* The longest wait before http_run must be called, in ms; -1: none. */
int http_timeout_ms(Http *h);
void http_run(Http *h);

#endif
