#!/usr/bin/env bash
# Crash recovery: every failpoint (PGSTRATA_FAILPOINT=kind:phase makes the process
# _exit(99) there) leaves an intermediate state in the catalog that the next
# maintain finishes; leftovers pgstrata made but no longer wants are dropped
# unless they hold rows; a DETACH ... CONCURRENTLY left pending (by hand, or by a
# kill -9 in the middle of the retry loop) is finalized by the next maintain.
set -u
# shellcheck source=tests/lib/assert.sh
source "$(dirname "$0")/../lib/assert.sh"
# shellcheck source=tests/lib/reader.sh
source "$(dirname "$0")/../lib/reader.sh"
# shellcheck source=tests/lib/catalog.sh
source "$(dirname "$0")/../lib/catalog.sh"

# shellcheck disable=SC2317 # called by the EXIT trap in assert.sh
teardown() {
    # Only jobs of this shell still running (never a pid that may have been reused).
    local p
    for p in $(jobs -p); do kill "$p" 2>/dev/null; done
    wait 2>/dev/null
    return 0
}

D0="2024-06-10 12:00" # when each table is created
D2="2024-06-12 12:00" # two days later
D3="2024-06-13 12:00" # three days later

# A daily range-partitioned table with a pgstrata policy, made at $D0 (default
# premake 4: days 06-10 .. 06-14). Extra arguments go to create.
mk() {
    local t=$1
    shift
    q "CREATE TABLE $t (id bigserial, event_time timestamptz NOT NULL, payload text)
       PARTITION BY RANGE (event_time)" || return 1
    run "$PGSTRATA" create "$t" --column event_time --interval '1 day' --now "$D0" -q "$@"
    is "$RUN_RC" 0 "$t: create exits 0" || diag "$RUN_ERR"
}

# Tables named like T's partitions that are not partitions.
standalone() {
    q "SELECT coalesce(string_agg(relname, ' ' ORDER BY relname), '') FROM pg_class
        WHERE relname LIKE '$1\\_p%' AND relkind = 'r' AND NOT relispartition"
}

is_partition() { # T PART -> t/f
    q "SELECT EXISTS (SELECT 1 FROM pg_inherits WHERE inhparent = '$1'::regclass
                      AND inhrelid = to_regclass('$2'))"
}

exists() { q "SELECT to_regclass('$1') IS NOT NULL"; }

# Everything settled for T: exactly the daily partitions FROM..TO, attached once,
# no standalone table, no pending or retired bookkeeping, no pending detach.
converged() {
    local t=$1 from=$2 to=$3
    is "$(parts "$t")" "$(want_parts "$t" "$from" "$to")" "$t: partitions $from .. $to attached, each once"
    is "$(standalone "$t")" "" "$t: no standalone leftover tables"
    is "$(q "SELECT count(*) FROM pgstrata.pending WHERE parent_table = '$t'")" 0 "$t: pgstrata.pending empty"
    is "$(q "SELECT count(*) FROM pgstrata.retired WHERE parent_table = '$t'")" 0 "$t: pgstrata.retired empty"
    is "$(q "SELECT count(*) FROM pg_inherits WHERE inhparent = '$t'::regclass AND inhdetachpending")" 0 \
        "$t: no pending detach"
    is "$(q "SELECT count(*) FROM (SELECT pg_get_expr(c.relpartbound, c.oid) b FROM pg_inherits i
              JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = '$t'::regclass
              GROUP BY 1 HAVING count(*) > 1) d")" 0 "$t: no two partitions share a range"
}

crash() { # FAILPOINT TABLE NOW [args]: maintain that must die at FAILPOINT
    local fp=$1 t=$2 now=$3
    shift 3
    run env PGSTRATA_FAILPOINT="$fp" "$PGSTRATA" maintain "$t" --now "$now" "$@"
    is "$RUN_RC" 99 "$t: maintain with failpoint $fp exits 99" || diag "$RUN_OUT" "$RUN_ERR"
    like "$RUN_ERR" "failpoint $fp reached" "$t: it died at the failpoint"
}

