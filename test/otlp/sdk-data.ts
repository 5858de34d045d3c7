// Real spans and log records from the OpenTelemetry JS SDK, and their OTLP
// encodings from @opentelemetry/otlp-transformer: what an instrumented app sends.
import { context, trace, SpanKind, SpanStatusCode, type Link } from '@opentelemetry/api';
import { SeverityNumber } from '@opentelemetry/api-logs';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { InMemoryLogRecordExporter, LoggerProvider, SimpleLogRecordProcessor, type ReadableLogRecord } from '@opentelemetry/sdk-logs';
import {
  JsonLogsSerializer,
  JsonTraceSerializer,
  ProtobufLogsSerializer,
  ProtobufTraceSerializer,
} from '@opentelemetry/otlp-transformer';

export const T0 = Date.UTC(2026, 0, 2, 3, 4, 5) + 0.123456; // sub-ms part exercises the nanosecond conversion

export const resource = resourceFromAttributes({
  'service.name': 'chat-app',
  'service.instance.id': 'i-1',
  'host.cpu.count': 8,
});

export async function makeSpans(): Promise<ReadableSpan[]> {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ resource, spanProcessors: [new SimpleSpanProcessor(exporter)] });
  const tracer = provider.getTracer('genai-test', '1.2.3');
  const root = tracer.startSpan('invoke_agent', { kind: SpanKind.SERVER, startTime: T0 });
  const rootCtx = trace.setSpan(context.active(), root);
  const link: Link = { context: root.spanContext(), attributes: { 'link.kind': 'follows', 'link.n': 2 } };
  const chat = tracer.startSpan(
    'chat gpt-4o',
    {
      kind: SpanKind.CLIENT,
      startTime: T0 + 1.5,
      links: [link],
      attributes: {
        'gen_ai.system': 'openai',
        'gen_ai.request.model': 'gpt-4o',
        'gen_ai.usage.input_tokens': 42,
        'gen_ai.request.temperature': 0.25,
        'gen_ai.response.streaming': false,
        'gen_ai.response.finish_reasons': ['stop', 'length'],
        'gen_ai.test.int_array': [1, -2, 3],
        'gen_ai.test.double_array': [0.5, 1.25],
        'gen_ai.test.bool_array': [true, false],
        'gen_ai.test.unicode': 'héllo — 世界 🌍',
        'gen_ai.test.negative': -9007199254740991,
      },
    },
    rootCtx,
  );
  chat.addEvent('gen_ai.content.prompt', { 'gen_ai.prompt': 'hi' }, T0 + 2);
  chat.addEvent('no-attrs', T0 + 3);
  chat.setStatus({ code: SpanStatusCode.ERROR, message: 'rate limited' });
  chat.end(T0 + 250.75);
  root.setStatus({ code: SpanStatusCode.OK });
  root.end(T0 + 300);
  const other = provider.getTracer('other-scope').startSpan('plain', { kind: SpanKind.INTERNAL, startTime: T0 });
  other.end(T0 + 1);
  await provider.forceFlush();
  const spans = exporter.getFinishedSpans();
  await provider.shutdown();
  return spans;
}

export async function makeLogRecords(spanContext: { traceId: string; spanId: string }): Promise<ReadableLogRecord[]> {
  const exporter = new InMemoryLogRecordExporter();
  const provider = new LoggerProvider({ resource, processors: [new SimpleLogRecordProcessor({ exporter })] });
  const logger = provider.getLogger('@opentelemetry/instrumentation-openai', '0.21.0');
  const ctx = trace.setSpanContext(context.active(), { ...spanContext, traceFlags: 1 });
  logger.emit({
    eventName: 'gen_ai.user.message',
    timestamp: T0 + 5,
    observedTimestamp: T0 + 6,
    severityNumber: SeverityNumber.INFO,
    severityText: 'INFO',
    context: ctx,
    body: { content: 'what is OTLP?', role: 'user', nested: { list: [1, 'two', null, { deep: true }] } },
    attributes: {
      'gen_ai.system': 'openai',
      'event.name': 'gen_ai.user.message',
      'test.bytes': new Uint8Array([0, 1, 2, 254, 255]),
      'test.map': { a: 1, b: [true, 2.5] },
    },
  });
  logger.emit({ body: 'plain string body', timestamp: T0 + 7, severityNumber: SeverityNumber.WARN2 });
  logger.emit({ body: new Uint8Array([9, 8, 7]), timestamp: T0 + 8 });
  await provider.forceFlush();
  const records = exporter.getFinishedLogRecords();
  await provider.shutdown();
  return records;
}

export function tracesProtobuf(spans: ReadableSpan[]): Uint8Array {
  const out = ProtobufTraceSerializer.serializeRequest(spans);
  if (!out) throw new Error('serializer returned nothing');
  return out;
}

export function tracesJson(spans: ReadableSpan[]): Uint8Array {
  const out = JsonTraceSerializer.serializeRequest(spans);
  if (!out) throw new Error('serializer returned nothing');
  return out;
}

export function logsProtobuf(records: ReadableLogRecord[]): Uint8Array {
  const out = ProtobufLogsSerializer.serializeRequest(records);
  if (!out) throw new Error('serializer returned nothing');
  return out;
}

export function logsJson(records: ReadableLogRecord[]): Uint8Array {
  const out = JsonLogsSerializer.serializeRequest(records);
  if (!out) throw new Error('serializer returned nothing');
  return out;
}

/** HrTime [s, ns] → Unix ms, exactly as the decoders compute it from nanoseconds. */
export function hrToMs(hr: [number, number]): number {
  return Number(BigInt(hr[0]) * 1_000_000_000n + BigInt(hr[1])) / 1e6;
}
