/* The pgstrata schema in the target database: install, upgrade, check. */
#ifndef PGSTRATA_SCHEMA_H
#define PGSTRATA_SCHEMA_H

#include <stdbool.h>

#include "db/conn.h"

/* The schema version this binary writes and expects. */
int schema_latest_version(void);
/* Installs or upgrades to the latest version in one transaction. *from gets
 * the version found (0: none). Refuses a newer schema than this binary knows. */
bool schema_install(Conn *c, int *from, char **err);
/* For every command but init: the schema exists at exactly our version. */
bool schema_check(Conn *c, char **err);

#endif
