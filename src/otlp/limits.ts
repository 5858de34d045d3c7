// Limits every OTLP decoder (protobuf and JSON) enforces. The request size caps
// in the receiver bound the bytes; these bound what the bytes may expand into:
// a 2-byte protobuf message becomes a JS object of ~100 bytes, so without a cap
// on counts a 64 MiB body could allocate gigabytes. A request past any limit is
// rejected as a whole with ERROR_CODES.OTLP_LIMIT (a PermanentError → 400).

export interface DecodeLimits {
  /** Nesting of AnyValue array/kvlist values (an attribute value is depth 1). Default 32. */
  maxAnyValueDepth: number;
  /** Spans in one request. Default 100,000 (collector batches are ~8k). */
  maxSpansPerRequest: number;
  /** Log records in one request. Default 100,000. */
  maxLogRecordsPerRequest: number;
  /** Attributes on one item (resource, scope, span, event, link, log record) and entries in one kvlist. Default 1,024. */
  maxAttributesPerItem: number;
  /** Elements of one array value. Default 10,000. */
  maxArrayValues: number;
  /** Events on one span. Default 10,000. */
  maxEventsPerSpan: number;
  /** Links on one span. Default 1,024. */
  maxLinksPerSpan: number;
  /** Bytes of one string or bytes value (attribute values, bodies, names). Default 4 MiB: GenAI message content is large. */
  maxValueBytes: number;
  /** All decoded values in one request (attributes, array elements, events, links, records): bounds memory. Default 2,000,000. */
  maxValuesPerRequest: number;
}

/** Highest configurable AnyValue nesting depth. */
export const MAX_ANY_VALUE_DEPTH = 1000;

export const DEFAULT_DECODE_LIMITS: Readonly<DecodeLimits> = Object.freeze({
  maxAnyValueDepth: 32,
  maxSpansPerRequest: 100_000,
  maxLogRecordsPerRequest: 100_000,
  maxAttributesPerItem: 1024,
  maxArrayValues: 10_000,
  maxEventsPerSpan: 10_000,
  maxLinksPerSpan: 1024,
  maxValueBytes: 4 * 1024 * 1024,
  maxValuesPerRequest: 2_000_000,
});

/** Defaults with the given overrides; resolve once (at component creation), not per request. */
export function resolveLimits(overrides?: Partial<DecodeLimits>): Readonly<DecodeLimits> {
  if (!overrides) return DEFAULT_DECODE_LIMITS;
  const out: DecodeLimits = { ...DEFAULT_DECODE_LIMITS };
  for (const k of Object.keys(DEFAULT_DECODE_LIMITS) as (keyof DecodeLimits)[]) {
    const v = overrides[k];
    if (v !== undefined) {
      if (!Number.isInteger(v) || v < 0) throw new RangeError(`decode limit ${k} must be a non-negative integer, got ${v}`);
      out[k] = v;
    }
  }
  // The AnyValue decoders recurse once per level; a cap keeps a misconfiguration from allowing stack exhaustion.
  if (out.maxAnyValueDepth > MAX_ANY_VALUE_DEPTH) {
    throw new RangeError(`decode limit maxAnyValueDepth must be at most ${MAX_ANY_VALUE_DEPTH}, got ${out.maxAnyValueDepth}`);
  }
  return Object.freeze(out);
}
