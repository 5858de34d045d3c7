// A tiny OTLP/HTTP endpoint that only records what it is sent. Tests point the
// instrumented app at it to check what the SDK really exports, independently
// of the service under test (whose decoder could hide an exporter problem).
// Only OTLP JSON bodies are decoded; protobuf bodies are kept raw.

import { createServer } from 'node:http';
import type { IncomingMessage, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';

export interface RecordedRequest {
  path: string;
  contentType: string;
  body: Buffer;
  /** Parsed body when it was OTLP JSON. */
  json?: unknown;
}

/** A span flattened out of an OTLP JSON ExportTraceServiceRequest. */
export interface RecordedSpan {
  name: string;
  traceId: string;
  spanId: string;
  parentSpanId: string;
  scope: string;
  attributes: Record<string, unknown>;
  resource: Record<string, unknown>;
  links: Array<{ traceId: string; spanId: string }>;
}

/** A log record flattened out of an OTLP JSON ExportLogsServiceRequest. */
export interface RecordedLogRecord {
  eventName: string;
  traceId: string;
  spanId: string;
  scope: string;
  attributes: Record<string, unknown>;
  body: unknown;
  resource: Record<string, unknown>;
}

export interface OtlpRecorder {
  /** http://127.0.0.1:<port>, usable as the app's otlpEndpoint. */
  url: string;
  requests: RecordedRequest[];
  spans(): RecordedSpan[];
  logRecords(): RecordedLogRecord[];
  stop(): Promise<void>;
}

export async function startOtlpRecorder(options: { port?: number } = {}): Promise<OtlpRecorder> {
  const requests: RecordedRequest[] = [];
  const server: Server = createServer((req, res) => {
    readAll(req)
      .then((raw) => {
        const body = req.headers['content-encoding'] === 'gzip' ? gunzipSync(raw) : raw;
        const contentType = String(req.headers['content-type'] ?? '');
        const entry: RecordedRequest = { path: (req.url ?? '/').split('?')[0], contentType, body };
        if (contentType.includes('json')) entry.json = JSON.parse(body.toString('utf8')) as unknown;
        requests.push(entry);
        // An empty partial-success answer: what a collector sends when all was accepted.
        res.writeHead(200, { 'content-type': contentType.includes('json') ? 'application/json' : 'application/x-protobuf' });
        res.end(contentType.includes('json') ? '{}' : undefined);
      })
      .catch(() => {
        res.writeHead(400);
        res.end();
      });
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    spans: () => requests.filter((r) => r.path === '/v1/traces').flatMap((r) => flattenSpans(r.json)),
    logRecords: () => requests.filter((r) => r.path === '/v1/logs').flatMap((r) => flattenLogs(r.json)),
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function flattenSpans(json: unknown): RecordedSpan[] {
  const out: RecordedSpan[] = [];
  for (const rs of arr(get(json, 'resourceSpans'))) {
    const resource = attributes(get(get(rs, 'resource'), 'attributes'));
    for (const ss of arr(get(rs, 'scopeSpans'))) {
      const scope = str(get(get(ss, 'scope'), 'name'));
      for (const s of arr(get(ss, 'spans'))) {
        out.push({
          name: str(get(s, 'name')),
          traceId: str(get(s, 'traceId')),
          spanId: str(get(s, 'spanId')),
          parentSpanId: str(get(s, 'parentSpanId')),
          scope,
          attributes: attributes(get(s, 'attributes')),
          resource,
          links: arr(get(s, 'links')).map((l) => ({ traceId: str(get(l, 'traceId')), spanId: str(get(l, 'spanId')) })),
        });
      }
    }
  }
  return out;
}

function flattenLogs(json: unknown): RecordedLogRecord[] {
  const out: RecordedLogRecord[] = [];
  for (const rl of arr(get(json, 'resourceLogs'))) {
    const resource = attributes(get(get(rl, 'resource'), 'attributes'));
    for (const sl of arr(get(rl, 'scopeLogs'))) {
      const scope = str(get(get(sl, 'scope'), 'name'));
      for (const lr of arr(get(sl, 'logRecords'))) {
        const attrs = attributes(get(lr, 'attributes'));
        out.push({
          // Newer SDKs put the event name in the field, older ones in an attribute.
          eventName: str(get(lr, 'eventName')) || str(attrs['event.name']),
          traceId: str(get(lr, 'traceId')),
          spanId: str(get(lr, 'spanId')),
          scope,
          attributes: attrs,
          body: anyValue(get(lr, 'body')),
          resource,
        });
      }
    }
  }
  return out;
}

/** OTLP JSON KeyValue list → plain object. */
export function attributes(list: unknown): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const kv of arr(list)) out[str(get(kv, 'key'))] = anyValue(get(kv, 'value'));
  return out;
}

/** OTLP JSON AnyValue → plain value (int64 may arrive as a string; it becomes a number). */
export function anyValue(v: unknown): unknown {
  if (typeof v !== 'object' || v === null) return undefined;
  const o = v as Record<string, unknown>;
  if ('stringValue' in o) return o.stringValue;
  if ('boolValue' in o) return o.boolValue;
  if ('intValue' in o) return Number(o.intValue);
  if ('doubleValue' in o) return Number(o.doubleValue);
  if ('bytesValue' in o) return o.bytesValue;
  if ('arrayValue' in o) return arr(get(o.arrayValue, 'values')).map(anyValue);
  if ('kvlistValue' in o) return attributes(get(o.kvlistValue, 'values'));
  return undefined;
}

function get(v: unknown, key: string): unknown {
  return typeof v === 'object' && v !== null ? (v as Record<string, unknown>)[key] : undefined;
}

function arr(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}

function str(v: unknown): string {
  return typeof v === 'string' ? v : '';
}

function readAll(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}
