#!/usr/bin/env bash
# doctor --html FILE: one self-contained page, loaded in headless Chromium.
# Tables: a daily one with a gap, a default holding rows and a detached table
# left behind; one with a partition pending detach; the seed 003 inheritance
# set (4 tenants by month); bigint ranges with MINVALUE and MAXVALUE ends; a
# list-partitioned one; a hostile name with a 63-byte partition. The page
# loads with no console message at all (a broken page shows that the check
# sees them), fetches nothing, and each table's timeline holds one partition
# element per partition in the catalog. An unwritable FILE: the exact message,
# exit 2, the text report still printed.
set -u
# shellcheck source=tests/lib/assert.sh
source "$(dirname "$0")/../lib/assert.sh"
# shellcheck source=tests/lib/reader.sh
source "$(dirname "$0")/../lib/reader.sh"
# shellcheck source=tests/lib/doctor_fixture.sh
source "$(dirname "$0")/../lib/doctor_fixture.sh"

# ---- the tables ----
doctor_fixture_table daily
doctor_fixture_daily daily -6 -3 # the day 3 days ago is missing: a gap
doctor_fixture_daily daily -2 4
q "CREATE TABLE daily_default PARTITION OF daily DEFAULT;
   INSERT INTO daily SELECT current_date + 10 + i * interval '1 hour', i FROM generate_series(1, 30) i;
   CREATE TABLE daily_p_old PARTITION OF daily FOR VALUES FROM (current_date - 30) TO (current_date - 29);
   ALTER TABLE daily DETACH PARTITION daily_p_old" >/dev/null

doctor_fixture_table halfway
doctor_fixture_daily halfway -1 4
q "CREATE TABLE halfway_old PARTITION OF halfway FOR VALUES FROM (current_date - 9) TO (current_date - 8)" >/dev/null
reader_start t_doctor_html_reader halfway 2
run psql -X -v ON_ERROR_STOP=1 -c "SET lock_timeout = '300ms'" \
    -c "ALTER TABLE halfway DETACH PARTITION halfway_old CONCURRENTLY"
wait "$READER_PID"
is "$(q "SELECT inhdetachpending FROM pg_inherits WHERE inhrelid = 'halfway_old'::regclass")" t \
    "halfway_old is pending detach (the fixture)"

doctor_fixture_rides

q "CREATE TABLE ids (id bigint NOT NULL) PARTITION BY RANGE (id);
   CREATE TABLE ids_low PARTITION OF ids FOR VALUES FROM (MINVALUE) TO (1000);
   CREATE TABLE ids_mid PARTITION OF ids FOR VALUES FROM (1000) TO (2000);
   CREATE TABLE ids_high PARTITION OF ids FOR VALUES FROM (2000) TO (MAXVALUE);
   CREATE TABLE regions (region text NOT NULL) PARTITION BY LIST (region);
   CREATE TABLE regions_eu PARTITION OF regions FOR VALUES IN ('eu');
   CREATE TABLE regions_us PARTITION OF regions FOR VALUES IN ('us')" >/dev/null

hostile='"<script>alert(''x'')</script> & ""; DROP TABLE daily; --"' # as SQL writes it
long=$(printf '<%.0s' $(seq 63))
q "CREATE TABLE $hostile (t timestamptz NOT NULL) PARTITION BY RANGE (t);
   CREATE TABLE \"$long\" PARTITION OF $hostile FOR VALUES FROM ('2026-01-01') TO ('2026-02-01')" >/dev/null
q "ANALYZE" >/dev/null

# ---- the page ----
PAGE=$TEST_TMPDIR/doctor.html
run "$PGSTRATA" doctor --no-explain --html "$PAGE"
is "$RUN_RC" 2 "doctor --html: the exit status of the findings (errors: 2)"
like "$RUN_OUT" "error +public\\.daily: default-has-rows" "... the text report is printed as without --html"
is "$RUN_ERR" "" "... nothing on stderr"
[[ -s "$PAGE" ]]
ok $? "... and the page is written"
is "$(grep -Eo '(src|href)="[^"]*"|url\([^)]*\)|@import|https?:' "$PAGE" | grep -Ev '"#|\(#' | sort -u)" "" \
    "the page refers to nothing outside itself (src, href and url() only to #anchors)"
is "$(grep -c '<script>alert' "$PAGE")" 0 "the hostile name is escaped"
# kept beside the logs, for a person to look at
cp "$PAGE" "$REPO_ROOT/build/test-logs/integration/t_doctor_html.html" 2>/dev/null || true