recover() { # TABLE NOW [args]: the maintain after a crash
    local t=$1 now=$2
    shift 2
    run "$PGSTRATA" maintain "$t" --now "$now" "$@"
    is "$RUN_RC" 0 "$t: the next maintain exits 0" || diag "$RUN_OUT" "$RUN_ERR"
    is "$RUN_ERR" "" "$t: ... with nothing on stderr"
}

run "$PGSTRATA" init -q
is "$RUN_RC" 0 "init"

# ---- create:after-commit: a standalone table and its pending row --------------
mk fc
crash create:after-commit fc "$D2"
is "$(exists fc_p20240615)" t "fc: the first new table exists"
is "$(is_partition fc fc_p20240615)" f "fc: ... and is not attached"
is "$(q "SELECT relispartition FROM pg_class WHERE oid = 'fc_p20240615'::regclass")" f \
    "fc: ... relispartition is false"
is "$(q "SELECT name || ' ' || lower_bound || ' ' || upper_bound FROM pgstrata.pending
          WHERE parent_table = 'fc'")" "fc_p20240615 2024-06-15 00:00:00 2024-06-16 00:00:00" \
    "fc: pgstrata.pending holds it with its range"
is "$(exists fc_p20240616)" f "fc: nothing after it was made"
run "$PGSTRATA" plan fc --now "$D2"
like "$RUN_OUT" "adopt a table an earlier run created" "fc: plan adopts the leftover"
recover fc "$D2"
converged fc 2024-06-10 2024-06-16
is "$(q "SELECT count(*) FROM pgstrata.audit WHERE parent = 'public.fc' AND action = 'attach'
          AND target = 'public.fc_p20240615' AND outcome = 'ok'")" 1 "fc: the leftover was attached once (audit)"

# ---- attach:after-commit: attached, pending row gone, the rest not done --------
mk fa
crash attach:after-commit fa "$D2"
is "$(is_partition fa fa_p20240615)" t "fa: the first new partition is attached"
is "$(q "SELECT count(*) FROM pgstrata.pending WHERE parent_table = 'fa'")" 0 \
    "fa: its pending row went with the attach"
is "$(exists fa_p20240616)" f "fa: the next one was not made"
recover fa "$D2"
converged fa 2024-06-10 2024-06-16

# ---- detach:after-sql: detached, bookkeeping still says 'detaching' -----------
mk fd --retention '2 days'
crash detach:after-sql fd "$D3"
is "$(exists fd_p20240610)" t "fd: the retired partition still exists"
is "$(is_partition fd fd_p20240610)" f "fd: ... and is detached"
is "$(q "SELECT count(*) FROM pg_inherits WHERE inhrelid = 'fd_p20240610'::regclass")" 0 \
    "fd: ... no pg_inherits row at all (not pending)"
is "$(q "SELECT state FROM pgstrata.retired WHERE name = 'fd_p20240610'")" detaching \
    "fd: retired.state is 'detaching'"
recover fd "$D3"
is "$(exists fd_p20240610)" f "fd: the detached table was dropped"
converged fd 2024-06-11 2024-06-17

# ---- drop:after-commit: one retired table gone, the next still attached -------
mk fx --retention '1 day'
crash drop:after-commit fx "$D3"
is "$(exists fx_p20240610)" f "fx: the first retired table is dropped"
is "$(q "SELECT count(*) FROM pgstrata.retired WHERE name = 'fx_p20240610'")" 0 \
    "fx: ... and its retired row is gone with it"
is "$(is_partition fx fx_p20240611)" t "fx: the second one due is still attached"
recover fx "$D3"
is "$(exists fx_p20240611)" f "fx: the second one is dropped by the next run"
converged fx 2024-06-12 2024-06-17

# ---- archive:mid-copy: archive started, the process dies ----------------------
mkdir -p "$TEST_TMPDIR/arch"
mk fr --retention '2 days' --retention-mode archive \
    --archive-command "cat > $TEST_TMPDIR/arch/%t.copy"
q "INSERT INTO fr (event_time, payload)
   SELECT '2024-06-10 00:00+00'::timestamptz + i * interval '1 minute', 'row ' || i
     FROM generate_series(0, 999) i"
