# shellcheck shell=bash
# migrate.sh: helpers the migrate tests share: running a step, and reading a
# migration's state from the catalog. Needs assert.sh (for run, is, q).

# mig_ok LABEL STEP TABLE [ARGS...]: pgstrata migrate STEP TABLE ARGS must exit 0.
mig_ok() {
    local label=$1 step=$2
    shift 2
    run "$PGSTRATA" migrate "$step" "$@"
    is "$RUN_RC" 0 "$label: migrate $step exits 0" || diag "$RUN_OUT" "$RUN_ERR"
}

# mig_die LABEL FAILPOINT STEP TABLE [ARGS...]: the step must die at FAILPOINT.
mig_die() {
    local label=$1 fp=$2 step=$3
    shift 3
    run env PGSTRATA_FAILPOINT="$fp" "$PGSTRATA" migrate "$step" "$@"
    is "$RUN_RC" 99 "$label: migrate $step with failpoint $fp exits 99" || diag "$RUN_OUT" "$RUN_ERR"
    like "$RUN_ERR" "failpoint $fp reached" "$label: ... it died there"
}

# The newest migration's id and step, from pgstrata.migration.
mig_id() { q "SELECT coalesce(max(id), 0) FROM pgstrata.migration"; }
mig_step() { q "SELECT step FROM pgstrata.migration WHERE id = $1"; }

# Objects pgstrata.m<ID>_* (log tables, functions) and triggers pgstrata_m<ID>_*.
mig_objects() {
    q "SELECT (SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                WHERE n.nspname = 'pgstrata' AND c.relname LIKE 'm$1\\_%')
            + (SELECT count(*) FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
                WHERE n.nspname = 'pgstrata' AND p.proname LIKE 'm$1\\_%')
            + (SELECT count(*) FROM pg_trigger WHERE tgname LIKE 'pgstrata\\_m$1\\_%')"
}

# Waits (at most 10 s) until no session of this database holds an advisory
# lock: the backend of a killed pgstrata goes once it notices.
mig_wait_unlocked() {
    local i
    for ((i = 0; i < 100; i++)); do
        [[ $(q "SELECT count(*) FROM pg_locks l JOIN pg_database d ON d.oid = l.database
                 WHERE l.locktype = 'advisory' AND d.datname = current_database()") == 0 ]] && return 0
        sleep 0.1
    done
    return 1
}
