import { hostname } from 'node:os';
import { z } from 'zod';
import type { ConfigProblem } from '../config/load';
import { duration, endpoint, parseEndpoint, section } from '../config/types';

const selfTracingSchema = z
  .strictObject({
    enabled: z
      .boolean()
      .default(false)
      .describe("Export the service's own spans (one per OTLP request and per join sweep; counts and codes, never content). Default: off."),
    endpoint: z
      .string()
      .regex(/^https?:\/\/[^\s/]+(\/\S*)?$/, 'must be an http(s) URL, e.g. http://127.0.0.1:4318/v1/traces')
      .optional()
      .describe(
        "Full OTLP/HTTP traces URL of a collector, e.g. http://otel-collector:4318/v1/traces. Required when enabled; must not be this service's own sources.otlp_http endpoint.",
      ),
    sample_ratio: z.number().min(0).max(1).default(1).describe('Fraction of own spans kept (by trace id). Default: 1.'),
    export_interval: duration.prefault('5s').describe('How often batched spans are sent. Default: 5s.'),
    export_timeout: duration.prefault('10s').describe('Longest one export may take. Default: 10s.'),
    max_queue_size: z
      .number()
      .int()
      .positive()
      .default(2048)
      .describe('Spans buffered while the endpoint is slow or down; past this they are dropped (never blocking ingest). Default: 2048.'),
  })
  .superRefine(
    (st, ctx) => {
      if (st.enabled === true && st.endpoint === undefined) {
        ctx.addIssue({ code: 'custom', path: ['endpoint'], message: 'required when self_tracing is enabled' });
      }
    },
    // Also when another key is invalid, so one pass reports every problem.
    { when: () => true },
  )
  .prefault({} as never);

export const telemetryConfigSchema = section({
  log_level: z
    .enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'])
    .default('info')
    .describe('pino log level. Logs never contain message content.'),
  admin: section({
    enabled: z.boolean().default(true).describe('Serve /metrics (Prometheus), /healthz (liveness) and /readyz (readiness).'),
    endpoint: endpoint.default('127.0.0.1:9464').describe('host:port of the admin server.'),
  }),
  self_tracing: selfTracingSchema,
});
export type TelemetryConfig = z.infer<typeof telemetryConfigSchema>;
export type SelfTracingConfig = TelemetryConfig['self_tracing'];

// ── self-tracing loop guard ──────────────────────────────────────────────────
// Lives here, not in self-tracing.ts, so the config schema's cross-field rules
// can call it without importing the SDK (or load.ts, which imports the schema).

const SELF_TRACING_KEY = 'telemetry.self_tracing.endpoint';

/** What the loop guard and startSelfTracing read from the whole config (structural, so tests can pass just this). */
export interface SelfTracingInput {
  telemetry: { self_tracing: SelfTracingConfig };
  sources: { otlp_http: { enabled: boolean; endpoint: string } };
}

const WILDCARD = new Set(['0.0.0.0', '::', '']);

function isLoopback(host: string): boolean {
  const h = host.toLowerCase();
  return h === 'localhost' || h.endsWith('.localhost') || h === '::1' || /^127\.\d+\.\d+\.\d+$/.test(h) || h === '::ffff:127.0.0.1';
}

/** Could `urlHost` reach a server bound to `bindHost` on this machine? */
function sameMachineAddress(urlHost: string, bindHost: string): boolean {
  const u = urlHost.toLowerCase();
  const b = bindHost.toLowerCase();
  if (u === b || WILDCARD.has(u)) return true;
  if (WILDCARD.has(b)) return isLoopback(u) || u === hostname().toLowerCase();
  return isLoopback(u) && isLoopback(b);
}

/**
 * Config problems with self-tracing: an endpoint that is this service's own
 * OTLP receiver would feed every export back in. Meant for the config's
 * cross-field validation; startSelfTracing checks it again.
 */
export function selfTracingProblems(cfg: SelfTracingInput): ConfigProblem[] {
  const st = cfg.telemetry.self_tracing;
  if (!st.enabled || st.endpoint === undefined || !cfg.sources.otlp_http.enabled) return [];
  let url: URL;
  try {
    url = new URL(st.endpoint);
  } catch {
    return [{ path: SELF_TRACING_KEY, message: 'must be an http(s) URL' }];
  }
  const port = url.port === '' ? (url.protocol === 'https:' ? 443 : 80) : Number(url.port);
  const own = parseEndpoint(cfg.sources.otlp_http.endpoint);
  const urlHost = url.hostname.replace(/^\[(.*)\]$/, '$1');
  if (port === own.port && sameMachineAddress(urlHost, own.host)) {
    return [
      {
        path: SELF_TRACING_KEY,
        message: `points at this service's own OTLP receiver (sources.otlp_http.endpoint ${cfg.sources.otlp_http.endpoint}); send own spans to a collector instead`,
      },
    ];
  }
  return [];
}

