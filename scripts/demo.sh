#!/usr/bin/env bash
# A narrated tour of pgstrata against a throwaway PostgreSQL cluster.
#
#   scripts/demo.sh [--no-build]
#
# Installs missing dependencies, builds (make), starts a private cluster on a Unix
# socket in a temp dir (stopped and removed on exit, whatever happens), then runs
# pgstrata on a daily-partitioned table over three simulated weeks, echoing each
# command before running it. Stops at the first failing step, with a non-zero exit.
#
#   --no-build          skip install-deps and make (use an existing binary)
#   PGSTRATA_BIN=PATH   the binary to use (default build/release/pgstrata)
#   DEMO_PAUSE=SECONDS  pause between steps (default 0)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
# shellcheck source=tests/lib/pgcluster.sh
source "$ROOT/tests/lib/pgcluster.sh"

BUILD=1
for arg in "$@"; do
    case "$arg" in
    --no-build) BUILD=0 ;;
    -h | --help)
        sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'
        exit 0
        ;;
    *)
        echo "demo: unknown argument: $arg" >&2
        exit 2
        ;;
    esac
done

PAUSE=${DEMO_PAUSE:-0}
if [[ -t 1 ]]; then
    B=$'\e[1m' D=$'\e[2m' C=$'\e[36m' R=$'\e[0m'
else
    B='' D='' C='' R=''
fi

# ---- narration helpers -------------------------------------------------------
say() { printf '\n%s# %s%s\n' "$B" "$*" "$R"; }

