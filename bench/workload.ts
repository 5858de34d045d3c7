// A fixed, seeded GenAI workload: chat spans in the current GenAI semantic
// conventions (about 3 KB of message text each, with realistic PII sprinkled
// in), semconv-1.36-style spans whose content travels as log records, and
// feedback for ~10% of interactions (thumbs, corrections, evaluations). The
// bytes are produced by the OpenTelemetry SDK's own OTLP serializers, so the
// service sees exactly what a real exporter sends.
import { JsonLogsSerializer, JsonTraceSerializer, ProtobufLogsSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import type { ReadableLogRecord } from '@opentelemetry/sdk-logs';
import { resourceFromAttributes } from '@opentelemetry/resources';
import type { HrTime, Attributes } from '@opentelemetry/api';

/** Deterministic PRNG (mulberry32): the same seed gives the same workload everywhere. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const TOPICS = [
  'I was charged twice for my subscription this month and need a refund to my card',
  'Can you summarize the attached quarterly report and list the three biggest risks',
  'Write a polite reply to a customer whose delivery is two weeks late',
  'Explain how to rotate the API credentials for our staging environment',
  'Translate the following paragraph into German and keep the formal tone',
  'My password reset email never arrives, what should I check',
];
const PRODUCTS = ['Pro plan', 'mobile app', 'API gateway', 'billing portal', 'Team workspace', 'analytics dashboard', 'SSO login', 'export tool'];
const NAMES = ['Maria', 'Kenji', 'Aisha', 'Lukas', 'Priya', 'Tom', 'Sofia', 'Omar', 'Lena', 'Diego'];
const SENTENCES = [
  (r: () => number) => `The ${pick(r, PRODUCTS)} stopped working after the update on ${1 + Math.floor(r() * 28)} March.`,
  (r: () => number) => `${pick(r, NAMES)} from our finance team asked me to check invoice ${10000 + Math.floor(r() * 89999)}.`,
  (r: () => number) => `We have ${2 + Math.floor(r() * 400)} seats and want to move ${1 + Math.floor(r() * 50)} of them to another region.`,
  (r: () => number) => `Is there a way to export the ${pick(r, PRODUCTS)} data as CSV for the last ${1 + Math.floor(r() * 12)} months?`,
  (r: () => number) => `Our compliance officer needs a written statement about data retention before ${pick(r, ['Friday', 'the audit', 'month end', 'the renewal'])}.`,
  (r: () => number) => `The error message says "${pick(r, ['quota exceeded', 'token expired', 'permission denied', 'timeout after 30s', 'unknown field'])}" when I try again.`,
  (r: () => number) => `Please answer in ${pick(r, ['German', 'Spanish', 'plain English', 'bullet points', 'under 100 words', 'JSON'])}.`,
  (r: () => number) => `I already tried ${pick(r, ['clearing the cache', 'a different browser', 'reinstalling', 'resetting the password', 'contacting my admin'])} without luck.`,
  (r: () => number) => `Last time ${pick(r, NAMES)} told me it would be fixed within ${1 + Math.floor(r() * 10)} days.`,
  (r: () => number) => `Can you compare the ${pick(r, PRODUCTS)} with the ${pick(r, PRODUCTS)} for a team of ${3 + Math.floor(r() * 60)} people?`,
  () => `Our internal policy on refunds and escalations asks for short friendly sentences and a clear next step.`,
  (r: () => number) => `The customer is on the ${pick(r, ['enterprise', 'business', 'starter', 'education'])} plan with account id ${Math.floor(r() * 1e6)}.`,
];
const pick = <T>(r: () => number, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
const PII = [
  (r: () => number) => `my email is jane.doe${Math.floor(r() * 1000)}@example.com`,
  (r: () => number) => `call me on +44 20 7946 ${String(Math.floor(r() * 10000)).padStart(4, '0')}`,
  () => 'the card was 4111 1111 1111 1111',
  () => 'IBAN GB82 WEST 1234 5698 7654 32',
  () => 'our key is sk-proj-abcdefghijklmnopqrstuvwxyz012345',
  () => 'ssn 123-45-6789 on file',
];

export interface WorkloadOptions {
  seed?: number;
  interactions: number;
  /** Share of interactions that get explicit feedback. */
  feedbackRate?: number;
  /** Approximate characters of message text per interaction. */
  textBytes?: number;
  /** Share of interactions in the semconv 1.36 form (content as log records). */
  legacyShare?: number;
  /** Unix ms of the first interaction. */
  startMs?: number;
  /** Milliseconds between interactions (event time). Default 5. */
  intervalMs?: number;
}

