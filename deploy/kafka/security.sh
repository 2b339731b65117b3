#!/bin/sh
# SCRAM users and ACLs for duban on Apache Kafka (idempotent, safe to re-run).
# Each service authenticates as itself and may write only the topics it owns:
#   plan-svc  → <prefix>.plan            task-svc → <prefix>.task, <prefix>.directory
#   notify-svc → <prefix>.notify          report-svc → <prefix>.report (its rebuild requests)
# Every service may read what it consumes, write dead letters and the broker-epoch record,
# describe topics and consumer groups (the relay learns how far every group has read, see
# docs/operations.md §8), and use only consumer groups named <prefix>.<its name>.*.
# Runs in the apache/kafka image as a superuser (compose: `kafka-init`, over the broker listener).
set -eu

BOOTSTRAP="${KAFKA_ADMIN_BOOTSTRAP:-kafka-1:9094}"
CONFIG="${KAFKA_ADMIN_CONFIG:-/tmp/admin.properties}"
PREFIX="${DUBAN_TOPIC_PREFIX:-duban}"
BIN=/opt/kafka/bin

scram_user() {  # name password
  "$BIN/kafka-configs.sh" --bootstrap-server "$BOOTSTRAP" --command-config "$CONFIG" --alter \
    --add-config "SCRAM-SHA-512=[iterations=8192,password=$2]" --entity-type users --entity-name "$1"
}

acl() {  # principal operation resource-args...
  who="$1"; op="$2"; shift 2
  "$BIN/kafka-acls.sh" --bootstrap-server "$BOOTSTRAP" --command-config "$CONFIG" --add --allow-principal "User:$who" \
    --operation "$op" "$@" > /dev/null
}

for svc in plan-svc task-svc notify-svc report-svc; do
  var=$(echo "$svc" | tr 'a-z-' 'A-Z_')_KAFKA_PASSWORD
  eval "pw=\${$var:-}"
  [ -n "$pw" ] || { echo "missing $var" >&2; exit 1; }
  scram_user "$svc" "$pw"
  # Shared by all: describe every duban topic and group; the epoch record; dead letters.
  acl "$svc" Describe --topic "$PREFIX." --resource-pattern-type prefixed
  acl "$svc" DescribeConfigs --topic "$PREFIX." --resource-pattern-type prefixed
  acl "$svc" Describe --group "$PREFIX." --resource-pattern-type prefixed
  acl "$svc" Read --topic "$PREFIX.epoch"
  acl "$svc" Write --topic "$PREFIX.epoch"
  acl "$svc" Write --topic "$PREFIX.dlq"
  acl "$svc" Read --group "$PREFIX.$svc." --resource-pattern-type prefixed
done

# Writers: each topic has exactly one owner.
acl plan-svc Write --topic "$PREFIX.plan"
acl task-svc Write --topic "$PREFIX.task"
acl task-svc Write --topic "$PREFIX.directory"
acl notify-svc Write --topic "$PREFIX.notify"
acl report-svc Write --topic "$PREFIX.report"

# Readers: what each service consumes (services/*/main.py, ConsumerSpec).
acl plan-svc Read --topic "$PREFIX.directory"
for t in plan report; do acl task-svc Read --topic "$PREFIX.$t"; done
for t in directory task notify; do acl notify-svc Read --topic "$PREFIX.$t"; done
for t in directory plan task; do acl report-svc Read --topic "$PREFIX.$t"; done

# Operators (duban dlq, duban events replay from the migrate container) use the admin user.
if [ -n "${DUBAN_ADMIN_KAFKA_PASSWORD:-}" ]; then
  scram_user duban-admin "$DUBAN_ADMIN_KAFKA_PASSWORD"
fi

"$BIN/kafka-acls.sh" --bootstrap-server "$BOOTSTRAP" --command-config "$CONFIG" --list --topic "$PREFIX." --resource-pattern-type prefixed
