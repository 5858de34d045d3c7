import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { decodeLogsProto, decodeTracesProto } from '../../src/otlp/proto';
import { decodeLogsJson, decodeTracesJson } from '../../src/otlp/json';
import { resolveLimits } from '../../src/otlp/limits';
import { PermanentError } from '../../src/pipeline/errors';
import { T0, hrToMs, logsJson, logsProtobuf, makeLogRecords, makeSpans, tracesJson, tracesProtobuf } from './sdk-data';
import { anyString, cat, double, fixed32, fixed64, hex, kv, len, logs, str, tag, traces, varint, vint } from './pb';

const FIXTURES = join(__dirname, '../../../test/fixtures/otlp');

function rejects(fn: () => unknown, code: string, message: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof PermanentError, `expected PermanentError, got ${String(e)}`);
    assert.equal(e.code, code);
    assert.match(e.message, message);
    return true;
  });
}

const TRACE_ID = '0af7651916cd43dd8448eb211c80319c';
const SPAN_ID = 'b7ad6b7169203331';

test('SDK spans: protobuf and JSON encodings decode to deep-equal TracesData', async () => {
  const sdkSpans = await makeSpans();
  const fromProto = decodeTracesProto(tracesProtobuf(sdkSpans));
  assert.deepEqual(fromProto, decodeTracesJson(tracesJson(sdkSpans)));
  const spans = fromProto.resourceSpans.flatMap((rs) => rs.scopeSpans.flatMap((ss) => ss.spans));
  assert.equal(spans.length, sdkSpans.length);
  for (const sdk of sdkSpans) {
    const span = spans.find((s) => s.spanId === sdk.spanContext().spanId)!;
    assert.equal(span.traceId, sdk.spanContext().traceId);
    assert.equal(span.startTimeMs, hrToMs(sdk.startTime));
    assert.equal(span.endTimeMs, hrToMs(sdk.endTime));
  }
  const chat = spans.find((s) => s.name === 'chat gpt-4o')!;
  assert.equal(chat.startTimeMs, T0 + 1.5);
  assert.equal(chat.kind, 3);
  assert.equal(chat.statusCode, 2);
  assert.equal(chat.statusMessage, 'rate limited');
  assert.deepEqual(chat.attributes.get('gen_ai.test.int_array'), [1, -2, 3]);
  assert.equal(chat.attributes.get('gen_ai.test.negative'), -9007199254740991);
  assert.equal(chat.attributes.get('gen_ai.test.unicode'), 'héllo — 世界 🌍');
  assert.equal(chat.events.length, 2);
  assert.equal(chat.links.length, 1);
  assert.equal(chat.links[0]!.attributes.get('link.n'), 2);
});

test('SDK log records: protobuf and JSON decode to deep-equal LogsData, with event_name and every AnyValue type', async () => {
  const records = await makeLogRecords({ traceId: TRACE_ID, spanId: SPAN_ID });
  const fromProto = decodeLogsProto(logsProtobuf(records));
  assert.deepEqual(fromProto, decodeLogsJson(logsJson(records)));
  const [msg, plain, bytes] = fromProto.resourceLogs[0]!.scopeLogs[0]!.logRecords;
  assert.equal(msg!.eventName, 'gen_ai.user.message');
  assert.equal(msg!.traceId, TRACE_ID);
  assert.equal(msg!.spanId, SPAN_ID);
  assert.equal(msg!.timeMs, T0 + 5);
  assert.equal(msg!.observedTimeMs, T0 + 6);
  assert.equal(msg!.severityNumber, 9);
  assert.deepEqual(msg!.attributes.get('test.bytes'), new Uint8Array([0, 1, 2, 254, 255]));
  assert.deepEqual(msg!.attributes.get('test.map'), new Map<string, unknown>([['a', 1], ['b', [true, 2.5]]]));
  assert.equal((msg!.body as Map<string, unknown>).get('content'), 'what is OTLP?');
  assert.equal(plain!.body, 'plain string body');
  assert.equal(plain!.severityNumber, 14);
  assert.deepEqual(bytes!.body, new Uint8Array([9, 8, 7]));
});

