import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeLogsJson, decodeTracesJson } from '../../src/otlp/json';
import { resolveLimits } from '../../src/otlp/limits';
import { PermanentError } from '../../src/pipeline/errors';
import type { Span } from '../../src/otlp/types';
import { T0, hrToMs, logsJson, makeLogRecords, makeSpans, tracesJson } from './sdk-data';

function allSpans(data: ReturnType<typeof decodeTracesJson>): Span[] {
  return data.resourceSpans.flatMap((rs) => rs.scopeSpans.flatMap((ss) => ss.spans));
}

function rejects(fn: () => unknown, code: string, where: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof PermanentError, `expected PermanentError, got ${String(e)}`);
    assert.equal(e.code, code);
    assert.match(e.message, where);
    return true;
  });
}

test('decodes SDK spans serialized by JsonTraceSerializer', async () => {
  const sdkSpans = await makeSpans();
  const data = decodeTracesJson(tracesJson(sdkSpans));
  assert.equal(data.resourceSpans.length, 1);
  const rs = data.resourceSpans[0]!;
  assert.equal(rs.resource.attributes.get('service.name'), 'chat-app');
  assert.equal(rs.resource.attributes.get('host.cpu.count'), 8);
  assert.deepEqual(rs.scopeSpans.map((s) => [s.scope.name, s.scope.version]).sort(), [['genai-test', '1.2.3'], ['other-scope', '']]);
  const spans = allSpans(data);
  assert.equal(spans.length, 3);
  for (const sdk of sdkSpans) {
    const ctx = sdk.spanContext();
    const span = spans.find((s) => s.spanId === ctx.spanId);
    assert.ok(span, `span ${sdk.name} decoded`);
    assert.equal(span.traceId, ctx.traceId);
    assert.equal(span.parentSpanId, sdk.parentSpanContext?.spanId ?? '');
    assert.equal(span.name, sdk.name);
    assert.equal(span.kind, sdk.kind + 1); // the API's enum is the OTLP one minus one
    assert.equal(span.startTimeMs, hrToMs(sdk.startTime));
    assert.equal(span.endTimeMs, hrToMs(sdk.endTime));
  }
  const chat = spans.find((s) => s.name === 'chat gpt-4o')!;
  assert.equal(chat.startTimeMs, T0 + 1.5);
  assert.equal(chat.statusCode, 2);
  assert.equal(chat.statusMessage, 'rate limited');
  assert.equal(chat.attributes.get('gen_ai.usage.input_tokens'), 42);
  assert.equal(chat.attributes.get('gen_ai.request.temperature'), 0.25);
  assert.equal(chat.attributes.get('gen_ai.response.streaming'), false);
  assert.deepEqual(chat.attributes.get('gen_ai.response.finish_reasons'), ['stop', 'length']);
  assert.deepEqual(chat.attributes.get('gen_ai.test.int_array'), [1, -2, 3]);
  assert.deepEqual(chat.attributes.get('gen_ai.test.double_array'), [0.5, 1.25]);
  assert.deepEqual(chat.attributes.get('gen_ai.test.bool_array'), [true, false]);
  assert.equal(chat.attributes.get('gen_ai.test.unicode'), 'héllo — 世界 🌍');
  assert.equal(chat.attributes.get('gen_ai.test.negative'), -9007199254740991);
  assert.equal(chat.events.length, 2);
  assert.equal(chat.events[0]!.name, 'gen_ai.content.prompt');
  assert.equal(chat.events[0]!.timeMs, T0 + 2);
  assert.equal(chat.events[0]!.attributes.get('gen_ai.prompt'), 'hi');
  assert.equal(chat.events[1]!.attributes.size, 0);
  const root = spans.find((s) => s.name === 'invoke_agent')!;
  assert.equal(root.statusCode, 1);
  assert.equal(root.parentSpanId, '');
  assert.deepEqual(chat.links, [
    { traceId: root.traceId, spanId: root.spanId, attributes: new Map<string, unknown>([['link.kind', 'follows'], ['link.n', 2]]) },
  ]);
});

