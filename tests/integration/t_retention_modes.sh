#!/usr/bin/env bash
# Retention modes and their timing: detach (kept in place or moved to
# --detach-schema), archive (the archive command receives the COPY text, then
# the table is dropped; a failing command keeps the table for the next run),
# --drop-delay (detach now, drop later), and --window (retire only inside the
# daily window, also one wrapping midnight).
set -u
# shellcheck source=tests/lib/assert.sh
source "$(dirname "$0")/../lib/assert.sh"

D0="2024-06-10 12:00"
D3="2024-06-13 12:00" # with retention '2 days' the cutoff is 06-11 12:00: 06-10 is due

mk() { # TABLE [create options]: daily table made at $D0 (06-10 .. 06-14)
    local t=$1
    shift
    q "CREATE TABLE $t (id bigserial, event_time timestamptz NOT NULL, payload text)
       PARTITION BY RANGE (event_time)" || return 1
    run "$PGSTRATA" create "$t" --column event_time --interval '1 day' --now "$D0" -q "$@"
    is "$RUN_RC" 0 "$t: create" || diag "$RUN_ERR"
}

fill() { # TABLE N: N rows on 06-10
    q "INSERT INTO $1 (event_time, payload)
       SELECT '2024-06-10 00:00+00'::timestamptz + i * interval '1 second', 'row ' || i || ' ' || repeat('x', 40)
         FROM generate_series(0, $2 - 1) i"
}

maintain_ok() { # TABLE NOW [args]
    local t=$1 now=$2
    shift 2
    run "$PGSTRATA" maintain "$t" --now "$now" "$@"
    is "$RUN_RC" 0 "$t: maintain --now '$now' exits 0" || diag "$RUN_OUT" "$RUN_ERR"
    is "$RUN_ERR" "" "$t: ... nothing on stderr"
}

exists() { q "SELECT to_regclass('$1') IS NOT NULL"; }
is_partition() { q "SELECT EXISTS (SELECT 1 FROM pg_inherits WHERE inhrelid = to_regclass('$1'))"; }
state() { q "SELECT coalesce((SELECT state FROM pgstrata.retired WHERE name = '$1'), '(none)')"; }
ls_state() { # TABLE NOW PART -> the state column of PART in "ls TABLE"
    "$PGSTRATA" ls "$1" --now "$2" | awk -v p="$3" '$1 == p { sub(/^[^ ]+ +[^ ]+ [^ ]+ +[^ ]+ [^ ]+ +/, ""); print }'
}

run "$PGSTRATA" init -q
is "$RUN_RC" 0 "init"

# ---- detach mode, kept in place ----------------------------------------------
mk rd --retention '2 days' --retention-mode detach
fill rd 30
maintain_ok rd "$D3"
is "$(exists rd_p20240610)" t "rd: the retired partition is kept"
is "$(is_partition rd_p20240610)" f "rd: ... not in pg_inherits"
is "$(q "SELECT relispartition FROM pg_class WHERE oid = 'rd_p20240610'::regclass")" f "rd: ... relispartition false"
is "$(q "SELECT n.nspname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relname = 'rd_p20240610'")" \
    public "rd: ... still in schema public"
is "$(state rd_p20240610)" kept "rd: retired.state is 'kept' after the pass"
is "$(q "SELECT count(*) FROM rd_p20240610")" 30 "rd: its 30 rows are intact"
is "$(q "SELECT count(*) FROM rd")" 0 "rd: the parent no longer sees them"
like "$(ls_state rd "$D3" rd_p20240610)" "detached \(kept\)" "rd: ls shows it as detached (kept)"
maintain_ok rd "2024-06-20 12:00"
is "$(exists rd_p20240610)" t "rd: a later pass keeps it too"
is "$(state rd_p20240610)" kept "rd: ... still 'kept'"
is "$(state rd_p20240611)" kept "rd: the next one retired is kept as well"

# ---- detach mode with --detach-schema ------------------------------------------
q "CREATE SCHEMA archive_schema"
mk rds --retention '2 days' --retention-mode detach --detach-schema archive_schema
fill rds 20
maintain_ok rds "$D3"
is "$(exists public.rds_p20240610)" f "rds: no longer in public"
is "$(exists archive_schema.rds_p20240610)" t "rds: moved to archive_schema"
is "$(is_partition archive_schema.rds_p20240610)" f "rds: ... detached"
is "$(q "SELECT schema || ' ' || state FROM pgstrata.retired WHERE name = 'rds_p20240610'")" \
    "archive_schema kept" "rds: retired row says archive_schema, 'kept'"
is "$(q "SELECT count(*) FROM archive_schema.rds_p20240610")" 20 "rds: its 20 rows are intact"
maintain_ok rds "$D3"
is "$(exists archive_schema.rds_p20240610)" t "rds: a second pass leaves it alone"