test('hand-built protobuf: every field, int64 extremes, unknown fields of every wire type skipped', () => {
  const unknownFields = cat(vint(99, 5), fixed64(98, 1n), str(97, 'x'), fixed32(96, 7));
  const span = cat(
    len(1, hex(TRACE_ID)),
    len(2, hex(SPAN_ID)),
    str(3, 'tracestate=ignored'),
    len(4, hex('00f067aa0ba902b7')),
    str(5, 'chat'),
    vint(6, 3),
    fixed64(7, 1700000000123456789n),
    fixed64(8, 1700000000999999999n),
    kv('neg', vint(3, -5n), 9),
    kv('min', vint(3, -(2n ** 63n)), 9),
    kv('max', vint(3, 2n ** 63n - 1n), 9),
    kv('d', double(4, -0.5), 9),
    kv('t', vint(2, 1), 9),
    kv('empty', [], 9),
    len(9, str(1, 'novalue')),
    vint(10, 3),
    len(11, fixed64(1, 1700000000500000000n), str(2, 'ev'), kv('k', anyString('v'), 3), vint(4, 1)),
    len(13, len(1, hex(TRACE_ID)), len(2, hex(SPAN_ID)), str(3, 'ts'), kv('l', anyString('x'), 4), fixed32(6, 1)),
    len(15, str(2, 'boom'), vint(3, 2)),
    fixed32(16, 0x301),
    unknownFields,
  );
  const body = cat(len(1, len(1, kv('service.name', anyString('svc')), vint(2, 0)), len(2, len(1, str(1, 'scope'), str(2, '1.0')), len(2, span)), str(3, 'https://schema'), unknownFields));
  const data = decodeTracesProto(body);
  assert.equal(data.resourceSpans[0]!.resource.attributes.get('service.name'), 'svc');
  const ss = data.resourceSpans[0]!.scopeSpans[0]!;
  assert.deepEqual([ss.scope.name, ss.scope.version], ['scope', '1.0']);
  const s = ss.spans[0]!;
  assert.equal(s.traceId, TRACE_ID);
  assert.equal(s.parentSpanId, '00f067aa0ba902b7');
  assert.equal(s.kind, 3);
  assert.equal(s.startTimeMs, Number(1700000000123456789n) / 1e6);
  assert.equal(s.endTimeMs, Number(1700000000999999999n) / 1e6);
  assert.equal(s.attributes.get('neg'), -5);
  assert.equal(s.attributes.get('min'), -(2 ** 63));
  assert.equal(s.attributes.get('max'), 2 ** 63);
  assert.equal(s.attributes.get('d'), -0.5);
  assert.equal(s.attributes.get('t'), true);
  assert.equal(s.attributes.get('empty'), null);
  assert.equal(s.attributes.get('novalue'), null);
  assert.deepEqual(s.events, [{ timeMs: 1700000000500, name: 'ev', attributes: new Map([['k', 'v']]) }]);
  assert.deepEqual(s.links, [{ traceId: TRACE_ID, spanId: SPAN_ID, attributes: new Map([['l', 'x']]) }]);
  assert.equal(s.statusCode, 2);
  assert.equal(s.statusMessage, 'boom');
  // The same data as OTLP/JSON gives the same result.
  const json = JSON.stringify({
    resourceSpans: [{ resource: { attributes: [{ key: 'service.name', value: { stringValue: 'svc' } }] }, scopeSpans: [{ scope: { name: 'scope', version: '1.0' }, spans: [{
      traceId: TRACE_ID, spanId: SPAN_ID, parentSpanId: '00f067aa0ba902b7', name: 'chat', kind: 3,
      startTimeUnixNano: '1700000000123456789', endTimeUnixNano: '1700000000999999999',
      attributes: [
        { key: 'neg', value: { intValue: '-5' } }, { key: 'min', value: { intValue: '-9223372036854775808' } },
        { key: 'max', value: { intValue: '9223372036854775807' } }, { key: 'd', value: { doubleValue: -0.5 } },
        { key: 't', value: { boolValue: true } }, { key: 'empty', value: {} }, { key: 'novalue' },
      ],
      events: [{ timeUnixNano: '1700000000500000000', name: 'ev', attributes: [{ key: 'k', value: { stringValue: 'v' } }] }],
      links: [{ traceId: TRACE_ID, spanId: SPAN_ID, attributes: [{ key: 'l', value: { stringValue: 'x' } }] }],
      status: { code: 2, message: 'boom' },
    }] }] }],
  });
  assert.deepEqual(decodeTracesJson(json), data);
});

test('attribute keys: thousands of distinct keys, repeats and same-length keys all decode exactly (key cache)', () => {
  const keys: string[] = [];
  for (let i = 0; i < 5000; i++) keys.push(`k.${i.toString(36).padStart(4, '0')}`);
  keys.push('', 'é'.repeat(10), 'x'.repeat(64), 'y'.repeat(65), 'gen_ai.system');
  const span = cat(...keys.map((k, i) => kv(k, vint(3, i), 9)));
  const limits = resolveLimits({ maxAttributesPerItem: 10_000 });
  for (let round = 0; round < 2; round++) {
    const attrs = decodeTracesProto(traces(span), limits).resourceSpans[0]!.scopeSpans[0]!.spans[0]!.attributes;
    assert.deepEqual([...attrs.keys()], keys);
    keys.forEach((k, i) => assert.equal(attrs.get(k), i));
  }
  // Same length, same slot or not: the bytes are compared, never trusted to the hash.
  const ab = decodeTracesProto(traces(cat(kv('ab', [], 9), kv('ba', [], 9), kv('ab', [], 9)))).resourceSpans[0]!.scopeSpans[0]!.spans[0]!;
  assert.deepEqual([...ab.attributes.keys()], ['ab', 'ba']);
});

