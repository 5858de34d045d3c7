// fast-check generators for hostile-but-plausible OTLP: decoded structures
// (for the normalizer), protobuf bodies built field by field (sometimes with
// the wrong wire type or a lying length) and OTLP/JSON documents whose values
// have the wrong types. Keys come mostly from the GenAI dialects the
// normalizer reads, so the fuzz reaches its parsers instead of dropping
// everything as not_genai at the door.

import fc from 'fast-check';
import type { AnyValue, Attributes, LogRecord, LogsData, Span, TracesData } from '../../src/otlp/types';
import { cat, len, tag, varint, type Part } from '../otlp/pb';

/** Every run is reproducible: FUZZ_SEED=<n> replays a reported failure. */
export const SEED = Number(process.env['FUZZ_SEED'] ?? 20260101);

export const GENAI_KEYS = [
  'gen_ai.provider.name', 'gen_ai.system', 'gen_ai.operation.name', 'gen_ai.request.model', 'gen_ai.response.model',
  'gen_ai.response.id', 'gen_ai.input.messages', 'gen_ai.output.messages', 'gen_ai.system_instructions',
  'gen_ai.prompt', 'gen_ai.completion', 'gen_ai.prompt.0.role', 'gen_ai.prompt.0.content', 'gen_ai.prompt.1.content',
  'gen_ai.completion.0.role', 'gen_ai.completion.0.content', 'gen_ai.completion.0.tool_calls.0.name',
  'gen_ai.completion.0.tool_calls.0.arguments', 'gen_ai.usage.input_tokens', 'gen_ai.usage.output_tokens',
  'gen_ai.usage.prompt_tokens', 'gen_ai.usage.completion_tokens', 'gen_ai.response.finish_reasons',
  'gen_ai.request.temperature', 'gen_ai.request.max_tokens', 'gen_ai.request.stop_sequences', 'gen_ai.request.seed',
  'gen_ai.response.time_to_first_chunk', 'gen_ai.prompt.name', 'gen_ai.prompt.version', 'gen_ai.conversation.id',
  'gen_ai.output.type', 'gen_ai.evaluation.name', 'gen_ai.evaluation.score.value', 'gen_ai.evaluation.score.label',
  'gen_ai.evaluation.explanation', 'error.type', 'event.name', 'user.id', 'session.id', 'enduser.id',
  'ai.operationId', 'ai.model.id', 'ai.model.provider', 'ai.prompt', 'ai.prompt.messages', 'ai.response.text',
  'ai.response.toolCalls', 'ai.response.object', 'ai.response.reasoning', 'ai.response.id', 'ai.usage.promptTokens',
  'ai.response.msToFirstChunk', 'ai.telemetry.metadata.userId', 'ai.telemetry.functionId',
  'openinference.span.kind', 'llm.model_name', 'llm.provider', 'llm.input_messages.0.message.role',
  'llm.input_messages.0.message.content', 'llm.output_messages.0.message.content', 'llm.output_messages.0.message.tool_calls.0.tool_call.function.arguments',
  'llm.invocation_parameters', 'llm.token_count.prompt', 'llm.request.type', 'llm.usage.total_tokens',
  'input.value', 'input.mime_type', 'output.value', 'output.mime_type',
  'feedback.kind', 'feedback.value', 'feedback.reason', 'feedback.text', 'feedback.label', 'feedback.source',
  'feedback.actor', 'feedback.request_id', '__proto__', 'constructor', 'toString', '',
];

const EVENT_NAMES = [
  'feedback', 'gen_ai.evaluation.result', 'gen_ai.content.prompt', 'gen_ai.content.completion', 'ai.stream.firstChunk',
  'gen_ai.user.message', 'gen_ai.system.message', 'gen_ai.assistant.message', 'gen_ai.tool.message', 'gen_ai.choice',
  'gen_ai.client.inference.operation.details', 'exception', '',
];