# The catalog's partitions (and inheritance children) per parent, as doctor names them.
expected=$(q "SELECT format('%I.%I', n.nspname, c.relname), count(*)
              FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhparent
              JOIN pg_namespace n ON n.oid = c.relnamespace GROUP BY 1 ORDER BY 1")
like "$expected" "public\\.rides\\|4[0-9]" "the catalog: rides has 4 tenants x 10 or 11 months (the fixture)"

# ---- in the browser ----
CHROMIUM=$(command -v chromium || command -v chromium-browser || true)
if [[ -z "$CHROMIUM" ]]; then
    diag "chromium is missing: trying scripts/install-deps.sh"
    "$REPO_ROOT/scripts/install-deps.sh" >&2 || true
    CHROMIUM=$(command -v chromium || true)
fi

browse() { # FILE: its DOM after load on stdout; Chromium's log in $TEST_TMPDIR/chromium.log
    # never the network: every host name fails to resolve
    timeout 120 "$CHROMIUM" --headless --no-sandbox --disable-gpu --no-first-run \
        --user-data-dir="$TEST_TMPDIR/chromium-profile" --host-resolver-rules='MAP * ~NOTFOUND' \
        --allow-file-access-from-files --enable-logging=stderr --v=0 \
        --virtual-time-budget=10000 --dump-dom "file://$1" 2>"$TEST_TMPDIR/chromium.log"
}
console() { # the console messages of the last browse (errors, warnings, logs alike)
    grep -E ':CONSOLE[(:]' "$TEST_TMPDIR/chromium.log"
}

if [[ -z "$CHROMIUM" ]]; then
    skip "chromium is not installed and scripts/install-deps.sh could not install it"
    done_testing
fi

# The check must see console errors: a page with one.
printf '<!DOCTYPE html><title>x</title><script>no_such_function();</script>\n' >"$TEST_TMPDIR/broken.html"
browse "$TEST_TMPDIR/broken.html" >/dev/null
like "$(console)" "Uncaught ReferenceError: no_such_function" "a broken page's error reaches the check"

# The report itself, as its own document.
browse "$PAGE" >"$TEST_TMPDIR/dom.html"
ok $? "chromium loads the page"
is "$(console)" "" "... with no console message (errors, warnings or others)"
like "$(cat "$TEST_TMPDIR/dom.html")" '<section class="table"' "... and the DOM holds the tables"

# A probe page frames the report and counts, per table, what the browser
# parsed: partitions, gaps, lanes, states, clipped ends, the now line.
cat >"$TEST_TMPDIR/probe.html" <<'EOF'
<!DOCTYPE html><meta charset="utf-8"><title>probe</title><pre id="out">not loaded</pre>
<iframe id="f" src="doctor.html"></iframe>
<script>
document.getElementById('f').onload = function () {
  var d = this.contentDocument, out = [];
  function n(s, sel) { return s.querySelectorAll(sel).length; }
  d.querySelectorAll('section.table').forEach(function (s) {
    out.push(['T', encodeURIComponent(s.getAttribute('data-table')), n(s, '.part'), 'gaps=' + n(s, '.gap'),
      'lanes=' + n(s, '.lane'), 'default=' + n(s, '.part[data-state=default]'),
      'rows=' + n(s, '.part[data-rows=yes]'), 'pending=' + n(s, '.part[data-state=pending]'),
      'leftover=' + n(s, '.part[data-state=leftover]'), 'clipped=' + n(s, '.part[data-clip]'),
      'now=' + n(s, '.now'), 'findings=' + n(s, '.finding')].join(' '));
  });
  document.getElementById('out').textContent = '\n' + out.join('\n') + '\n';
};
</script>
EOF
browse "$TEST_TMPDIR/probe.html" >"$TEST_TMPDIR/probe.dom"
is "$(console)" "" "the framed report: no console message either"
probe=$(grep '^T ' "$TEST_TMPDIR/probe.dom")
isnt "$probe" "" "the probe read the framed report"
declare -A seen
while read -r _ enc parts rest; do
    printf -v name '%b' "${enc//%/\\x}"
    seen[$name]="$parts $rest"
done <<<"$probe"
first() { # table: the partitions the probe saw ("" when no such table)
    local v=${seen[$1]:-}
    echo "${v%% *}"
}
stat_of() { # table field: one count the probe saw
    local f
    for f in ${seen[$1]:-}; do
        [[ "$f" == "$2="* ]] && echo "${f#*=}"
    done
}

# every table: one element per partition in the catalog (plus daily's leftover)
while IFS='|' read -r name count; do
    [[ "$name" == public.daily ]] && count=$((count + 1))
    is "$(first "$name")" "$count" "$name: $count partition elements in the browser" ||
        diag "the probe saw: $probe"
done <<<"$expected"
is "${#seen[@]}" "$(wc -l <<<"$expected")" "a timeline for each table and no other"

is "$(stat_of public.daily gaps)" 1 "daily: the missing day is a gap"
is "$(stat_of public.daily default)/$(stat_of public.daily rows)" 1/1 "daily: the default, holding rows"
is "$(stat_of public.daily leftover)" 1 "daily: the detached table left behind"
is "$(stat_of public.daily now)" 1 "daily: the now line"
like "$(stat_of public.daily findings)" '^[1-9]' "daily: its findings beside the timeline"
is "$(stat_of public.halfway pending)" 1 "halfway: the partition pending detach"
is "$(stat_of public.rides lanes)" 4 "rides: a lane per tenant"
is "$(stat_of public.ids clipped)" 2 "ids: the MINVALUE and MAXVALUE ends"
is "$(stat_of public.ids now)" 0 "ids: no now line for an integer key"
is "$(stat_of public.regions default)" 0 "regions: list partitions drawn without a range"
hostile_name=$(q "SELECT format('%I.%I', 'public', relname) FROM pg_class WHERE relname LIKE '<script>%'")
is "$(first "$hostile_name")" 1 "the hostile name round-trips through the page"

# ---- an unwritable FILE ----
run "$PGSTRATA" doctor --no-explain --html "$TEST_TMPDIR/no/such/dir/doctor.html" ids
is "$RUN_RC" 2 "an unwritable --html FILE: exit 2"
is "$RUN_ERR" "pgstrata: error: could not write $TEST_TMPDIR/no/such/dir/doctor.html: No such file or directory" \
    "... with the exact message"
like "$RUN_OUT" "partitioned table" "... after the text report"
run "$PGSTRATA" doctor --html ""
is "$RUN_RC" 2 "an empty --html: a usage error"

done_testing
