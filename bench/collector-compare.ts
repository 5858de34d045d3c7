// Side by side, in one run, on the same input: the real OpenTelemetry
// Collector (otlp receiver → redaction processor with patterns equivalent to
// ours → probabilistic sampler → batch → kafka exporter) and this service
// (OTLP/HTTP → normalize → redact → join → label/sample → Avro → Kafka).
// "Per core" = spans per CPU-second of the process (user + system time of all
// its threads, from /proc), so the two are compared on work done, not on how
// many cores each happened to use. Each process first gets a warm-up load of
// its own (other request ids) and is measured only after its output is out:
// a JIT-compiled service against a Go binary would otherwise pay its warm-up
// inside a run of a few seconds.
//   node dist/bench/collector-compare.js [--interactions 10000] [--warmup 2000] [--out DIR]
import { readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { encodeTraces, generate } from './workload';
import { arg, cpuSeconds, report, serviceNodeArgs } from './report';
import { startKafka, startCollector } from '../test/infra';
import { freePort, post, startService } from '../test/helpers/service-process';
import { metricValue, waitForMetrics } from '../test/helpers/metrics-scrape';
import { decodeTracesProto } from '../src/otlp';

// The same entity patterns our detectors find, as RE2 regexes for the
// collector's redaction processor (no checksums there: it cannot run Luhn or mod-97).
const BLOCKED_VALUES = [
  '[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\\.[A-Za-z]{2,}',
  '\\b(?:\\d[ -]?){13,19}\\b',
  '\\+\\d{1,3}[ -]?\\(?\\d{1,4}\\)?[ -]?\\d{3,4}[ -]?\\d{3,4}',
  '\\b[A-Z]{2}\\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,4})?\\b',
  '\\b\\d{3}-\\d{2}-\\d{4}\\b',
  'sk-(?:proj-|ant-)?[A-Za-z0-9_-]{20,}',
  '\\bA(?:KIA|SIA)[0-9A-Z]{16}\\b',
  '\\bgh[pousr]_[A-Za-z0-9]{36}\\b',
  '\\beyJ[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+',
  '\\bAIza[0-9A-Za-z_-]{35}\\b',
];

function collectorYaml(httpPort: number, metricsPort: number, brokers: string[], topic: string): string {
  return `receivers:
  otlp:
    protocols:
      http:
        endpoint: 127.0.0.1:${httpPort}
processors:
  redaction:
    allow_all_keys: true
    blocked_values:
${BLOCKED_VALUES.map((v) => `      - '${v}'`).join('\n')}
    summary: silent
  probabilistic_sampler:
    sampling_percentage: 100
  batch:
    # ~3 KB spans: 128 a batch keeps each Kafka message under the broker's 1 MB default.
    send_batch_size: 128
    send_batch_max_size: 128
    timeout: 200ms
exporters:
  kafka:
    brokers: [${brokers.join(', ')}]
    traces:
      topic: ${topic}
      encoding: otlp_proto
    producer:
      required_acks: -1
      compression: gzip
service:
  telemetry:
    metrics:
      readers:
        - pull:
            exporter:
              prometheus:
                host: 127.0.0.1
                port: ${metricsPort}
  pipelines:
    traces:
      receivers: [otlp]
      processors: [redaction, probabilistic_sampler, batch]
      exporters: [kafka]
`;
}

async function sendAll(url: string, bodies: Uint8Array[], concurrency = 4): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < bodies.length) {
        const i = next++;
        for (;;) {
          const r = await post(url, bodies[i]!, 'application/x-protobuf');
          await r.arrayBuffer();
          if (r.status === 200) break;
          await new Promise((res) => setTimeout(res, 50));
        }
      }
    }),
  );
}

/** Counts spans the collector wrote to `topic` until `expected` have arrived. */
async function waitForSpans(brokers: string[], topic: string, expected: number, timeoutMs: number): Promise<number> {
  const kafka = new Kafka({ clientId: 'bench-counter', brokers, logLevel: logLevel.NOTHING });
  const consumer = kafka.consumer({ groupId: `bench-${Date.now()}` });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  let spans = 0;
  const done = new Promise<void>((resolve) => {
    void consumer.run({
      eachMessage: async ({ message }) => {
        try {
          const data = decodeTracesProto(message.value!);
          for (const rs of data.resourceSpans) for (const ss of rs.scopeSpans) spans += ss.spans.length;
        } catch (err) {
          process.stderr.write(`undecodable message on ${topic}: ${String(err)}\n`);
        }
        if (spans >= expected) resolve();
      },
    });
  });
  // The timer is cleared once the spans are in: left pending it kept the
  // process alive for the rest of its timeout after the figures were out.
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([done, new Promise((r) => (timer = setTimeout(r, timeoutMs)))]);
  clearTimeout(timer);
  await consumer.disconnect();
  return spans;
}

