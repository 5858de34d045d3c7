import type { SignalType } from './types';

// Response bodies for OTLP/HTTP, in the encoding the request used:
// - success: Export{Trace,Logs}ServiceResponse, with partial_success when the
//   server refused some items (collector/trace/v1/trace_service.proto,
//   collector/logs/v1/logs_service.proto);
// - failure: google.rpc.Status { code = 1, message = 2 } (the OTLP/HTTP spec's
//   error body), with a gRPC status code.

export type OtlpEncoding = 'protobuf' | 'json';

export const CONTENT_TYPE: Record<OtlpEncoding, string> = {
  protobuf: 'application/x-protobuf',
  json: 'application/json',
};

/** google.rpc.Code values used in Status bodies. */
export const RPC_CODE = {
  INVALID_ARGUMENT: 3,
  NOT_FOUND: 5,
  RESOURCE_EXHAUSTED: 8,
  UNIMPLEMENTED: 12,
  UNAUTHENTICATED: 16,
  INTERNAL: 13,
  UNAVAILABLE: 14,
} as const;

export interface PartialSuccess {
  /** rejected_spans or rejected_log_records. */
  rejected: number;
  errorMessage: string;
}

const EMPTY = new Uint8Array(0);
const EMPTY_JSON = new TextEncoder().encode('{}');

/**
 * ExportTraceServiceResponse / ExportLogsServiceResponse. Without a partial
 * success (or with nothing rejected and no message) the body is the empty message.
 */
export function encodeExportResponse(signal: SignalType, encoding: OtlpEncoding, partial?: PartialSuccess): Uint8Array {
  const rejected = partial ? Math.max(0, Math.trunc(partial.rejected)) : 0;
  const message = partial?.errorMessage ?? '';
  if (rejected === 0 && message === '') return encoding === 'json' ? EMPTY_JSON : EMPTY;
  if (encoding === 'json') {
    const inner: Record<string, string> = {};
    // proto3 JSON writes int64 as a decimal string; OTLP clients accept it.
    if (rejected > 0) inner[signal === 'traces' ? 'rejectedSpans' : 'rejectedLogRecords'] = String(rejected);
    if (message !== '') inner.errorMessage = message;
    return Buffer.from(JSON.stringify({ partialSuccess: inner }), 'utf8');
  }
  // Export*PartialSuccess { int64 rejected_* = 1; string error_message = 2; } as field 1 of the response.
  const inner = new Writer();
  if (rejected > 0) inner.tag(1, 0).varint(rejected);
  if (message !== '') inner.bytes(2, Buffer.from(message, 'utf8'));
  return new Writer().bytes(1, inner.finish()).finish();
}

/** A google.rpc.Status body. */
export function encodeStatus(encoding: OtlpEncoding, code: number, message: string): Uint8Array {
  if (encoding === 'json') return Buffer.from(JSON.stringify({ code, message }), 'utf8');
  const w = new Writer();
  if (code !== 0) w.tag(1, 0).varint(code);
  if (message !== '') w.bytes(2, Buffer.from(message, 'utf8'));
  return w.finish();
}

/** Just enough of a protobuf writer for these small messages. */
class Writer {
  private readonly parts: number[] = [];
  private readonly chunks: Uint8Array[] = [];
  private size = 0;

  tag(field: number, wireType: number): this {
    return this.varint(field * 8 + wireType);
  }

  varint(n: number): this {
    // Non-negative integers up to 2^53: division instead of bit ops, which stop at 32 bits.
    let v = n;
    while (v >= 0x80) {
      this.parts.push((v % 0x80) | 0x80);
      v = Math.floor(v / 0x80);
    }
    this.parts.push(v);
    return this;
  }

  bytes(field: number, data: Uint8Array): this {
    this.tag(field, 2).varint(data.length);
    this.flushParts();
    this.chunks.push(data);
    this.size += data.length;
    return this;
  }

  finish(): Uint8Array {
    this.flushParts();
    const out = new Uint8Array(this.size);
    let o = 0;
    for (const c of this.chunks) {
      out.set(c, o);
      o += c.length;
    }
    return out;
  }

  private flushParts(): void {
    if (this.parts.length === 0) return;
    this.chunks.push(Uint8Array.from(this.parts));
    this.size += this.parts.length;
    this.parts.length = 0;
  }
}