# ---- archive mode ---------------------------------------------------------------
A="$TEST_TMPDIR/arch"
mkdir -p "$A"
mk rar --retention '2 days' --retention-mode archive \
    --archive-command "cat > $A/%t.copy; echo %r > $A/%t.range"
fill rar 500
psql -X -q -c "COPY (SELECT * FROM rar_p20240610) TO STDOUT" >"$TEST_TMPDIR/rar.expect"
run "$PGSTRATA" plan rar --now "$D3"
like "$RUN_OUT" "archive +public\.rar_p20240610" "rar: plan archives rar_p20240610"
like "$RUN_OUT" "COPY \"public\".\"rar_p20240610\" TO STDOUT \| cat > $A/'public.rar_p20240610'.copy" \
    "rar: plan shows the command with %t single-quoted"
maintain_ok rar "$D3"
is "$(exists rar_p20240610)" f "rar: archived, then dropped"
is "$(state rar_p20240610)" "(none)" "rar: no retired row left"
ok "$([[ -f "$A/public.rar_p20240610.copy" ]] && echo 0 || echo 1)" "rar: the archive file exists"
is "$(wc -l <"$A/public.rar_p20240610.copy" 2>/dev/null)" 500 "rar: the archive has 500 lines"
cmp -s "$TEST_TMPDIR/rar.expect" "$A/public.rar_p20240610.copy"
ok $? "rar: the archive is exactly the partition's COPY text"
is "$(cat "$A/public.rar_p20240610.range" 2>/dev/null)" "[2024-06-10 00:00:00, 2024-06-11 00:00:00)" \
    "rar: %r is the range"
is "$(find "$A" -type f | wc -l)" 2 "rar: no other file was written"

# A table name with a quote: %t stays one shell word.
q "CREATE TABLE \"ar'q\" (id bigserial, event_time timestamptz NOT NULL, payload text)
   PARTITION BY RANGE (event_time)"
run "$PGSTRATA" create "\"ar'q\"" --column event_time --interval '1 day' --now "$D0" -q \
    --retention '2 days' --retention-mode archive --archive-command "cat > $A/%t.copy"
is "$RUN_RC" 0 "ar'q: create" || diag "$RUN_ERR"
q "INSERT INTO \"ar'q\" (event_time, payload) SELECT '2024-06-10 01:00+00'::timestamptz + i * interval '1 minute', 'q' FROM generate_series(1, 7) i"
maintain_ok "\"ar'q\"" "$D3"
is "$(wc -l <"$A/public.\"ar'q_p20240610\".copy" 2>/dev/null)" 7 "ar'q: archived under its quoted name, 7 lines"
is "$(find "$A" -type f | wc -l)" 3 "ar'q: and no stray file"

# ---- archive command failing --------------------------------------------------
# 'false' reads nothing and exits 1. The table is bigger than a pipe buffer, so
# pgstrata is still writing when the command is gone.
mk raf --retention '2 days' --retention-mode archive --archive-command 'false'
fill raf 5000
run "$PGSTRATA" maintain raf --now "$D3"
is "$RUN_RC" 1 "raf: a failing archive command: maintain exits 1" || diag "$RUN_OUT" "$RUN_ERR"
like "$RUN_ERR" "archive.*raf_p20240610.*(fail|exit)" "raf: the error names the table and the failure"
is "$(exists raf_p20240610)" t "raf: the table is kept"
is "$(is_partition raf_p20240610)" f "raf: ... detached"
is "$(state raf_p20240610)" archiving "raf: retired.state is 'archiving'"
is "$(q "SELECT count(*) FROM raf_p20240610")" 5000 "raf: no row lost"
like "$(ls_state raf "$D3" raf_p20240610)" "archiving" "raf: ls shows it archiving"
is "$(q "SELECT count(*) FROM pgstrata.audit WHERE parent = 'public.raf' AND action = 'archive' AND outcome = 'failed'")" 1 \
    "raf: the audit records the failed archive"
# The same, with a command that reads everything and then fails.
mk rag --retention '2 days' --retention-mode archive --archive-command 'cat > /dev/null; exit 3'
fill rag 5000
run "$PGSTRATA" maintain rag --now "$D3"
is "$RUN_RC" 1 "rag: archive command exits 3: maintain exits 1"
like "$RUN_ERR" "exit status 3" "rag: the error gives the exit status"
is "$(exists rag_p20240610)" t "rag: the table is kept"
is "$(state rag_p20240610)" archiving "rag: retired.state is 'archiving'"

