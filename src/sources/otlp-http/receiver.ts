import { createServer, type IncomingMessage, type Server as HttpServer, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { SpanKind, SpanStatusCode, type Span, type Tracer } from '@opentelemetry/api';
import type { Counter } from 'prom-client';
import { ConfigError } from '../../config/load';
import { parseEndpoint } from '../../config/types';
import type { IngestConsumer, IngestMeta, IngestResult, Lifecycle } from '../../pipeline/contracts';
import { PermanentError, RetryableError, errorMessage } from '../../pipeline/errors';
import type { ComponentContext, ComponentCounters } from '../../telemetry';
import { decodeLogsJson, decodeTracesJson } from '../../otlp/json';
import { decodeLogsProto, decodeTracesProto } from '../../otlp/proto';
import type { DecodeLimits } from '../../otlp/limits';
import { CONTENT_TYPE, RPC_CODE, encodeExportResponse, encodeStatus, type OtlpEncoding } from '../../otlp/response';
import type { LogsData, SignalType, TracesData } from '../../otlp/types';
import { BodyFailure, discardRest, parseContentEncoding, readBody, type Compression } from './body';
import type { OtlpHttpConfig } from './config';
import { RateLimitedWarn } from './warn';
import { authEnabled, createAuthenticator, type Authenticator } from './auth';
import { tlsServerOptions } from './tls';
import { NOOP_TRACER } from '../../telemetry/self-tracing';

// OTLP/HTTP per the OTLP spec: POST /v1/traces and /v1/logs, binary protobuf
// or JSON, optional gzip. The client is acknowledged (200) only once the
// consumer has taken the data durably; retryable trouble is 503/429 with
// Retry-After so collectors back off, and bad input is 400 with a
// google.rpc.Status body, counted, logged (rate-limited) and dead-lettered
// by reason — never with its content.

export const COMPONENT = 'otlp_http';

/** google.rpc.Code UNAUTHENTICATED, the Status code for a 401. */
const RPC_UNAUTHENTICATED = 16;

/** What a receiver takes besides its config; everything defaults for tests. */
export interface ReceiverOptions {
  /** Where bearer_token_env is looked up (default process.env). */
  env?: NodeJS.ProcessEnv;
  /** Self-tracing: one span per request (default: a tracer that records nothing). */
  tracer?: Tracer;
}

const PATHS: Record<string, SignalType> = { '/v1/traces': 'traces', '/v1/logs': 'logs' };

function requestEncoding(contentType: string | undefined): OtlpEncoding | undefined {
  if (contentType === undefined) return undefined;
  const semi = contentType.indexOf(';');
  const mime = (semi === -1 ? contentType : contentType.slice(0, semi)).trim().toLowerCase();
  if (mime === 'application/x-protobuf') return 'protobuf';
  if (mime === 'application/json') return 'json';
  return undefined;
}

function countItems(signal: SignalType, data: TracesData | LogsData): number {
  let n = 0;
  if (signal === 'traces') {
    for (const rs of (data as TracesData).resourceSpans) for (const ss of rs.scopeSpans) n += ss.spans.length;
  } else {
    for (const rl of (data as LogsData).resourceLogs) for (const sl of rl.scopeLogs) n += sl.logRecords.length;
  }
  return n;
}

type Server = HttpServer | HttpsServer;

export class OtlpHttpReceiver implements Lifecycle {
  private server: Server | undefined;
  private listening = false;
  private draining = false;
  private inFlight = 0;
  private onIdle: (() => void) | undefined;
  private stopping: Promise<void> | undefined;
  private boundPort = 0;
  private readonly counters: ComponentCounters;
  private readonly requests: Counter<string>;
  private readonly warnings: RateLimitedWarn;
  private readonly tracer: Tracer;
  private readonly env: NodeJS.ProcessEnv;
  private auth: Authenticator | undefined;

  constructor(
    private readonly config: OtlpHttpConfig,
    private readonly consumer: IngestConsumer,
    private readonly ctx: ComponentContext,
    private readonly limits: Readonly<DecodeLimits>,
    options: ReceiverOptions = {},
  ) {
    this.tracer = options.tracer ?? NOOP_TRACER;
    this.env = options.env ?? process.env;
    this.counters = ctx.metrics.component(COMPONENT);
    this.requests = ctx.metrics.counter(
      'feedback_loop_otlp_http_requests_total',
      'OTLP/HTTP requests answered, by signal and HTTP status.',
      ['signal', 'status'],
    );
    this.warnings = new RateLimitedWarn(ctx.logger, ctx.clock);
  }

  /** The port actually bound (useful with port 0); 0 before start. */
  get port(): number {
    return this.boundPort;
  }

  start(): Promise<void> {
    if (this.draining) return Promise.reject(new Error('otlp_http: cannot start after shutdown'));
    if (this.server) return Promise.resolve();
    const { host, port } = parseEndpoint(this.config.endpoint);
    let server: Server;
    try {
      // Token and certificates are read once, here: a problem stops start with a ConfigError naming the key.
      this.auth = createAuthenticator(this.config.auth, this.env);
      server = this.createServer();
    } catch (err) {
      return Promise.reject(err);
    }
    this.server = server;
    return new Promise<void>((resolve, reject) => {
      const onError = (err: NodeJS.ErrnoException): void => {
        this.server = undefined;
        const why = err.code === 'EADDRINUSE' ? 'the address is already in use' : err.code === 'EACCES' ? 'permission denied' : err.message;
        reject(new Error(`otlp_http: cannot listen on ${this.config.endpoint}: ${why}`, { cause: err }));
      };
      server.once('error', onError);
      server.listen(port, host, () => {
        server.off('error', onError);
        server.on('error', (err) => this.ctx.logger.error({ component: COMPONENT, err: errorMessage(err) }, 'otlp_http server error'));
        this.listening = true;
        this.boundPort = (server.address() as AddressInfo).port;
        this.ctx.logger.info(
          { component: COMPONENT, host, port: this.boundPort, tls: this.config.tls !== undefined, mtls: this.config.tls?.client_ca_file !== undefined, auth: authEnabled(this.config.auth) ? 'bearer' : 'none' },
          'otlp_http listening',
        );
        resolve();
      });
    });
  }

  private createServer(): Server {
    const requestTimeout = this.config.request_timeout;
    const options = {
      requestTimeout,
      // Node requires headersTimeout ≤ requestTimeout unless the latter is disabled (0).
      headersTimeout: requestTimeout === 0 ? 60_000 : Math.min(60_000, requestTimeout),
    };
    const handler = (req: IncomingMessage, res: ServerResponse): void => this.onRequest(req, res);
    if (this.config.tls === undefined) return createServer(options, handler);
    let server: HttpsServer;
    try {
      server = createHttpsServer({ ...tlsServerOptions(this.config.tls), ...options }, handler);
    } catch (err) {
      if (err instanceof ConfigError) throw err;
      // e.g. a key that does not match the certificate; OpenSSL's message names no secret.
      throw new Error(`otlp_http: sources.otlp_http.tls: cannot use the certificate and key: ${errorMessage(err)}`, { cause: err });
    }
    // Failed handshakes (wrong CA, no client cert under mTLS, plain HTTP to the TLS port) never reach a handler.
    server.on('tlsClientError', (err: NodeJS.ErrnoException) => {
      this.counters.error('tls_handshake_failed');
      this.warnings.warn('tls_handshake_failed', { code: err.code ?? 'unknown' }, 'otlp_http: a TLS handshake failed');
    });
    return server;
  }

  /** Stops taking requests (answering 503 meanwhile), waits for those in flight, closes. Runs once. */
  shutdown(): Promise<void> {
    this.stopping ??= this.stop();
    return this.stopping;
  }

  private async stop(): Promise<void> {
    this.draining = true;
    const server = this.server;
    if (!server || !this.listening) return;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    if (this.inFlight > 0) await new Promise<void>((resolve) => (this.onIdle = resolve));
    // Whatever is left is idle or has not finished sending headers: nothing acknowledged is lost.
    server.closeAllConnections();
    await closed;
    this.listening = false;
  }

  private onRequest(req: IncomingMessage, res: ServerResponse): void {
    const url = req.url ?? '';
    const q = url.indexOf('?');
    const signal = PATHS[q === -1 ? url : url.slice(0, q)];
    const encoding = requestEncoding(req.headers['content-type']);
    // Errors are answered in the request's encoding; JSON when it has none we know.
    const answerIn = encoding ?? 'json';
    const span = this.traceRequest(req, res, signal);
    // Authentication comes first: an unauthenticated client learns nothing else about the service.
    const denied = this.auth?.check(req.headers.authorization);
    if (denied !== undefined) {
      span.setAttribute('feedback_loop.outcome', denied);
      return this.unauthorized(req, res, signal ?? 'other', answerIn, denied);
    }
    if (signal === undefined) {
      return this.fail(res, 'other', answerIn, 404, 'not_found', RPC_CODE.NOT_FOUND, 'not found: OTLP/HTTP serves /v1/traces and /v1/logs');
    }
    if (req.method !== 'POST') {
      return this.fail(res, signal, answerIn, 405, 'method_not_allowed', RPC_CODE.UNIMPLEMENTED, `method ${req.method ?? ''} not allowed; use POST`, 1, { Allow: 'POST' });
    }
    if (this.draining) {
      return this.unavailable(res, signal, answerIn, 'shutting_down', 'the receiver is shutting down', this.config.retry_after_seconds);
    }
    if (encoding === undefined) {
      return this.fail(res, signal, 'json', 415, 'unsupported_media_type', RPC_CODE.INVALID_ARGUMENT,
        'unsupported Content-Type; use application/x-protobuf or application/json');
    }
    const compression = parseContentEncoding(req.headers['content-encoding']);
    if (compression === undefined) {
      return this.fail(res, signal, encoding, 415, 'unsupported_content_encoding', RPC_CODE.INVALID_ARGUMENT,
        'unsupported Content-Encoding; use gzip, deflate or identity');
    }
    if (this.inFlight >= this.config.max_concurrent_requests) {
      return this.fail(res, signal, encoding, 429, 'too_many_requests', RPC_CODE.RESOURCE_EXHAUSTED,
        `more than ${this.config.max_concurrent_requests} requests in flight; retry later`, 1, { 'Retry-After': String(this.config.retry_after_seconds) });
    }
    if (!this.consumer.ready()) {
      return this.unavailable(res, signal, encoding, 'not_ready', 'the pipeline is not ready', this.config.retry_after_seconds);
    }
    const declared = Number(req.headers['content-length']);
    if (declared > this.config.max_request_bytes) {
      this.tooLarge(req, res, signal, encoding, 'request_too_large', `body exceeds ${this.config.max_request_bytes} bytes`, declared);
      return;
    }
    // In flight until the consumer is done with it, even if the client has gone: drain waits for that work.
    this.inFlight++;
    this.handle(req, res, signal, encoding, compression, span)
      .catch((err: unknown) => {
        // A bug, not bad input: answer 500 rather than leave the client hanging.
        this.warnings.warn('internal', { signal }, `otlp_http internal error: ${errorMessage(err)}`);
        this.fail(res, signal, encoding, 500, 'internal', RPC_CODE.INTERNAL, 'internal error');
      })
      .finally(() => this.release());
  }

  private release(): void {
    this.inFlight--;
    if (this.inFlight === 0 && this.onIdle) {
      const done = this.onIdle;
      this.onIdle = undefined;
      done();
    }
  }

  /**
   * One self-tracing span per request, ended when the answer is sent (or the
   * connection drops). Attributes are counts, sizes and codes — never content —
   * and none is a gen_ai.*, llm.* or ai.* key, so if these spans ever come
   * back through a collector the normalizer drops them as not_genai.
   */
  private traceRequest(req: IncomingMessage, res: ServerResponse, signal: SignalType | undefined): Span {
    const span = this.tracer.startSpan(`otlp_http ${signal ?? 'other'}`, {
      kind: SpanKind.SERVER,
      attributes: {
        'http.request.method': req.method ?? '',
        'feedback_loop.signal': signal ?? 'other',
        'feedback_loop.component': COMPONENT,
      },
    });
    if (!span.isRecording()) return span;
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared)) span.setAttribute('http.request.body.size', declared);
    res.once('close', () => {
      span.setAttribute('http.response.status_code', res.statusCode);
      if (!res.writableFinished) span.setAttribute('feedback_loop.outcome', 'connection_closed');
      if (res.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      span.end();
    });
    return span;
  }

  private async handle(
    req: IncomingMessage,
    res: ServerResponse,
    signal: SignalType,
    encoding: OtlpEncoding,
    compression: Compression,
    span: Span,
  ): Promise<void> {
    let body: Buffer;
    try {
      body = await readBody(req, compression, {
        maxRequestBytes: this.config.max_request_bytes,
        maxDecompressedBytes: this.config.max_decompressed_bytes,
      });
    } catch (err) {
      if (!(err instanceof BodyFailure)) throw err;
      if (err.reason === 'client_aborted') {
        this.counters.error(err.reason);
        res.destroy();
        return;
      }
      if (err.reason === 'bad_compression') {
        discardRest(req, this.config.max_request_bytes);
        return this.undecodable(res, signal, encoding, err.reason, err.message, this.meta(encoding), -1);
      }
      return this.tooLarge(req, res, signal, encoding, err.reason, err.message, -1);
    }

    const meta = this.meta(encoding);
    let data: TracesData | LogsData;
    try {
      data =
        signal === 'traces'
          ? encoding === 'protobuf' ? decodeTracesProto(body, this.limits) : decodeTracesJson(body, this.limits)
          : encoding === 'protobuf' ? decodeLogsProto(body, this.limits) : decodeLogsJson(body, this.limits);
    } catch (err) {
      if (!(err instanceof PermanentError)) throw err;
      return this.undecodable(res, signal, encoding, err.code, err.message, meta, body.length);
    }
    const items = countItems(signal, data);
    this.counters.received(items);
    span.setAttribute('feedback_loop.items', items);
    span.setAttribute('feedback_loop.decoded_bytes', body.length);
    if (items === 0) return this.ok(res, signal, encoding, undefined);

    let result: IngestResult;
    try {
      result = signal === 'traces' ? await this.consumer.consumeTraces(data as TracesData, meta) : await this.consumer.consumeLogs(data as LogsData, meta);
    } catch (err) {
      if (err instanceof RetryableError) {
        const retryAfter = err.retryAfterSeconds > 0 ? err.retryAfterSeconds : this.config.retry_after_seconds;
        return this.unavailable(res, signal, encoding, err.code, err.message, retryAfter, items);
      }
      if (err instanceof PermanentError) {
        return this.badRequest(res, signal, encoding, err.code, err.message, body.length, items);
      }
      throw err;
    }
    span.setAttribute('feedback_loop.accepted', result.accepted);
    span.setAttribute('feedback_loop.rejected', result.rejected);
    if (result.accepted > 0) this.counters.emitted(result.accepted);
    if (result.rejected > 0) this.counters.error('rejected_by_pipeline', result.rejected);
    this.ok(res, signal, encoding, result);
  }

  private meta(encoding: OtlpEncoding): IngestMeta {
    return { source: COMPONENT, encoding: CONTENT_TYPE[encoding], receivedMs: this.ctx.clock.now() };
  }

  /** 401 with a challenge; the body the client still sends is read and dropped (bounded), never looked at. */
  private unauthorized(req: IncomingMessage, res: ServerResponse, signal: SignalType | 'other', encoding: OtlpEncoding, reason: string): void {
    const declared = Number(req.headers['content-length']);
    const cut = declared > this.config.max_request_bytes;
    if (!cut) discardRest(req, this.config.max_request_bytes);
    const challenge = reason === 'auth_missing' ? 'Bearer realm="otlp"' : 'Bearer realm="otlp", error="invalid_token"';
    const headers: Record<string, string> = { 'WWW-Authenticate': challenge };
    if (cut) headers['Connection'] = 'close';
    const message = reason === 'auth_missing' ? 'authentication required: send Authorization: Bearer <token>' : 'invalid bearer token';
    this.fail(res, signal, encoding, 401, reason, RPC_UNAUTHENTICATED, message, 1, headers);
  }

  /** Dead-letters a body that cannot be decoded, then answers 400. */
  private async undecodable(res: ServerResponse, signal: SignalType, encoding: OtlpEncoding, reason: string, message: string, meta: IngestMeta, bytes: number): Promise<void> {
    // Metadata only: the payload may hold PII and is never passed on.
    await this.consumer.deadLetter(reason, message, meta).catch((dlErr: unknown) => {
      this.counters.error('dead_letter_failed');
      this.warnings.warn('dead_letter_failed', { signal }, `otlp_http could not dead-letter a bad request: ${errorMessage(dlErr)}`);
    });
    this.badRequest(res, signal, encoding, reason, message, bytes);
  }

  private ok(res: ServerResponse, signal: SignalType, encoding: OtlpEncoding, result: IngestResult | undefined): void {
    const partial =
      result && result.rejected > 0
        ? { rejected: result.rejected, errorMessage: result.rejectionMessage ?? `${result.rejected} ${signal === 'traces' ? 'spans' : 'log records'} rejected` }
        : undefined;
    this.send(res, signal, 200, encoding, encodeExportResponse(signal, encoding, partial));
  }

  private badRequest(res: ServerResponse, signal: SignalType, encoding: OtlpEncoding, reason: string, message: string, bytes = -1, count = 1): void {
    this.counters.error(reason, count);
    this.warnings.warn(reason, { signal, encoding, bytes }, `otlp_http rejected a request: ${message}`);
    this.send(res, signal, 400, encoding, encodeStatus(encoding, RPC_CODE.INVALID_ARGUMENT, message));
  }

  private unavailable(res: ServerResponse, signal: SignalType, encoding: OtlpEncoding, reason: string, message: string, retryAfter: number, count = 1): void {
    this.fail(res, signal, encoding, 503, reason, RPC_CODE.UNAVAILABLE, message, count, { 'Retry-After': String(retryAfter) });
  }

  private tooLarge(req: IncomingMessage, res: ServerResponse, signal: SignalType, encoding: OtlpEncoding, reason: string, message: string, declared: number): void {
    // Read and drop up to one more max-size body so the client sees the 413; past that, cut the connection.
    const budget = this.config.max_request_bytes;
    const cut = declared > budget * 2;
    if (!cut) discardRest(req, budget);
    this.counters.error(reason);
    this.warnings.warn(reason, { signal, encoding }, `otlp_http refused a request: ${message}`);
    this.send(res, signal, 413, encoding, encodeStatus(encoding, RPC_CODE.INVALID_ARGUMENT, message), cut ? { Connection: 'close' } : undefined);
  }

  /** An answer before (or instead of) reading the body; counted and sent. */
  /** `count`: items when known (the body was decoded), else 1 for the request. */
  private fail(
    res: ServerResponse,
    signal: SignalType | 'other',
    encoding: OtlpEncoding,
    status: number,
    reason: string,
    rpcCode: number,
    message: string,
    count = 1,
    headers?: Record<string, string>,
  ): void {
    this.counters.error(reason, count);
    // 429/503 are back-pressure, expected under load: counted, not logged.
    if (status !== 503 && status !== 429) this.warnings.warn(reason, { signal, status }, `otlp_http answered ${status}: ${message}`);
    this.send(res, signal, status, encoding, encodeStatus(encoding, rpcCode, message), headers);
  }

  private send(res: ServerResponse, signal: SignalType | 'other', status: number, encoding: OtlpEncoding, body: Uint8Array, headers?: Record<string, string>): void {
    if (res.headersSent || res.destroyed) return;
    this.requests.labels(signal, String(status)).inc();
    if (headers) for (const name in headers) res.setHeader(name, headers[name]!);
    // While draining, tell keep-alive clients to reconnect (to a peer, or to us after restart).
    if (this.draining) res.setHeader('Connection', 'close');
    res.statusCode = status;
    res.setHeader('Content-Type', CONTENT_TYPE[encoding]);
    res.setHeader('Content-Length', body.length);
    res.end(body);
  }
}
