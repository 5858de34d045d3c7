import { readFileSync } from 'node:fs';
import type { LogsData, TracesData } from '../otlp/types';
import { decodeLogsJson, decodeLogsProto, decodeTracesJson, decodeTracesProto } from '../otlp';
import { PermanentError, ERROR_CODES, errorMessage } from './errors';

// Reads captured OTLP for `feedback-loop simulate`: what the collector's file
// exporter writes, or request bodies saved by hand.
//   *.json / *.jsonl / *.ndjson   one OTLP/JSON export request per line
//                                 (traces {"resourceSpans":…} or logs {"resourceLogs":…})
//   anything else                 OTLP protobuf: a stream of messages each
//                                 prefixed by a 4-byte big-endian length (the
//                                 file exporter's `format: proto`), or one raw
//                                 ExportTrace/LogsServiceRequest

export type CaptureItem = { kind: 'traces'; data: TracesData } | { kind: 'logs'; data: LogsData };

function fromJson(line: string, where: string): CaptureItem {
  let probe: unknown;
  try {
    probe = JSON.parse(line);
  } catch (err) {
    throw new PermanentError(ERROR_CODES.OTLP_DECODE, `${where}: not JSON (${errorMessage(err).slice(0, 80)})`);
  }
  const o = (probe ?? {}) as Record<string, unknown>;
  if ('resourceLogs' in o || 'resource_logs' in o) return { kind: 'logs', data: decodeLogsJson(line) };
  if ('resourceSpans' in o || 'resource_spans' in o) return { kind: 'traces', data: decodeTracesJson(line) };
  throw new PermanentError(ERROR_CODES.OTLP_DECODE, `${where}: neither resourceSpans nor resourceLogs (metrics are not read)`);
}

/** A protobuf message: traces if it has spans, else logs if it has records. */
function fromProto(bytes: Uint8Array, where: string): CaptureItem {
  let traces: TracesData | undefined;
  try {
    traces = decodeTracesProto(bytes);
    if (traces.resourceSpans.some((r) => r.scopeSpans.some((s) => s.spans.length > 0))) return { kind: 'traces', data: traces };
  } catch {
    // not traces, or not valid: try logs
  }
  try {
    return { kind: 'logs', data: decodeLogsProto(bytes) };
  } catch (err) {
    if (traces) return { kind: 'traces', data: traces };
    throw new PermanentError(ERROR_CODES.OTLP_DECODE, `${where}: not an OTLP export request (${errorMessage(err).slice(0, 120)})`);
  }
}

/** Splits a length-prefixed stream, or returns undefined if the bytes are not one. */
function lengthPrefixed(buf: Buffer): Buffer[] | undefined {
  const out: Buffer[] = [];
  let at = 0;
  while (at < buf.length) {
    if (at + 4 > buf.length) return undefined;
    const n = buf.readUInt32BE(at);
    if (n === 0 || at + 4 + n > buf.length) return undefined;
    out.push(buf.subarray(at + 4, at + 4 + n));
    at += 4 + n;
  }
  return out.length ? out : undefined;
}

export function* readCapture(file: string): Generator<CaptureItem> {
  const buf = readFileSync(file);
  if (/\.(json|jsonl|ndjson)$/i.test(file)) {
    const lines = buf.toString('utf8').split('\n');
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i]!.trim();
      if (line) yield fromJson(line, `${file}:${i + 1}`);
    }
    return;
  }
  const frames = lengthPrefixed(buf);
  if (frames) {
    let i = 0;
    for (const f of frames) yield fromProto(f, `${file} message ${++i}`);
  } else {
    yield fromProto(buf, file);
  }
}
