import { z } from 'zod';
import { byteSize, duration, section } from '../../config/types';
import { brokerList, kafkaSecuritySchema } from './client';

const topicName = z
  .string()
  .regex(/^[A-Za-z0-9._-]{1,249}$/, 'must be a Kafka topic name: 1–249 of A–Z a–z 0–9 . _ -');

export const kafkaSinkConfigSchema = section({
  enabled: z.boolean().default(false).describe('Produce Avro records to Kafka topics.'),
  brokers: brokerList
    .prefault(['127.0.0.1:9092'])
    .describe('Bootstrap brokers: a list of host:port, or one comma-separated string (e.g. from ${env:KAFKA_BROKERS}).'),
  client_id: z.string().min(1).default('otel-feedback-loop').describe('Kafka client id (shows in broker logs and quotas).'),
  security: kafkaSecuritySchema.describe('TLS and SASL (PLAIN, SCRAM-SHA-256/512) to the brokers. Default: plaintext, no authentication.'),
  topics: section({
    labeled_interactions: topicName.default('feedback.labeled_interactions.v1'),
    annotation_tasks: topicName.default('feedback.annotation_tasks.v1'),
    training_examples: topicName.default('feedback.training_examples.v1'),
    orphaned_feedback: topicName.default('feedback.orphaned_feedback.v1'),
    dead_letters: topicName.default('feedback.dead_letters.v1'),
  }).describe('Kafka topic name for each logical topic.'),
  schema_registry_url: z
    .url({ protocol: /^https?$/, error: 'must be an http(s) URL, e.g. http://127.0.0.1:8081' })
    .optional()
    .describe(
      'Confluent-compatible schema registry. Set: values use the Confluent wire format and each schema is registered under <topic>-value; unset: Avro single-object encoding.',
    ),
  schema_registry_auto_register: z
    .boolean()
    .default(true)
    .describe(
      'Register the schemas at start (after a compatibility check). false: only look them up, and refuse to start if one is not registered yet.',
    ),
  create_topics: z
    .boolean()
    .default(true)
    .describe('Create missing topics at start. false: refuse to start if one is missing.'),
  partitions: z.number().int().min(1).default(3).describe('Partitions of topics created at start.'),
  replication_factor: z
    .number()
    .int()
    .min(1)
    .optional()
    .describe("Replication factor of topics created at start; unset: the broker's default.replication.factor."),
  max_request_bytes: byteSize
    .pipe(z.number().min(1024, 'must be at least 1KiB'))
    .prefault('900KiB')
    .describe(
      "Most bytes (uncompressed keys, values, headers) in one produce request. Keep it under the topics' max.message.bytes (broker default 1MiB), which bounds each partition's record batch.",
    ),
  max_message_bytes: byteSize
    .pipe(z.number().min(1024, 'must be at least 1KiB'))
    .optional()
    .describe(
      "max.message.bytes of topics created at start; unset: the broker's default (1MiB). A single record larger than the topic allows is not sent (counted as too_large and logged).",
    ),
  compression: z
    .enum(['none', 'gzip', 'snappy', 'lz4'])
    .default('gzip')
    .describe(
      'Batch compression. gzip: smallest, and every Kafka client reads it. lz4: about a tenth of the CPU of gzip for larger batches; read by the Java clients, librdkafka and Go clients (kafkajs only with a codec package). snappy: in between. (zstd is read by the source, not written.)',
    ),
  request_timeout: duration
    .pipe(z.number().min(100, 'must be at least 100ms'))
    .prefault('30s')
    .describe('How long one produce request may wait for the broker (all in-sync replicas) to acknowledge.'),
  connect_timeout: duration
    .pipe(z.number().min(100, 'must be at least 100ms'))
    .prefault('30s')
    .describe('How long start() keeps trying to reach the brokers (and the registry) before the service refuses to start.'),
});
export type KafkaSinkConfig = z.infer<typeof kafkaSinkConfigSchema>;
