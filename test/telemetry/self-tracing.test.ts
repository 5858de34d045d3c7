import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hostname } from 'node:os';
import { SpanStatusCode } from '@opentelemetry/api';
import {
  NOOP_TRACER,
  SELF_TELEMETRY_ATTRIBUTE,
  noopSelfTracing,
  selfTracingProblems,
  startSelfTracing,
  traced,
  type SelfTracingInput,
} from '../../src/telemetry/self-tracing';
import { telemetryConfigSchema } from '../../src/telemetry/config';
import { ConfigError } from '../../src/config/load';
import { Metrics, silentLogger } from '../../src/telemetry';
import { otlpHttpReceiverFactory } from '../../src/sources/otlp-http';
import { createNormalizer, defaultNormalizeConfig } from '../../src/stages/normalize';
import type { AnyValue, Span, TracesData } from '../../src/otlp/types';
import { makeSpans, tracesJson, tracesProtobuf } from '../otlp/sdk-data';
import { FakeConsumer, config as receiverConfig, ctx, send } from '../sources/otlp-http/helpers';
import { freePort } from '../helpers/service-process';

function input(endpoint: string | undefined, own = '127.0.0.1:4318', ownEnabled = true, extra: Record<string, unknown> = {}): SelfTracingInput {
  const telemetry = telemetryConfigSchema.parse({ self_tracing: { enabled: true, endpoint, export_interval: '50ms', ...extra } });
  return { telemetry, sources: { otlp_http: { enabled: ownEnabled, endpoint: own } } };
}

const allSpans = (d: TracesData): Span[] => d.resourceSpans.flatMap((rs) => rs.scopeSpans.flatMap((ss) => ss.spans));

function strings(v: AnyValue, out: string[] = []): string[] {
  if (typeof v === 'string') out.push(v);
  else if (Array.isArray(v)) for (const x of v) strings(x, out);
  else if (v instanceof Map) for (const x of v.values()) strings(x, out);
  return out;
}

test('off by default: the no-op records nothing and needs no endpoint', async () => {
  const telemetry = telemetryConfigSchema.parse(undefined);
  assert.equal(telemetry.self_tracing.enabled, false);
  const st = startSelfTracing({ telemetry, sources: { otlp_http: { enabled: true, endpoint: '127.0.0.1:4318' } } }, silentLogger());
  assert.equal(st, noopSelfTracing);
  const span = st.tracer.startSpan('x');
  assert.equal(span.isRecording(), false);
  assert.equal(NOOP_TRACER.startActiveSpan('y', (s) => s.isRecording()), false);
  assert.equal(await traced(st.tracer, 'z', async () => 42), 42);
  await st.shutdown();
});

test('config: enabled needs an endpoint, the endpoint must be a URL', () => {
  const r = telemetryConfigSchema.safeParse({ self_tracing: { enabled: true } });
  assert.ok(!r.success);
  assert.deepEqual(r.error.issues.map((i) => i.path.join('.')), ['self_tracing.endpoint']);
  const bad = telemetryConfigSchema.safeParse({ self_tracing: { enabled: true, endpoint: 'collector:4318' } });
  assert.ok(!bad.success);
  assert.match(bad.error.issues[0]!.message, /http\(s\) URL/);
});

test('loop guard: an endpoint that is our own receiver is refused naming the key; a collector elsewhere is fine', () => {
  const refused: [string, string][] = [
    ['http://127.0.0.1:4318/v1/traces', '127.0.0.1:4318'],
    ['http://localhost:4318/v1/traces', '127.0.0.1:4318'],
    ['http://127.0.0.1:4318/v1/traces', '0.0.0.0:4318'],
    ['http://[::1]:4318/v1/traces', 'localhost:4318'],
    [`http://${hostname()}:4318/v1/traces`, '0.0.0.0:4318'],
    ['https://10.1.2.3/v1/traces', '10.1.2.3:443'],
    ['http://0.0.0.0:4318', '127.0.0.1:4318'],
  ];
  for (const [url, own] of refused) {
    const p = selfTracingProblems(input(url, own));
    assert.equal(p.length, 1, `${url} vs ${own}`);
    assert.equal(p[0]!.path, 'telemetry.self_tracing.endpoint');
    assert.match(p[0]!.message, /own OTLP receiver/);
    assert.throws(() => startSelfTracing(input(url, own), silentLogger()), (e: unknown) => e instanceof ConfigError && /telemetry\.self_tracing\.endpoint/.test(e.message));
  }
  const allowed: [string, string, boolean][] = [
    ['http://otel-collector:4318/v1/traces', '0.0.0.0:4318', true],
    ['http://127.0.0.1:4319/v1/traces', '127.0.0.1:4318', true],
    ['http://10.0.0.9:4318/v1/traces', '10.0.0.8:4318', true],
    ['http://127.0.0.1:4318/v1/traces', '127.0.0.1:4318', false], // the receiver is off
  ];
  for (const [url, own, enabled] of allowed) assert.deepEqual(selfTracingProblems(input(url, own, enabled)), [], `${url} vs ${own}`);
});

