# shellcheck shell=bash
# pgcluster.sh: throwaway PostgreSQL clusters for tests and the demo.
#
#   source tests/lib/pgcluster.sh
#   dir=$(pgcluster_mktemp)              # fresh short dir under /tmp, usable by the server user
#   trap 'pgcluster_stop "$dir"' EXIT
#   pgcluster_start "$dir" [PORT]        # initdb + start; exports PGHOST PGPORT PGUSER PGDATABASE
#   ...
#   pgcluster_restart "$dir" [MODE]      # pg_ctl restart -m MODE (fast, or immediate: a crash)
#   pgcluster_stop "$dir"                # stop (fast) and remove the dir
#
# Layout of DIR: DIR/data (PGDATA), DIR/.s.PGSQL.PORT (the only socket: no TCP),
# DIR/log/postgres.log (server log).
#
# As root the server runs as the "postgres" OS user (PGCLUSTER_OS_USER overrides);
# otherwise as the current user. Server programs come from PGCLUSTER_BINDIR if set,
# else `pg_config --bindir`, else /usr/lib/postgresql/15/bin; that dir is put first
# in PATH.
#
# After pgcluster_start these are exported:
#   PGHOST=DIR PGPORT=PORT PGUSER=postgres PGDATABASE=postgres
#   PGCLUSTER_DIR PGCLUSTER_PORT PGCLUSTER_DATA PGCLUSTER_LOG PGCLUSTER_BINDIR
# Server settings worth knowing: timezone=UTC, lc_messages=C, fsync=off,
# max_locks_per_transaction=1024, max_connections=100.
# Functions return non-zero on failure (they never `exit`), so callers decide.

_pgcluster_err() {
    echo "pgcluster: $*" >&2
}

