// In-process pipeline throughput: decode → normalize → redact → join (LevelDB)
// → label/sample → Avro encode → file sink, on the seeded workload, with the
// time each stage takes per span. Single-threaded JS; run it under
// `taskset -c 0` (bench/run.ts does) so "per core" means one core.
//   node dist/bench/pipeline.js [--interactions 20000] [--seed 42] [--out DIR]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeLogsProto, decodeTracesProto } from '../src/otlp';
import { createNormalizer } from '../src/stages/normalize';
import { normalizeConfigSchema } from '../src/stages/normalize/config';
import { createRedactor } from '../src/stages/redact';
import { redactConfigSchema } from '../src/stages/redact/config';
import { StateStore } from '../src/stages/join/store';
import { JoinStage, type Decide, type RedactedEvent } from '../src/stages/join/join';
import { joinConfigSchema } from '../src/stages/join/config';
import { Outbox } from '../src/pipeline/outbox';
import type { OutboxEntry } from '../src/pipeline/contracts';
import { fileSinkFactory } from '../src/sinks/file';
import { fileSinkConfigSchema } from '../src/sinks/file/config';
import { FakeClock, Metrics, silentLogger } from '../src/telemetry';
import { makeDecide } from './decide-under-test';
import { encodeLogs, encodeTraces, generate } from './workload';
import { arg, peakRssMiB, report } from './report';

export interface PipelineBenchOptions {
  interactions: number;
  out?: string;
  quiet?: boolean;
  seed?: number;
  /** Sees every batch of entries on its way to the file sink (other benchmarks reuse the run's records). */
  sinkTap?: (entries: OutboxEntry[]) => void;
}

export async function run(options: PipelineBenchOptions): Promise<Record<string, unknown>> {
  const { traceBodies, logBodies, spans, logRecords, interactions } = workload(options.seed ?? 42, options.interactions);
  const items = spans + logRecords;
  const bytes = [...traceBodies, ...logBodies].reduce((n, b) => n + b.byteLength, 0);

  const dir = mkdtempSync(join(tmpdir(), 'pipeline-bench-'));
  const clock = new FakeClock(Date.now());
  const ctx = { logger: silentLogger(), metrics: new Metrics(), clock };
  const normalizer = createNormalizer(normalizeConfigSchema.parse({}));
  const redactor = createRedactor(redactConfigSchema.parse({}), { FEEDBACK_LOOP_HMAC_KEY: 'bench-key-0123456789abcdef0123456789abcdef' });
  const store = new StateStore(join(dir, 'state'), { sync: false });
  await store.open();
  const sink = fileSinkFactory.create(fileSinkConfigSchema.parse({ directory: join(dir, 'out'), roll_interval: '1h' }), ctx);
  const tap = options.sinkTap;
  if (tap) {
    const write = sink.write.bind(sink);
    sink.write = (entries: OutboxEntry[]) => {
      tap(entries);
      return write(entries);
    };
  }
  await sink.start();
  const outbox = new Outbox(store, sink, ctx, { chunk: 1000, maxBacklog: 1e9 });
  await outbox.init();
  const stageNs = { decode: 0, normalize: 0, redact: 0, join: 0, decide: 0, sweep_and_sink: 0 };
  const timedDecide: Decide = makeDecide(ctx, (ns) => (stageNs.decide += ns));
  const joinStage = new JoinStage(joinConfigSchema.parse({ window: '1h', mode: 'final' }), store, outbox, timedDecide, ctx, 'v1');
  await joinStage.init();

  const t = () => process.hrtime.bigint();
  const wallStart = t();
  const feed = async (body: Uint8Array, kind: 'traces' | 'logs') => {
    let a = t();
    const data = kind === 'traces' ? decodeTracesProto(body) : decodeLogsProto(body);
    let b = t();
    stageNs.decode += Number(b - a);
    a = b;
    const n = kind === 'traces' ? normalizer.traces(data as ReturnType<typeof decodeTracesProto>) : normalizer.logs(data as ReturnType<typeof decodeLogsProto>);
    b = t();
    stageNs.normalize += Number(b - a);
    a = b;
    const redacted: RedactedEvent[] = n.events.map((e) => {
      const r = redactor.redact(e);
      return { event: r.event, redaction: r.summary };
    });
    b = t();
    stageNs.redact += Number(b - a);
    a = b;
    await joinStage.accept(redacted);
    stageNs.join += Number(t() - a);
  };
  // Spans and their content logs interleaved, as a collector would send them.
  const maxBodies = Math.max(traceBodies.length, logBodies.length);
  for (let i = 0; i < maxBodies; i++) {
    if (traceBodies[i]) await feed(traceBodies[i]!, 'traces');
    if (logBodies[i]) await feed(logBodies[i]!, 'logs');
  }
  const ingestNs = Number(t() - wallStart);
  clock.advance(3_600_001);
  const s = t();
  let closed = 0;
  for (;;) {
    const n = await joinStage.sweep();
    closed += n;
    if (n === 0) break;
  }
  await outbox.flush();
  stageNs.sweep_and_sink = Number(t() - s) - stageNs.decide;
  const totalNs = Number(t() - wallStart);
  await sink.shutdown();
  await store.close();
  rmSync(dir, { recursive: true, force: true });

  const perSpan = (ns: number) => Math.round((ns / 1000 / spans) * 10) / 10;
  const figures = {
    spans,
    log_records: logRecords,
    interactions,
    otlp_mib: Math.round((bytes / 1024 / 1024) * 10) / 10,
    records_closed: closed,
    spans_per_s: Math.round(spans / (totalNs / 1e9)),
    items_per_s: Math.round(items / (totalNs / 1e9)),
    ingest_only_spans_per_s: Math.round(spans / (ingestNs / 1e9)),
    us_per_span: {
      decode: perSpan(stageNs.decode),
      normalize: perSpan(stageNs.normalize),
      redact: perSpan(stageNs.redact),
      join: perSpan(stageNs.join),
      label_sample_route: perSpan(stageNs.decide),
      sweep_encode_sink: perSpan(stageNs.sweep_and_sink),
      total: perSpan(totalNs),
    },
    peak_rss_mib: peakRssMiB(),
  };
  report('pipeline', figures, { dir: options.out, quiet: options.quiet });
  return figures;
}

/**
 * The run's OTLP request bodies and counts. The generator's span and log
 * objects are dropped once encoded: held through the run, they would be marked
 * by every major collection, a cost the service does not have.
 */
function workload(seed: number, interactions: number) {
  const wl = generate({ seed, interactions, feedbackRate: 0.1, textBytes: 3000, legacyShare: 0.2 });
  return {
    traceBodies: encodeTraces(wl.spans, 'protobuf', 100),
    logBodies: encodeLogs(wl.logs, 'protobuf', 100),
    spans: wl.spans.length,
    logRecords: wl.logs.length,
    interactions: wl.responseIds.length,
  };
}

if (require.main === module) {
  run({
    interactions: Number(arg('interactions', '20000')),
    seed: Number(arg('seed', '42')),
    out: process.argv.includes('--out') ? arg('out', '') : undefined,
  }).catch((err) => {
    console.error(err);
    process.exitCode = 1;
  });
}
