// Kafka → Kafka through the real broker, one service instance:
//  1. sustained: a backlog of OTLP protobuf messages (as the collector's
//     kafkaexporter writes them) is drained; spans/s from the first record
//     consumed to the last span consumed, and the consumer lag at the end; in
//     alternating rounds with the Kafka sink compressing with gzip (the
//     default; the headline figure is its median) and with lz4
//  2. eager-mode loop latency: with the interactions already in their windows,
//     feedback is produced at a steady rate; each signal's time from produce to
//     its eager record on the labeled topic → p50/p99
//   BENCH_SERVICE_NODE_ARGS="--cpu-prof --cpu-prof-dir=DIR" profiles the service of the sustained run.
//   node dist/bench/kafka.js [--interactions 5000] [--signals 200] [--out DIR]
import { Kafka, logLevel, CompressionTypes, type Admin } from 'kafkajs';
import { encodeTraces, generate } from './workload';
import { arg, percentile, report, serviceNodeArgs } from './report';
import { startKafka, type KafkaBroker } from '../test/infra';
import { kafkaServiceYaml, startServiceWithConfig } from '../test/sinks/kafka/helpers';
import { metricValue, waitForMetrics } from '../test/helpers/metrics-scrape';

export async function run(options: { interactions: number; signals: number; out?: string; quiet?: boolean }): Promise<Record<string, unknown>> {
  const kafka = await startKafka({ numPartitions: 3 });
  const client = new Kafka({ clientId: 'bench', brokers: kafka.brokers, logLevel: logLevel.NOTHING });
  const producer = client.producer({ allowAutoTopicCreation: true });
  const admin = client.admin();
  try {
    await producer.connect();
    await admin.connect();
    const spansTopic = 'bench_otlp_spans';
    const logsTopic = 'bench_otlp_logs';
    await admin.createTopics({ topics: [{ topic: spansTopic, numPartitions: 3 }, { topic: logsTopic, numPartitions: 3 }], waitForLeaders: true });

    // 1. Sustained: the whole backlog is in the topic before the service starts.
    const wl = generate({ seed: 17, interactions: options.interactions, feedbackRate: 0.1, textBytes: 3000 });
    const bodies = encodeTraces(wl.spans, 'protobuf', 100);
    for (let i = 0; i < bodies.length; i += 50) {
      await producer.send({
        topic: spansTopic,
        compression: CompressionTypes.GZIP,
        messages: bodies.slice(i, i + 50).map((b) => ({ value: Buffer.from(b) })),
      });
    }
    // Alternating rounds with the sink compressing with gzip (the default) and
    // with lz4, each a fresh consumer group draining the same backlog.
    const rounds: Record<string, unknown>[] = [];
    for (let r = 0; r < SINK_ROUNDS; r++) {
      for (const compression of SINK_CODECS) {
        rounds.push(await sustainedRun(kafka, admin, { spansTopic, logsTopic, spans: wl.spans.length, compression, round: r }));
      }
    }
    const rate = (codec: string) => median(rounds.filter((x) => x.compression === codec).map((x) => x.spans_per_s as number));
    // The headline: gzip's median; seconds and the rest from its first round.
    const sustained = { ...rounds.find((x) => x.compression === 'gzip')!, spans_per_s: rate('gzip'), rounds: SINK_ROUNDS };
    const sinkCompression = {
      rounds: rounds.map((x) => ({ compression: x.compression, spans_per_s: x.spans_per_s })),
      gzip_median_spans_per_s: rate('gzip'),
      lz4_median_spans_per_s: rate('lz4'),
      lz4_over_gzip: Math.round((rate('lz4') / rate('gzip')) * 100) / 100,
    };

    // 2. Eager loop latency: interactions first, then feedback one signal at a
    // time, on topics of their own (the first part's backlog would otherwise be
    // consumed again by this group and sit in front of the signals).
    const eagerSpans = 'bench_eager_spans';
    const eagerLogs = 'bench_eager_logs';
    await admin.createTopics({ topics: [{ topic: eagerSpans, numPartitions: 3 }, { topic: eagerLogs, numPartitions: 3 }], waitForLeaders: true });
    const base = generate({ seed: 19, interactions: options.signals, feedbackRate: 0, textBytes: 1000 });
    for (const b of encodeTraces(base.spans, 'protobuf', 100)) await producer.send({ topic: eagerSpans, messages: [{ value: Buffer.from(b) }] });
    const svc2 = await startServiceWithConfig((ports) =>
      kafkaServiceYaml({ ports, brokers: kafka.brokers, groupId: 'bench-eager', spansTopic: eagerSpans, logsTopic: eagerLogs, outPrefix: 'bench2', window: '1h', mode: 'eager' }).replace(
        'log_level: info',
        'log_level: warn',
      ),
      { nodeArgs: serviceNodeArgs() },
    );
    const latencies: number[] = [];
    try {
      await waitForMetrics(svc2.adminUrl, (text) => metricValue(text, 'feedback_loop_join_open_windows') >= base.responseIds.length, 120_000);
      const consumer = client.consumer({ groupId: `bench-eager-reader-${Date.now()}`, maxWaitTimeInMs: 20 });
      await consumer.connect();
      await consumer.subscribe({ topic: 'bench2.labeled_interactions', fromBeginning: true });
      const sentAt = new Map<string, number>();
      const seen = new Set<string>();
      await consumer.run({
        eachMessage: async ({ message }) => {
          const key = message.key?.toString() ?? '';
          const t = sentAt.get(key);
          if (t !== undefined && !seen.has(key)) {
            seen.add(key);
            latencies.push(performance.now() - t);
          }
        },
      });
      await new Promise((r) => setTimeout(r, 3000)); // let the reader join its group
      const fb = generate({ seed: 23, interactions: options.signals, feedbackRate: 1, textBytes: 10 });
      // Re-target the generated feedback spans at the interactions already open.
      const feedbackSpans = fb.spans.filter((s) => s.name === 'feedback');
      for (let i = 0; i < base.responseIds.length && i < feedbackSpans.length; i++) {
        const s = feedbackSpans[i]!;
        (s.attributes as Record<string, unknown>)['feedback.request_id'] = base.responseIds[i];
        const [body] = encodeTraces([s], 'protobuf', 1);
        sentAt.set(base.responseIds[i]!, performance.now());
        await producer.send({ topic: eagerSpans, messages: [{ value: Buffer.from(body!) }] });
        await new Promise((r) => setTimeout(r, 50)); // ~20 signals/s
      }
      const deadline = Date.now() + 60_000;
      while (seen.size < sentAt.size && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      await consumer.disconnect();
    } finally {
      await svc2.kill('SIGTERM');
    }
    latencies.sort((a, b) => a - b);
    const figures = {
      service_node_args: serviceNodeArgs().join(' '),
      sustained,
      sink_compression: sinkCompression,
      eager_signal_to_record_ms: {
        signals: latencies.length,
        p50: Math.round(percentile(latencies, 50)),
        p99: Math.round(percentile(latencies, 99)),
        max: Math.round(latencies[latencies.length - 1] ?? NaN),
      },
      partitions: 3,
    };
    report('kafka', figures, { dir: options.out, quiet: options.quiet });
    return figures;
  } finally {
    await producer.disconnect().catch(() => undefined);
    await admin.disconnect().catch(() => undefined);
    await kafka.stop();
  }
}

const SINK_CODECS = ['gzip', 'lz4'] as const;
const SINK_ROUNDS = 2;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : Math.round((s[s.length / 2 - 1]! + s[s.length / 2]!) / 2);
}

