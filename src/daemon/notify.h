/* systemd's readiness protocol (Type=notify), spoken directly: one datagram
 * to $NOTIFY_SOCKET, so no libsystemd is needed. A no-op elsewhere. */
#ifndef PGSTRATA_DAEMON_NOTIFY_H
#define PGSTRATA_DAEMON_NOTIFY_H

/* "READY=1", "RELOADING=1", "STOPPING=1", "WATCHDOG=1", "STATUS=..." */
void notify_systemd(const char *state);
/* Half of WatchdogSec= in seconds, or 0 when the unit has no watchdog. */
double notify_watchdog_period(void);

#endif
