#!/usr/bin/env bash
# API fuzzing: schemathesis (from PyPI) against the OpenAPI document of a
# running server, authenticated as an admin, for a bounded number of
# examples. Fails on any 5xx and on any response that does not match its
# documented status codes, content type or schema.
#
#   bash .ci/schemathesis.sh sqlite   # a fresh SQLite data dir (the default)
#   bash .ci/schemathesis.sh pg       # a fresh database on 127.0.0.1:5432
#   bash .ci/schemathesis.sh sqlite --include-path-regex '/units'  # more `st run` options
#
# SCHEMATHESIS_MAX_EXAMPLES (default 80) sets the examples per operation,
# SCHEMATHESIS_SEED (default 20250701) the seed, SCHEMATHESIS_TIMEOUT
# (default 900 s) the hard limit of the fuzzing run. Under CI=true nothing
# is skipped: a failed install fails the run.
set -euo pipefail
cd "$(dirname "$0")/.."

ST_VERSION=4.32.5
db_kind="${1:-sqlite}"
shift || true
max_examples="${SCHEMATHESIS_MAX_EXAMPLES:-80}"
seed="${SCHEMATHESIS_SEED:-20250701}"
hard_timeout="${SCHEMATHESIS_TIMEOUT:-900}"
venv="target/schemathesis-venv"
pg_base="postgres://postgres@127.0.0.1:5432"

case "$db_kind" in
  sqlite | pg) ;;
  *) echo "usage: $0 sqlite|pg" >&2; exit 2 ;;
esac

skip() {
  if [ "${CI:-}" = "true" ]; then
    echo "schemathesis: $*; under CI=true nothing is skipped" >&2
    exit 1
  fi
  echo "SKIPPED: schemathesis ($db_kind), because $*"
  exit 0
}

command -v python3 >/dev/null 2>&1 || skip "python3 is not installed"

# --- schemathesis in its own venv, reused when it holds the pinned version
st="$venv/bin/st"
if ! { [ -x "$st" ] && "$st" --version 2>/dev/null | grep -qF "$ST_VERSION"; }; then
  echo "== installing schemathesis $ST_VERSION into $venv"
  rm -rf "$venv"
  if ! python3 -m venv "$venv" >/dev/null 2>&1; then
    # Debian's own python3 needs python3-venv for this.
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
      apt-get update -qq >/dev/null 2>&1 || true
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null 2>&1 || true
    fi
    rm -rf "$venv"
    python3 -m venv "$venv" || skip "python3 -m venv failed"
  fi
  "$venv/bin/python" -m pip install -q --disable-pip-version-check "schemathesis==$ST_VERSION" \
    || skip "pip install schemathesis==$ST_VERSION failed"
fi
echo "== $("$st" --version)"

# --- the server binary: the one `cargo test` built (ICTSKILLS_BIN names
# another); built here only when missing or older than the sources
if [ -z "${ICTSKILLS_BIN:-}" ]; then
  ICTSKILLS_BIN=target/debug/ictskills
  if [ ! -x "$ICTSKILLS_BIN" ] \
    || [ -n "$(find src migrations Cargo.toml Cargo.lock -newer "$ICTSKILLS_BIN" -print -quit)" ]; then
    echo "== cargo build (target/debug/ictskills is missing or stale)"
    cargo build --quiet --bin ictskills
  fi
fi

# --- a throwaway database
work="$(mktemp -d "${TMPDIR:-/tmp}/ictskills-fuzz.XXXXXX")"
server_pid=""
pg_db=""
cleanup() {
  local rc=$?
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
    kill "$server_pid" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  if [ -n "$pg_db" ]; then
    dropdb -h 127.0.0.1 -U postgres --if-exists "$pg_db" >/dev/null 2>&1 || true
  fi
  if [ "$rc" -ne 0 ] && [ -f "$work/server.log" ]; then
    echo "-- last lines of the server log ($work/server.log):" >&2
    tail -n 40 "$work/server.log" >&2 || true
  else
    rm -rf "$work"
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

unset DATABASE_URL TEST_DATABASE_URL
if [ "$db_kind" = pg ]; then
  command -v createdb >/dev/null 2>&1 || skip "createdb (postgresql-client) is not installed"
  pg_db="ictskills_fuzz_$$"
  createdb -h 127.0.0.1 -U postgres "$pg_db"
  export DATABASE_URL="$pg_base/$pg_db"
fi

port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
base="http://127.0.0.1:$port"
admin_email="fuzz-admin@example.vn"
admin_password="fuzz-$(date +%s)-$$-password"

ICTSKILLS_PASSWORD="$admin_password" "$ICTSKILLS_BIN" --data-dir "$work/data" create-user \
  --role admin --email "$admin_email" --full-name "Fuzz Admin" >/dev/null
# No reminder mails. Look-ups, password resets and imports are limited per
# address (their 429 is documented); here the limits are high enough for the
# fuzzer to reach the logic behind them instead of hearing 429 all along.
ICTSKILLS__REMINDERS__ENABLED=false \
  ICTSKILLS__CERTIFICATES__LOOKUPS_PER_MINUTE=1000000 \
  ICTSKILLS__LIMITS__RESETS_PER_MINUTE=1000000 \
  ICTSKILLS__LIMITS__IMPORTS_PER_MINUTE=1000000 \
  RUST_LOG="${RUST_LOG:-warn}" \
  "$ICTSKILLS_BIN" --data-dir "$work/data" serve --bind "127.0.0.1:$port" >"$work/server.log" 2>&1 &
server_pid=$! # the server itself (no subshell between), so the trap's kill reaches it

# --- wait for it, log in, create a little of everything and write the
# schemathesis config that hands those ids to the operations
BASE="$base" EMAIL="$admin_email" PASSWORD="$admin_password" CONFIG="$work/schemathesis.toml" \
  python3 .ci/schemathesis-seed.py >"$work/token"
token="$(cat "$work/token")"

# --- fuzz
checks="not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance"
echo "== schemathesis ($db_kind) on $base: $max_examples examples per operation, seed $seed"
start=$(date +%s)
status=0
timeout --kill-after=30 "$hard_timeout" "$st" --config-file "$work/schemathesis.toml" \
  run "$base/api/openapi.json" \
  --header "Authorization: Bearer $token" \
  --header "Accept-Language: en" \
  --checks "$checks" \
  --max-examples "$max_examples" \
  --seed "$seed" \
  --generation-database none \
  --request-timeout 30 \
  --workers 2 \
  --no-color \
  --suppress-health-check too_slow,filter_too_much \
  --report junit --report-dir "target/schemathesis-report/$db_kind" \
  "$@" || status=$?
echo "== schemathesis ($db_kind) took $(($(date +%s) - start)) s, exit $status"
if [ "$status" -eq 124 ] || [ "$status" -eq 137 ]; then
  echo "schemathesis ($db_kind) hit the hard timeout of $hard_timeout s" >&2
fi
if ! kill -0 "$server_pid" 2>/dev/null; then
  echo "the server died during the run" >&2
  status=1
fi
exit "$status"
