// Test helpers for the Kafka integration tests: read the sink's topics the
// way an ML team's consumer would (plain kafkajs, the .avsc files or the
// schema registry — not the service's own decoders), and run the service CLI
// with a Kafka config.

import { readFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import * as avro from 'avsc';
import assert from 'node:assert/strict';
import { Kafka, logLevel, type IHeaders, type KafkaMessage } from 'kafkajs';
import type { Workload } from '../../../bench/workload';
import { crc64Avro } from '../../../src/sinks/avro/fingerprint';
import { spawnService, type ServiceProcess } from '../../helpers/service-process';

export interface ReadRecord {
  topic: string;
  partition: number;
  offset: string;
  key: string | null;
  headers: Record<string, string>;
  /** Decoded Avro value (plain object). */
  value: Record<string, unknown>;
  /** Full name of the writer schema. */
  schemaName: string;
  raw: Buffer;
}

function headerStrings(h: IHeaders | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(h ?? {})) if (v !== undefined) out[k] = Array.isArray(v) ? String(v[0]) : String(v);
  return out;
}

/** The repository's .avsc files, parsed by avsc alone, by CRC-64-AVRO fingerprint (hex, little-endian as on the wire). */
export function avscByFingerprint(): Map<string, avro.Type> {
  const dir = resolve(__dirname, '../../../../schemas');
  const out = new Map<string, avro.Type>();
  for (const f of readdirSync(dir).filter((n) => n.endsWith('.avsc'))) {
    const type = avro.Type.forSchema(JSON.parse(readFileSync(join(dir, f), 'utf8')) as avro.Schema);
    const fp = Buffer.alloc(8);
    fp.writeBigUInt64LE(crc64Avro(Buffer.from(JSON.stringify(type.schema()), 'utf8')));
    out.set(fp.toString('hex'), type);
  }
  return out;
}

export type ValueDecoder = (value: Buffer) => Promise<{ value: Record<string, unknown>; schemaName: string }>;

/** Single-object encoding: C3 01 + fingerprint, decoded with the .avsc file whose fingerprint matches. */
export function singleObjectDecoder(): ValueDecoder {
  const types = avscByFingerprint();
  return async (buf) => {
    if (buf[0] !== 0xc3 || buf[1] !== 0x01) throw new Error('not an Avro single-object message');
    const type = types.get(buf.subarray(2, 10).toString('hex'));
    if (!type) throw new Error(`no .avsc file has fingerprint ${buf.subarray(2, 10).toString('hex')}`);
    return { value: { ...(type.fromBuffer(buf.subarray(10)) as object) }, schemaName: type.name ?? '' };
  };
}

/** Confluent wire format: 0 + schema id; the schema is fetched from the registry by id. */
export function registryDecoder(registryUrl: string): ValueDecoder & { ids: Set<number> } {
  const cache = new Map<number, Promise<avro.Type>>();
  const ids = new Set<number>();
  const fn = async (buf: Buffer) => {
    if (buf[0] !== 0) throw new Error('not a Confluent wire-format message');
    const id = buf.readUInt32BE(1);
    ids.add(id);
    let type = cache.get(id);
    if (!type) {
      type = (async () => {
        const res = await fetch(`${registryUrl}/schemas/ids/${id}`);
        if (res.status !== 200) throw new Error(`registry: schema id ${id}: HTTP ${res.status}`);
        const { schema } = (await res.json()) as { schema: string };
        return avro.Type.forSchema(JSON.parse(schema) as avro.Schema);
      })();
      cache.set(id, type);
    }
    const t = await type;
    return { value: { ...(t.fromBuffer(buf.subarray(5)) as object) }, schemaName: t.name ?? '' };
  };
  return Object.assign(fn, { ids });
}

/**
 * Reads `topics` from the beginning with a fresh consumer group until
 * `done(records)` is true or `timeoutMs` passes; returns what it read.
 */
export async function readTopics(
  brokers: string[],
  topics: string[],
  decode: ValueDecoder,
  done: (records: ReadRecord[]) => boolean,
  timeoutMs = 60_000,
): Promise<ReadRecord[]> {
  const kafka = new Kafka({ clientId: 'test-reader', brokers, logLevel: logLevel.NOTHING });
  const consumer = kafka.consumer({ groupId: `test-reader-${process.pid}-${Date.now()}-${Math.random()}`, maxWaitTimeInMs: 200 });
  const records: ReadRecord[] = [];
  let failure: unknown;
  await consumer.connect();
  try {
    await consumer.subscribe({ topics, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ topic, partition, message }: { topic: string; partition: number; message: KafkaMessage }) => {
        try {
          const raw = message.value ?? Buffer.alloc(0);
          const { value, schemaName } = await decode(raw);
          records.push({ topic, partition, offset: message.offset, key: message.key?.toString() ?? null, headers: headerStrings(message.headers), value, schemaName, raw });
        } catch (err) {
          failure ??= err;
        }
      },
    });
    const deadline = Date.now() + timeoutMs;
    while (!failure && !done(records) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    if (failure) throw failure;
    return records;
  } finally {
    await consumer.disconnect();
  }
}

