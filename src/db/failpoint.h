/* Failpoints for the crash tests: PGSTRATA_FAILPOINT=name:phase makes the
 * process die the first time it reaches that point, and name:phase:N the Nth
 * time, as a kill -9 would: _exit(99), no cleanup, and a transaction left
 * open is the server's to roll back when the connection drops. */
#ifndef PGSTRATA_FAILPOINT_H
#define PGSTRATA_FAILPOINT_H

/* name is the action kind (create, attach, detach, ...) or migrate-<step>. */
void failpoint_reach(const char *name, const char *phase);

#endif
