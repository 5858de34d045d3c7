export { kafkaSinkConfigSchema, type KafkaSinkConfig } from './config';
export { kafkaSinkFactory } from './factory';
export { KafkaSink, COMPONENT as KAFKA_SINK_TYPE } from './kafka-sink';
export { SchemaRegistryClient } from './registry';
export { HEADER, CONFLUENT_MAGIC, encodeValue, frameValue, messageHeaders, parseConfluent } from './wire';
export { brokerList, kafkaLogCreator } from './client';