export interface Workload {
  spans: ReadableSpan[];
  logs: ReadableLogRecord[];
  /** Response ids (join keys) of all interactions, and which got explicit feedback. */
  responseIds: string[];
  withFeedback: Set<string>;
  /** Feedback signals emitted, per response id. */
  feedbackCount: Map<string, number>;
}

const hr = (ms: number): HrTime => [Math.floor(ms / 1000), Math.round((ms % 1000) * 1e6)];
const hex = (r: () => number, n: number) => {
  let s = '';
  for (let i = 0; i < n; i++) s += Math.floor(r() * 16).toString(16);
  return s;
};

const resource = resourceFromAttributes({
  'service.name': 'support-assistant',
  'service.version': '2.4.1',
  'deployment.environment.name': 'bench',
});
const scope = { name: '@opentelemetry/instrumentation-openai', version: '0.21.0' };

function span(
  name: string,
  traceId: string,
  spanId: string,
  startMs: number,
  endMs: number,
  attributes: Attributes,
  extra: Partial<ReadableSpan> = {},
): ReadableSpan {
  return {
    name,
    kind: 2, // CLIENT in the API's numbering (the serializer adds 1)
    spanContext: () => ({ traceId, spanId, traceFlags: 1 }),
    parentSpanContext: undefined,
    startTime: hr(startMs),
    endTime: hr(endMs),
    status: { code: 0 },
    attributes,
    links: [],
    events: [],
    duration: hr(endMs - startMs),
    ended: true,
    resource,
    instrumentationScope: scope,
    droppedAttributesCount: 0,
    droppedEventsCount: 0,
    droppedLinksCount: 0,
    ...extra,
  } as ReadableSpan;
}

function text(r: () => number, bytes: number): string {
  let s = TOPICS[Math.floor(r() * TOPICS.length)]! + '. ';
  while (s.length < bytes) {
    s += pick(r, SENTENCES)(r) + ' ';
    if (r() < 0.1) s += PII[Math.floor(r() * PII.length)]!(r) + '. ';
  }
  return s.slice(0, bytes);
}

export function generate(options: WorkloadOptions): Workload {
  const r = prng(options.seed ?? 42);
  const feedbackRate = options.feedbackRate ?? 0.1;
  const textBytes = options.textBytes ?? 3000;
  const legacyShare = options.legacyShare ?? 0;
  let t = options.startMs ?? Date.now();
  const out: Workload = { spans: [], logs: [], responseIds: [], withFeedback: new Set(), feedbackCount: new Map() };
  for (let i = 0; i < options.interactions; i++) {
    const traceId = hex(r, 32);
    const spanId = hex(r, 16);
    const responseId = `chatcmpl-${hex(r, 24)}`;
    const model = r() < 0.5 ? 'gpt-4o-mini' : 'gpt-4.1';
    const prompt = text(r, Math.floor(textBytes * 0.6));
    const answer = text(r, Math.floor(textBytes * 0.4));
    const start = t;
    const end = t + 300 + Math.floor(r() * 1500);
    t += options.intervalMs ?? 5;
    const common: Attributes = {
      'gen_ai.operation.name': 'chat',
      'gen_ai.request.model': model,
      'gen_ai.response.model': `${model}-2025-04-14`,
      'gen_ai.response.id': responseId,
      'gen_ai.response.finish_reasons': ['stop'],
      'gen_ai.usage.input_tokens': Math.ceil(prompt.length / 4),
      'gen_ai.usage.output_tokens': Math.ceil(answer.length / 4),
      'gen_ai.request.temperature': 0.2,
      'user.id': `user-${Math.floor(r() * 500)}`,
      'session.id': `sess-${Math.floor(r() * 2000)}`,
    };
    if (r() < legacyShare) {
      out.spans.push(span(`chat ${model}`, traceId, spanId, start, end, { ...common, 'gen_ai.system': 'openai' }));
      const ctx = { traceId, spanId, traceFlags: 1 };
      const log = (eventName: string, body: Record<string, unknown>, ms: number): ReadableLogRecord =>
        ({
          hrTime: hr(ms),
          hrTimeObserved: hr(ms),
          spanContext: ctx,
          severityNumber: 9,
          severityText: 'INFO',
          body,
          eventName,
          attributes: { 'event.name': eventName, 'gen_ai.system': 'openai' },
          resource,
          instrumentationScope: scope,
          droppedAttributesCount: 0,
        }) as unknown as ReadableLogRecord;
      out.logs.push(log('gen_ai.user.message', { content: prompt }, start));
      out.logs.push(log('gen_ai.choice', { index: 0, finish_reason: 'stop', message: { role: 'assistant', content: answer } }, end));
    } else {
      out.spans.push(
        span(`chat ${model}`, traceId, spanId, start, end, {
          ...common,
          'gen_ai.provider.name': 'openai',
          'gen_ai.system_instructions': JSON.stringify([{ type: 'text', content: 'You are a helpful support assistant.' }]),
          'gen_ai.input.messages': JSON.stringify([{ role: 'user', parts: [{ type: 'text', content: prompt }] }]),
          'gen_ai.output.messages': JSON.stringify([
            { role: 'assistant', parts: [{ type: 'text', content: answer }], finish_reason: 'stop' },
          ]),
        }),
      );
    }
    out.responseIds.push(responseId);
    if (r() < feedbackRate) {
      out.withFeedback.add(responseId);
      const kinds = r() < 0.5 ? ['thumbs'] : r() < 0.5 ? ['thumbs', 'correction'] : ['rating'];
      for (const kind of kinds) {
        const attrs: Attributes = {
          'feedback.request_id': responseId,
          'feedback.kind': kind,
          'feedback.source': 'user',
          'user.id': common['user.id'] as string,
        };
        if (kind === 'thumbs') {
          attrs['feedback.value'] = r() < 0.4 ? 1 : 0;
          if (attrs['feedback.value'] === 0) attrs['feedback.reason'] = r() < 0.5 ? 'wrong' : 'format';
        } else if (kind === 'rating') attrs['feedback.value'] = 1 + Math.floor(r() * 5);
        else attrs['feedback.text'] = `Corrected: ${answer.slice(0, 200)}`;
        out.spans.push(span('feedback', hex(r, 32), hex(r, 16), end + 1000, end + 1001, attrs));
      }
      out.feedbackCount.set(responseId, kinds.length);
    }
  }
  return out;
}

