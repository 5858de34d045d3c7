// Peak RSS and throughput of the join with a million windows open at once.
// Run: node dist/bench/join-windows.js [--windows 1000000] [--out DIR]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StateStore } from '../src/stages/join/store';
import { JoinStage, type RedactedEvent } from '../src/stages/join/join';
import { Outbox } from '../src/pipeline/outbox';
import { joinConfigSchema } from '../src/stages/join/config';
import { FakeClock, Metrics, silentLogger } from '../src/telemetry';
import { DiscardSink } from '../src/sinks/discard';
import type { FeedbackSignal, Interaction } from '../src/model';
import { arg, peakRssMiB, report } from './report';

const PROMPT = 'My order arrived damaged, the box was crushed and two glasses are broken. What are my options for a replacement? ';
const ANSWER = 'I am sorry to hear that. You can request a replacement from the orders page within 30 days; choose "damaged item". ';
const noRedaction = { policyVersion: 'bench', entities: {}, keysRedacted: 0 };

function interaction(n: number, t: number): Interaction {
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
    usage: { inputTokens: 40, outputTokens: 30 },
    startTimeMs: t,
    endTimeMs: t + 700,
    finishReasons: ['stop'],
    systemInstructions: [],
    inputMessages: [{ role: 'user', parts: [{ type: 'text', content: PROMPT + n }] }],
    outputMessages: [{ role: 'assistant', parts: [{ type: 'text', content: ANSWER }], finishReason: 'stop' }],
    resource: { serviceName: 'bench' },
    extra: {},
  };
}

export async function run(options: { windows: number; batch?: number; out?: string; quiet?: boolean }): Promise<Record<string, unknown>> {
  const dir = mkdtempSync(join(tmpdir(), 'join-bench-'));
  const clock = new FakeClock();
  const ctx = { logger: silentLogger(), metrics: new Metrics(), clock };
  const store = new StateStore(dir, { sync: false });
  await store.open();
  const sink = new DiscardSink();
  const outbox = new Outbox(store, sink, ctx, { chunk: 1000, maxBacklog: 1e9 });
  await outbox.init();
  const config = joinConfigSchema.parse({ window: '24h', implicit: { enabled: false } });
  const joinStage = new JoinStage(config, store, outbox, () => [], ctx, 'bench');
  await joinStage.init();
  const batch = options.batch ?? 1000;
  const t0 = Date.now();
  let rssAtHalf = 0;
  const start = performance.now();
  for (let i = 0; i < options.windows; i += batch) {
    const items: RedactedEvent[] = [];
    for (let j = i; j < Math.min(i + batch, options.windows); j++) items.push({ event: interaction(j, t0), redaction: noRedaction });
    await joinStage.accept(items);
    if (i === Math.floor(options.windows / 2 / batch) * batch) rssAtHalf = process.memoryUsage().rss;
  }
  const insertS = (performance.now() - start) / 1000;
  const open = joinStage.open();
  // Feedback for 10% of the open windows: random reads and read-modify-writes against a full store.
  const fbStart = performance.now();
  const feedbackN = Math.floor(options.windows / 10);
  for (let i = 0; i < feedbackN; i += batch) {
    const items: RedactedEvent[] = [];
    for (let j = i; j < Math.min(i + batch, feedbackN); j++) {
      const target = (j * 7919) % options.windows;
      const f: FeedbackSignal = {
        kind: 'feedback',
        signalId: `sig-${j}`,
        target: { requestId: `chatcmpl-${target.toString(16).padStart(12, '0')}` },
        feedbackKind: 'thumbs',
        value: 0,
        source: 'user',
        observedTimeMs: t0 + 60_000,
      };
      items.push({ event: f, redaction: noRedaction });
    }
    await joinStage.accept(items);
  }
  const feedbackS = (performance.now() - fbStart) / 1000;
  const rssOpen = process.memoryUsage().rss;
  const heapOpen = process.memoryUsage().heapUsed;
  // Close them all: the sweep reads every window back and writes its record.
  clock.advance(config.window + 1);
  const closeStart = performance.now();
  let closed = 0;
  for (;;) {
    const n = await joinStage.sweep();
    closed += n;
    if (n === 0) break;
  }
  await outbox.flush();
  const closeS = (performance.now() - closeStart) / 1000;
  await store.close();
  rmSync(dir, { recursive: true, force: true });
  const figures = {
    open_windows: open,
    insert_windows_per_s: Math.round(options.windows / insertS),
    feedback_joins_per_s: Math.round(feedbackN / feedbackS),
    close_windows_per_s: Math.round(closed / closeS),
    records_emitted: [...sink.counts.values()].reduce((a, b) => a + b, 0),
    rss_mib_at_half: Math.round(rssAtHalf / 1024 / 1024),
    rss_mib_with_all_open: Math.round(rssOpen / 1024 / 1024),
    heap_used_mib_with_all_open: Math.round(heapOpen / 1024 / 1024),
    peak_rss_mib: peakRssMiB(),
    batch_size: batch,
  };
  report('join-windows', figures, { dir: options.out, quiet: options.quiet });
  return figures;
}

if (require.main === module) {
  run({ windows: Number(arg('windows', '1000000')), out: process.argv.includes('--out') ? arg('out', '') : undefined }).catch((err) => {
    console.error(err);
    process.exitCode = 1;
  });
}
