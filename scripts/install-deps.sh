#!/usr/bin/env bash
# Install the Debian packages pgstrata needs to build, test and demo.
#
#   scripts/install-deps.sh          build + test + demo dependencies
#   scripts/install-deps.sh --bench  also postgresql-15-partman (benchmarks only)
#
# Idempotent: asks dpkg which packages are missing and installs only those.
# Prints a single line when nothing is missing.
set -euo pipefail

PACKAGES=(
    gcc make                                   # building
    libpq-dev                                  # libpq: talking to PostgreSQL
    libcjson-dev                               # cJSON: JSON output, the daemon's logs and pipes
    libyaml-dev                                # libyaml: the daemon's configuration file
    libmicrohttpd-dev                          # libmicrohttpd: the daemon's /metrics and /healthz
    libcmocka-dev                              # cmocka: unit tests
    postgresql-15 postgresql-client-15         # a server and psql for the tests and the demo
    clang-format                               # make format-check
    jq                                         # the tests read --json output and JSON logs
    curl                                       # the daemon tests scrape /metrics
    chromium                                   # the test of doctor --html loads the page
)

for arg in "$@"; do
    case "$arg" in
    --bench) PACKAGES+=(postgresql-15-partman) ;;
    -h | --help)
        sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//'
        exit 0
        ;;
    *)
        echo "install-deps: unknown argument: $arg" >&2
        exit 2
        ;;
    esac
done

installed() {
    local status
    status=$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null) || return 1
    [[ "$status" == "install ok installed" ]]
}

missing=()
for p in "${PACKAGES[@]}"; do
    installed "$p" || missing+=("$p")
done

if ((${#missing[@]} == 0)); then
    echo "install-deps: all ${#PACKAGES[@]} required packages are installed"
    exit 0
fi

echo "install-deps: missing: ${missing[*]}"

SUDO=()
if ((EUID != 0)); then
    if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
        SUDO=(sudo -n)
    elif command -v sudo >/dev/null 2>&1 && [[ -t 0 ]]; then
        SUDO=(sudo)
    else
        echo "install-deps: not root and sudo is not usable; as root, run:" >&2
        echo "  apt-get update && apt-get install -y --no-install-recommends ${missing[*]}" >&2
        exit 1
    fi
fi

export DEBIAN_FRONTEND=noninteractive
"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q
"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y -q --no-install-recommends "${missing[@]}"

still=()
for p in "${missing[@]}"; do
    installed "$p" || still+=("$p")
done
if ((${#still[@]} > 0)); then
    echo "install-deps: failed to install: ${still[*]}" >&2
    exit 1
fi
echo "install-deps: installed ${missing[*]}"
