#!/usr/bin/env bash
# The bench against Lineup in the shape production runs it, on this one machine: the broker and
# PostgreSQL in one process (./devstack.sh --infra-only), intake, the sequencer and the gateway each
# a JVM of its own from its packaged jar with its settings in environment variables, and the bench
# in a fifth with --bootstrap. Every argument goes to the bench, e.g.
#
#   bench/apart.sh --steady --skip-burst --skip-sql --hosts 500 --steady-start-rate 500
#
# The services' logs and data are in a temporary directory, kept (and named) if a step fails.
set -euo pipefail
cd "$(dirname "$0")/.."

mvn -q -B -DskipTests install
mvn -q -B -pl devstack dependency:build-classpath -Dmdep.outputFile=target/classpath.txt \
  -Dmdep.includeScope=runtime
mvn -q -B -pl bench dependency:build-classpath -Dmdep.outputFile=target/cp.txt

work=$(mktemp -d -t lineup-apart-XXXXXX)
token=bench-apart-admin-token-0123456789
pids=()
stop() {
  # As an orchestrator stops them: SIGTERM, the services before the broker and the database.
  for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
    kill -TERM "${pids[i]}" 2>/dev/null || true
    wait "${pids[i]}" 2>/dev/null || true
  done
}
trap stop EXIT

LINEUP_ADMIN_TOKEN=$token java -Xmx2g \
  -cp "devstack/target/classes:$(cat devstack/target/classpath.txt)" \
  dev.lineup.devstack.Devstack --infra-only --data-dir "$work/data" >"$work/infra.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 240); do
  grep -q "infrastructure is ready" "$work/infra.log" && break
  kill -0 "${pids[0]}" 2>/dev/null || { cat "$work/infra.log"; echo "infra failed: $work"; exit 1; }
  sleep 0.5
done
bootstrap=$(sed -n 's/.*ready: kafka \([^ ]*\) .*/\1/p' "$work/infra.log")

# The bench's one token and its simulated devices' one address send far more than any caller.
lifted="LINEUP_RATE_LIMIT_PER_SECOND=1000000 LINEUP_RATE_LIMIT_BURST=1000000"
lifted+=" LINEUP_RATE_LIMIT_PER_ADDRESS_PER_SECOND=1000000 LINEUP_RATE_LIMIT_PER_ADDRESS_BURST=1000000"
for service in sequencer intake gateway; do
  # The line --infra-only printed: its environment, then `java -jar <module>/target/<module>-*.jar`.
  line=$(sed -n "s/^  $service: *//p" "$work/infra.log")
  # shellcheck disable=SC2086 # the printed line is words: NAME=value ... java -jar path
  env $lifted $line >"$work/$service.log" 2>&1 &
  pids+=($!)
done
for service in sequencer intake gateway; do
  port=$(sed -n "s/^  $service: .*MICRONAUT_SERVER_PORT=\([0-9]*\).*/\1/p" "$work/infra.log")
  for _ in $(seq 1 240); do
    curl -sf "http://127.0.0.1:$port/health" >/dev/null && break
    sleep 0.5
  done
  curl -sf "http://127.0.0.1:$port/health" >/dev/null || {
    tail -40 "$work/$service.log"; echo "$service not healthy: $work"; exit 1; }
done
intake=$(sed -n 's/^  intake: .*MICRONAUT_SERVER_PORT=\([0-9]*\).*/http:\/\/127.0.0.1:\1/p' "$work/infra.log")
echo "apart: broker $bootstrap, intake $intake; services' logs in $work"

java -cp "bench/target/classes:$(cat bench/target/cp.txt)" dev.lineup.bench.Bench \
  --bootstrap "$bootstrap" --intake-url "$intake" --token "$token" "$@"
stop
trap - EXIT
rm -rf "$work"
