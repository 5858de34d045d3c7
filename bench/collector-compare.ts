// Side by side, in one run, on the same input: the real OpenTelemetry
// Collector (otlp receiver → redaction processor with patterns equivalent to
// ours → probabilistic sampler → batch → kafka exporter) and this service
// (OTLP/HTTP → normalize → redact → join → label/sample → Avro → Kafka).
// "Per core" = spans per CPU-second of the process (user + system time of all
// its threads, from /proc), so the two are compared on work done, not on how
// many cores each happened to use. Each process first gets a warm-up load of
// its own (other request ids) and is measured only after its output is out:
// a JIT-compiled service against a Go binary would otherwise pay its warm-up
// inside a run of a few seconds. Both stay up, and the measured rounds
// alternate (collector, service, collector, service…), each round on input of
// its own that both get: this machine's speed drifts over minutes, and two
// measurements taken one after the other drift apart with it. The figures are
// the medians over the rounds; every round's ratio is reported too.
//   node dist/bench/collector-compare.js [--interactions 10000] [--warmup 2000] [--rounds 3] [--out DIR]
import { readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { encodeTraces, generate } from './workload';
import { arg, cpuSeconds, median, report, serviceNodeArgs } from './report';
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

interface Measured {
  spans: number;
  cpuS: number;
  wallS: number;
}

export async function run(options: { interactions: number; warmup?: number; rounds?: number; out?: string; quiet?: boolean }): Promise<Record<string, unknown>> {
  const rounds = Math.max(1, options.rounds ?? 3);
  // Each round's input is new to both (other request ids), and the same for both.
  const inputs = Array.from({ length: rounds }, (_, r) => {
    const wl = generate({ seed: 13 + 2 * r, interactions: options.interactions, feedbackRate: 0.1, textBytes: 3000 });
    return { bodies: encodeTraces(wl.spans, 'protobuf', 100), spans: wl.spans.length };
  });
  const warm = generate({ seed: 12, interactions: options.warmup ?? 2000, feedbackRate: 0.1, textBytes: 3000 });
  const warmBodies = encodeTraces(warm.spans, 'protobuf', 100);
  const kafka = await startKafka({ numPartitions: 3 });
  const dir = mkdtempSync(join(tmpdir(), 'compare-'));
  let collector: Awaited<ReturnType<typeof startCollector>> | undefined;
  let svc: Awaited<ReturnType<typeof startService>> | undefined;
  try {
    // The collector, warmed up.
    const topic = 'bench_collector_spans';
    const admin = new Kafka({ clientId: 'bench-admin', brokers: kafka.brokers, logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 3 }], waitForLeaders: true });
    await admin.disconnect();
    const httpPort = await freePort();
    collector = await startCollector({ configYaml: collectorYaml(httpPort, await freePort(), kafka.brokers, topic) });
    const collectorUrl = `http://127.0.0.1:${httpPort}/v1/traces`;
    let exported = warm.spans.length;
    await sendAll(collectorUrl, warmBodies);
    await waitForSpans(kafka.brokers, topic, exported, 120_000);

    // This service, with the Kafka sink, the join closing each window 1 s after its last event; warmed up.
    svc = await startService(
      `join:\n  window: 1s\n  sweep_interval: 100ms\n  mode: final\nsinks:\n  file:\n    enabled: false\n  kafka:\n    enabled: true\n    brokers: [${kafka.brokers.join(', ')}]\n`,
      { dir, logLevel: 'warn', nodeArgs: serviceNodeArgs() },
    );
    const service = svc;
    const drained = (text: string): boolean =>
      metricValue(text, 'feedback_loop_join_open_windows') === 0 && metricValue(text, 'feedback_loop_outbox_backlog_records') === 0;
    const emitted = (text: string): number => metricValue(text, 'feedback_loop_component_emitted_items_total', { component: 'outbox' });
    await sendAll(`${service.otlpUrl}/v1/traces`, warmBodies);
    let records = emitted(await waitForMetrics(service.adminUrl, drained, 300_000));

    const measuredCollector: Measured[] = [];
    const measuredService: Array<Measured & { records: number }> = [];
    for (const input of inputs) {
      // The collector: until every span of the round is on its topic.
      let cpu0 = cpuSeconds(collector.pid);
      let t0 = performance.now();
      await sendAll(collectorUrl, input.bodies);
      const got = (await waitForSpans(kafka.brokers, topic, exported + input.spans, 120_000)) - exported;
      if (got < input.spans) process.stderr.write(`collector exported ${got}/${input.spans} spans; log tail:\n${readFileSync(collector.logFile, 'utf8').slice(-3000)}\n`);
      exported += got;
      measuredCollector.push({ spans: got, cpuS: cpuSeconds(collector.pid) - cpu0, wallS: (performance.now() - t0) / 1000 });
      // The service: until every window is closed and every record is on Kafka.
      cpu0 = cpuSeconds(service.child.pid!);
      t0 = performance.now();
      await sendAll(`${service.otlpUrl}/v1/traces`, input.bodies);
      const before = records;
      const m = await waitForMetrics(service.adminUrl, (text) => drained(text) && emitted(text) > before, 300_000);
      records = emitted(m);
      measuredService.push({ spans: input.spans, cpuS: cpuSeconds(service.child.pid!) - cpu0, wallS: (performance.now() - t0) / 1000, records: records - before });
    }

    const perCpu = (m: Measured) => m.spans / m.cpuS;
    const ratios = measuredService.map((s, i) => round(perCpu(s) / perCpu(measuredCollector[i]!)));
    const side = (ms: Measured[]) => ({
      cpu_s: round(median(ms.map((m) => m.cpuS))),
      wall_s: round(median(ms.map((m) => m.wallS))),
      spans_per_cpu_s: Math.round(median(ms.map(perCpu))),
      rounds_spans_per_cpu_s: ms.map((m) => Math.round(perCpu(m))),
    });
    const figures = {
      service_node_args: serviceNodeArgs().join(' '),
      spans: median(inputs.map((i) => i.spans)),
      warmup_spans: warm.spans.length,
      rounds,
      collector: { spans_exported: median(measuredCollector.map((m) => m.spans)), ...side(measuredCollector) },
      feedback_loop: { records_written: median(measuredService.map((m) => m.records)), ...side(measuredService) },
      ratio_feedback_loop_to_collector: median(ratios),
      rounds_ratio: ratios,
      note: 'collector: redaction (10 RE2 patterns) + probabilistic sampler (100%) + batch + kafka exporter; feedback-loop: normalize + redact (checksummed detectors) + durable join + labels + sampling/routing + Avro + kafka sink',
    };
    report('collector-compare', figures, { dir: options.out, quiet: options.quiet });
    return figures;
  } finally {
    if (svc) await svc.kill('SIGTERM');
    if (collector) await collector.stop();
    await kafka.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

const round = (n: number) => Math.round(n * 100) / 100;

if (require.main === module) {
  run({
    interactions: Number(arg('interactions', '10000')),
    warmup: Number(arg('warmup', '2000')),
    rounds: Number(arg('rounds', '3')),
    out: process.argv.includes('--out') ? arg('out', '') : undefined,
  }).catch((err) => {
    console.error(err);
    process.exitCode = 1;
  });
}