const ENUM_WORDS = [
  'chat', 'text_completion', 'embeddings', 'execute_tool', 'invoke_agent', 'LLM', 'TOOL', 'ai.generateText',
  'ai.generateText.doGenerate', 'ai.streamText.doStream', 'ai.toolCall', 'thumbs', 'rating', 'correction', 'edit',
  'accept', 'reject', 'retry', 'copy', 'abandon', 'task_outcome', 'user', 'expert', 'judge', 'system', 'assistant',
  'tool', 'up', 'down', 'yes', 'no', 'stop', 'length', 'text', 'tool_call', 'tool_call_response', 'reasoning',
  'application/json', 'data:image/png;base64,iVBORw0KGgo=',
];

/** A random attribute key: mostly dialect keys, sometimes arbitrary text. */
export const key = fc.oneof({ weight: 6, arbitrary: fc.constantFrom(...GENAI_KEYS) }, { weight: 1, arbitrary: fc.string({ maxLength: 20 }) });

const word = fc.oneof(fc.constantFrom(...ENUM_WORDS), fc.string({ maxLength: 12 }), fc.string({ unit: 'binary', maxLength: 8 }));

/** JSON-ish message arrays in the shapes the dialects parse, with random parts. */
const messageJson = fc
  .array(
    fc.record(
      {
        role: word,
        content: fc.oneof(word, fc.jsonValue({ maxDepth: 2 })),
        parts: fc.array(fc.record({ type: word, content: fc.oneof(word, fc.jsonValue({ maxDepth: 2 })), arguments: fc.jsonValue({ maxDepth: 2 }), response: fc.jsonValue({ maxDepth: 2 }), mime_type: word }, { requiredKeys: [] }), { maxLength: 3 }),
        tool_calls: fc.array(fc.jsonValue({ maxDepth: 3 }), { maxLength: 2 }),
        finish_reason: word,
      },
      { requiredKeys: [] },
    ),
    { maxLength: 4 },
  )
  .map((v) => JSON.stringify(v));

/** A string that is JSON, almost JSON, message JSON, or plain text. */
export const jsonishString = fc.oneof(
  messageJson,
  fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v)),
  messageJson.map((s) => s.slice(0, Math.max(0, s.length - 3))), // truncated JSON
  fc.constantFrom('[', '{', '[{"role":', '{"a":1}}', 'null', 'NaN', '1e999', '"\\ud800"', '[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]'),
  word,
);

const number = fc.oneof(
  fc.integer(),
  fc.double(),
  fc.constantFrom(0, -0, Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER, 1e308, -1e308, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY),
);

/** A decoded AnyValue, as the decoders produce (maps for kvlists). */
export const anyValue: fc.Arbitrary<AnyValue> = fc.letrec<{ v: AnyValue }>((tie) => ({
  v: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    jsonishString,
    number,
    fc.boolean(),
    fc.constant(null),
    fc.uint8Array({ maxLength: 16 }),
    fc.array(tie('v'), { maxLength: 4 }),
    fc.array(fc.tuple(key, tie('v')), { maxLength: 4 }).map((kvs) => new Map(kvs)),
  ),
})).v;

export const attributes: fc.Arbitrary<Attributes> = fc.array(fc.tuple(key, anyValue), { maxLength: 12 }).map((kvs) => new Map(kvs));

const hexId = (n: number) => fc.oneof({ weight: 4, arbitrary: fc.stringMatching(new RegExp(`^[0-9a-f]{${n}}$`)) }, { weight: 1, arbitrary: fc.constant('') });
const time = fc.oneof(fc.double({ min: 0, max: 4e12, noNaN: true }), fc.constant(0));

const span: fc.Arbitrary<Span> = fc.record({
  traceId: hexId(32),
  spanId: hexId(16),
  parentSpanId: hexId(16),
  name: fc.oneof(fc.constantFrom(...ENUM_WORDS), fc.string({ maxLength: 10 })),
  kind: fc.integer({ min: 0, max: 6 }),
  startTimeMs: time,
  endTimeMs: time,
  attributes,
  events: fc.array(fc.record({ timeMs: time, name: fc.constantFrom(...EVENT_NAMES), attributes }), { maxLength: 3 }),
  links: fc.array(fc.record({ traceId: hexId(32), spanId: hexId(16), attributes }), { maxLength: 2 }),
  statusCode: fc.integer({ min: 0, max: 3 }),
  statusMessage: fc.string({ maxLength: 8 }),
});

