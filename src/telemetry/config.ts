import { z } from 'zod';
import { section } from '../config/types';

export const telemetryConfigSchema = section({
  log_level: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info').describe('pino log level.'),
});
export type TelemetryConfig = z.infer<typeof telemetryConfigSchema>;
