#!/bin/bash
# The real image's health-check command, at its path: Kafka's own BrokerApiVersionsCommand.
exec java -Xmx128m -cp '/opt/kafka/libs/*' -Dlog4j2.configurationFile=/opt/kafka/config/log4j2.properties \
  org.apache.kafka.tools.BrokerApiVersionsCommand "$@"
