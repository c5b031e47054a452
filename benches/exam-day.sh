#!/usr/bin/env bash
# Exam day on this machine: seeds N candidates, starts the server (or two
# instances with INSTANCES=2, PostgreSQL only), runs ictskills-load against it.
#
#   cargo build --release --workspace
#   N=20000 RAMP=60 THINK=2000-20000 benches/exam-day.sh            # SQLite
#   DATABASE_URL=postgres://postgres@127.0.0.1:5432/ictskills_load \
#     N=20000 benches/exam-day.sh                                  # PostgreSQL
#
# Other knobs: CHECKIN (s, default N/80), INSTANCES (1), LOGINS (parallel logins, 2),
# PROFILE=FILE (samples the first server with `perf record -e cpu-clock`; read
# it with `perf report -i FILE --sort dso,sym`; PROFILE_DELAY_MS skips the logins).
set -euo pipefail
cd "$(dirname "$0")/.."
N=${N:-2000}
RAMP=${RAMP:-60}
THINK=${THINK:-2000-20000}
CHECKIN=${CHECKIN:-$(( N / 80 + 1 ))}
INSTANCES=${INSTANCES:-1}
LOGINS=${LOGINS:-2}
export ICTSKILLS_PASSWORD=${ICTSKILLS_PASSWORD:-load-test-password}
DATA=$(mktemp -d /tmp/ictskills-load.XXXXXX)
BIN=target/release/ictskills
LOAD=target/release/ictskills-load
if [[ -n "${DATABASE_URL:-}" ]]; then
  base=${DATABASE_URL%/*}; name=${DATABASE_URL##*/}
  psql "$base/postgres" -qc "DROP DATABASE IF EXISTS \"$name\" WITH (FORCE)" -c "CREATE DATABASE \"$name\"" >/dev/null
fi
seed=$($BIN --data-dir "$DATA" load-test-seed --count "$N" --minutes 240)
session=$(echo "$seed" | sed -E 's/.*"session_id":"([^"]+)".*/\1/')
prefix=$(echo "$seed" | sed -E 's/.*"email_prefix":"([^"]+)".*/\1/')
pids=(); urls=(); pidargs=()
for i in $(seq 1 "$INSTANCES"); do
  port=$((18080 + i))
  ICTSKILLS__REMINDERS__ENABLED=false RUST_LOG=warn $BIN --data-dir "$DATA" serve --bind "127.0.0.1:$port" >"$DATA/server-$i.log" 2>&1 &
  pids+=($!); urls+=(--url "http://127.0.0.1:$port"); pidargs+=(--server-pid $!)
done
trap 'kill ${pids[*]} 2>/dev/null || true' EXIT
for i in $(seq 1 "$INSTANCES"); do
  until curl -sf "http://127.0.0.1:$((18080 + i))/health" >/dev/null; do sleep 0.2; done
done
if [[ -n "${PROFILE:-}" ]]; then
  perf record -D "${PROFILE_DELAY_MS:-0}" -e cpu-clock -F 499 -p "${pids[0]}" -o "$PROFILE" >/dev/null 2>&1 &
  perfpid=$!
  trap 'kill -INT $perfpid 2>/dev/null; sleep 2; kill ${pids[*]} 2>/dev/null || true' EXIT
fi
$LOAD "${urls[@]}" "${pidargs[@]}" --session "$session" --prefix "$prefix" --count "$N" \
  --checkin "$CHECKIN" --ramp "$RAMP" --think "$THINK" --login-concurrency "$LOGINS" "$@"
