import { test } from 'node:test';
import assert from 'node:assert/strict';
import { otlpHttpReceiverFactory, decodeLimitsFor } from '../../../src/sources/otlp-http';
import { DEFAULT_DECODE_LIMITS } from '../../../src/otlp/limits';
import { decodeTracesJson } from '../../../src/otlp/json';
import { decodeTracesProto } from '../../../src/otlp/proto';
import { resolveLimits } from '../../../src/otlp/limits';
import { PermanentError } from '../../../src/pipeline/errors';
import { cat, hex, kv, len, str, traces, decodeStatus, type Part } from '../../otlp/pb';
import { FakeConsumer, config, ctx, send } from './helpers';

// Every per-request limit the receiver enforces, hit through HTTP in both
// encodings: just at the limit passes (200), one past it is a 400 whose
// Status names the limit, counted as otlp_limit. The byte caps (413) and the
// concurrency cap (429) are covered in receiver.test.ts.

const TRACE_ID = '0af7651916cd43dd8448eb211c80319c';
const SPAN_ID = 'b7ad6b7169203331';

interface SpanShape {
  attrs?: number;
  /** Length of one string attribute value. */
  valueBytes?: number;
  /** Nesting of array values around a string (1 = a plain string attribute). */
  depth?: number;
  events?: number;
  links?: number;
}

function anyPb(depth: number, leaf: Part): Uint8Array {
  let v = cat(leaf);
  for (let i = 1; i < depth; i++) v = len(5, len(1, v)); // array_value { values: [v] }
  return v;
}

function spanPb(s: SpanShape): Uint8Array {
  const parts: Part[] = [len(1, hex(TRACE_ID)), len(2, hex(SPAN_ID)), str(5, 'op')];
  for (let i = 0; i < (s.attrs ?? 0); i++) parts.push(kv(`k${i}`, str(1, 'v'), 9));
  if (s.valueBytes !== undefined) parts.push(kv('big', str(1, 'x'.repeat(s.valueBytes)), 9));
  if (s.depth !== undefined) parts.push(kv('deep', anyPb(s.depth, str(1, 'x')), 9));
  for (let i = 0; i < (s.events ?? 0); i++) parts.push(len(11, str(2, 'e')));
  for (let i = 0; i < (s.links ?? 0); i++) parts.push(len(13, len(1, hex(TRACE_ID)), len(2, hex(SPAN_ID))));
  return cat(...parts);
}

function anyJson(depth: number): unknown {
  let v: unknown = { stringValue: 'x' };
  for (let i = 1; i < depth; i++) v = { arrayValue: { values: [v] } };
  return v;
}

function spanJson(s: SpanShape): unknown {
  const attributes: unknown[] = [];
  for (let i = 0; i < (s.attrs ?? 0); i++) attributes.push({ key: `k${i}`, value: { stringValue: 'v' } });
  if (s.valueBytes !== undefined) attributes.push({ key: 'big', value: { stringValue: 'x'.repeat(s.valueBytes) } });
  if (s.depth !== undefined) attributes.push({ key: 'deep', value: anyJson(s.depth) });
  return {
    traceId: TRACE_ID,
    spanId: SPAN_ID,
    name: 'op',
    attributes,
    events: Array.from({ length: s.events ?? 0 }, () => ({ name: 'e' })),
    links: Array.from({ length: s.links ?? 0 }, () => ({ traceId: TRACE_ID, spanId: SPAN_ID })),
  };
}

const bodies = (n: number, s: SpanShape) => ({
  protobuf: traces(...Array.from({ length: n }, () => spanPb(s))),
  json: new TextEncoder().encode(JSON.stringify({ resourceSpans: [{ scopeSpans: [{ spans: Array.from({ length: n }, () => spanJson(s)) }] }] })),
});

const CASES: { name: string; cfg: Parameters<typeof config>[0]; at: () => ReturnType<typeof bodies>; over: () => ReturnType<typeof bodies>; message: RegExp }[] = [
  { name: 'max_items_per_request', cfg: { max_items_per_request: 3 }, at: () => bodies(3, {}), over: () => bodies(4, {}), message: /spans per request exceeds the limit of 3/ },
  { name: 'max_attributes_per_item', cfg: { max_attributes_per_item: 4 }, at: () => bodies(1, { attrs: 4 }), over: () => bodies(1, { attrs: 5 }), message: /attributes per item exceeds the limit of 4/ },
  { name: 'max_attribute_value_bytes', cfg: { max_attribute_value_bytes: 1000 }, at: () => bodies(1, { valueBytes: 1000 }), over: () => bodies(1, { valueBytes: 1001 }), message: /(string value bytes|value length|value bytes).*1000/ },
  { name: 'max_value_depth', cfg: { max_value_depth: 3 }, at: () => bodies(1, { depth: 3 }), over: () => bodies(1, { depth: 4 }), message: /AnyValue nesting depth exceeds the limit of 3/ },
  { name: 'max_events_per_span', cfg: { max_events_per_span: 2 }, at: () => bodies(1, { events: 2 }), over: () => bodies(1, { events: 3 }), message: /events per span exceeds the limit of 2/ },
  { name: 'max_links_per_span', cfg: { max_links_per_span: 2 }, at: () => bodies(1, { links: 2 }), over: () => bodies(1, { links: 3 }), message: /links per span exceeds the limit of 2/ },
];

