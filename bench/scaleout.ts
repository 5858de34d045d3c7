// Scale-out on a real Kafka broker (test/infra), on this machine:
//  1. throughput with 1, 2 and 3 instances of the real service (child
//     processes, one consumer group, 6 partitions): seeded GenAI traffic as
//     OTLP protobuf, posted as fast as the instances acknowledge it, spread
//     over them. Figures: acknowledged ingest (spans/s), the partitioned join
//     (repartition messages/s until the group has committed everything), and
//     end to end (interactions/s until every final record is readable,
//     read_committed — this includes one join window).
//     Everything shares the machine: broker, instances and load generator.
//  2. restoration time of one partition holding N open windows (default
//     100,000): its changelog is written the way a partition writes it, then
//     restored into an empty store by the code a new owner runs.
//   node dist/bench/scaleout.js [--instances 1,2,3] [--interactions 6000] [--windows 100000] [--repeat 2] [--out DIR]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CompressionTypes, Kafka, logLevel } from 'kafkajs';
import { encodeLogs, encodeTraces, generate } from './workload';
import { arg, report, serviceNodeArgs } from './report';
import { startKafka, type KafkaBroker } from '../test/infra';
import { startServiceWithConfig } from '../test/sinks/kafka/helpers';
import type { ServiceProcess } from '../test/helpers/service-process';
import { metricValue } from '../test/helpers/metrics-scrape';
import { instanceYaml, post, readOutputs, type Body, type Deployment } from '../test/scaleout/cluster';
import { ChangeLoggingStore } from '../src/scaleout/changelog-store';
import { MARKER_KEY, restorePartitions } from '../src/scaleout/restore';
import { JoinStage } from '../src/stages/join/join';
import { joinConfigSchema } from '../src/stages/join/config';
import { Outbox } from '../src/pipeline/outbox';
import { TransactionSink } from '../src/scaleout/outputs';
import { Metrics, silentLogger, systemClock } from '../src/telemetry';
import type { Interaction } from '../src/model';

const noRedaction = { policyVersion: 'bench', entities: {}, keysRedacted: 0 };

async function throughput(kafka: KafkaBroker, instances: number, interactions: number, run: number): Promise<Record<string, number>> {
  const d: Deployment = { brokers: kafka.brokers, prefix: `bench-so-${instances}-${run}`, window: '2s', partitions: 6, sessionTimeout: '6s' };
  const wl = generate({ seed: 31, interactions, feedbackRate: 0.1, textBytes: 3000, legacyShare: 0.2 });
  const bodies: Array<Body & { spans: number }> = [];
  const perRequest = 50;
  encodeTraces(wl.spans, 'protobuf', perRequest).forEach((body, i) => bodies.push({ path: '/v1/traces', body, spans: Math.min(perRequest, wl.spans.length - i * perRequest) }));
  for (const body of encodeLogs(wl.logs, 'protobuf', perRequest)) bodies.push({ path: '/v1/logs', body, spans: 0 });
  const dirs: string[] = [];
  const procs: ServiceProcess[] = [];
  try {
    for (let i = 0; i < instances; i++) {
      const dir = mkdtempSync(join(tmpdir(), 'so-bench-'));
      dirs.push(dir);
      procs.push(
        await startServiceWithConfig((ports) => instanceYaml(d, `bench${i}`, ports).replace('log_level: info', 'log_level: warn'), {
          dir,
          nodeArgs: serviceNodeArgs(),
        }),
      );
    }
    // Let the group settle (every partition restored somewhere) before the clock starts.
    await until(async () => (await ownedPartitions(procs)) === d.partitions, 60_000);
    const t0 = performance.now();
    let next = 0;
    let spans = 0;
    await Promise.all(
      Array.from({ length: 4 * instances }, async (_, worker) => {
        while (next < bodies.length) {
          const b = bodies[next++]!;
          await post(() => procs, worker, b);
          spans += b.spans;
        }
      }),
    );
    const ingestS = (performance.now() - t0) / 1000;
    const repartitioned = await joinDone(procs);
    const joinS = (performance.now() - t0) / 1000;
    await readOutputs(d, new Set(wl.responseIds), 600_000);
    const e2eS = (performance.now() - t0) / 1000;
    return {
      instances,
      ingest_spans_per_s: Math.round(spans / ingestS),
      join_messages_per_s: Math.round(repartitioned / joinS),
      end_to_end_interactions_per_s: Math.round(interactions / e2eS),
      seconds_to_all_records: Math.round(e2eS * 10) / 10,
      repartition_messages: repartitioned,
    };
  } finally {
    await Promise.allSettled(procs.map((p) => p.kill('SIGTERM')));
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  }
}