test('decodes SDK log records serialized by JsonLogsSerializer, with event_name and structured bodies', async () => {
  const ids = { traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331' };
  const data = decodeLogsJson(logsJson(await makeLogRecords(ids)));
  const recs = data.resourceLogs[0]!.scopeLogs[0]!.logRecords;
  assert.equal(data.resourceLogs[0]!.scopeLogs[0]!.scope.name, '@opentelemetry/instrumentation-openai');
  assert.equal(recs.length, 3);
  const [msg, plain, bytes] = recs as [typeof recs[0], typeof recs[0], typeof recs[0]];
  assert.equal(msg.eventName, 'gen_ai.user.message');
  assert.equal(msg.traceId, ids.traceId);
  assert.equal(msg.spanId, ids.spanId);
  assert.equal(msg.timeMs, T0 + 5);
  assert.equal(msg.observedTimeMs, T0 + 6);
  assert.equal(msg.severityNumber, 9);
  assert.equal(msg.severityText, 'INFO');
  assert.deepEqual(
    msg.body,
    new Map<string, unknown>([
      ['content', 'what is OTLP?'],
      ['role', 'user'],
      ['nested', new Map([['list', [1, 'two', null, new Map([['deep', true]])]]])],
    ]),
  );
  assert.deepEqual(msg.attributes.get('test.bytes'), new Uint8Array([0, 1, 2, 254, 255]));
  assert.deepEqual(msg.attributes.get('test.map'), new Map<string, unknown>([['a', 1], ['b', [true, 2.5]]]));
  assert.equal(plain.body, 'plain string body');
  assert.equal(plain.severityNumber, 14);
  assert.equal(plain.traceId, '');
  assert.equal(plain.eventName, '');
  assert.deepEqual(bytes.body, new Uint8Array([9, 8, 7]));
});

test('accepts snake_case names, enum names, int64 as strings or numbers, and ignores unknown fields', () => {
  const body = JSON.stringify({
    resource_spans: [
      {
        resource: { attributes: [{ key: 'k', value: { int_value: 7 } }], dropped_attributes_count: 0 },
        scope_spans: [
          {
            scope: { name: 's', unknown: { a: 1 } },
            spans: [
              {
                trace_id: '0AF7651916CD43DD8448EB211C80319C',
                span_id: 'B7AD6B7169203331',
                parent_span_id: '',
                name: 'x',
                kind: 'SPAN_KIND_CLIENT',
                start_time_unix_nano: '1700000000123456789',
                end_time_unix_nano: 1700000001000000000,
                status: { code: 'STATUS_CODE_ERROR', message: 'm' },
                attributes: [
                  { key: 'i', value: { intValue: '-12345678901234' } },
                  { key: 'd', value: { doubleValue: 'NaN' } },
                  { key: 'e', value: {} },
                  { key: 'b', value: { bytesValue: 'AAEC/w==' } },
                  { key: 'kv', value: { kvlistValue: { values: [{ key: 'x', value: { boolValue: true } }] } } },
                  { key: 'arr', value: { arrayValue: {} } },
                ],
                futureField: 'ignored',
              },
            ],
          },
        ],
      },
    ],
  });
  const span = allSpans(decodeTracesJson(body))[0]!;
  assert.equal(span.traceId, '0af7651916cd43dd8448eb211c80319c');
  assert.equal(span.spanId, 'b7ad6b7169203331');
  assert.equal(span.kind, 3);
  assert.equal(span.startTimeMs, 1700000000123.4568);
  assert.equal(span.endTimeMs, 1700000001000);
  assert.equal(span.statusCode, 2);
  assert.equal(span.attributes.get('i'), -12345678901234);
  assert.ok(Number.isNaN(span.attributes.get('d')));
  assert.equal(span.attributes.get('e'), null);
  assert.deepEqual(span.attributes.get('b'), new Uint8Array([0, 1, 2, 255]));
  assert.deepEqual(span.attributes.get('kv'), new Map([['x', true]]));
  assert.deepEqual(span.attributes.get('arr'), []);
  const logs = decodeLogsJson('{"resourceLogs":[{"scopeLogs":[{"logRecords":[{"severityNumber":"SEVERITY_NUMBER_ERROR3","event_name":"e"}]}]}]}');
  const rec = logs.resourceLogs[0]!.scopeLogs[0]!.logRecords[0]!;
  assert.equal(rec.severityNumber, 19);
  assert.equal(rec.eventName, 'e');
  assert.equal(rec.body, null);
  assert.equal(rec.timeMs, 0);
});

test('an empty object is an empty request; keys like __proto__ stay plain data', () => {
  assert.deepEqual(decodeTracesJson('{}'), { resourceSpans: [] });
  assert.deepEqual(decodeLogsJson(new TextEncoder().encode('{"resourceLogs":[]}')), { resourceLogs: [] });
  const data = decodeTracesJson(
    '{"resourceSpans":[{"resource":{"attributes":[{"key":"__proto__","value":{"stringValue":"x"}}]}}]}',
  );
  assert.equal(data.resourceSpans[0]!.resource.attributes.get('__proto__'), 'x');
  assert.deepEqual(data.resourceSpans[0]!.scopeSpans, []);
});

test('malformed input is a PermanentError that says where', () => {
  rejects(() => decodeTracesJson('{"resourceSpans": ['), 'otlp_decode', /not valid JSON/);
  rejects(() => decodeTracesJson('[]'), 'otlp_decode', /must be a JSON object/);
  // The parser's own message quotes the body; ours must not (it may be PII and ends up in logs and dead letters).
  assert.throws(() => decodeTracesJson('{"a": secret-data-here}'), (e: Error) => !e.message.includes('secret'));
  assert.throws(() => decodeTracesJson('{"resourceSpans": [{"x": "secret" '), (e: Error) => !e.message.includes('secret') && /position \d+/.test(e.message));
  rejects(() => decodeTracesJson(new Uint8Array([0xff, 0xfe])), 'otlp_decode', /not valid JSON/);
  rejects(() => decodeTracesJson('{"resourceSpans": {}}'), 'otlp_decode', /expected an array.* at resourceSpans$/);
  rejects(
    () => decodeTracesJson('{"resourceSpans":[{"scopeSpans":[{"spans":[{},{"traceId":"abc"}]}]}]}'),
    'otlp_decode',
    /at resourceSpans\[0\]\.scopeSpans\[0\]\.spans\[1\]\.traceId$/,
  );
  rejects(
    () => decodeTracesJson('{"resourceSpans":[{"scopeSpans":[{"spans":[{"spanId":"zzzzzzzzzzzzzzzz"}]}]}]}'),
    'otlp_decode',
    /spans\[0\]\.spanId$/,
  );
  rejects(
    () => decodeTracesJson('{"resourceSpans":[{"scopeSpans":[{"spans":[{"startTimeUnixNano":"-1"}]}]}]}'),
    'otlp_decode',
    /startTimeUnixNano$/,
  );
  rejects(
    () => decodeTracesJson('{"resourceSpans":[{"scopeSpans":[{"spans":[{"kind":"SPAN_KIND_BOGUS"}]}]}]}'),
    'otlp_decode',
    /unknown name at .*kind$/,
  );
  rejects(
    () =>
      decodeLogsJson(
        '{"resourceLogs":[{"scopeLogs":[{"logRecords":[{"attributes":[{"key":"a","value":{"kvlistValue":{"values":[{"key":"b","value":{"intValue":"1.5"}}]}}}]}]}]}]}',
      ),
    'otlp_decode',
    /at resourceLogs\[0\]\.scopeLogs\[0\]\.logRecords\[0\]\.attributes\[0\]\.value\.kvlistValue\.values\[0\]\.value\.intValue$/,
  );
  rejects(() => decodeLogsJson('{"resourceLogs":[{"scopeLogs":[{"logRecords":[{"body":{"bytesValue":"not base64!"}}]}]}]}'), 'otlp_decode', /body\.bytesValue$/);
  rejects(() => decodeTracesJson('{"resourceSpans":[{"resource":{"attributes":[{"value":{}}]}}]}'), 'otlp_decode', /resource\.attributes\[0\]\.key$/);
  rejects(() => decodeTracesJson('{"resourceSpans":[{"scopeSpans":[{"spans":[{"status":{"code":true}}]}]}]}'), 'otlp_decode', /status\.code$/);
});

test('limits: depth, spans, attributes, array values, value bytes', () => {
  const limits = resolveLimits({ maxAnyValueDepth: 3, maxSpansPerRequest: 2, maxAttributesPerItem: 2, maxArrayValues: 2, maxValueBytes: 8 });
  const nest = (depth: number): unknown => (depth === 1 ? { stringValue: 'x' } : { arrayValue: { values: [nest(depth - 1)] } });
  const withAttr = (value: unknown) =>
    JSON.stringify({ resourceSpans: [{ scopeSpans: [{ spans: [{ attributes: [{ key: 'a', value }] }] }] }] });
  assert.deepEqual(allSpans(decodeTracesJson(withAttr(nest(3)), limits))[0]!.attributes.get('a'), [['x']]);
  rejects(() => decodeTracesJson(withAttr(nest(4)), limits), 'otlp_limit', /nesting depth exceeds the limit of 3/);
  rejects(() => decodeTracesJson(withAttr({ stringValue: '123456789' }), limits), 'otlp_limit', /string value bytes/);
  rejects(() => decodeTracesJson(withAttr({ stringValue: 'ééééé' }), limits), 'otlp_limit', /string value bytes/); // 10 bytes in UTF-8
  rejects(() => decodeTracesJson(withAttr({ arrayValue: { values: [{}, {}, {}] } }), limits), 'otlp_limit', /array values/);
  const threeSpans = JSON.stringify({ resourceSpans: [{ scopeSpans: [{ spans: [{}, {}] }, { spans: [{}] }] }] });
  rejects(() => decodeTracesJson(threeSpans, limits), 'otlp_limit', /spans per request exceeds the limit of 2/);
  const attrs = [1, 2, 3].map((i) => ({ key: `k${i}`, value: {} }));
  rejects(() => decodeTracesJson(JSON.stringify({ resourceSpans: [{ resource: { attributes: attrs } }] }), limits), 'otlp_limit', /attributes per item/);
  // A deeply nested JSON document is rejected, not a stack overflow.
  const deep = '{"resourceSpans":[{"resource":{"attributes":[{"key":"a","value":' + '{"arrayValue":{"values":['.repeat(5000) + ']}}'.repeat(5000) + '}]}}]}';
  rejects(() => decodeTracesJson(deep), 'otlp_limit', /nesting depth exceeds the limit of 32/);
});