# The bin dir holding initdb/pg_ctl/postgres.
pgcluster_bindir() {
    local d
    if [[ -n "${PGCLUSTER_BINDIR:-}" && -x "$PGCLUSTER_BINDIR/initdb" ]]; then
        echo "$PGCLUSTER_BINDIR"
        return 0
    fi
    if command -v pg_config >/dev/null 2>&1; then
        d=$(pg_config --bindir 2>/dev/null) || d=
        if [[ -n "$d" && -x "$d/initdb" && -x "$d/pg_ctl" ]]; then
            echo "$d"
            return 0
        fi
    fi
    if [[ -x /usr/lib/postgresql/15/bin/initdb ]]; then
        echo /usr/lib/postgresql/15/bin
        return 0
    fi
    # Any other installed major version, newest first.
    for d in $(printf '%s\n' /usr/lib/postgresql/*/bin | sort -t/ -k4 -rn); do
        if [[ -x "$d/initdb" ]]; then
            echo "$d"
            return 0
        fi
    done
    _pgcluster_err "no PostgreSQL server binaries (initdb) found; run scripts/install-deps.sh"
    return 1
}

# The OS user the server runs as.
_pgcluster_os_user() {
    if ((EUID == 0)); then
        echo "${PGCLUSTER_OS_USER:-postgres}"
    else
        id -un
    fi
}

# Run a command as the server's OS user (from inside DIR, so a private cwd such
# as /root does not get in the way).
_pgcluster_as_owner() {
    local dir=$1
    shift
    if ((EUID == 0)); then
        local u
        u=$(_pgcluster_os_user)
        if command -v runuser >/dev/null 2>&1; then
            (cd "$dir" && runuser -u "$u" -- env PATH="$PATH" "$@")
        else
            local cmd
            cmd=$(printf '%q ' "$@")
            (cd "$dir" && su "$u" -s /bin/sh -c "PATH=$(printf '%q' "$PATH") $cmd")
        fi
    else
        (cd "$dir" && "$@")
    fi
}

# Make a fresh directory for a cluster: mktemp under /tmp (or $PGCLUSTER_TMPDIR,
# which must be traversable by the server's OS user), mode 755.
pgcluster_mktemp() {
    local parent=${PGCLUSTER_TMPDIR:-/tmp} d
    d=$(mktemp -d "$parent/pgstrata-pg.XXXXXX") || return 1
    chmod 755 "$d"
    echo "$d"
}

# A port nobody seems to use: no socket file for it in the usual places.
pgcluster_free_port() {
    local dir=${1:-} port i
    for ((i = 0; i < 200; i++)); do
        port=$((54000 + RANDOM % 1000))
        [[ -n "$dir" && -e "$dir/.s.PGSQL.$port" ]] && continue
        [[ -e "/tmp/.s.PGSQL.$port" || -e "/var/run/postgresql/.s.PGSQL.$port" ]] && continue
        echo "$port"
        return 0
    done
    _pgcluster_err "could not find a free port"
    return 1
}

_pgcluster_locale() {
    if locale -a 2>/dev/null | grep -qiE '^c\.utf-?8$'; then
        echo C.UTF-8
    else
        echo C
    fi
}

pgcluster_log_tail() {
    local dir=$1 n=${2:-40}
    if [[ -f "$dir/log/postgres.log" ]]; then
        echo "---- last $n lines of $dir/log/postgres.log ----" >&2
        tail -n "$n" "$dir/log/postgres.log" >&2
        echo "---- end of server log ----" >&2
    fi
}

pgcluster_start() {
    local dir=${1:?usage: pgcluster_start DIR [PORT]} port=${2:-} bindir user loc out
    bindir=$(pgcluster_bindir) || return 1
    case ":$PATH:" in
    ":$bindir:"*) ;;
    *) PATH="$bindir:$PATH" ;;
    esac
    export PATH

    mkdir -p "$dir" || return 1
    dir=$(cd "$dir" && pwd -P) || return 1
    if [[ -e "$dir/data/PG_VERSION" ]]; then
        _pgcluster_err "$dir/data already holds a cluster"
        return 1
    fi
    [[ -n "$port" ]] || port=$(pgcluster_free_port "$dir") || return 1
    # sun_path is 108 bytes on Linux.
    if ((${#dir} + 20 > 107)); then
        _pgcluster_err "socket path too long: $dir/.s.PGSQL.$port (use a shorter DIR)"
        return 1
    fi

    user=$(_pgcluster_os_user)
    : >"$dir/.pgcluster" # marker: pgcluster_stop only removes dirs holding it
    mkdir -p "$dir/log"
    chmod 755 "$dir"
    if ((EUID == 0)); then
        if ! id "$user" >/dev/null 2>&1; then
            _pgcluster_err "OS user '$user' does not exist (install postgresql-15 or set PGCLUSTER_OS_USER)"
            return 1
        fi
        chown -R "$user:" "$dir" || return 1
        if ! runuser -u "$user" -- test -x "$dir" -a -w "$dir"; then
            _pgcluster_err "$user cannot use $dir: a parent directory is not traversable (use pgcluster_mktemp)"
            return 1
        fi
    fi

    loc=$(_pgcluster_locale)
    if ! out=$(_pgcluster_as_owner "$dir" initdb -D "$dir/data" --auth=trust -U postgres \
        --encoding=UTF8 --locale="$loc" --no-instructions 2>&1); then
        _pgcluster_err "initdb failed:"
        echo "$out" >&2
        return 1
    fi

    cat >>"$dir/data/postgresql.conf" <<EOF

# ---- pgcluster.sh: throwaway test cluster ----
listen_addresses = ''
port = $port
unix_socket_directories = '$dir'
max_connections = 100
shared_buffers = 128MB
max_locks_per_transaction = 1024
fsync = off
synchronous_commit = off
full_page_writes = off
timezone = 'UTC'
log_timezone = 'UTC'
lc_messages = 'C'
log_line_prefix = '%m [%p] %q%u@%d '
log_min_messages = warning
log_min_error_statement = error
EOF
    if ((EUID == 0)); then
        chown "$user:" "$dir/data/postgresql.conf"
    fi

    if ! _pgcluster_as_owner "$dir" pg_ctl -D "$dir/data" -l "$dir/log/postgres.log" \
        -w -t 60 -s start; then
        _pgcluster_err "server in $dir failed to start (port $port)"
        pgcluster_log_tail "$dir" 40
        return 1
    fi

    unset PGHOSTADDR PGSERVICE PGSERVICEFILE PGOPTIONS PGSSLMODE PGTARGETSESSIONATTRS PGPASSWORD
    export PGHOST="$dir" PGPORT="$port" PGUSER=postgres PGDATABASE=postgres
    export PGCLUSTER_DIR="$dir" PGCLUSTER_PORT="$port" PGCLUSTER_DATA="$dir/data"
    export PGCLUSTER_LOG="$dir/log/postgres.log" PGCLUSTER_BINDIR="$bindir"

    if ! pg_isready -q -h "$dir" -p "$port" -t 30; then
        _pgcluster_err "server in $dir started but does not accept connections"
        pgcluster_log_tail "$dir" 40
        return 1
    fi
    return 0
}

# Restart the cluster in DIR: MODE fast (default; sessions are ended cleanly) or
# immediate (as a crash would: the server recovers from its WAL on start).
pgcluster_restart() {
    local dir=${1:?usage: pgcluster_restart DIR [MODE]} mode=${2:-fast} bindir
    bindir=$(pgcluster_bindir) || return 1
    if ! _pgcluster_as_owner "$dir" "$bindir/pg_ctl" -D "$dir/data" -l "$dir/log/postgres.log" \
        -m "$mode" -w -t 60 -s restart; then
        _pgcluster_err "server in $dir failed to restart"
        pgcluster_log_tail "$dir" 40
        return 1
    fi
}

# Stop the cluster in DIR (fast, then immediate) and remove DIR. Safe to call
# on a dir whose cluster never started, or twice.
pgcluster_stop() {
    local dir=${1:?usage: pgcluster_stop DIR} rc=0 bindir
    [[ -d "$dir" ]] || return 0
    if [[ ! -e "$dir/.pgcluster" ]]; then
        _pgcluster_err "refusing to remove $dir: not made by pgcluster_start"
        return 1
    fi
    if [[ -f "$dir/data/postmaster.pid" ]]; then
        bindir=$(pgcluster_bindir) || bindir=
        if [[ -n "$bindir" ]]; then
            if ! _pgcluster_as_owner "$dir" "$bindir/pg_ctl" -D "$dir/data" -m fast -w -t 60 \
                -s stop; then
                _pgcluster_as_owner "$dir" "$bindir/pg_ctl" -D "$dir/data" -m immediate -w \
                    -t 30 -s stop || rc=1
            fi
        fi
        if [[ -f "$dir/data/postmaster.pid" ]]; then
            # Last resort: the postmaster's own pid, from its pid file.
            local pid
            pid=$(head -n1 "$dir/data/postmaster.pid" 2>/dev/null)
            if [[ "$pid" =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null; then
                kill -QUIT "$pid" 2>/dev/null
                sleep 1
            fi
        fi
    fi
    rm -rf "$dir" || rc=1
    if [[ "${PGCLUSTER_DIR:-}" == "$dir" ]]; then
        unset PGCLUSTER_DIR PGCLUSTER_PORT PGCLUSTER_DATA PGCLUSTER_LOG
    fi
    return $rc
}