async function ownedPartitions(procs: ServiceProcess[]): Promise<number> {
  let n = 0;
  for (const p of procs) {
    const text = await (await fetch(`${p.adminUrl}/metrics`)).text();
    const m = /^feedback_loop_scaleout_partitions_owned (\d+)/m.exec(text);
    n += m ? Number(m[1]) : 0;
  }
  return n;
}

async function until(check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * Waits until the partitioned join has applied every repartition message:
 * what the ingest produced plus what partitions forwarded to each other.
 * (Offsets cannot tell: a partition may end in several transaction markers.)
 */
async function joinDone(procs: ServiceProcess[]): Promise<number> {
  const num = (x: number) => (Number.isNaN(x) ? 0 : x);
  let total = 0;
  await until(async () => {
    let produced = 0;
    let consumed = 0;
    for (const p of procs) {
      const text = await (await fetch(`${p.adminUrl}/metrics`)).text();
      produced += num(metricValue(text, 'feedback_loop_scaleout_repartitioned_total')) + num(metricValue(text, 'feedback_loop_scaleout_forwarded_total'));
      consumed += num(metricValue(text, 'feedback_loop_scaleout_consumed_total'));
    }
    total = produced;
    return produced > 0 && consumed >= produced;
  }, 600_000);
  return total;
}

function interaction(n: number, text: string): Interaction {
  const id = n.toString(16).padStart(12, '0');
  return {
    kind: 'interaction',
    requestId: `chatcmpl-${id}`,
    dialect: 'otel_genai_current',
    span: { traceId: `${id}${'0'.repeat(20)}`, spanId: `${id}0000` },
    provider: 'openai',
    operation: 'chat',
    requestModel: 'gpt-4o-mini',
    params: { temperature: 0.2 },
    usage: { inputTokens: 400, outputTokens: 300 },
    startTimeMs: Date.now(),
    endTimeMs: Date.now() + 700,
    finishReasons: ['stop'],
    systemInstructions: [],
    inputMessages: [{ role: 'user', parts: [{ type: 'text', content: `${text} #${n}` }] }],
    outputMessages: [{ role: 'assistant', parts: [{ type: 'text', content: text.slice(0, 600) }], finishReason: 'stop' }],
    resource: { serviceName: 'bench' },
    extra: {},
  };
}

async function restoration(kafka: KafkaBroker, windows: number): Promise<Record<string, number>> {
  const topic = 'bench-so-restore.changelog';
  const client = new Kafka({ clientId: 'bench-restore', brokers: kafka.brokers, logLevel: logLevel.NOTHING });
  const admin = client.admin();
  const producer = client.producer({ idempotent: true, maxInFlightRequests: 1 });
  const srcDir = mkdtempSync(join(tmpdir(), 'so-restore-src-'));
  const dstDir = mkdtempSync(join(tmpdir(), 'so-restore-dst-'));
  const ctx = { logger: silentLogger(), metrics: new Metrics(), clock: systemClock };
  const src = new ChangeLoggingStore(srcDir, { sync: false });
  const dst = new ChangeLoggingStore(dstDir, { sync: false });
  try {
    await admin.connect();
    await admin.createTopics({ waitForLeaders: true, topics: [{ topic, numPartitions: 1, configEntries: [{ name: 'cleanup.policy', value: 'compact' }, { name: 'max.message.bytes', value: String(16 * 1024 * 1024) }] }] });
    await producer.connect();
    await src.open();
    // Fill a partition store the way a partition does (join stage, outbox) and write its changelog as it would.
    const outbox = new Outbox(src, new TransactionSink(0), ctx, { chunk: 1000, maxBacklog: Number.MAX_SAFE_INTEGER });
    await outbox.init();
    const joinStage = new JoinStage(joinConfigSchema.parse({ window: '24h', implicit: { enabled: false } }), src, outbox, () => [], ctx, 'bench');
    await joinStage.init();
    const text = 'My order arrived damaged and two glasses are broken; what are my options for a replacement or a refund? '.repeat(10);
    let bytes = 0;
    let records = 0;
    const fillStart = performance.now();
    for (let i = 0; i < windows; i += 1000) {
      const items = [];
      for (let j = i; j < Math.min(windows, i + 1000); j++) items.push({ event: interaction(j, text), redaction: noRedaction });
      await joinStage.accept(items);
      const messages = [...src.take()].map(([key, value]) => ({ key, value, partition: 0 }));
      for (const m of messages) bytes += m.key.length + (m.value?.length ?? 0);
      records += messages.length;
      for (let k = 0; k < messages.length; k += 500) {
        await producer.send({ topic, acks: -1, compression: CompressionTypes.GZIP, messages: messages.slice(k, k + 500) });
      }
    }
    const fillS = (performance.now() - fillStart) / 1000;
    const [meta] = await producer.send({ topic, acks: -1, messages: [{ key: MARKER_KEY, value: 'bench', partition: 0 }] });
    const until = BigInt(meta!.baseOffset!);
    await dst.open();
    const t0 = performance.now();
    const [result] = await restorePartitions(client, { topic, groupPrefix: 'bench-so-restore', timeoutMs: 30 * 60_000, logger: silentLogger() }, [
      { partition: 0, until, apply: (b) => dst.applyRestored(b) },
    ]);
    const restoreS = (performance.now() - t0) / 1000;
    const restoredWindows = await dst.count('w!');
    if (restoredWindows !== windows) throw new Error(`restored ${restoredWindows} windows, expected ${windows}`);
    // From a clean checkpoint at the end, a restore reads only the marker.
    const t1 = performance.now();
    await restorePartitions(client, { topic, groupPrefix: 'bench-so-restore', timeoutMs: 60_000, logger: silentLogger() }, [
      { partition: 0, from: until, until, apply: (b) => dst.applyRestored(b) },
    ]);
    const checkpointS = (performance.now() - t1) / 1000;
    return {
      open_windows: windows,
      changelog_records: result!.records,
      changelog_mib_uncompressed: Math.round((bytes / 1024 / 1024) * 10) / 10,
      restore_seconds_from_beginning: Math.round(restoreS * 10) / 10,
      restore_records_per_s: Math.round(result!.records / restoreS),
      restore_seconds_from_checkpoint: Math.round(checkpointS * 100) / 100,
      fill_seconds: Math.round(fillS * 10) / 10,
    };
  } finally {
    await producer.disconnect().catch(() => undefined);
    await admin.disconnect().catch(() => undefined);
    await src.close();
    await dst.close();
    rmSync(srcDir, { recursive: true, force: true });
    rmSync(dstDir, { recursive: true, force: true });
  }
}

export async function run(options: {
  instances: number[];
  interactions: number;
  windows: number;
  /** Runs per instance count: figures on a shared 2-core machine vary by tens of percent from run to run. */
  repeat?: number;
  out?: string;
  quiet?: boolean;
}): Promise<Record<string, unknown>> {
  const kafka = await startKafka({ numPartitions: 1 });
  try {
    const runs: Array<Record<string, number>> = [];
    for (const n of options.instances) {
      for (let r = 0; r < (options.repeat ?? 2); r++) runs.push({ ...(await throughput(kafka, n, options.interactions, r)), run: r + 1 });
    }
    const restore = options.windows > 0 ? await restoration(kafka, options.windows) : undefined;
    const figures: Record<string, unknown> = {
      throughput: runs,
      interactions_per_run: options.interactions,
      partitions: 6,
      join_window: '2s',
      note: 'one machine: the broker, every instance and the load generator share its cores',
      ...(restore ? { restoration: restore } : {}),
    };
    report('scaleout', figures, { dir: options.out, quiet: options.quiet });
    return figures;
  } finally {
    await kafka.stop();
  }
}

if (require.main === module) {
  run({
    instances: arg('instances', '1,2,3').split(',').map(Number),
    interactions: Number(arg('interactions', '6000')),
    windows: Number(arg('windows', '100000')),
    repeat: Number(arg('repeat', '2')),
    out: process.argv.includes('--out') ? arg('out', '') : undefined,
  }).catch((err) => {
    console.error(err);
    process.exitCode = 1;
  });
}