test('own spans: one per OTLP request with counts, never content; tagged; dropped by normalize as not_genai when they come back', async () => {
  // A stand-in for a collector that forwards everything back to us: our own receiver on another port.
  const collector = new FakeConsumer();
  const collectorRx = otlpHttpReceiverFactory.create(receiverConfig(), collector, ctx());
  await collectorRx.start();
  const metrics = new Metrics();
  const servicePort = await freePort();
  const st = startSelfTracing(input(`http://127.0.0.1:${collectorRx.port}/v1/traces`, `127.0.0.1:${servicePort}`), silentLogger(), metrics);
  assert.equal(st.enabled, true);
  const service = otlpHttpReceiverFactory.create(receiverConfig({ endpoint: `127.0.0.1:${servicePort}` }), new FakeConsumer(), ctx(), { tracer: st.tracer });
  await service.start();
  try {
    const sdkSpans = await makeSpans();
    assert.equal((await send(servicePort, { headers: { 'Content-Type': 'application/x-protobuf' }, body: tracesProtobuf(sdkSpans) })).status, 200);
    assert.equal((await send(servicePort, { headers: { 'Content-Type': 'application/json' }, body: tracesJson(sdkSpans) })).status, 200);
    assert.equal((await send(servicePort, { headers: { 'Content-Type': 'application/json' }, body: '{"resourceSpans":[' })).status, 400);
    await traced(st.tracer, 'join sweep', async (span) => span.setAttribute('feedback_loop.windows_closed', 3));
    await assert.rejects(traced(st.tracer, 'join sweep', async () => Promise.reject(new TypeError('secret detail'))));
    // Spans end when the answer is sent; give the 'close' events a moment, then flush.
    await new Promise((r) => setTimeout(r, 50));
    await st.forceFlush();

    const got = collector.traces;
    assert.ok(got.length >= 1, 'the exporter delivered to the collector');
    const spans = got.flatMap(allSpans);
    const requests = spans.filter((s) => s.name.startsWith('otlp_http '));
    assert.equal(requests.length, 3, 'one span per request');
    const statuses = requests.map((s) => s.attributes.get('http.response.status_code')).sort();
    assert.deepEqual(statuses, [200, 200, 400]);
    const oks = requests.filter((s) => s.attributes.get('http.response.status_code') === 200);
    for (const s of oks) {
      assert.equal(s.attributes.get('feedback_loop.items'), sdkSpans.length);
      assert.equal(s.attributes.get('feedback_loop.accepted'), sdkSpans.length);
      assert.equal(s.attributes.get('feedback_loop.signal'), 'traces');
    }
    const sweeps = spans.filter((s) => s.name === 'join sweep');
    assert.equal(sweeps.length, 2);
    assert.equal(sweeps.find((s) => s.statusCode === SpanStatusCode.ERROR)?.attributes.get('error.type'), 'TypeError');

    for (const rs of got.flatMap((d) => d.resourceSpans)) {
      assert.equal(rs.resource.attributes.get(SELF_TELEMETRY_ATTRIBUTE), true);
      assert.equal(rs.resource.attributes.get('service.name'), 'otel-feedback-loop');
    }
    // Never content: no attribute value of ours holds text from the request, nor an error message.
    const sent = sdkSpans.flatMap((s) => Object.values(s.attributes)).filter((v): v is string => typeof v === 'string' && v.length > 8);
    const ours = spans.flatMap((s) => [...s.attributes.values()].flatMap((v) => strings(v)));
    for (const text of sent) assert.ok(!ours.some((v) => v.includes(text)), 'no request content in own spans');
    assert.ok(!ours.some((v) => v.includes('secret detail')));

    // If they come back anyway, normalize drops every one of them as not GenAI.
    for (const data of got) {
      const n = createNormalizer(defaultNormalizeConfig()).traces(data);
      assert.deepEqual(n.events, []);
      assert.deepEqual(n.dropped, { not_genai: allSpans(data).length });
    }
    assert.equal(await metrics.value('feedback_loop_component_emitted_items_total', { component: 'self_tracing' }), spans.length);
  } finally {
    await service.shutdown();
    await st.shutdown();
    await st.shutdown();
    await collectorRx.shutdown();
  }
});

test('export failures are counted, never thrown at the caller', async () => {
  const deadPort = await freePort();
  const metrics = new Metrics();
  const st = startSelfTracing(input(`http://127.0.0.1:${deadPort}/v1/traces`, '127.0.0.1:4318', true, { export_timeout: '2s' }), silentLogger(), metrics);
  st.tracer.startSpan('x').end();
  await st.forceFlush();
  assert.equal(await metrics.value('feedback_loop_component_errors_total', { component: 'self_tracing', reason: 'export_failed' }), 1);
  await st.shutdown();
});
