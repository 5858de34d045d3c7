import { z } from 'zod';
import { byteSize, duration } from '../../config/types';
import { brokerList, kafkaSecuritySchema } from '../../sinks/kafka/client';

const topicName = z
  .string()
  .regex(/^[A-Za-z0-9._-]{0,249}$/, 'must be a Kafka topic name (A–Z a–z 0–9 . _ -), or empty to not consume this signal');

export const kafkaSourceConfigSchema = z
  .strictObject({
  enabled: z.boolean().default(false).describe("Consume the collector kafkaexporter's topics."),
  brokers: brokerList
    .prefault(['127.0.0.1:9092'])
    .describe('Bootstrap brokers: a list of host:port, or one comma-separated string (e.g. from ${env:KAFKA_BROKERS}).'),
  client_id: z.string().min(1).default('otel-feedback-loop').describe('Kafka client id (shows in broker logs and quotas).'),
  security: kafkaSecuritySchema.describe('TLS and SASL (PLAIN, SCRAM-SHA-256/512) to the brokers. Default: plaintext, no authentication.'),
  group_id: z.string().min(1).default('otel-feedback-loop').describe('Consumer group id. Instances with the same id share the partitions.'),
  traces_topic: topicName.default('otlp_spans').describe('Topic holding OTLP traces (kafkaexporter default otlp_spans); empty: do not consume traces.'),
  logs_topic: topicName.default('otlp_logs').describe('Topic holding OTLP logs (kafkaexporter default otlp_logs); empty: do not consume logs.'),
  encoding: z
    .enum(['otlp_proto', 'otlp_json'])
    .default('otlp_proto')
    .describe('Encoding the kafkaexporter was configured with.'),
  start_from: z
    .enum(['earliest', 'latest'])
    .default('earliest')
    .describe('Where a group with no committed offset starts: earliest reads what the collector wrote before the service first ran.'),
  partitions_consumed_concurrently: z
    .number()
    .int()
    .min(1)
    .default(4)
    .describe('Partitions processed at once. Within a partition, messages are processed one at a time, in order.'),
  commit_interval: duration
    .prefault('1s')
    .describe('Longest time between offset commits while a batch is being processed; offsets are also committed after every batch and at shutdown.'),
  retry_backoff: duration
    .pipe(z.number().min(10, 'must be at least 10ms'))
    .prefault('250ms')
    .describe('First pause of a partition whose message the pipeline could not take yet (sink down, backlog full); doubles per retry.'),
  retry_backoff_max: duration
    .pipe(z.number().min(10, 'must be at least 10ms'))
    .prefault('10s')
    .describe('Longest pause between retries of the same message.'),
  topic_check_interval: duration
    .pipe(z.number().min(100, 'must be at least 100ms'))
    .prefault('5s')
    .describe('While a configured topic does not exist yet, how often the source looks for it. The others are read meanwhile; once it appears the source rejoins the group with it.'),
  session_timeout: duration
    .pipe(z.number().min(6000, 'must be at least 6s (the broker default group.min.session.timeout.ms)'))
    .prefault('30s')
    .describe('How long the group coordinator waits for a silent member before giving its partitions to others (also how long a crashed instance holds them).'),
  max_bytes_per_partition: byteSize
    .pipe(z.number().min(1024, 'must be at least 1KiB'))
    .prefault('8MiB')
    .describe('Fetch size per partition. A message larger than this is still fetched whole, alone.'),
  max_items_per_message: z
    .number()
    .int()
    .positive()
    .default(100_000)
    .describe('Most spans or log records in one message; more and it is dead-lettered.'),
  max_attribute_value_bytes: byteSize
    .prefault('4MiB')
    .describe('Largest single string or bytes value in a message; larger and it is dead-lettered.'),
  })
  .superRefine((c, ctx) => {
    if (!c.traces_topic && !c.logs_topic) {
      ctx.addIssue({ code: 'custom', path: ['traces_topic'], message: 'set traces_topic or logs_topic (both are empty)' });
    }
    if (c.traces_topic && c.traces_topic === c.logs_topic) {
      ctx.addIssue({ code: 'custom', path: ['logs_topic'], message: 'must differ from traces_topic: a message could not say which signal it holds' });
    }
    if (c.retry_backoff_max < c.retry_backoff) {
      ctx.addIssue({ code: 'custom', path: ['retry_backoff_max'], message: 'must be at least retry_backoff' });
    }
  })
  // An absent section takes its defaults (like every other section).
  .prefault({} as never);
export type KafkaSourceConfig = z.infer<typeof kafkaSourceConfigSchema>;
