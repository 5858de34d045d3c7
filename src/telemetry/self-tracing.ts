import { hostname } from 'node:os';
import {
  INVALID_SPAN_CONTEXT,
  SpanStatusCode,
  trace,
  type Attributes,
  type Context,
  type Span,
  type SpanOptions,
  type Tracer,
} from '@opentelemetry/api';
import type * as SdkNode from '@opentelemetry/sdk-node';
import type * as OtlpHttpExporter from '@opentelemetry/exporter-trace-otlp-http';
import { ConfigError } from '../config/load';
import { selfTracingProblems, type SelfTracingInput } from './config';
import type { Logger } from './logger';
import type { Metrics } from './metrics';

// The service's own spans: one per OTLP request (the receiver) and one per
// join sweep (the service), with counts and codes as attributes, never
// content. Off by default.
//
// We build the SDK's tracer provider ourselves instead of calling
// NodeSDK.start(): that registers process-wide providers (the style here is
// "injected, never global"), and for every signal not configured it reads
// OTEL_* variables — its default is an OTLP log exporter to localhost:4318,
// which is this service's own receiver.
//
// The SDK is loaded only when self-tracing is on: it costs ~250 ms and ~20 MB
// at start that a service with self-tracing off should not pay.
//
// Loops: an endpoint that is our own receiver is refused at config time.
// If our spans still come back (a collector forwarding everything to us),
// they carry no gen_ai.*, llm.*, ai.* or feedback.* attribute, so the
// normalizer drops them as not_genai; the resource attribute below marks them
// for anyone filtering upstream (e.g. a collector filter processor).

/** Resource attribute on every own span. */
export const SELF_TELEMETRY_ATTRIBUTE = 'feedback_loop.self_telemetry';
export const SELF_SERVICE_NAME = 'otel-feedback-loop';
const COMPONENT = 'self_tracing';
const KEY = 'telemetry.self_tracing.endpoint';

export { selfTracingProblems, type SelfTracingInput };

export interface SelfTracing {
  readonly enabled: boolean;
  /** Hand this to components (the receiver's `tracer` option) and use it for sweeps. */
  readonly tracer: Tracer;
  /** Sends what is buffered now (tests, and before a planned exit); export failures are counted, not thrown. */
  forceFlush(): Promise<void>;
  /** Flushes and stops exporting. Runs once; safe to call again. */
  shutdown(): Promise<void>;
}

// ── no-op ────────────────────────────────────────────────────────────────────

const NOOP_SPAN: Span = trace.wrapSpanContext(INVALID_SPAN_CONTEXT);

/** Records nothing and costs nothing; independent of any global provider. */
class NoopTracer implements Tracer {
  startSpan(): Span {
    return NOOP_SPAN;
  }
  startActiveSpan<F extends (span: Span) => unknown>(name: string, fn: F): ReturnType<F>;
  startActiveSpan<F extends (span: Span) => unknown>(name: string, options: SpanOptions, fn: F): ReturnType<F>;
  startActiveSpan<F extends (span: Span) => unknown>(name: string, options: SpanOptions, context: Context, fn: F): ReturnType<F>;
  startActiveSpan<F extends (span: Span) => unknown>(...args: [string, ...unknown[]]): ReturnType<F> {
    const fn = args[args.length - 1] as F;
    return fn(NOOP_SPAN) as ReturnType<F>;
  }
}

export const NOOP_TRACER: Tracer = new NoopTracer();

export const noopSelfTracing: SelfTracing = Object.freeze({
  enabled: false,
  tracer: NOOP_TRACER,
  forceFlush: () => Promise.resolve(),
  shutdown: () => Promise.resolve(),
});

// ── the real thing ───────────────────────────────────────────────────────────

/**
 * The self-tracing for a config: a no-op when off; otherwise an SDK tracer
 * provider exporting OTLP/HTTP to the endpoint in batches (never blocking
 * the caller; a full queue drops spans). Export failures are counted under
 * component "self_tracing" and warned about at most once a minute.
 */
