import { ERROR_CODES, PermanentError } from '../pipeline/errors';
import { at, toPermanent } from './decode-error';
import { DEFAULT_DECODE_LIMITS, type DecodeLimits } from './limits';
import {
  arrayField,
  countValues,
  decodeAnyValue,
  decodeAttributes,
  decodeResource,
  decodeScope,
  enumField,
  idField,
  object,
  objectField,
  over,
  stringField,
  timeField,
  type Ctx,
  type Obj,
} from './json-values';
import type {
  AnyValue,
  LogRecord,
  LogsData,
  ResourceLogs,
  ResourceSpans,
  ScopeLogs,
  ScopeSpans,
  Span,
  SpanEvent,
  SpanLink,
  TracesData,
} from './types';

// OTLP/JSON (the protobuf JSON mapping with the OTLP deviations: ids as hex,
// lowerCamelCase names). We also accept snake_case names, enum names, int64 as
// number or decimal string, and ignore unknown fields, as the spec asks of
// receivers. The output is identical to the protobuf decoder's for the same data.
//
// Errors name where they happened ("resourceSpans[0].scopeSpans[1].spans[2].traceId").
// The path is built only while an error unwinds, so the happy path pays nothing.

const POSITION = /position (\d+)/;

const SPAN_KIND_NAMES: Record<string, number> = {
  SPAN_KIND_UNSPECIFIED: 0,
  SPAN_KIND_INTERNAL: 1,
  SPAN_KIND_SERVER: 2,
  SPAN_KIND_CLIENT: 3,
  SPAN_KIND_PRODUCER: 4,
  SPAN_KIND_CONSUMER: 5,
};
const STATUS_CODE_NAMES: Record<string, number> = { STATUS_CODE_UNSET: 0, STATUS_CODE_OK: 1, STATUS_CODE_ERROR: 2 };
const SEVERITY_NAMES: Record<string, number> = { SEVERITY_NUMBER_UNSPECIFIED: 0 };
['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'FATAL'].forEach((level, i) => {
  SEVERITY_NAMES[`SEVERITY_NUMBER_${level}`] = i * 4 + 1;
  for (let n = 2; n <= 4; n++) SEVERITY_NAMES[`SEVERITY_NUMBER_${level}${n}`] = i * 4 + n;
});

export function decodeTracesJson(body: Uint8Array | string, limits: Readonly<DecodeLimits> = DEFAULT_DECODE_LIMITS): TracesData {
  const root = parseRoot(body);
  const ctx: Ctx = { limits, values: 0, items: 0 };
  try {
    const list = arrayField(root, 'resourceSpans', 'resource_spans');
    const resourceSpans: ResourceSpans[] = new Array(list.length);
    for (let i = 0; i < list.length; i++) {
      try {
        resourceSpans[i] = decodeResourceSpans(object(list[i]), ctx);
      } catch (e) {
        throw at(e, `resourceSpans[${i}]`);
      }
    }
    return { resourceSpans };
  } catch (e) {
    throw toPermanent(e, 'OTLP/JSON');
  }
}

export function decodeLogsJson(body: Uint8Array | string, limits: Readonly<DecodeLimits> = DEFAULT_DECODE_LIMITS): LogsData {
  const root = parseRoot(body);
  const ctx: Ctx = { limits, values: 0, items: 0 };
  try {
    const list = arrayField(root, 'resourceLogs', 'resource_logs');
    const resourceLogs: ResourceLogs[] = new Array(list.length);
    for (let i = 0; i < list.length; i++) {
      try {
        resourceLogs[i] = decodeResourceLogs(object(list[i]), ctx);
      } catch (e) {
        throw at(e, `resourceLogs[${i}]`);
      }
    }
    return { resourceLogs };
  } catch (e) {
    throw toPermanent(e, 'OTLP/JSON');
  }
}

function parseRoot(body: Uint8Array | string): Obj {
  const text = typeof body === 'string' ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8');
  let root: unknown;
  try {
    root = JSON.parse(text);
  } catch (e) {
    // V8's message quotes the body around the error, which may be PII: keep only the position.
    const pos = POSITION.exec((e as Error).message);
    throw new PermanentError(ERROR_CODES.OTLP_DECODE, `OTLP/JSON: body is not valid JSON${pos ? ` (at position ${pos[1]})` : ''}`);
  }
  if (root === null || typeof root !== 'object' || Array.isArray(root)) {
    throw new PermanentError(ERROR_CODES.OTLP_DECODE, 'OTLP/JSON: body must be a JSON object');
  }
  return root as Obj;
}

function decodeResourceSpans(o: Obj, ctx: Ctx): ResourceSpans {
  const resource = decodeResource(objectField(o, 'resource'), ctx);
  const list = arrayField(o, 'scopeSpans', 'scope_spans');
  const scopeSpans: ScopeSpans[] = new Array(list.length);
  for (let i = 0; i < list.length; i++) {
    try {
      const so = object(list[i]);
      const scope = decodeScope(objectField(so, 'scope'), ctx);
      const spanList = arrayField(so, 'spans');
      const spans: Span[] = new Array(spanList.length);
      for (let j = 0; j < spanList.length; j++) {
        try {
          spans[j] = decodeSpan(object(spanList[j]), ctx);
        } catch (e) {
          throw at(e, `spans[${j}]`);
        }
      }
      scopeSpans[i] = { scope, spans };
    } catch (e) {
      throw at(e, `scopeSpans[${i}]`);
    }
  }
  return { resource, scopeSpans };
}