const scope = fc.record({ name: fc.string({ maxLength: 8 }), version: fc.string({ maxLength: 4 }), attributes });

export const tracesData: fc.Arbitrary<TracesData> = fc.record({
  resourceSpans: fc.array(
    fc.record({ resource: fc.record({ attributes }), scopeSpans: fc.array(fc.record({ scope, spans: fc.array(span, { maxLength: 4 }) }), { maxLength: 2 }) }),
    { maxLength: 2 },
  ),
});

const logRecord: fc.Arbitrary<LogRecord> = fc.record({
  timeMs: time,
  observedTimeMs: time,
  severityNumber: fc.integer({ min: 0, max: 24 }),
  severityText: fc.string({ maxLength: 6 }),
  body: anyValue,
  attributes,
  traceId: hexId(32),
  spanId: hexId(16),
  eventName: fc.constantFrom(...EVENT_NAMES),
});

export const logsData: fc.Arbitrary<LogsData> = fc.record({
  resourceLogs: fc.array(
    fc.record({ resource: fc.record({ attributes }), scopeLogs: fc.array(fc.record({ scope, logRecords: fc.array(logRecord, { maxLength: 4 }) }), { maxLength: 2 }) }),
    { maxLength: 2 },
  ),
});

// ── protobuf, field by field ─────────────────────────────────────────────────

export interface BodyArbitraries {
  pbTraces: fc.Arbitrary<Uint8Array>;
  pbLogs: fc.Arbitrary<Uint8Array>;
  jsonTraces: fc.Arbitrary<Uint8Array>;
  jsonLogs: fc.Arbitrary<Uint8Array>;
}

/**
 * Request bodies. `hostile`: any field may carry the wrong wire type, a
 * lying length or the wrong JSON type; otherwise bodies are well-formed
 * (random content under GenAI keys) and reach the normalizer.
 */
export function bodies(hostile: boolean): BodyArbitraries {
/** A field with a random wire type and payload: right, wrong, or lying about its length. */
const pbField = (field: number, good: fc.Arbitrary<Uint8Array>): fc.Arbitrary<Uint8Array> =>
  !hostile ? good : fc.oneof(
    { weight: 8, arbitrary: good },
    { weight: 1, arbitrary: fc.tuple(fc.integer({ min: 0, max: 7 }), fc.uint8Array({ maxLength: 12 })).map(([wt, b]) => cat(tag(field, wt), b)) },
    { weight: 1, arbitrary: fc.tuple(fc.oneof(fc.nat(), fc.constant(-1), fc.constant(2 ** 31), fc.bigInt({ min: 0n, max: 2n ** 64n - 1n })), fc.uint8Array({ maxLength: 12 })).map(([n, b]) => cat(tag(field, 2), varint(n), b)) },
  );

const utf8 = (s: string) => new TextEncoder().encode(s);
const pbStr = (field: number, s: fc.Arbitrary<string>) => pbField(field, s.map((x) => len(field, utf8(x))));
const pbBytes = (field: number, max: number) => pbField(field, fc.uint8Array({ maxLength: max }).map((b) => len(field, b)));
/** A trace or span id: the right length when well-formed, any length when hostile. */
const pbId = (field: number, n: number) => (hostile ? pbBytes(field, n + 1) : fc.uint8Array({ minLength: n, maxLength: n }).map((b) => len(field, b)));

const pbAnyValue: fc.Arbitrary<Uint8Array> = fc.letrec<{ v: Uint8Array; kv: Uint8Array }>((tie) => ({
  v: fc.oneof(
    { depthSize: 'small' },
    pbStr(1, jsonishString),
    pbField(2, fc.boolean().map((b) => cat(tag(2, 0), varint(b ? 1 : 0)))),
    pbField(3, fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }).map((n) => cat(tag(3, 0), varint(n)))),
    pbField(4, fc.double().map((x) => { const b = new Uint8Array(8); new DataView(b.buffer).setFloat64(0, x, true); return cat(tag(4, 1), b); })),
    pbField(5, fc.array(tie('v'), { maxLength: 3 }).map((vs) => len(5, ...vs.map((v) => len(1, v))))),
    pbField(6, fc.array(tie('kv'), { maxLength: 3 }).map((kvs) => len(6, ...kvs.map((kv) => len(1, kv))))),
    pbBytes(7, 8),
  ),
  kv: fc.tuple(key, tie('v')).map(([k, v]) => cat(len(1, utf8(k)), len(2, v))),
})).v;