psql -X -q -c "COPY (SELECT * FROM fr_p20240610) TO STDOUT" >"$TEST_TMPDIR/fr.expect"
is "$(wc -l <"$TEST_TMPDIR/fr.expect")" 1000 "fr: 1000 rows to archive"
crash archive:mid-copy fr "$D3"
is "$(exists fr_p20240610)" t "fr: the table being archived still exists"
is "$(is_partition fr fr_p20240610)" f "fr: ... detached"
is "$(q "SELECT state FROM pgstrata.retired WHERE name = 'fr_p20240610'")" archiving \
    "fr: retired.state is 'archiving'"
is "$(q "SELECT count(*) FROM fr_p20240610")" 1000 "fr: no row lost"
got=$(wc -l <"$TEST_TMPDIR/arch/public.fr_p20240610.copy" 2>/dev/null || echo 0)
ok "$((got < 1000 ? 0 : 1))" "fr: the archive file is incomplete ($got of 1000 lines)"
recover fr "$D3"
is "$(exists fr_p20240610)" f "fr: archived, then dropped"
cmp -s "$TEST_TMPDIR/fr.expect" "$TEST_TMPDIR/arch/public.fr_p20240610.copy"
ok $? "fr: the archive file holds exactly the table's COPY text"
converged fr 2024-06-11 2024-06-17

# ---- detach:after-sql in detach mode: recovery keeps the table -----------------
mk fk --retention '2 days' --retention-mode detach
q "INSERT INTO fk (event_time, payload) VALUES ('2024-06-10 10:00+00', 'keep')"
crash detach:after-sql fk "$D3"
is "$(q "SELECT state FROM pgstrata.retired WHERE name = 'fk_p20240610'")" detaching \
    "fk: retired.state is 'detaching'"
recover fk "$D3"
is "$(exists fk_p20240610)" t "fk: detach mode: the table is kept after recovery"
is "$(q "SELECT count(*) FROM fk_p20240610")" 1 "fk: ... with its row"
is "$(is_partition fk fk_p20240610)" f "fk: ... detached"
is "$(q "SELECT state FROM pgstrata.retired WHERE name = 'fk_p20240610'")" kept "fk: retired.state is 'kept'"

# ---- detach:after-sql with --drop-delay: recovery still waits for the delay -----
mk fl --retention '2 days' --drop-delay '2 days'
crash detach:after-sql fl "$D3"
recover fl "$D3"
is "$(exists fl_p20240610)" t "fl: --drop-delay 2 days: the table is not dropped by the recovering run"
is "$(q "SELECT state FROM pgstrata.retired WHERE name = 'fl_p20240610'")" detached \
    "fl: retired.state is 'detached' (awaiting drop)"
is "$(q "SELECT detached_at IS NOT NULL FROM pgstrata.retired WHERE name = 'fl_p20240610'")" t \
    "fl: detached_at is recorded"
recover fl "2024-06-14 12:00"
is "$(exists fl_p20240610)" t "fl: a day later it is still there"
recover fl "2024-06-16 12:00"
is "$(exists fl_p20240610)" f "fl: three days later it is dropped"

# ---- create:after-commit during "pgstrata create" itself ----------------------
q "CREATE TABLE fcr (id bigserial, event_time timestamptz NOT NULL, payload text)
   PARTITION BY RANGE (event_time)"
run env PGSTRATA_FAILPOINT=create:after-commit "$PGSTRATA" create fcr --column event_time \
    --interval '1 day' --now "$D0"
is "$RUN_RC" 99 "fcr: create with failpoint create:after-commit exits 99"
is "$(q "SELECT count(*) FROM pgstrata.policy WHERE parent_table = 'fcr'")" 1 "fcr: the policy is registered"
is "$(standalone fcr)" "fcr_p20240610" "fcr: the first table is left standalone"
is "$(q "SELECT count(*) FROM pgstrata.pending WHERE parent_table = 'fcr'")" 1 "fcr: ... with its pending row"
recover fcr "$D0"
converged fcr 2024-06-10 2024-06-14