# Print a command the way a person would type it.
show_cmd() {
    local out="" a
    for a in "$@"; do
        if [[ "$a" =~ ^[A-Za-z0-9_./:=@%+,-]+$ ]]; then
            out+="$a "
        elif [[ "$a" == *\'* && "$a" != *[\"\$\\\`!]* ]]; then
            out+="\"$a\" "
        else
            out+="'${a//\'/\'\\\'\'}' "
        fi
    done
    printf '%s$ %s%s\n' "$C" "${out% }" "$R"
}

# Echo a command, then run it. With set -e, a failure ends the demo.
doit() {
    show_cmd "$@"
    "$@"
    [[ "$PAUSE" == 0 ]] || sleep "$PAUSE"
}

# `pgstrata ...` in the transcript runs the binary under test.
pgstrata() { "$PGSTRATA" "$@"; }

# `psql -c SQL` in the transcript; the real call is quiet and stops on errors.
psql_c() {
    show_cmd psql -c "$1"
    psql -X -q -v ON_ERROR_STOP=1 -P pager=off -c "$1"
    [[ "$PAUSE" == 0 ]] || sleep "$PAUSE"
}

# ---- setup -------------------------------------------------------------------
if ((BUILD)); then
    say "Dependencies (installs only what is missing)"
    doit ./scripts/install-deps.sh
    say "Build"
    doit make -j"$(nproc 2>/dev/null || echo 2)"
fi

PGSTRATA=${PGSTRATA_BIN:-$ROOT/build/release/pgstrata}
[[ "$PGSTRATA" == /* ]] || PGSTRATA="$ROOT/$PGSTRATA"
if [[ ! -x "$PGSTRATA" ]]; then
    echo "demo: no pgstrata binary at $PGSTRATA (run make)" >&2
    exit 1
fi

CLUSTER=""
on_exit() {
    local rc=$?
    if [[ -n "$CLUSTER" ]]; then
        pgcluster_stop "$CLUSTER" || true
        echo "${D}(throwaway cluster stopped and removed)${R}"
    fi
    if ((rc != 0)); then
        echo "demo: FAILED at the step above (exit $rc)" >&2
    fi
    exit "$rc"
}
trap on_exit EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

say "A throwaway PostgreSQL cluster, on a Unix socket only"
CLUSTER=$(pgcluster_mktemp)
pgcluster_start "$CLUSTER"
echo "${D}PGHOST=$PGHOST PGPORT=$PGPORT PGUSER=$PGUSER PGDATABASE=$PGDATABASE" \
    "($(psql -X -A -t -c 'show server_version'))${R}"

# ---- the tour ----------------------------------------------------------------
say "An ordinary range-partitioned table, with no partitions yet"
psql_c "CREATE TABLE public.events (
    id bigint GENERATED ALWAYS AS IDENTITY,
    event_time timestamptz NOT NULL,
    payload jsonb
) PARTITION BY RANGE (event_time)"

say "Install pgstrata's catalog (schema pgstrata) in this database"
doit pgstrata init

say "Manage public.events: daily partitions, 3 made ahead, kept for 7 days"
doit pgstrata create public.events --column event_time --interval '1 day' --premake 3 \
    --retention '7 days' --now '2026-11-01 10:00'

doit pgstrata ls public.events --now '2026-11-01 10:00'

say "Some rows for the first day"
psql_c "INSERT INTO public.events (event_time, payload)
SELECT timestamptz '2026-11-01 10:00' + n * interval '20 minutes', jsonb_build_object('n', n)
FROM generate_series(0, 5) AS n"

say "Three simulated weeks: maintain every other night at 03:00, then that day's traffic"
for d in $(seq -w 3 2 21); do
    day="2026-11-$d"
    doit pgstrata maintain --now "$day 03:00"
    psql_c "INSERT INTO public.events (event_time, payload)
SELECT timestamptz '$day 08:00' + n * interval '1 hour', jsonb_build_object('day', '$day', 'n', n)
FROM generate_series(0, 3) AS n"
done

say "Where things stand: every managed table, then every partition of public.events"
doit pgstrata ls --now '2026-11-21 03:00'
doit pgstrata ls public.events --now '2026-11-21 03:00'

say "Rows per partition (older days were dropped by retention)"
psql_c "SELECT tableoid::regclass AS partition, count(*) AS rows
FROM public.events GROUP BY 1 ORDER BY 1"

say "The policy"
doit pgstrata policy show public.events

say "What the next run would do, with its SQL and locks (nothing is changed)"
doit pgstrata plan --now '2026-11-22 03:00'

say "The audit trail: every action maintain took"
psql_c "SELECT at, action, target, outcome FROM pgstrata.audit ORDER BY id DESC LIMIT 10"

say "A hand-made monthly table that outgrew its layout (pgstrata does not manage it)"
psql_c "CREATE TABLE public.logs (id bigint, logged_at timestamptz NOT NULL, line text,
  PRIMARY KEY (id, logged_at)) PARTITION BY RANGE (logged_at);
CREATE TABLE public.logs_2026_09 PARTITION OF public.logs FOR VALUES FROM ('2026-09-01') TO ('2026-10-01');
CREATE TABLE public.logs_2026_10 PARTITION OF public.logs FOR VALUES FROM ('2026-10-01') TO ('2026-11-01');
CREATE TABLE public.logs_2026_11 PARTITION OF public.logs FOR VALUES FROM ('2026-11-01') TO ('2026-12-01');
CREATE TABLE public.logs_default PARTITION OF public.logs DEFAULT;
INSERT INTO public.logs SELECT n, timestamptz '2026-09-01' + n * interval '3 minutes', repeat('x', 300)
  FROM generate_series(0, 39000) AS n;
INSERT INTO public.logs SELECT n, timestamptz '2027-01-05' + n * interval '1 hour', 'early' FROM generate_series(1, 5) AS n;
ANALYZE public.logs_2026_09, public.logs_2026_10, public.logs_2026_11, public.logs_default"

say "doctor: what is wrong with each partitioned table, and the fix (exit 2: errors found)"
doit pgstrata doctor --now '2026-11-21 03:00' || true

say "advise: a layout from the table's real growth, and the migrate commands to get there"
show_cmd pgstrata advise public.logs --target-size 1MB --now '2026-11-21 03:00'
advice=$(pgstrata advise public.logs --target-size 1MB --now '2026-11-21 03:00')
echo "$advice"

say "Run them as printed: the table is re-laid out online (writes could go on meanwhile)"
while read -r line; do
    eval "doit $line"
done < <(sed -n 's/^  \(pgstrata migrate .*\)$/\1/p' <<<"$advice")
psql_c "SELECT tableoid::regclass AS partition, count(*) AS rows FROM public.logs GROUP BY 1 ORDER BY 1 LIMIT 6"

say "The same report as one self-contained HTML page (a timeline per table)"
HTML=${TMPDIR:-/tmp}/pgstrata-demo-doctor.html
doit pgstrata doctor --now '2026-11-21 03:00' --json --html "$HTML" >/dev/null || true
echo "${D}open $HTML in a browser${R}"

say "Done."
