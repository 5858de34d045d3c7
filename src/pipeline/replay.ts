import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Config } from '../config';
import type { PipelineEvent } from '../model';
import type { Topic } from './contracts';
import { FakeClock, Metrics, silentLogger, type ComponentContext } from '../telemetry';
import { StateStore } from '../stages/join/store';
import { JoinStage, type Decide, type RedactedEvent } from '../stages/join/join';
import { createNormalizer } from '../stages/normalize';
import { createRedactor } from '../stages/redact';
import { DiscardSink } from '../sinks/discard';
import { Outbox } from './outbox';
import { readCapture } from './capture';

// Replays captured OTLP through the real stages — normalize, redact, join,
// label/sample/route — on a throwaway state store, writing nothing. The clock
// follows the capture's event time, so a day of captured traffic closes its
// windows as it would have live; at the end every window is closed.

export interface ReplayCounts {
  spans: number;
  logRecords: number;
  interactions: number;
  feedbackSignals: number;
  dropped: Record<string, number>;
  topics: Partial<Record<Topic, number>>;
  /** Values the redaction replaced, by entity type (from each event's summary). */
  redacted: Record<string, number>;
  /** Attribute values replaced because their key matched blocked_key_patterns. */
  keysRedacted: number;
}

export interface ReplayOptions {
  config: Config;
  /** Builds the decide function under test; it gets the replay's context (fake clock). */
  makeDecide: (ctx: ComponentContext) => Decide;
  files: string[];
}

const SIMULATION_KEY = 'otel-feedback-loop-simulation-pseudonym-key';

function latestEventMs(events: PipelineEvent[]): number {
  let t = 0;
  for (const e of events) {
    const ms = e.kind === 'interaction' ? e.endTimeMs : e.kind === 'content' ? e.timeMs : e.observedTimeMs;
    if (Number.isFinite(ms) && ms > t) t = ms;
  }
  return t;
}

export async function replay(options: ReplayOptions): Promise<ReplayCounts> {
  const { config } = options;
  const dir = mkdtempSync(join(tmpdir(), 'feedback-loop-simulate-'));
  const clock = new FakeClock(0);
  const ctx: ComponentContext = { logger: silentLogger(), metrics: new Metrics(), clock };
  // Nothing leaves a simulation, so a fixed key is fine when none is set — and
  // it must be the same for every run being compared, or pseudonymized ids
  // (and with them the train/eval split by user) would differ between columns.
  const env = { ...process.env };
  env[config.redact.hmac_key_env] ??= SIMULATION_KEY;
  const normalizer = createNormalizer(config.normalize);
  const redactor = createRedactor(config.redact, env);
  const store = new StateStore(dir, { sync: false });
  const sink = new DiscardSink();
  const counts: ReplayCounts = { spans: 0, logRecords: 0, interactions: 0, feedbackSignals: 0, dropped: {}, topics: {}, redacted: {}, keysRedacted: 0 };
  try {
    await store.open();
    const outbox = new Outbox(store, sink, ctx, { chunk: 1000, maxBacklog: Number.MAX_SAFE_INTEGER });
    await outbox.init();
    // Every window is closed at the end of the capture, so implicit abandonment
    // and final records are judged as they would be live.
    const joinStage = new JoinStage(config.join, store, outbox, options.makeDecide(ctx), ctx, config.redact.policy_version);
    await joinStage.init();
    for (const file of options.files) {
      for (const item of readCapture(file)) {
        const n = item.kind === 'traces' ? normalizer.traces(item.data) : normalizer.logs(item.data);
        if (item.kind === 'traces') counts.spans += n.received;
        else counts.logRecords += n.received;
        for (const [reason, c] of Object.entries(n.dropped)) counts.dropped[reason] = (counts.dropped[reason] ?? 0) + c;
        const items: RedactedEvent[] = [];
        for (const e of n.events) {
          try {
            const r = redactor.redact(e);
            items.push({ event: r.event, redaction: r.summary });
            for (const [type, c] of Object.entries(r.summary.entities)) counts.redacted[type] = (counts.redacted[type] ?? 0) + c;
            counts.keysRedacted += r.summary.keysRedacted;
            if (e.kind === 'interaction') counts.interactions++;
            else if (e.kind === 'feedback') counts.feedbackSignals++;
          } catch {
            counts.dropped.redaction_failed = (counts.dropped.redaction_failed ?? 0) + 1;
          }
        }
        const t = latestEventMs(n.events);
        if (t > clock.now()) clock.set(t);
        await joinStage.accept(items);
        await joinStage.sweep(); // close what the capture's clock has moved past
      }
    }
    // Let the remaining windows close at their own deadlines, in order, as they
    // would live: jumping the clock at once would close them all in the same
    // instant and drain every hourly budget in one burst.
    const step = Math.min(60_000, config.join.window);
    for (let guard = 0; joinStage.open() > 0 && guard < 1e6; guard++) {
      clock.advance(step);
      await joinStage.sweep();
    }
    await outbox.flush();
    for (const [topic, c] of sink.counts) counts.topics[topic] = c;
    return counts;
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