/**
 * Runs the real service CLI with a complete config (startService cannot add a
 * `sources.kafka` block: its base config already has `sources:`). Waits until
 * /readyz answers 200 unless `waitReady` is false.
 */
export function startServiceWithConfig(
  body: (ports: { otlp: number; admin: number; dataDir: string }) => string,
  opts: { dir?: string; waitReady?: boolean; timeoutMs?: number; nodeArgs?: string[] } = {},
): Promise<ServiceProcess> {
  return spawnService(body, {
    dir: opts.dir,
    prefix: 'feedback-loop-kafka-svc-',
    waitReady: opts.waitReady,
    readyTimeoutMs: opts.timeoutMs ?? 60_000,
    nodeArgs: opts.nodeArgs,
  });
}

/** The YAML of a Kafka deployment for tests: Kafka in and out, short windows, admin on a free port. */
export function kafkaServiceYaml(o: {
  ports: { otlp: number; admin: number; dataDir: string };
  brokers: string[];
  groupId: string;
  spansTopic: string;
  logsTopic: string;
  outPrefix: string;
  registryUrl?: string;
  window?: string;
  mode?: 'final' | 'eager';
  /** sources.kafka.topic_check_interval (default: the service's). */
  topicCheckInterval?: string;
  /** sinks.kafka.compression (default: the service's, gzip). */
  sinkCompression?: string;
}): string {
  const out = (t: string) => `${o.outPrefix}.${t}`;
  return `service:
  data_dir: ${o.ports.dataDir}
  shutdown_grace: 20s
sources:
  otlp_http:
    endpoint: 127.0.0.1:${o.ports.otlp}
  kafka:
    enabled: true
    brokers: ${o.brokers.join(',')}
    group_id: ${o.groupId}
    traces_topic: ${o.spansTopic}
    logs_topic: ${o.logsTopic}
    session_timeout: 6s
    retry_backoff: 100ms
    retry_backoff_max: 1s
${o.topicCheckInterval ? `    topic_check_interval: ${o.topicCheckInterval}\n` : ''}join:
  window: ${o.window ?? '2s'}
  sweep_interval: 100ms
  mode: ${o.mode ?? 'final'}
sinks:
  file:
    enabled: false
  kafka:
    enabled: true
    brokers: ${o.brokers.join(',')}
    partitions: 2
${o.sinkCompression ? `    compression: ${o.sinkCompression}\n` : ''}    connect_timeout: 60s
    request_timeout: 10s
${o.registryUrl ? `    schema_registry_url: ${o.registryUrl}\n` : ''}    topics:
      labeled_interactions: ${out('labeled_interactions')}
      annotation_tasks: ${out('annotation_tasks')}
      training_examples: ${out('training_examples')}
      orphaned_feedback: ${out('orphaned_feedback')}
      dead_letters: ${out('dead_letters')}
telemetry:
  log_level: info
  admin:
    endpoint: 127.0.0.1:${o.ports.admin}
`;
}

/**
 * Reads `topic` (labeled interactions, single-object Avro) until every
 * interaction of `wl` has its final record, then asserts each carries its
 * content (from the spans or the logs topic) and exactly its explicit
 * feedback. `logs` is appended to a failure message (the service's log tail).
 */
export async function assertWorkloadJoined(brokers: string[], topic: string, wl: Pick<Workload, 'responseIds' | 'feedbackCount'>, logs: () => string): Promise<void> {
  const ids = new Set(wl.responseIds);
  const records = await readTopics(
    brokers,
    [topic],
    singleObjectDecoder(),
    (rs) => [...ids].every((id) => rs.some((r) => r.value.request_id === id && r.value.final === true)),
    90_000,
  );
  const finals = new Map(records.filter((r) => r.value.final === true).map((r) => [String(r.value.request_id), r.value]));
  const missing = [...ids].filter((id) => !finals.has(id));
  assert.deepEqual(missing, [], `every interaction has its final record\n${logs().slice(-2000)}`);
  for (const id of ids) {
    const rec = finals.get(id)!;
    const interaction = rec.interaction as { input_messages: unknown[]; output_messages: unknown[] } | null;
    assert.ok(interaction && interaction.input_messages.length > 0 && interaction.output_messages.length > 0, `${id}: its content (on the spans or the logs topic) joined`);
    const explicit = (rec.feedback as Array<{ source: string }>).filter((f) => f.source !== 'implicit').length;
    assert.equal(explicit, wl.feedbackCount.get(id) ?? 0, `${id}: its feedback joined`);
  }
}
