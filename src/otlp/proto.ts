import { at, overLimit, toPermanent } from './decode-error';
import { DEFAULT_DECODE_LIMITS, type DecodeLimits } from './limits';
import { decodeAnyValue, decodeKeyValue, decodeResource, decodeScope, readIdField, unknown } from './proto-common';
import { Reader, countValues, readFixed64Ms, readLenEnd, readString, readTag, readVarint } from './proto-reader';
import type {
  InstrumentationScope,
  LogRecord,
  LogsData,
  Resource,
  ResourceLogs,
  ResourceSpans,
  ScopeLogs,
  ScopeSpans,
  Span,
  SpanEvent,
  SpanLink,
  TracesData,
} from './types';

// ExportTraceServiceRequest / ExportLogsServiceRequest (opentelemetry-proto
// collector/*/v1, trace/v1/trace.proto, logs/v1/logs.proto, common/v1/common.proto,
// resource/v1/resource.proto) decoded in one pass straight into the output
// types. Field numbers are the protos'; tags are integer literals, (field << 3 |
// wire type) with both beside them, so each switch compiles to integer compares
// and a known field with the wrong wire type falls to `unknown`, which rejects
// it. Unknown fields (dropped_*_count, flags, trace_state,
// schema_url, entity_refs, future additions) are skipped by wire type.

const FORMAT = 'OTLP/protobuf';

// Each message's decoded fields, for wrong-wire-type errors.
const F_RESOURCE_SCOPE_LOGS = [1, 'resource', 2, 'scope_logs'] as const;
const F_RESOURCE_SCOPE_SPANS = [1, 'resource', 2, 'scope_spans'] as const;
const F_RESOURCE_LOGS = [1, 'resource_logs'] as const;
const F_RESOURCE_SPANS = [1, 'resource_spans'] as const;
const F_SCOPE_LOG_RECORDS = [1, 'scope', 2, 'log_records'] as const;
const F_SCOPE_SPANS = [1, 'scope', 2, 'spans'] as const;
const F_TIME_UNIX_NANO_NAME_ATTRIBUTES = [1, 'time_unix_nano', 2, 'name', 3, 'attributes'] as const;
const F_TRACE_ID_SPAN_ID_ATTRIBUTES = [1, 'trace_id', 2, 'span_id', 4, 'attributes'] as const;
const F_MESSAGE_CODE = [2, 'message', 3, 'code'] as const;

/** Decodes an ExportTraceServiceRequest (same layout as TracesData). Throws PermanentError on bad input. */
export function decodeTracesProto(body: Uint8Array, limits: Readonly<DecodeLimits> = DEFAULT_DECODE_LIMITS): TracesData {
  const r = new Reader(body, limits);
  const end = r.buf.length;
  const resourceSpans: ResourceSpans[] = [];
  try {
    while (r.pos < end) {
      const tag = readTag(r, end);
      if (tag === 10 /* 1:LEN */) {
        try {
          resourceSpans.push(decodeResourceSpans(r, readLenEnd(r, end)));
        } catch (e) {
          throw at(e, `resource_spans[${resourceSpans.length}]`);
        }
      } else unknown(r, tag, end, F_RESOURCE_SPANS);
    }
  } catch (e) {
    throw toPermanent(e, FORMAT);
  }
  return { resourceSpans };
}

/** Decodes an ExportLogsServiceRequest (same layout as LogsData). Throws PermanentError on bad input. */
export function decodeLogsProto(body: Uint8Array, limits: Readonly<DecodeLimits> = DEFAULT_DECODE_LIMITS): LogsData {
  const r = new Reader(body, limits);
  const end = r.buf.length;
  const resourceLogs: ResourceLogs[] = [];
  try {
    while (r.pos < end) {
      const tag = readTag(r, end);
      if (tag === 10 /* 1:LEN */) {
        try {
          resourceLogs.push(decodeResourceLogs(r, readLenEnd(r, end)));
        } catch (e) {
          throw at(e, `resource_logs[${resourceLogs.length}]`);
        }
      } else unknown(r, tag, end, F_RESOURCE_LOGS);
    }
  } catch (e) {
    throw toPermanent(e, FORMAT);
  }
  return { resourceLogs };
}

function decodeResourceSpans(r: Reader, end: number): ResourceSpans {
  let resource: Resource | undefined;
  const scopeSpans: ScopeSpans[] = [];
  while (r.pos < end) {
    const tag = readTag(r, end);
    if (tag === 18 /* 2:LEN */) {
      try {
        scopeSpans.push(decodeScopeSpans(r, readLenEnd(r, end)));
      } catch (e) {
        throw at(e, `scope_spans[${scopeSpans.length}]`);
      }
    } else if (tag === 10 /* 1:LEN */) {
      resource = decodeResource(r, readLenEnd(r, end), resource);
    } else unknown(r, tag, end, F_RESOURCE_SCOPE_SPANS);
  }
  return { resource: resource ?? { attributes: new Map() }, scopeSpans };
}