# ---- plain DETACH (default partition) interrupted after its commit -------------
mk fdd --retention '2 days'
q "CREATE TABLE fdd_default PARTITION OF fdd DEFAULT"
crash detach:after-commit fdd "$D3"
is "$(exists fdd_p20240610)" t "fdd: the retired partition still exists"
is "$(is_partition fdd fdd_p20240610)" f "fdd: ... detached"
is "$(q "SELECT state FROM pgstrata.retired WHERE name = 'fdd_p20240610'")" detached \
    "fdd: retired.state is 'detached' (plain DETACH commits with its bookkeeping)"
recover fdd "$D3"
is "$(exists fdd_p20240610)" f "fdd: dropped by the next run"
is "$(parts fdd)" "$( (want_parts fdd 2024-06-11 2024-06-17; echo "fdd_default DEFAULT") | LC_ALL=C sort)" \
    "fdd: 06-11 .. 06-17 and the default attached"
is "$(standalone fdd)" "" "fdd: no standalone leftover"
is "$(q "SELECT count(*) FROM pgstrata.retired WHERE parent_table = 'fdd'")" 0 "fdd: pgstrata.retired empty"

# ---- a leftover for a range nobody wants (made by hand) is dropped ------------
mk lf
q "CREATE TABLE lf_p20300101 (LIKE lf)"
q "INSERT INTO pgstrata.pending (schema, name, parent_schema, parent_table, lower_bound, upper_bound)
   VALUES ('public', 'lf_p20300101', 'public', 'lf', '2030-01-01 00:00:00', '2030-01-02 00:00:00')"
run "$PGSTRATA" plan lf --now "$D0"
like "$RUN_OUT" "drop-leftover|no longer wanted" "lf: plan drops the unwanted leftover"
recover lf "$D0"
is "$(exists lf_p20300101)" f "lf: the unwanted leftover was dropped"
converged lf 2024-06-10 2024-06-14

# ---- a leftover made by a crash, then premake lowered: dropped ----------------
mk lp --premake 2
run "$PGSTRATA" policy set lp --premake 6
is "$RUN_RC" 0 "lp: policy set --premake 6"
crash create:after-commit lp "$D0"
is "$(standalone lp)" "lp_p20240613" "lp: the crash left lp_p20240613 standalone"
run "$PGSTRATA" policy set lp --premake 2
is "$RUN_RC" 0 "lp: policy set --premake 2 again"
recover lp "$D0"
is "$(exists lp_p20240613)" f "lp: the leftover past the new horizon was dropped"
converged lp 2024-06-10 2024-06-12

# ---- a leftover that holds rows is left alone ---------------------------------
mk lr
q "CREATE TABLE lr_p20300101 (LIKE lr)"
q "INSERT INTO lr_p20300101 (id, event_time, payload) VALUES (1, '2030-01-01 10:00+00', 'keep me')"
q "INSERT INTO pgstrata.pending (schema, name, parent_schema, parent_table, lower_bound, upper_bound)
   VALUES ('public', 'lr_p20300101', 'public', 'lr', '2030-01-01 00:00:00', '2030-01-02 00:00:00')"
run "$PGSTRATA" maintain lr --now "$D0"
is "$RUN_RC" 1 "lr: maintain exits 1"
like "$RUN_ERR" "lr_p20300101.*holds rows" "lr: the error names the table and says it holds rows"
is "$(q "SELECT count(*) FROM lr_p20300101")" 1 "lr: the leftover and its row are kept"
is "$(q "SELECT count(*) FROM pgstrata.pending WHERE name = 'lr_p20300101'")" 1 "lr: its pending row is kept"
is "$(parts lr)" "$(want_parts lr 2024-06-10 2024-06-14)" "lr: the wanted partitions are untouched"

# ---- a leftover under a wanted name, for another range (the interval changed) --
mk lw
q "CREATE TABLE lw_p20240615 (LIKE lw)"
q "INSERT INTO pgstrata.pending (schema, name, parent_schema, parent_table, lower_bound, upper_bound)
   VALUES ('public', 'lw_p20240615', 'public', 'lw', '2024-06-15 00:00:00', '2024-06-17 00:00:00')"
