/* The daemon's log, on stderr: one line per event, human text on a terminal
 * and JSON lines otherwise (or as the configuration says). Every line has
 * the time, a level, the database when it is about one, and a message;
 * action lines add table, action, target, outcome, duration and attempts. */
#ifndef PGSTRATA_DAEMON_LOG_H
#define PGSTRATA_DAEMON_LOG_H

#include <cjson/cJSON.h>

#include "daemon/config.h"

void log_set_format(LogFormat f);
/* An event to add fields to (cJSON_Add...ToObject), then log_end writes it. */
cJSON *log_begin(const char *level, const char *database, const char *msg);
void log_end(cJSON *event);
/* An event with a message only. */
__attribute__((format(printf, 3, 4))) void log_msg(const char *level, const char *database,
                                                   const char *fmt, ...);

#endif