function decodeResourceLogs(r: Reader, end: number): ResourceLogs {
  let resource: Resource | undefined;
  const scopeLogs: ScopeLogs[] = [];
  while (r.pos < end) {
    const tag = readTag(r, end);
    if (tag === 18 /* 2:LEN */) {
      try {
        scopeLogs.push(decodeScopeLogs(r, readLenEnd(r, end)));
      } catch (e) {
        throw at(e, `scope_logs[${scopeLogs.length}]`);
      }
    } else if (tag === 10 /* 1:LEN */) {
      resource = decodeResource(r, readLenEnd(r, end), resource);
    } else unknown(r, tag, end, F_RESOURCE_SCOPE_LOGS);
  }
  return { resource: resource ?? { attributes: new Map() }, scopeLogs };
}

function decodeScopeSpans(r: Reader, end: number): ScopeSpans {
  let scope: InstrumentationScope | undefined;
  const spans: Span[] = [];
  while (r.pos < end) {
    const tag = readTag(r, end);
    if (tag === 18 /* 2:LEN */) {
      if (++r.items > r.limits.maxSpansPerRequest) throw overLimit('spans per request', r.limits.maxSpansPerRequest, r.pos);
      try {
        spans.push(decodeSpan(r, readLenEnd(r, end)));
      } catch (e) {
        throw at(e, `spans[${spans.length}]`);
      }
    } else if (tag === 10 /* 1:LEN */) {
      scope = decodeScope(r, readLenEnd(r, end), scope);
    } else unknown(r, tag, end, F_SCOPE_SPANS);
  }
  return { scope: scope ?? { name: '', version: '', attributes: new Map() }, spans };
}

function decodeScopeLogs(r: Reader, end: number): ScopeLogs {
  let scope: InstrumentationScope | undefined;
  const logRecords: LogRecord[] = [];
  while (r.pos < end) {
    const tag = readTag(r, end);
    if (tag === 18 /* 2:LEN */) {
      if (++r.items > r.limits.maxLogRecordsPerRequest) {
        throw overLimit('log records per request', r.limits.maxLogRecordsPerRequest, r.pos);
      }
      try {
        logRecords.push(decodeLogRecord(r, readLenEnd(r, end)));
      } catch (e) {
        throw at(e, `log_records[${logRecords.length}]`);
      }
    } else if (tag === 10 /* 1:LEN */) {
      scope = decodeScope(r, readLenEnd(r, end), scope);
    } else unknown(r, tag, end, F_SCOPE_LOG_RECORDS);
  }
  return { scope: scope ?? { name: '', version: '', attributes: new Map() }, logRecords };
}

const SPAN_FIELDS = [
  1, 'trace_id', 2, 'span_id', 4, 'parent_span_id', 5, 'name', 6, 'kind', 7, 'start_time_unix_nano',
  8, 'end_time_unix_nano', 9, 'attributes', 11, 'events', 13, 'links', 15, 'status',
];

function decodeSpan(r: Reader, end: number): Span {
  const span: Span = {
    traceId: '',
    spanId: '',
    parentSpanId: '',
    name: '',
    kind: 0,
    startTimeMs: 0,
    endTimeMs: 0,
    attributes: new Map(),
    events: [],
    links: [],
    statusCode: 0,
    statusMessage: '',
  };
  let attrCount = 0;
  while (r.pos < end) {
    const tag = readTag(r, end);
    switch (tag) {
      case 10 /* 1:LEN */: span.traceId = readIdField(r, end, 16, 'trace_id'); break;
      case 18 /* 2:LEN */: span.spanId = readIdField(r, end, 8, 'span_id'); break;
      case 34 /* 4:LEN */: span.parentSpanId = readIdField(r, end, 8, 'parent_span_id'); break;
      case 42 /* 5:LEN */: span.name = readString(r, end); break;
      case 48 /* 6:VARINT */: readVarint(r, end); span.kind = r.lo | 0; break;
      case 57 /* 7:I64 */: span.startTimeMs = readFixed64Ms(r, end); break;
      case 65 /* 8:I64 */: span.endTimeMs = readFixed64Ms(r, end); break;
      case 74 /* 9:LEN */:
        try {
          decodeKeyValue(r, readLenEnd(r, end), span.attributes, ++attrCount, 1);
        } catch (e) {
          throw at(e, `attributes[${attrCount - 1}]`);
        }
        break;
      case 90 /* 11:LEN */:
        if (span.events.length >= r.limits.maxEventsPerSpan) throw overLimit('events per span', r.limits.maxEventsPerSpan, r.pos);
        countValues(r, 1);
        try {
          span.events.push(decodeEvent(r, readLenEnd(r, end)));
        } catch (e) {
          throw at(e, `events[${span.events.length}]`);
        }
        break;
      case 106 /* 13:LEN */:
        if (span.links.length >= r.limits.maxLinksPerSpan) throw overLimit('links per span', r.limits.maxLinksPerSpan, r.pos);
        countValues(r, 1);
        try {
          span.links.push(decodeLink(r, readLenEnd(r, end)));
        } catch (e) {
          throw at(e, `links[${span.links.length}]`);
        }
        break;
      case 122 /* 15:LEN */:
        try {
          decodeStatus(r, readLenEnd(r, end), span);
        } catch (e) {
          throw at(e, 'status');
        }
        break;
      default:
        unknown(r, tag, end, SPAN_FIELDS);
    }
  }
  return span;
}

