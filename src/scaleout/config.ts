import { hostname } from 'node:os';
import { z } from 'zod';
import { duration, section } from '../config/types';
import { brokerList, kafkaSecuritySchema } from '../sinks/kafka/client';

const topicName = z
  .string()
  .regex(/^[A-Za-z0-9._-]{1,249}$/, 'must be a Kafka topic name: 1–249 of A–Z a–z 0–9 . _ -');

/**
 * The instance id when none is configured: differs between machines and between
 * processes on one machine. Not a schema default, so the generated config
 * reference does not change from run to run.
 */
export function instanceIdOf(config: { instance_id?: string | undefined }): string {
  if (config.instance_id) return config.instance_id;
  return `${hostname().replace(/[^A-Za-z0-9._-]/g, '-').slice(0, 60) || 'host'}-${process.pid}`;
}

export const scaleOutConfigSchema = section({
  enabled: z
    .boolean()
    .default(false)
    .describe(
      'Run as one instance of many (Kafka Streams model): ingest repartitions events by join key onto a Kafka topic; the join runs per partition in a consumer group, its state backed by a compacted changelog topic. Needs sinks.kafka.enabled. See src/scaleout/README.md.',
    ),
  brokers: brokerList
    .prefault(['127.0.0.1:9092'])
    .describe('Bootstrap brokers of the cluster holding the repartition and changelog topics (usually the same as sinks.kafka.brokers).'),
  security: kafkaSecuritySchema.describe(
    'TLS and SASL to those brokers (usually the same as sinks.kafka.security). Default: plaintext, no authentication.',
  ),
  group_id: z
    .string()
    .regex(/^[A-Za-z0-9._-]{1,200}$/, 'must be 1–200 of A–Z a–z 0–9 . _ -')
    .default('otel-feedback-loop-join')
    .describe(
      'Consumer group of the partitioned join. Every instance of one deployment uses the same id; it also prefixes the transactional ids (<group_id>.p<partition>).',
    ),
  repartition_topic: topicName
    .default('feedback-loop.repartition')
    .describe('Internal topic: normalized, redacted events keyed by join key (request id, or trace:span until the alias is known).'),
  changelog_topic: topicName
    .default('feedback-loop.changelog')
    .describe('Internal compacted topic: every change of every partition store, so a partition is restored wherever it moves.'),
  partitions: z
    .number()
    .int()
    .min(1)
    .max(1000)
    .default(6)
    .describe(
      'Partitions of the repartition and changelog topics: the most instances that can share the join. Fixed once topics exist (changing it moves keys between partitions and strands their state).',
    ),
  replication_factor: z
    .number()
    .int()
    .min(1)
    .optional()
    .describe("Replication factor of the internal topics when created; unset: the broker's default.replication.factor."),
  create_topics: z
    .boolean()
    .default(true)
    .describe(
      'Create missing internal topics with the settings they need (changelog cleanup.policy=compact). false: only check them, and refuse to start naming any mismatch. Existing topics are always checked.',
    ),
  instance_id: z
    .string()
    .regex(/^[A-Za-z0-9._-]{1,100}$/, 'must be 1–100 of A–Z a–z 0–9 . _ -')
    .optional()
    .describe('This instance in logs and Kafka client ids; unset: host name and process id.'),
  commit_interval: duration
    .pipe(z.number().min(10, 'must be at least 10ms'))
    .prefault('200ms')
    .describe(
      'How often each partition commits its transaction (store changes to the changelog, records to the output topics, consumed offsets). Records become visible to read_committed consumers at most this late; shorter costs more transactions.',
    ),
  session_timeout: duration
    .pipe(z.number().min(1000, 'must be at least 1s'))
    .prefault('10s')
    .describe(
      "How long the group waits for a silent instance before moving its partitions (a crashed instance holds them this long). Must lie within the brokers' group.min/max.session.timeout.ms (default 6s–30min).",
    ),
  restore_timeout: duration
    .pipe(z.number().min(1000, 'must be at least 1s'))
    .prefault('10m')
    .describe('Longest a partition may take to restore from the changelog before the instance gives it up and retries.'),
});
export type ScaleOutConfig = z.infer<typeof scaleOutConfigSchema>;