test('empty bodies and empty messages decode to empty data with defaults', () => {
  assert.deepEqual(decodeTracesProto(new Uint8Array(0)), { resourceSpans: [] });
  assert.deepEqual(decodeLogsProto(new Uint8Array(0)), { resourceLogs: [] });
  const rec = decodeLogsProto(logs([])).resourceLogs[0]!.scopeLogs[0]!.logRecords[0]!;
  assert.deepEqual(rec, { timeMs: 0, observedTimeMs: 0, severityNumber: 0, severityText: '', body: null, attributes: new Map(), traceId: '', spanId: '', eventName: '' });
  const span = decodeTracesProto(traces([])).resourceSpans[0]!.scopeSpans[0]!.spans[0]!;
  assert.equal(span.traceId, '');
  assert.equal(span.parentSpanId, '');
  assert.deepEqual(decodeTracesProto(traces([])).resourceSpans[0]!.scopeSpans[0]!.scope, { name: '', version: '', attributes: new Map() });
});

test('log record event_name (field 12), severity, body kvlist', () => {
  const rec = cat(fixed64(1, 1000000n), vint(2, 17), str(3, 'ERROR'), len(5, len(6, kv('role', anyString('user')))), len(9, hex(TRACE_ID)), len(10, hex(SPAN_ID)), fixed64(11, 2000000n), str(12, 'gen_ai.choice'), fixed32(8, 1));
  const r = decodeLogsProto(logs(rec)).resourceLogs[0]!.scopeLogs[0]!.logRecords[0]!;
  assert.equal(r.eventName, 'gen_ai.choice');
  assert.equal(r.timeMs, 1);
  assert.equal(r.observedTimeMs, 2);
  assert.equal(r.severityNumber, 17);
  assert.equal(r.severityText, 'ERROR');
  assert.deepEqual(r.body, new Map([['role', 'user']]));
  assert.equal(r.traceId, TRACE_ID);
});

test('hostile protobuf: each is a PermanentError naming the problem', () => {
  rejects(() => decodeTracesProto(Uint8Array.from([0x0a, 0x80])), 'otlp_decode', /truncated varint at resource_spans\[0\] \(byte 2\)/);
  rejects(() => decodeTracesProto(Uint8Array.from([0x0a, ...Array(10).fill(0xff), 0x01])), 'otlp_decode', /varint longer than 10 bytes/);
  rejects(() => decodeTracesProto(Uint8Array.from([0x0a, 0x05, 0x00])), 'otlp_decode', /length 5 runs past the end/);
  rejects(() => decodeTracesProto(cat(tag(1, 2), varint(-1))), 'otlp_decode', /length over 2\^32 runs past the end/);
  rejects(() => decodeTracesProto(cat(tag(1, 2), varint(0xffffffff))), 'otlp_decode', /length 4294967295 runs past the end/);
  // A length that fits the buffer but not the enclosing message.
  rejects(() => decodeTracesProto(cat(len(1, tag(2, 2), [0x01]), [0x00])), 'otlp_decode', /length 1 runs past the end .* at resource_spans\[0\]/);
  rejects(() => decodeTracesProto(vint(1, 1)), 'otlp_decode', /field resource_spans has wire type VARINT, expected LEN/);
  rejects(() => decodeTracesProto(traces(str(6, 'x'))), 'otlp_decode', /field kind has wire type LEN, expected VARINT at resource_spans\[0\]\.scope_spans\[0\]\.spans\[0\]/);
  rejects(() => decodeTracesProto(traces(vint(7, 1))), 'otlp_decode', /start_time_unix_nano has wire type VARINT, expected I64/);
  rejects(() => decodeTracesProto(traces(len(1, hex('0102')))), 'otlp_decode', /id must be 16 bytes or empty, got 2 at .*spans\[0\]\.trace_id/);
  rejects(() => decodeTracesProto(Uint8Array.from([0x13, 0x14])), 'otlp_decode', /groups/);
  rejects(() => decodeTracesProto(Uint8Array.from([0x17])), 'otlp_decode', /invalid wire type 7/);
  rejects(() => decodeTracesProto(Uint8Array.from([0x02, 0x00])), 'otlp_decode', /field number 0/);
  rejects(() => decodeTracesProto(traces(cat(tag(7, 1), [1, 2, 3]))), 'otlp_decode', /truncated fixed64/);
  rejects(() => decodeLogsProto(logs(kvDouble())), 'otlp_decode', /truncated double .*attributes\[0\]\.value/);
});