export type Encoding = 'protobuf' | 'json';

/** Encodes spans as ExportTraceServiceRequest bodies of at most `perRequest` spans each. */
export function encodeTraces(spans: ReadableSpan[], encoding: Encoding, perRequest = 100): Uint8Array[] {
  const bodies: Uint8Array[] = [];
  for (let i = 0; i < spans.length; i += perRequest) {
    const chunk = spans.slice(i, i + perRequest);
    const body = encoding === 'protobuf' ? ProtobufTraceSerializer.serializeRequest(chunk) : JsonTraceSerializer.serializeRequest(chunk);
    if (body) bodies.push(body);
  }
  return bodies;
}

export function encodeLogs(logs: ReadableLogRecord[], encoding: Encoding, perRequest = 100): Uint8Array[] {
  const bodies: Uint8Array[] = [];
  for (let i = 0; i < logs.length; i += perRequest) {
    const chunk = logs.slice(i, i + perRequest);
    const body = encoding === 'protobuf' ? ProtobufLogsSerializer.serializeRequest(chunk) : JsonLogsSerializer.serializeRequest(chunk);
    if (body) bodies.push(body);
  }
  return bodies;
}

const startMsOf = (t: HrTime): number => t[0] * 1000 + t[1] / 1e6;

/**
 * A capture as the collector's file exporter would write it: OTLP/JSON export
 * requests, one per line, traces and logs of each `sliceMs` of event time
 * together, in time order (so content logs never trail their spans by hours).
 */
export function captureLines(wl: Workload, sliceMs: number): string[] {
  const slice = (ms: number) => Math.floor(ms / sliceMs);
  const spansBy = new Map<number, ReadableSpan[]>();
  for (const s of wl.spans) {
    const k = slice(startMsOf(s.startTime));
    spansBy.set(k, [...(spansBy.get(k) ?? []), s]);
  }
  const logsBy = new Map<number, ReadableLogRecord[]>();
  for (const l of wl.logs) {
    const k = slice(startMsOf(l.hrTime));
    logsBy.set(k, [...(logsBy.get(k) ?? []), l]);
  }
  const keys = [...new Set([...spansBy.keys(), ...logsBy.keys()])].sort((a, b) => a - b);
  const text = (b: Uint8Array) => Buffer.from(b).toString('utf8');
  const lines: string[] = [];
  for (const k of keys) {
    const spans = spansBy.get(k);
    const logs = logsBy.get(k);
    if (spans) lines.push(...encodeTraces(spans, 'json', 1000).map(text));
    if (logs) lines.push(...encodeLogs(logs, 'json', 1000).map(text));
  }
  return lines;
}