export function startSelfTracing(cfg: SelfTracingInput, logger: Logger, metrics?: Metrics): SelfTracing {
  const st = cfg.telemetry.self_tracing;
  if (!st.enabled) return noopSelfTracing;
  const problems = selfTracingProblems(cfg);
  if (st.endpoint === undefined) problems.push({ path: KEY, message: 'required when self_tracing is enabled' });
  if (problems.length > 0) throw new ConfigError('<config>', problems);

  // eslint-disable-next-line @typescript-eslint/no-require-imports -- lazy: see the note at the top
  const { core, resources, tracing } = require('@opentelemetry/sdk-node') as typeof SdkNode;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { OTLPTraceExporter } = require('@opentelemetry/exporter-trace-otlp-http') as typeof OtlpHttpExporter;
  const counters = metrics?.component(COMPONENT);
  let lastWarnMs = 0;
  const inner = new OTLPTraceExporter({ url: st.endpoint, timeoutMillis: st.export_timeout });
  // Exports in flight: the batch processor's forceFlush does not wait for one
  // its timer already started, so flush and shutdown wait for these too.
  const pending = new Set<Promise<void>>();
  const exporter: SdkNode.tracing.SpanExporter = {
    export(spans, done: (r: SdkNode.core.ExportResult) => void) {
      counters?.received(spans.length);
      let settle!: () => void;
      const p = new Promise<void>((resolve) => (settle = resolve));
      pending.add(p);
      inner.export(spans, (result) => {
        if (result.code === core.ExportResultCode.SUCCESS) counters?.emitted(spans.length);
        else {
          counters?.error('export_failed', spans.length);
          const now = Date.now();
          if (now - lastWarnMs > 60_000) {
            lastWarnMs = now;
            logger.warn({ component: COMPONENT, spans: spans.length, err: result.error?.message }, 'self_tracing: export failed; spans dropped');
          }
        }
        pending.delete(p);
        settle();
        done(result);
      });
    },
    shutdown: () => inner.shutdown(),
    forceFlush: () => inner.forceFlush(),
  };
  const settled = async (): Promise<void> => {
    while (pending.size > 0) await Promise.all([...pending]);
  };
  const provider = new tracing.BasicTracerProvider({
    resource: resources.resourceFromAttributes({
      'service.name': SELF_SERVICE_NAME,
      'service.instance.id': `${hostname()}:${process.pid}`,
      [SELF_TELEMETRY_ATTRIBUTE]: true,
    }),
    sampler: st.sample_ratio >= 1 ? new tracing.AlwaysOnSampler() : new tracing.TraceIdRatioBasedSampler(st.sample_ratio),
    spanProcessors: [
      new tracing.BatchSpanProcessor(exporter, {
        scheduledDelayMillis: st.export_interval,
        exportTimeoutMillis: st.export_timeout,
        maxQueueSize: st.max_queue_size,
        maxExportBatchSize: Math.min(512, st.max_queue_size),
      }),
    ],
  });
  logger.info({ component: COMPONENT, endpoint: redactUrl(st.endpoint!), sampleRatio: st.sample_ratio }, 'self-tracing on');
  let stopped: Promise<void> | undefined;
  return {
    enabled: true,
    tracer: provider.getTracer(SELF_SERVICE_NAME),
    // Failures were counted and warned about by the exporter wrapper; callers need not handle them.
    forceFlush: () =>
      provider
        .forceFlush()
        .catch(() => undefined)
        .then(settled),
    shutdown() {
      stopped ??= settled().then(() => provider.shutdown()).catch((err: unknown) => {
        logger.warn({ component: COMPONENT, err: err instanceof Error ? err.message : String(err) }, 'self_tracing: shutdown failed');
      });
      return stopped;
    },
  };
}

/** The endpoint without userinfo or query (where credentials could hide), for the log. */
function redactUrl(u: string): string {
  try {
    const url = new URL(u);
    return `${url.protocol}//${url.host}${url.pathname}`;
  } catch {
    return '(invalid url)';
  }
}

/**
 * Runs `fn` inside a span that ends when it settles (ERROR status if it
 * throws; only the error's class is recorded, its message may hold data).
 * For the service's sweep: `traced(tracing.tracer, 'join sweep', async (span) => …)`.
 */
export async function traced<T>(tracer: Tracer, name: string, fn: (span: Span) => Promise<T>, attributes?: Attributes): Promise<T> {
  const span = tracer.startSpan(name, { attributes });
  try {
    return await fn(span);
  } catch (err) {
    span.setStatus({ code: SpanStatusCode.ERROR });
    span.setAttribute('error.type', err instanceof Error ? err.name : typeof err);
    throw err;
  } finally {
    span.end();
  }
}