const pbKv = (field: number) => pbField(field, fc.tuple(key, pbAnyValue).map(([k, v]) => len(field, len(1, utf8(k)), len(2, v))));

const pbSpan = fc
  .array(
    fc.oneof(
      pbId(1, 16), pbId(2, 8), pbStr(5, fc.string({ maxLength: 8 })), pbKv(9),
      pbField(6, fc.nat(20).map((n) => cat(tag(6, 0), varint(n)))),
      pbField(11, fc.tuple(pbStr(2, fc.constantFrom(...EVENT_NAMES)), fc.array(pbKv(3), { maxLength: 3 })).map(([name, kvs]) => len(11, name, ...kvs))),
      pbField(13, fc.tuple(pbId(1, 16), pbId(2, 8)).map(([t, s]) => len(13, t, s))),
      ...(hostile ? [fc.uint8Array({ maxLength: 6 })] : []),
    ),
    { maxLength: 10 },
  )
  .map((parts) => cat(...parts));

const pbLogRecord = fc
  .array(fc.oneof(pbField(5, pbAnyValue.map((v) => len(5, v))), pbKv(6), pbId(9, 16), pbId(10, 8), pbStr(12, fc.constantFrom(...EVENT_NAMES)), ...(hostile ? [fc.uint8Array({ maxLength: 6 })] : [])), { maxLength: 8 })
  .map((parts) => cat(...parts));

const envelope = (item: fc.Arbitrary<Uint8Array>) =>
  fc
    .tuple(fc.array(pbKv(1), { maxLength: 3 }), fc.array(item, { maxLength: 4 }), fc.uint8Array({ maxLength: hostile ? 4 : 0 }))
    .map(([res, items, junk]) => len(1, len(1, ...res), len(2, ...items.map((i) => len(2, i))), junk as Part));

const pbTraces = envelope(pbSpan);
const pbLogs = envelope(pbLogRecord);

// ── OTLP/JSON with wrong types in every slot ─────────────────────────────────

const anything = fc.oneof(fc.jsonValue({ maxDepth: 2 }), fc.constantFrom('', '-1', '1e400', '0x10', 'AAAA', '00', 'zz'));
const slot = <T>(good: fc.Arbitrary<T>): fc.Arbitrary<unknown> => !hostile ? good : fc.oneof({ weight: 5, arbitrary: good as fc.Arbitrary<unknown> }, { weight: 1, arbitrary: anything });

const jsonAnyValue: fc.Arbitrary<unknown> = fc.letrec<{ v: unknown }>((tie) => ({
  v: slot(
    fc.oneof(
      { depthSize: 'small' },
      fc.record({ stringValue: slot(jsonishString) }),
      fc.record({ intValue: slot(fc.oneof(fc.integer(), fc.bigInt({ min: -(2n ** 64n), max: 2n ** 64n }).map(String))) }),
      fc.record({ doubleValue: slot(fc.oneof(fc.double({ noNaN: true, noDefaultInfinity: true }), fc.constantFrom('NaN', 'Infinity', '-Infinity'))) }),
      fc.record({ boolValue: slot(fc.boolean()) }),
      fc.record({ bytesValue: slot(fc.base64String({ maxLength: 12 })) }),
      fc.record({ arrayValue: slot(fc.record({ values: slot(fc.array(tie('v'), { maxLength: 3 })) })) }),
      fc.record({ kvlistValue: slot(fc.record({ values: slot(fc.array(fc.record({ key: slot(key), value: tie('v') }), { maxLength: 3 })) })) }),
    ),
  ),
})).v;