export async function run(options: { interactions: number; warmup?: number; out?: string; quiet?: boolean }): Promise<Record<string, unknown>> {
  const wl = generate({ seed: 13, interactions: options.interactions, feedbackRate: 0.1, textBytes: 3000 });
  const bodies = encodeTraces(wl.spans, 'protobuf', 100);
  const spans = wl.spans.length;
  const warm = generate({ seed: 14, interactions: options.warmup ?? 2000, feedbackRate: 0.1, textBytes: 3000 });
  const warmBodies = encodeTraces(warm.spans, 'protobuf', 100);
  const warmSpans = warm.spans.length;
  const kafka = await startKafka({ numPartitions: 3 });
  const dir = mkdtempSync(join(tmpdir(), 'compare-'));
  try {
    // 1. The collector.
    const topic = 'bench_collector_spans';
    const admin = new Kafka({ clientId: 'bench-admin', brokers: kafka.brokers, logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 3 }], waitForLeaders: true });
    await admin.disconnect();
    const httpPort = await freePort();
    const collector = await startCollector({ configYaml: collectorYaml(httpPort, await freePort(), kafka.brokers, topic) });
    let collectorCpu: number;
    let collectorWall: number;
    let collectorSpans: number;
    try {
      await sendAll(`http://127.0.0.1:${httpPort}/v1/traces`, warmBodies);
      await waitForSpans(kafka.brokers, topic, warmSpans, 120_000);
      const cpu0 = cpuSeconds(collector.pid);
      const t0 = performance.now();
      await sendAll(`http://127.0.0.1:${httpPort}/v1/traces`, bodies);
      collectorSpans = (await waitForSpans(kafka.brokers, topic, warmSpans + spans, 120_000)) - warmSpans;
      if (collectorSpans < spans) process.stderr.write(`collector exported ${collectorSpans}/${spans} spans; log tail:\n${readFileSync(collector.logFile, 'utf8').slice(-3000)}\n`);
      collectorWall = (performance.now() - t0) / 1000;
      collectorCpu = cpuSeconds(collector.pid) - cpu0;
    } finally {
      await collector.stop();
    }

    // 2. This service, with the Kafka sink, the join closing each window 1 s after its last event.
    const svc = await startService(
      `join:\n  window: 1s\n  sweep_interval: 100ms\n  mode: final\nsinks:\n  file:\n    enabled: false\n  kafka:\n    enabled: true\n    brokers: [${kafka.brokers.join(', ')}]\n`,
      { dir, logLevel: 'warn', nodeArgs: serviceNodeArgs() },
    );
    let ourCpu: number;
    let ourWall: number;
    let records: number;
    try {
      const drained = (text: string): boolean =>
        metricValue(text, 'feedback_loop_join_open_windows') === 0 && metricValue(text, 'feedback_loop_outbox_backlog_records') === 0;
      const emitted = (text: string): number => metricValue(text, 'feedback_loop_component_emitted_items_total', { component: 'outbox' });
      await sendAll(`${svc.otlpUrl}/v1/traces`, warmBodies);
      const warmRecords = emitted(await waitForMetrics(svc.adminUrl, drained, 300_000));
      const cpu0 = cpuSeconds(svc.child.pid!);
      const t0 = performance.now();
      await sendAll(`${svc.otlpUrl}/v1/traces`, bodies);
      const m = await waitForMetrics(svc.adminUrl, (text) => drained(text) && emitted(text) > warmRecords, 300_000);
      ourWall = (performance.now() - t0) / 1000;
      ourCpu = cpuSeconds(svc.child.pid!) - cpu0;
      records = emitted(m) - warmRecords;
    } finally {
      await svc.kill('SIGTERM');
    }
    const collectorPerCore = Math.round(collectorSpans / collectorCpu);
    const ourPerCore = Math.round(spans / ourCpu);
    const figures = {
      service_node_args: serviceNodeArgs().join(' '),
      spans,
      warmup_spans: warmSpans,
      collector: { spans_exported: collectorSpans, cpu_s: round(collectorCpu), wall_s: round(collectorWall), spans_per_cpu_s: collectorPerCore },
      feedback_loop: { records_written: records, cpu_s: round(ourCpu), wall_s: round(ourWall), spans_per_cpu_s: ourPerCore },
      ratio_feedback_loop_to_collector: Math.round((ourPerCore / collectorPerCore) * 100) / 100,
      note: 'collector: redaction (10 RE2 patterns) + probabilistic sampler (100%) + batch + kafka exporter; feedback-loop: normalize + redact (checksummed detectors) + durable join + labels + sampling/routing + Avro + kafka sink',
    };
    report('collector-compare', figures, { dir: options.out, quiet: options.quiet });
    return figures;
  } finally {
    await kafka.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

const round = (n: number) => Math.round(n * 100) / 100;

if (require.main === module) {
  run({ interactions: Number(arg('interactions', '10000')), warmup: Number(arg('warmup', '2000')), out: process.argv.includes('--out') ? arg('out', '') : undefined }).catch((err) => {
    console.error(err);
    process.exitCode = 1;
  });
}
