export { kafkaSourceFactory, decodeLimitsFor } from './factory';
export { KafkaSource, COMPONENT as KAFKA_SOURCE_TYPE } from './consumer';
export { kafkaSourceConfigSchema, type KafkaSourceConfig } from './config';
export { OffsetTracker, type TopicPartitionOffset } from './offsets';