const jsonKvs = slot(fc.array(fc.record({ key: slot(key), value: jsonAnyValue }, { requiredKeys: ['key'] }), { maxLength: 5 }));
const jsonId = (n: number) => slot(fc.oneof(fc.stringMatching(new RegExp(`^[0-9a-fA-F]{${n}}$`)), (hostile ? fc.stringMatching(/^[0-9a-f]{0,40}$/) : fc.constant(''))));
const jsonTime = slot(fc.oneof(fc.bigInt({ min: 0n, max: 2n ** 64n }).map(String), fc.nat()));

const jsonSpan = fc.record(
  {
    traceId: jsonId(32), spanId: jsonId(16), parentSpanId: jsonId(16), name: slot(fc.string({ maxLength: 8 })),
    kind: slot(fc.oneof(fc.nat(5), fc.constant('SPAN_KIND_CLIENT'))),
    startTimeUnixNano: jsonTime, endTimeUnixNano: jsonTime, attributes: jsonKvs,
    events: slot(fc.array(fc.record({ name: slot(fc.constantFrom(...EVENT_NAMES)), timeUnixNano: jsonTime, attributes: jsonKvs }, { requiredKeys: [] }), { maxLength: 2 })),
    links: slot(fc.array(fc.record({ traceId: jsonId(32), spanId: jsonId(16), attributes: jsonKvs }, { requiredKeys: [] }), { maxLength: 2 })),
    status: slot(fc.record({ code: slot(fc.oneof(fc.nat(3), fc.constant('STATUS_CODE_ERROR'))), message: slot(fc.string()) }, { requiredKeys: [] })),
  },
  { requiredKeys: [] },
);

const jsonLog = fc.record(
  {
    timeUnixNano: jsonTime, observedTimeUnixNano: jsonTime, severityNumber: slot(fc.nat(30)), severityText: slot(fc.string({ maxLength: 5 })),
    body: jsonAnyValue, attributes: jsonKvs, traceId: jsonId(32), spanId: jsonId(16), eventName: slot(fc.constantFrom(...EVENT_NAMES)),
  },
  { requiredKeys: [] },
);

const res = fc.record({ attributes: jsonKvs }, { requiredKeys: [] });
const jsonTraces = fc
  .record({ resourceSpans: slot(fc.array(fc.record({ resource: slot(res), scopeSpans: slot(fc.array(fc.record({ scope: slot(fc.record({ name: slot(fc.string()) }, { requiredKeys: [] })), spans: slot(fc.array(jsonSpan, { maxLength: 3 })) }, { requiredKeys: [] }), { maxLength: 2 })) }, { requiredKeys: [] }), { maxLength: 2 })) }, { requiredKeys: [] })
  .map((doc) => new TextEncoder().encode(JSON.stringify(doc)));
const jsonLogs = fc
  .record({ resourceLogs: slot(fc.array(fc.record({ resource: slot(res), scopeLogs: slot(fc.array(fc.record({ logRecords: slot(fc.array(jsonLog, { maxLength: 3 })) }, { requiredKeys: [] }), { maxLength: 2 })) }, { requiredKeys: [] }), { maxLength: 2 })) }, { requiredKeys: [] })
  .map((doc) => new TextEncoder().encode(JSON.stringify(doc)));
return { pbTraces, pbLogs, jsonTraces, jsonLogs };
}

/** Random edits: byte flips, a cut, a spliced-in chunk. */
export const mutate = (base: fc.Arbitrary<Uint8Array>): fc.Arbitrary<Uint8Array> =>
  fc.tuple(base, fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 3 }), fc.nat(), fc.uint8Array({ maxLength: 8 })).map(([b, edits, cut, splice]) => {
    if (b.length === 0) return splice;
    const out = Uint8Array.from(b);
    for (const [i, v] of edits) out[i % out.length] = v;
    const at = cut % (out.length + 1);
    return cat(out.subarray(0, at), splice, out.subarray(at));
  });