run "$PGSTRATA" policy set raf --archive-command "cat > $A/%t.copy"
is "$RUN_RC" 0 "raf: policy set a working archive command"
psql -X -q -c "COPY raf_p20240610 TO STDOUT" >"$TEST_TMPDIR/raf.expect"
maintain_ok raf "$D3"
is "$(exists raf_p20240610)" f "raf: the next run archives and drops it"
is "$(state raf_p20240610)" "(none)" "raf: no retired row left"
cmp -s "$TEST_TMPDIR/raf.expect" "$A/public.raf_p20240610.copy"
ok $? "raf: the archive holds all 5000 rows"
is "$(q "SELECT count(*) FROM pg_inherits WHERE inhparent = 'raf'::regclass")" 7 "raf: 06-11 .. 06-17 attached"

# ---- --drop-delay '2 days' -------------------------------------------------------
mk rdd --retention '2 days' --drop-delay '2 days'
fill rdd 10
maintain_ok rdd "$D3"
is "$(exists rdd_p20240610)" t "rdd: first pass: the table still exists"
is "$(is_partition rdd_p20240610)" f "rdd: ... detached"
is "$(state rdd_p20240610)" detached "rdd: ... retired.state 'detached'"
is "$(q "SELECT detached_at FROM pgstrata.retired WHERE name = 'rdd_p20240610'")" "2024-06-13 12:00:00+00" \
    "rdd: ... detached_at is the pass's time"
like "$(ls_state rdd "$D3" rdd_p20240610)" "detached, awaiting drop" "rdd: ls shows 'detached, awaiting drop'"
run "$PGSTRATA" plan rdd --now "2024-06-14 12:00"
like "$RUN_OUT" "rdd_p20240610 stays detached until 2024-06-15 12:00" "rdd: plan a day later says when it will go"
maintain_ok rdd "2024-06-14 12:00"
is "$(exists rdd_p20240610)" t "rdd: a pass 1 day later keeps it"
is "$(state rdd_p20240610)" detached "rdd: ... still 'detached'"
maintain_ok rdd "2024-06-16 12:00"
is "$(exists rdd_p20240610)" f "rdd: a pass 3 days later drops it"
is "$(state rdd_p20240610)" "(none)" "rdd: ... and forgets it"

# ---- --window ----------------------------------------------------------------------
mk rw --retention '2 days' --window 02:00-04:00
run "$PGSTRATA" plan rw --now "$D3"
like "$RUN_OUT" "retirement steps wait for the window 02:00-04:00" "rw: outside the window plan has a note"
unlike "$RUN_OUT" "detach +public" "rw: ... and no detach"
maintain_ok rw "$D3"
is "$(is_partition rw_p20240610)" t "rw: outside the window nothing is retired"
is "$(q "SELECT count(*) FROM pg_inherits WHERE inhparent = 'rw'::regclass")" 8 "rw: ... but partitions are still created (06-10 .. 06-17)"
maintain_ok rw "2024-06-14 03:00"
is "$(exists rw_p20240610)" f "rw: inside the window (03:00) rw_p20240610 is retired"
is "$(exists rw_p20240611)" f "rw: ... and rw_p20240611"
is "$(state rw_p20240610)" "(none)" "rw: no retired row left"

# A window wrapping midnight: 22:00-02:00.
mk rwm --retention '2 days' --window 22:00-02:00
mk rwn --retention '2 days' --window 22:00-02:00
run "$PGSTRATA" plan rwm --now "$D3"
like "$RUN_OUT" "retirement steps wait for the window 22:00-02:00" "rwm: at 12:00 plan has a note"
maintain_ok rwm "$D3"
is "$(is_partition rwm_p20240610)" t "rwm: at 12:00 nothing is retired"
maintain_ok rwm "2024-06-13 03:00"
is "$(is_partition rwm_p20240610)" t "rwm: at 03:00 nothing is retired"
maintain_ok rwm "2024-06-13 23:00"
is "$(exists rwm_p20240610)" f "rwm: at 23:00 (inside, before midnight) it is retired"
maintain_ok rwn "2024-06-14 01:00"
is "$(exists rwn_p20240610)" f "rwn: at 01:00 (inside, after midnight) it is retired"

# The window is read in the policy's time zone: 02:00-04:00 in New York.
mk rwz --retention '2 days' --window 02:00-04:00 --time-zone America/New_York
run "$PGSTRATA" plan rwz --now "$D3"
like "$RUN_OUT" "wait for the window 02:00-04:00 \(America/New_York\); it is 08:00 there" \
    "rwz: 12:00 UTC is 08:00 in New York: outside"
maintain_ok rwz "$D3"
is "$(q "SELECT count(*) FROM pgstrata.audit WHERE parent = 'public.rwz' AND action = 'detach'")" 0 \
    "rwz: ... nothing retired"
maintain_ok rwz "2024-06-13 07:00"
is "$(q "SELECT count(*) FROM pgstrata.audit WHERE parent = 'public.rwz' AND action = 'detach' AND outcome = 'ok'")" 1 \
    "rwz: 07:00 UTC is 03:00 in New York: one partition retired"

done_testing