/** One service draining the spans backlog in a new consumer group, its sink compressing with `compression`. */
async function sustainedRun(
  kafka: KafkaBroker,
  admin: Admin,
  o: { spansTopic: string; logsTopic: string; spans: number; compression: string; round: number },
): Promise<Record<string, unknown>> {
  const { spansTopic, logsTopic } = o;
  const groupId = `bench-sustained-${o.compression}-${o.round}`;
  const svc = await startServiceWithConfig((ports) =>
    kafkaServiceYaml({ ports, brokers: kafka.brokers, groupId, spansTopic, logsTopic, outPrefix: `bench1-${o.compression}-${o.round}`, window: '1s', sinkCompression: o.compression }).replace(
      'log_level: info',
      'log_level: warn',
    ),
    { nodeArgs: serviceNodeArgs() },
  );
  try {
    // Three moments: the first span consumed (the group has joined and been
    // assigned), the last span consumed and made durable, and every window
    // closed with its records acknowledged by the output topics. The rate is
    // taken between the first two, so neither the group join nor the join
    // window's tail (fixed latencies, not throughput) dilutes it.
    const received = (text: string): number => metricValue(text, 'feedback_loop_component_received_items_total', { component: 'kafka' });
    const t0 = performance.now();
    await waitForMetrics(svc.adminUrl, (text) => received(text) > 0, 600_000);
    const tFirst = performance.now();
    await waitForMetrics(svc.adminUrl, (text) => received(text) >= o.spans, 600_000);
    const tAll = performance.now();
    const m = await waitForMetrics(
      svc.adminUrl,
      (text) => metricValue(text, 'feedback_loop_join_open_windows') === 0 && metricValue(text, 'feedback_loop_outbox_backlog_records') === 0,
      600_000,
    );
    const seconds = (tAll - tFirst) / 1000;
    const tail = (performance.now() - tAll) / 1000;
    const offsets = await admin.fetchOffsets({ groupId, topics: [spansTopic] });
    const ends = await admin.fetchTopicOffsets(spansTopic);
    const lag = ends.reduce((sum, e) => {
      const committed = Number(offsets[0]!.partitions.find((p) => p.partition === e.partition)?.offset ?? 0);
      return sum + Number(e.offset) - Math.max(0, committed);
    }, 0);
    return {
      compression: o.compression,
      spans: o.spans,
      seconds: Math.round(seconds * 10) / 10,
      spans_per_s: Math.round(o.spans / seconds),
      seconds_to_first_span: Math.round(((tFirst - t0) / 1000) * 10) / 10,
      // The 1 s join window, the sweep and the sink's last send.
      seconds_from_last_span_to_all_records: Math.round(tail * 10) / 10,
      records_written: metricValue(m, 'feedback_loop_component_emitted_items_total', { component: 'outbox' }),
      consumer_lag_at_end: lag,
    };
  } finally {
    await svc.kill('SIGTERM');
  }
}

if (require.main === module) {
  run({
    interactions: Number(arg('interactions', '5000')),
    signals: Number(arg('signals', '200')),
    out: process.argv.includes('--out') ? arg('out', '') : undefined,
  }).catch((err) => {
    console.error(err);
    process.exitCode = 1;
  });
}
