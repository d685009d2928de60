#!/usr/bin/env bash
# The harness itself: a server of version 15+, q, run, and a fresh database per test.
set -u
# shellcheck source=tests/lib/assert.sh
source "$(dirname "$0")/../lib/assert.sh"

ver=$(q "show server_version_num")
ok $? "server answers"
like "$ver" '^[0-9]+$' "server_version_num is a number"
ok "$((ver >= 150000 ? 0 : 1))" "server is version 15 or later ($ver)"

is "$(q 'select 1')" "1" "q 'select 1' prints 1"
is "$(q 'select current_database()')" "$(basename "$0" .sh)" "each test has its own database"
is "$(q "select current_setting('TimeZone')")" "UTC" "server timezone is UTC"
is "$(q "select current_setting('max_locks_per_transaction')")" "1024" "max_locks_per_transaction"
like "$PGHOST" '^/' "PGHOST is a Unix socket directory"
is "$(q "select current_setting('listen_addresses')")" "" "no TCP listener"

q "create table harness_probe (id int primary key, note text)"
ok $? "create table"
is "$(q "select count(*) from pg_class where relname = 'harness_probe' and relkind = 'r'")" "1" \
    "created table is visible in pg_class"
q "insert into harness_probe values (1, 'a'), (2, 'b')"
is "$(q "select string_agg(note, ',' order by id) from harness_probe")" "a,b" "rows round-trip"

run psql -X -A -t -c "select 42"
is "$RUN_RC" 0 "run: exit code of a good command"
is "$RUN_OUT" 42 "run: captures stdout"

run psql -X -v ON_ERROR_STOP=1 -c "select * from no_such_table"
isnt "$RUN_RC" 0 "run: exit code of a failing command"
like "$RUN_ERR" 'does not exist' "run: captures stderr"

[[ -d "$TEST_TMPDIR" ]]
ok $? "TEST_TMPDIR exists"
like "$PGSTRATA" '/pgstrata$' "PGSTRATA names the binary under test"

done_testing