function decodeSpan(o: Obj, ctx: Ctx): Span {
  if (++ctx.items > ctx.limits.maxSpansPerRequest) throw over('spans per request', ctx.limits.maxSpansPerRequest);
  const status = objectField(o, 'status');
  return {
    traceId: idField(o, 'traceId', 'trace_id', 32),
    spanId: idField(o, 'spanId', 'span_id', 16),
    parentSpanId: idField(o, 'parentSpanId', 'parent_span_id', 16),
    name: stringField(o, 'name', undefined, ctx),
    kind: enumField(o, 'kind', undefined, SPAN_KIND_NAMES),
    startTimeMs: timeField(o, 'startTimeUnixNano', 'start_time_unix_nano'),
    endTimeMs: timeField(o, 'endTimeUnixNano', 'end_time_unix_nano'),
    attributes: decodeAttributes(o, ctx),
    events: decodeEvents(o, ctx),
    links: decodeLinks(o, ctx),
    statusCode: status === undefined ? 0 : enumWithin(status, 'code', STATUS_CODE_NAMES, 'status'),
    statusMessage: status === undefined ? '' : stringWithin(status, 'message', ctx, 'status'),
  };
}

function enumWithin(o: Obj, name: string, names: Record<string, number>, parent: string): number {
  try {
    return enumField(o, name, undefined, names);
  } catch (e) {
    throw at(e, parent);
  }
}

function stringWithin(o: Obj, name: string, ctx: Ctx, parent: string): string {
  try {
    return stringField(o, name, undefined, ctx);
  } catch (e) {
    throw at(e, parent);
  }
}

function decodeEvents(o: Obj, ctx: Ctx): SpanEvent[] {
  const list = arrayField(o, 'events');
  if (list.length > ctx.limits.maxEventsPerSpan) throw at(over('events per span', ctx.limits.maxEventsPerSpan), 'events');
  countValues(ctx, list.length);
  const events: SpanEvent[] = new Array(list.length);
  for (let i = 0; i < list.length; i++) {
    try {
      const eo = object(list[i]);
      events[i] = {
        timeMs: timeField(eo, 'timeUnixNano', 'time_unix_nano'),
        name: stringField(eo, 'name', undefined, ctx),
        attributes: decodeAttributes(eo, ctx),
      };
    } catch (e) {
      throw at(e, `events[${i}]`);
    }
  }
  return events;
}

function decodeLinks(o: Obj, ctx: Ctx): SpanLink[] {
  const list = arrayField(o, 'links');
  if (list.length > ctx.limits.maxLinksPerSpan) throw at(over('links per span', ctx.limits.maxLinksPerSpan), 'links');
  countValues(ctx, list.length);
  const links: SpanLink[] = new Array(list.length);
  for (let i = 0; i < list.length; i++) {
    try {
      const lo = object(list[i]);
      links[i] = {
        traceId: idField(lo, 'traceId', 'trace_id', 32),
        spanId: idField(lo, 'spanId', 'span_id', 16),
        attributes: decodeAttributes(lo, ctx),
      };
    } catch (e) {
      throw at(e, `links[${i}]`);
    }
  }
  return links;
}

function decodeResourceLogs(o: Obj, ctx: Ctx): ResourceLogs {
  const resource = decodeResource(objectField(o, 'resource'), ctx);
  const list = arrayField(o, 'scopeLogs', 'scope_logs');
  const scopeLogs: ScopeLogs[] = new Array(list.length);
  for (let i = 0; i < list.length; i++) {
    try {
      const so = object(list[i]);
      const scope = decodeScope(objectField(so, 'scope'), ctx);
      const recList = arrayField(so, 'logRecords', 'log_records');
      const logRecords: LogRecord[] = new Array(recList.length);
      for (let j = 0; j < recList.length; j++) {
        try {
          logRecords[j] = decodeLogRecord(object(recList[j]), ctx);
        } catch (e) {
          throw at(e, `logRecords[${j}]`);
        }
      }
      scopeLogs[i] = { scope, logRecords };
    } catch (e) {
      throw at(e, `scopeLogs[${i}]`);
    }
  }
  return { resource, scopeLogs };
}

function decodeLogRecord(o: Obj, ctx: Ctx): LogRecord {
  if (++ctx.items > ctx.limits.maxLogRecordsPerRequest) throw over('log records per request', ctx.limits.maxLogRecordsPerRequest);
  const body = o.body;
  let bodyValue: AnyValue = null;
  if (body !== undefined && body !== null) {
    try {
      bodyValue = decodeAnyValue(body, ctx, 1);
    } catch (e) {
      throw at(e, 'body');
    }
  }
  return {
    timeMs: timeField(o, 'timeUnixNano', 'time_unix_nano'),
    observedTimeMs: timeField(o, 'observedTimeUnixNano', 'observed_time_unix_nano'),
    severityNumber: enumField(o, 'severityNumber', 'severity_number', SEVERITY_NAMES),
    severityText: stringField(o, 'severityText', 'severity_text', ctx),
    body: bodyValue,
    attributes: decodeAttributes(o, ctx),
    traceId: idField(o, 'traceId', 'trace_id', 32),
    spanId: idField(o, 'spanId', 'span_id', 16),
    eventName: stringField(o, 'eventName', 'event_name', ctx),
  };
}