for (const c of CASES) {
  test(`limit ${c.name}: at the limit 200, one past it 400 naming the limit, counted as otlp_limit (protobuf and JSON)`, async () => {
    const cx = ctx();
    const consumer = new FakeConsumer();
    const receiver = otlpHttpReceiverFactory.create(config(c.cfg), consumer, cx);
    await receiver.start();
    try {
      for (const enc of ['protobuf', 'json'] as const) {
        const headers = { 'Content-Type': enc === 'protobuf' ? 'application/x-protobuf' : 'application/json' };
        const ok = await send(receiver.port, { headers, body: c.at()[enc] });
        assert.equal(ok.status, 200, `${enc} at the limit`);
        const bad = await send(receiver.port, { headers, body: c.over()[enc] });
        assert.equal(bad.status, 400, `${enc} past the limit`);
        const message = enc === 'json' ? (JSON.parse(bad.body.toString()) as { message: string }).message : decodeStatus(bad.body).message;
        assert.match(message, c.message, enc);
      }
      assert.equal(consumer.traces.length, 2, 'only the bodies at the limit reached the pipeline');
      assert.equal(await cx.metrics.value('feedback_loop_component_errors_total', { component: 'otlp_http', reason: 'otlp_limit' }), 2);
      assert.equal(consumer.deadLetters.filter((d) => d.reason === 'otlp_limit').length, 2, 'dead-lettered by reason');
    } finally {
      await receiver.shutdown();
    }
  });
}

test('decoder-only limits (array values, decoded values per request) hold for JSON as for protobuf', () => {
  const arr = (n: number) => ({ arrayValue: { values: Array.from({ length: n }, () => ({ intValue: 1 })) } });
  const withValue = (value: unknown) =>
    new TextEncoder().encode(JSON.stringify({ resourceSpans: [{ scopeSpans: [{ spans: [{ traceId: TRACE_ID, spanId: SPAN_ID, attributes: [{ key: 'a', value }] }] }] }] }));
  const small = resolveLimits({ maxArrayValues: 3, maxValuesPerRequest: 50 });
  decodeTracesJson(withValue(arr(3)), small);
  assert.throws(() => decodeTracesJson(withValue(arr(4)), small), (e: unknown) => e instanceof PermanentError && /array values/.test(e.message));
  const many = resolveLimits({ maxValuesPerRequest: 50, maxArrayValues: 1000 });
  assert.throws(() => decodeTracesJson(withValue(arr(100)), many), (e: unknown) => e instanceof PermanentError && /decoded values per request/.test(e.message));
  assert.throws(
    () => decodeTracesProto(traces(spanPb({ attrs: 60 })), resolveLimits({ maxValuesPerRequest: 50 })),
    (e: unknown) => e instanceof PermanentError && /decoded values per request/.test(e.message),
  );
});

test('decodeLimitsFor maps every receiver key onto the decoder and keeps the other defaults', () => {
  const l = decodeLimitsFor(config({ max_items_per_request: 7, max_events_per_span: 5, max_links_per_span: 6, max_value_depth: 9 }));
  assert.equal(l.maxSpansPerRequest, 7);
  assert.equal(l.maxLogRecordsPerRequest, 7);
  assert.equal(l.maxEventsPerSpan, 5);
  assert.equal(l.maxLinksPerSpan, 6);
  assert.equal(l.maxAnyValueDepth, 9);
  assert.equal(l.maxArrayValues, DEFAULT_DECODE_LIMITS.maxArrayValues);
  assert.equal(l.maxValuesPerRequest, DEFAULT_DECODE_LIMITS.maxValuesPerRequest);
  const d = decodeLimitsFor(config());
  assert.equal(d.maxEventsPerSpan, DEFAULT_DECODE_LIMITS.maxEventsPerSpan, 'receiver defaults equal decoder defaults');
  assert.equal(d.maxLinksPerSpan, DEFAULT_DECODE_LIMITS.maxLinksPerSpan);
});
