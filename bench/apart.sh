#!/usr/bin/env bash
# The bench against Lineup in the shape production runs it, on this one machine: the broker and
# PostgreSQL in one process (./devstack.sh --infra-only), intake, the sequencer and the gateway each
# a JVM of its own from its packaged jar with its settings in environment variables, and the bench
# in a fifth with --bootstrap. Every argument goes to the bench, e.g.
#
#   bench/apart.sh --steady --skip-burst --skip-sql --hosts 500 --steady-start-rate 500
#
# Builds and installs the project first (mvn install). The services use the devstack's fixed
# ports (9092, 8080-8082), which must be free. Their logs and data are in a temporary directory,
# kept (and named) if a step fails.
set -euo pipefail
cd "$(dirname "$0")/.."

mvn -q -B -DskipTests install
mvn -q -B -pl devstack dependency:build-classpath -Dmdep.outputFile=target/classpath.txt \
  -Dmdep.includeScope=runtime
mvn -q -B -pl bench dependency:build-classpath -Dmdep.outputFile=target/cp.txt

work=$(mktemp -d -t lineup-apart-XXXXXX)
token=bench-apart-admin-token-0123456789
pids=()
fail() {
  echo "apart: $*; logs in $work" >&2
  exit 1
}
stop() {
  # As an orchestrator stops them: SIGTERM, the services before the broker and the database, each
  # given 60 s before SIGKILL.
  for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
    kill -TERM "${pids[i]}" 2>/dev/null || continue
    for _ in $(seq 1 600); do
      kill -0 "${pids[i]}" 2>/dev/null || break
      sleep 0.1
    done
    kill -KILL "${pids[i]}" 2>/dev/null || true
    wait "${pids[i]}" 2>/dev/null || true
  done
}
trap stop EXIT

for port in 9092 8080 8081 8082; do
  if (echo >"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    fail "port $port is taken: stop what listens there first"
  fi
done

LINEUP_ADMIN_TOKEN=$token java -Xmx2g \
  -cp "devstack/target/classes:$(cat devstack/target/classpath.txt)" \
  dev.lineup.devstack.Devstack --infra-only --data-dir "$work/data" >"$work/infra.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 240); do
  grep -q "infrastructure is ready" "$work/infra.log" && break
  kill -0 "${pids[0]}" 2>/dev/null || fail "the broker and PostgreSQL did not start"
  sleep 0.5
done
grep -q "infrastructure is ready" "$work/infra.log" || fail "the broker and PostgreSQL took over 2 min"
bootstrap=$(sed -n 's/.*ready: kafka \([^ ]*\) .*/\1/p' "$work/infra.log")
[[ -n $bootstrap ]] || fail "no broker address in infra.log"

# The bench's one token and its simulated devices' one address send far more than any caller.
lifted=(LINEUP_RATE_LIMIT_PER_SECOND=1000000 LINEUP_RATE_LIMIT_BURST=1000000
  LINEUP_RATE_LIMIT_PER_ADDRESS_PER_SECOND=1000000 LINEUP_RATE_LIMIT_PER_ADDRESS_BURST=1000000)
declare -A ports
for service in sequencer intake gateway; do
  # The line --infra-only printed: its environment (NAME=value words, no spaces in any value),
  # then `java -jar <module>/target/<module>-*.jar`.
  line=$(sed -n "s/^  $service: *//p" "$work/infra.log")
  [[ $line == *" java -jar "* ]] || fail "no command for $service in infra.log"
  read -r -a environment <<<"${line%% java -jar *}"
  pattern=${line##* java -jar }
  jars=()
  for jar in $pattern; do [[ -f $jar ]] && jars+=("$jar"); done
  ((${#jars[@]} == 1)) || fail "$service: want one jar matching $pattern, found ${#jars[@]}"
  ports[$service]=$(sed -n 's/.*MICRONAUT_SERVER_PORT=\([0-9]*\).*/\1/p' <<<"$line")
  [[ -n ${ports[$service]} ]] || fail "no port for $service"
  env "${lifted[@]}" "${environment[@]}" java -jar "${jars[0]}" >"$work/$service.log" 2>&1 &
  pids+=($!)
done
for i in 1 2 3; do
  service=$(echo sequencer intake gateway | cut -d' ' -f"$i")
  for _ in $(seq 1 240); do
    kill -0 "${pids[i]}" 2>/dev/null || fail "$service exited"
    curl -sf "http://127.0.0.1:${ports[$service]}/health" >/dev/null && break
    sleep 0.5
  done
  curl -sf "http://127.0.0.1:${ports[$service]}/health" >/dev/null || fail "$service not healthy"
done
intake="http://127.0.0.1:${ports[intake]}"
echo "apart: broker $bootstrap, intake $intake; services' logs in $work"

java -cp "bench/target/classes:$(cat bench/target/cp.txt)" dev.lineup.bench.Bench \
  --bootstrap "$bootstrap" --intake-url "$intake" --token "$token" "$@"
stop
trap - EXIT
rm -rf "$work"
