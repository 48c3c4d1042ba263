#!/usr/bin/env bash
# Runs Lineup locally in one process: embedded Kafka, embedded PostgreSQL, the three services.
# Needs only a JDK 17+ and Maven. Flags go to the devstack: ./devstack.sh --help
set -euo pipefail
cd "$(dirname "$0")"
mvn -q -B -DskipTests install -pl devstack -am
mvn -q -B -pl devstack dependency:build-classpath -Dmdep.outputFile=target/classpath.txt -Dmdep.includeScope=runtime
exec java -Xmx2g -cp "devstack/target/classes:$(cat devstack/target/classpath.txt)" dev.lineup.devstack.Devstack "$@"