/** Status { message = 2, code = 3 } (field 1, deprecated_code, is reserved). */
function decodeStatus(r: Reader, end: number, span: Span): void {
  while (r.pos < end) {
    const tag = readTag(r, end);
    if (tag === 18 /* 2:LEN */) span.statusMessage = readString(r, end);
    else if (tag === 24 /* 3:VARINT */) {
      readVarint(r, end);
      span.statusCode = r.lo | 0;
    } else unknown(r, tag, end, F_MESSAGE_CODE);
  }
}

/** Span.Event { time_unix_nano = 1 (fixed64), name = 2, attributes = 3 }. */
function decodeEvent(r: Reader, end: number): SpanEvent {
  const event: SpanEvent = { timeMs: 0, name: '', attributes: new Map() };
  let attrCount = 0;
  while (r.pos < end) {
    const tag = readTag(r, end);
    if (tag === 26 /* 3:LEN */) {
      try {
        decodeKeyValue(r, readLenEnd(r, end), event.attributes, ++attrCount, 1);
      } catch (e) {
        throw at(e, `attributes[${attrCount - 1}]`);
      }
    } else if (tag === 9 /* 1:I64 */) event.timeMs = readFixed64Ms(r, end);
    else if (tag === 18 /* 2:LEN */) event.name = readString(r, end);
    else unknown(r, tag, end, F_TIME_UNIX_NANO_NAME_ATTRIBUTES);
  }
  return event;
}

/** Span.Link { trace_id = 1, span_id = 2, attributes = 4 }. */
function decodeLink(r: Reader, end: number): SpanLink {
  const link: SpanLink = { traceId: '', spanId: '', attributes: new Map() };
  let attrCount = 0;
  while (r.pos < end) {
    const tag = readTag(r, end);
    if (tag === 10 /* 1:LEN */) link.traceId = readIdField(r, end, 16, 'trace_id');
    else if (tag === 18 /* 2:LEN */) link.spanId = readIdField(r, end, 8, 'span_id');
    else if (tag === 34 /* 4:LEN */) {
      try {
        decodeKeyValue(r, readLenEnd(r, end), link.attributes, ++attrCount, 1);
      } catch (e) {
        throw at(e, `attributes[${attrCount - 1}]`);
      }
    } else unknown(r, tag, end, F_TRACE_ID_SPAN_ID_ATTRIBUTES);
  }
  return link;
}

const LOG_FIELDS = [
  1, 'time_unix_nano', 2, 'severity_number', 3, 'severity_text', 5, 'body', 6, 'attributes',
  9, 'trace_id', 10, 'span_id', 11, 'observed_time_unix_nano', 12, 'event_name',
];

function decodeLogRecord(r: Reader, end: number): LogRecord {
  const rec: LogRecord = {
    timeMs: 0,
    observedTimeMs: 0,
    severityNumber: 0,
    severityText: '',
    body: null,
    attributes: new Map(),
    traceId: '',
    spanId: '',
    eventName: '',
  };
  let attrCount = 0;
  while (r.pos < end) {
    const tag = readTag(r, end);
    switch (tag) {
      case 9 /* 1:I64 */: rec.timeMs = readFixed64Ms(r, end); break;
      case 16 /* 2:VARINT */: readVarint(r, end); rec.severityNumber = r.lo | 0; break;
      case 26 /* 3:LEN */: rec.severityText = readString(r, end); break;
      case 42 /* 5:LEN */:
        try {
          rec.body = decodeAnyValue(r, readLenEnd(r, end), 1);
        } catch (e) {
          throw at(e, 'body');
        }
        break;
      case 50 /* 6:LEN */:
        try {
          decodeKeyValue(r, readLenEnd(r, end), rec.attributes, ++attrCount, 1);
        } catch (e) {
          throw at(e, `attributes[${attrCount - 1}]`);
        }
        break;
      case 74 /* 9:LEN */: rec.traceId = readIdField(r, end, 16, 'trace_id'); break;
      case 82 /* 10:LEN */: rec.spanId = readIdField(r, end, 8, 'span_id'); break;
      case 89 /* 11:I64 */: rec.observedTimeMs = readFixed64Ms(r, end); break;
      case 98 /* 12:LEN */: rec.eventName = readString(r, end); break;
      default:
        unknown(r, tag, end, LOG_FIELDS);
    }
  }
  return rec;
}

