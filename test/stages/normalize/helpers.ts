import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ContentFragment, FeedbackSignal, Interaction, PipelineEvent } from '../../../src/model';
import { decodeLogsJson, decodeTracesJson } from '../../../src/otlp/json';
import type { AnyValue, LogRecord, LogsData, Span, SpanEvent, SpanLink, TracesData } from '../../../src/otlp/types';
import { createNormalizer, defaultNormalizeConfig, normalizeConfigSchema, type NormalizeConfig, type Normalizer } from '../../../src/stages/normalize';

// Compiled tests live in dist/test/…; fixtures stay in the source tree.
const FIXTURES = join(__dirname, '..', '..', '..', '..', 'test', 'fixtures');

export function fixtureText(topic: string, name: string): string {
  return readFileSync(join(FIXTURES, topic, name), 'utf8');
}

export function tracesFixture(topic: string, name: string): TracesData {
  return decodeTracesJson(fixtureText(topic, name));
}

export function logsFixture(topic: string, name: string): LogsData {
  return decodeLogsJson(fixtureText(topic, name));
}

export function normalizer(overrides: Partial<Record<keyof NormalizeConfig, unknown>> = {}): Normalizer {
  if (Object.keys(overrides).length === 0) return createNormalizer(defaultNormalizeConfig());
  return createNormalizer(normalizeConfigSchema.parse(overrides));
}

export function interactions(events: readonly PipelineEvent[]): Interaction[] {
  return events.filter((e): e is Interaction => e.kind === 'interaction');
}

export function fragments(events: readonly PipelineEvent[]): ContentFragment[] {
  return events.filter((e): e is ContentFragment => e.kind === 'content');
}

export function signals(events: readonly PipelineEvent[]): FeedbackSignal[] {
  return events.filter((e): e is FeedbackSignal => e.kind === 'feedback');
}

export function only<T>(list: readonly T[]): T {
  if (list.length !== 1) throw new Error(`expected exactly one item, got ${list.length}`);
  return list[0]!;
}

export function attrs(o: Record<string, AnyValue>): Map<string, AnyValue> {
  return new Map(Object.entries(o));
}

/** A kvlist value from a plain object (nested objects become kvlists too). */
export function kv(o: Record<string, unknown>): Map<string, AnyValue> {
  const m = new Map<string, AnyValue>();
  for (const [k, v] of Object.entries(o)) m.set(k, toAny(v));
  return m;
}

function toAny(v: unknown): AnyValue {
  if (Array.isArray(v)) return v.map(toAny);
  if (v !== null && typeof v === 'object' && !(v instanceof Uint8Array) && !(v instanceof Map)) return kv(v as Record<string, unknown>);
  return v as AnyValue;
}

let nextSpan = 1;

/** A span with the given attributes; ids are unique per call unless given. */
export function mkSpan(a: Record<string, AnyValue>, over: Partial<Span> & { eventList?: SpanEvent[]; linkList?: SpanLink[] } = {}): Span {
  const n = nextSpan++;
  const { eventList, linkList, ...rest } = over;
  return {
    traceId: 'ab'.repeat(16),
    spanId: n.toString(16).padStart(16, '0'),
    parentSpanId: '',
    name: 'span',
    kind: 3,
    startTimeMs: 1_768_471_200_000,
    endTimeMs: 1_768_471_201_000,
    attributes: attrs(a),
    events: eventList ?? [],
    links: linkList ?? [],
    statusCode: 0,
    statusMessage: '',
    ...rest,
  };
}

export function tracesOf(spans: Span[], resource: Record<string, AnyValue> = { 'service.name': 'test-svc' }): TracesData {
  return {
    resourceSpans: [{ resource: { attributes: attrs(resource) }, scopeSpans: [{ scope: { name: 't', version: '1', attributes: new Map() }, spans }] }],
  };
}

export function mkLog(a: Record<string, AnyValue>, over: Partial<LogRecord> = {}): LogRecord {
  return {
    timeMs: 1_768_471_200_000,
    observedTimeMs: 1_768_471_200_001,
    severityNumber: 9,
    severityText: '',
    body: null,
    attributes: attrs(a),
    traceId: '',
    spanId: '',
    eventName: '',
    ...over,
  };
}

export function logsOf(records: LogRecord[], resource: Record<string, AnyValue> = { 'service.name': 'test-svc' }): LogsData {
  return {
    resourceLogs: [{ resource: { attributes: attrs(resource) }, scopeLogs: [{ scope: { name: 't', version: '1', attributes: new Map() }, logRecords: records }] }],
  };
}

/** Times come from int64 nanoseconds through floats: compare to the microsecond. */
export function near(actual: number | undefined, expected: number, what: string): void {
  if (actual === undefined || Math.abs(actual - expected) > 0.001) {
    throw new Error(`${what}: expected ≈${expected}, got ${actual}`);
  }
}
