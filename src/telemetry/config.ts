import { z } from 'zod';
import { endpoint, section } from '../config/types';

export const telemetryConfigSchema = section({
  log_level: z
    .enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'])
    .default('info')
    .describe('pino log level. Logs never contain message content.'),
  admin: section({
    enabled: z.boolean().default(true).describe('Serve /metrics (Prometheus), /healthz (liveness) and /readyz (readiness).'),
    endpoint: endpoint.default('127.0.0.1:9464').describe('host:port of the admin server.'),
  }),
});
export type TelemetryConfig = z.infer<typeof telemetryConfigSchema>;
