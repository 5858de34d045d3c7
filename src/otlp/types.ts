// Decoded OTLP data, as the protobuf and JSON decoders produce it and the
// normalizer reads it. Deliberately close to the OTLP proto, but JS-native:
// attributes are Maps (hostile keys such as "__proto__" are harmless), ids are
// lowercase hex, times are Unix milliseconds as floats (sub-µs precision is
// not needed downstream and bigint would cost on the hot path).

/** OTLP AnyValue. `Map` is a kvlist_value, an array is an array_value. */
export type AnyValue =
  | string
  | number
  | boolean
  | Uint8Array
  | null
  | AnyValue[]
  | Map<string, AnyValue>;

export type Attributes = Map<string, AnyValue>;

export interface Resource {
  attributes: Attributes;
}

export interface InstrumentationScope {
  name: string;
  version: string;
  attributes: Attributes;
}

export interface SpanEvent {
  timeMs: number;
  name: string;
  attributes: Attributes;
}

export interface SpanLink {
  traceId: string;
  spanId: string;
  attributes: Attributes;
}

/** OTLP Span.SpanKind numbers. */
export const SpanKind = {
  UNSPECIFIED: 0,
  INTERNAL: 1,
  SERVER: 2,
  CLIENT: 3,
  PRODUCER: 4,
  CONSUMER: 5,
} as const;

export interface Span {
  traceId: string; // 32 lowercase hex chars
  spanId: string; // 16 lowercase hex chars
  parentSpanId: string; // "" for a root span
  name: string;
  kind: number;
  startTimeMs: number;
  endTimeMs: number;
  attributes: Attributes;
  events: SpanEvent[];
  links: SpanLink[];
  /** 0 unset, 1 ok, 2 error */
  statusCode: number;
  statusMessage: string;
}

export interface ScopeSpans {
  scope: InstrumentationScope;
  spans: Span[];
}

export interface ResourceSpans {
  resource: Resource;
  scopeSpans: ScopeSpans[];
}

export interface TracesData {
  resourceSpans: ResourceSpans[];
}

export interface LogRecord {
  timeMs: number;
  observedTimeMs: number;
  severityNumber: number;
  severityText: string;
  body: AnyValue;
  attributes: Attributes;
  /** "" when absent */
  traceId: string;
  /** "" when absent */
  spanId: string;
  /** OTLP LogRecord.event_name (field 12); "" when absent */
  eventName: string;
}

export interface ScopeLogs {
  scope: InstrumentationScope;
  logRecords: LogRecord[];
}

export interface ResourceLogs {
  resource: Resource;
  scopeLogs: ScopeLogs[];
}

export interface LogsData {
  resourceLogs: ResourceLogs[];
}

export type SignalType = 'traces' | 'logs';