function kvDouble(): Uint8Array {
  return len(6, str(1, 'd'), len(2, tag(4, 1), [1, 2]));
}

function nested(depth: number): Uint8Array {
  let v: Uint8Array = anyString('leaf');
  for (let i = 1; i < depth; i++) v = len(5, len(1, v));
  return v;
}

test('limits: AnyValue depth, spans, attributes, array values, value bytes, events', () => {
  const small = resolveLimits({ maxAnyValueDepth: 4, maxSpansPerRequest: 2, maxAttributesPerItem: 2, maxArrayValues: 2, maxValueBytes: 8, maxEventsPerSpan: 1 });
  const attr = (v: Uint8Array) => traces(len(9, str(1, 'a'), len(2, v)));
  const ok = decodeTracesProto(attr(nested(4)), small).resourceSpans[0]!.scopeSpans[0]!.spans[0]!.attributes.get('a');
  assert.deepEqual(ok, [[['leaf']]]);
  rejects(() => decodeTracesProto(attr(nested(5)), small), 'otlp_limit', /AnyValue nesting depth exceeds the limit of 4/);
  rejects(() => decodeTracesProto(attr(nested(100))), 'otlp_limit', /nesting depth exceeds the limit of 32 at resource_spans\[0\]\.scope_spans\[0\]\.spans\[0\]\.attributes\[0\]\.value\..*…\d+ more…/);
  // The path in the message stays short however deep the nesting.
  assert.throws(() => decodeTracesProto(attr(nested(1000)), resolveLimits({ maxAnyValueDepth: 999 })), (e: Error) => e.message.length < 300);
  rejects(() => decodeTracesProto(traces([], [], []), small), 'otlp_limit', /spans per request exceeds the limit of 2/);
  rejects(() => decodeTracesProto(traces(cat(kv('a', [], 9), kv('a', [], 9), kv('a', [], 9))), small), 'otlp_limit', /attributes per item/);
  rejects(() => decodeTracesProto(attr(len(5, len(1), len(1), len(1))), small), 'otlp_limit', /array values/);
  rejects(() => decodeTracesProto(attr(anyString('123456789')), small), 'otlp_limit', /string value bytes/);
  rejects(() => decodeTracesProto(attr(len(7, new Uint8Array(9))), small), 'otlp_limit', /bytes value length/);
  rejects(() => decodeTracesProto(traces(cat(len(11), len(11))), small), 'otlp_limit', /events per span/);
  rejects(() => decodeLogsProto(logs([], [], []), resolveLimits({ maxLogRecordsPerRequest: 2 })), 'otlp_limit', /log records per request/);
  rejects(() => decodeTracesProto(traces(len(9), len(9), len(9)), resolveLimits({ maxValuesPerRequest: 2 })), 'otlp_limit', /decoded values per request/);
});

test('binary fixtures in test/fixtures/otlp are each rejected with a PermanentError', () => {
  const files = readdirSync(FIXTURES).filter((f) => f.endsWith('.bin'));
  assert.ok(files.length >= 6, 'fixtures present');
  for (const f of files) {
    const body = readFileSync(join(FIXTURES, f));
    const decode = f.startsWith('logs-') ? decodeLogsProto : decodeTracesProto;
    assert.throws(() => decode(body), (e: unknown) => e instanceof PermanentError, f);
  }
});

test('fuzz: mutated and random bodies only ever yield data or a PermanentError', async () => {
  const valid = tracesProtobuf(await makeSpans());
  const validLogs = logsProtobuf(await makeLogRecords({ traceId: TRACE_ID, spanId: SPAN_ID }));
  const check = (body: Uint8Array) => {
    for (const decode of [decodeTracesProto, decodeLogsProto]) {
      try {
        decode(body);
      } catch (e) {
        if (!(e instanceof PermanentError)) throw e;
      }
    }
  };
  fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), (b) => check(b)), { numRuns: 2000 });
  for (const base of [valid, validLogs]) {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(base.length - 1), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }), fc.nat(base.length), (edits, cut) => {
        const b = Uint8Array.from(base);
        for (const [i, v] of edits) b[i] = v;
        check(b);
        check(b.subarray(0, cut));
      }),
      { numRuns: 2000 },
    );
  }
});