recover lw "$D2"
is "$(q "SELECT pg_get_expr(relpartbound, oid) FROM pg_class WHERE relname = 'lw_p20240615'")" \
    "FOR VALUES FROM ('2024-06-15 00:00:00+00') TO ('2024-06-16 00:00:00+00')" \
    "lw: lw_p20240615 is replaced by the one-day partition"
converged lw 2024-06-10 2024-06-16
if [[ "$(parts lw)" != "$(want_parts lw 2024-06-10 2024-06-16)" ]]; then
    recover lw "$D2"
    is "$(parts lw)" "$(want_parts lw 2024-06-10 2024-06-16)" "lw: a second pass fills the horizon"
fi

# ---- a DETACH ... CONCURRENTLY left pending by hand is finalized ---------------
mk hd --retention '1 day'
reader_start t_crash_reader hd 2
reader=$READER_PID
run psql -X -v ON_ERROR_STOP=1 -c "SET lock_timeout = '500ms'" \
    -c "ALTER TABLE hd DETACH PARTITION hd_p20240610 CONCURRENTLY"
isnt "$RUN_RC" 0 "hd: the hand-made DETACH CONCURRENTLY times out"
like "$RUN_ERR" "lock timeout" "hd: ... on the lock timeout"
is "$(q "SELECT inhdetachpending FROM pg_inherits WHERE inhrelid = 'hd_p20240610'::regclass")" t \
    "hd: inhdetachpending is true"
run "$PGSTRATA" plan hd --now "$D0"
like "$RUN_OUT" "finalize-detach +public.hd_p20240610" "hd: plan finalizes it"
wait "$reader"
recover hd "$D0"
is "$(q "SELECT count(*) FROM pg_inherits WHERE inhrelid = 'hd_p20240610'::regclass")" 0 \
    "hd: the pending detach is finalized (no pg_inherits row)"
is "$(parts hd)" "$(want_parts hd 2024-06-11 2024-06-14)" "hd: the other partitions are untouched"

# ---- kill -9 while maintain sits in its retry loop -----------------------------
mk kn --retention '1 day' --lock-timeout 200ms
reader_start t_crash_reader2 kn 60
reader=$READER_PID
"$PGSTRATA" maintain kn --now "$D2" >"$TEST_TMPDIR/kn.out" 2>"$TEST_TMPDIR/kn.err" &
mpid=$!
pending=f
for _ in $(seq 100); do
    pending=$(q "SELECT coalesce(bool_or(inhdetachpending), false) FROM pg_inherits
                  WHERE inhrelid = to_regclass('kn_p20240610')")
    [[ $pending == t ]] && break
    sleep 0.1
done
is "$pending" t "kn: maintain started DETACH CONCURRENTLY and waits for the reader"
sleep 1 # a few rounds of its retry loop
kill -0 "$mpid" 2>/dev/null
ok $? "kn: maintain is still running (retrying)"
kill -9 "$mpid" 2>/dev/null
wait "$mpid" 2>/dev/null
is "$?" 137 "kn: maintain was killed by SIGKILL"
is "$(q "SELECT state FROM pgstrata.retired WHERE name = 'kn_p20240610'")" detaching \
    "kn: retired.state is 'detaching'"
is "$(q "SELECT inhdetachpending FROM pg_inherits WHERE inhrelid = 'kn_p20240610'::regclass")" t \
    "kn: the detach is left pending"
q "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 't_crash_reader2'" >/dev/null
wait "$reader" 2>/dev/null
# The killed client's backend goes away once it notices (within a lock timeout).
for _ in $(seq 100); do
    [[ $(q "SELECT count(*) FROM pg_locks l JOIN pg_database d ON d.oid = l.database
             WHERE l.locktype = 'advisory' AND d.datname = current_database()") == 0 ]] && break
    sleep 0.1
done
recover kn "$D2"
unlike "$RUN_OUT" "another pgstrata run" "kn: the lock of the killed run was released"
is "$(exists kn_p20240610)" f "kn: the retired partition is dropped"
converged kn 2024-06-11 2024-06-16

done_testing
