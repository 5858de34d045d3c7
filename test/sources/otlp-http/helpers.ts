import { request, type IncomingHttpHeaders } from 'node:http';
import type { IngestConsumer, IngestMeta, IngestResult } from '../../../src/pipeline/contracts';
import type { LogsData, TracesData } from '../../../src/otlp/types';
import { Metrics, silentLogger, systemClock, type ComponentContext } from '../../../src/telemetry';
import { otlpHttpConfigSchema, type OtlpHttpConfig } from '../../../src/sources/otlp-http/config';
import type { z } from 'zod';

export function ctx(): ComponentContext {
  return { logger: silentLogger(), metrics: new Metrics(), clock: systemClock };
}

export function config(overrides: z.input<typeof otlpHttpConfigSchema> = {}): OtlpHttpConfig {
  return otlpHttpConfigSchema.parse({ endpoint: '127.0.0.1:0', ...overrides });
}

/** Records what it is given; tests steer it with `ready`, `result`, `error` and `gate`. */
export class FakeConsumer implements IngestConsumer {
  traces: TracesData[] = [];
  logs: LogsData[] = [];
  metas: IngestMeta[] = [];
  deadLetters: { reason: string; detail: string; meta: IngestMeta & { payload?: Uint8Array } }[] = [];
  isReady = true;
  result: IngestResult | undefined;
  error: unknown;
  /** While set, consume calls wait for it. */
  gate: Promise<void> | undefined;
  /** Resolves when a consume call starts. */
  entered: Promise<void>;
  private signalEntered!: () => void;

  constructor() {
    this.entered = this.nextEntered();
  }

  private nextEntered(): Promise<void> {
    return new Promise((resolve) => (this.signalEntered = resolve));
  }

  private async consume(items: number): Promise<IngestResult> {
    const signal = this.signalEntered;
    this.entered = this.nextEntered();
    signal();
    if (this.gate) await this.gate;
    if (this.error !== undefined) throw this.error;
    return this.result ?? { accepted: items, rejected: 0 };
  }

  consumeTraces(data: TracesData, meta: IngestMeta): Promise<IngestResult> {
    this.traces.push(data);
    this.metas.push(meta);
    return this.consume(data.resourceSpans.reduce((n, rs) => n + rs.scopeSpans.reduce((m, ss) => m + ss.spans.length, 0), 0));
  }

  consumeLogs(data: LogsData, meta: IngestMeta): Promise<IngestResult> {
    this.logs.push(data);
    this.metas.push(meta);
    return this.consume(data.resourceLogs.reduce((n, rl) => n + rl.scopeLogs.reduce((m, sl) => m + sl.logRecords.length, 0), 0));
  }

  async deadLetter(reason: string, detail: string, meta: IngestMeta & { payload?: Uint8Array }): Promise<void> {
    this.deadLetters.push({ reason, detail, meta });
  }

  ready(): boolean {
    return this.isReady;
  }
}

export interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/** One request on a fresh connection. */
export function send(
  port: number,
  options: { path?: string; method?: string; headers?: Record<string, string | number>; body?: Uint8Array | string },
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, path: options.path ?? '/v1/traces', method: options.method ?? 'POST', headers: options.headers, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}
