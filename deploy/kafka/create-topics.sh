#!/bin/sh
# Create duban's topics on Apache Kafka before the services start (idempotent, safe to re-run).
# Runs in the apache/kafka image: compose service `kafka-init`, Kubernetes Job `duban-kafka-topics`.
set -eu

BOOTSTRAP="${KAFKA_BOOTSTRAP_SERVERS:-kafka:9092}"
PREFIX="${DUBAN_TOPIC_PREFIX:-duban}"
PARTITIONS="${DUBAN_TOPIC_PARTITIONS:-3}"
REPLICATION="${DUBAN_TOPIC_REPLICATION:-1}"
DLQ_RETENTION_MS="${DUBAN_DLQ_RETENTION_MS:-2592000000}"
BIN=/opt/kafka/bin
# With SASL (compose's cluster) the admin client needs credentials: a client properties file.
CC="${KAFKA_COMMAND_CONFIG:+--command-config $KAFKA_COMMAND_CONFIG}"

# Every topic of shared/duban_shared/events/catalogue.py (tests/test_deploy_keys.py keeps this in step).
for t in directory plan task notify report dlq; do
  "$BIN/kafka-topics.sh" --bootstrap-server "$BOOTSTRAP" $CC --create --if-not-exists \
    --topic "$PREFIX.$t" --partitions "$PARTITIONS" --replication-factor "$REPLICATION"
done

# The first record of the epoch topic names the broker's life. It must never expire: a relay
# that finds it gone takes that for a broker that lost its data and re-publishes its outbox.
"$BIN/kafka-topics.sh" --bootstrap-server "$BOOTSTRAP" $CC --create --if-not-exists \
  --topic "$PREFIX.epoch" --partitions 1 --replication-factor "$REPLICATION"
"$BIN/kafka-configs.sh" --bootstrap-server "$BOOTSTRAP" $CC --alter --entity-type topics \
  --entity-name "$PREFIX.epoch" --add-config retention.ms=-1,retention.bytes=-1

# Dead letters wait for a person; keep them longer than the broker's default week.
"$BIN/kafka-configs.sh" --bootstrap-server "$BOOTSTRAP" $CC --alter --entity-type topics \
  --entity-name "$PREFIX.dlq" --add-config "retention.ms=$DLQ_RETENTION_MS"

"$BIN/kafka-topics.sh" --bootstrap-server "$BOOTSTRAP" $CC --describe --topic "$PREFIX\..*"
