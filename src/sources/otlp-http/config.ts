import { z } from 'zod';
import { byteSize, endpoint, section } from '../../config/types';

export const otlpHttpConfigSchema = section({
  enabled: z.boolean().default(true).describe('Serve OTLP/HTTP (POST /v1/traces and /v1/logs).'),
  endpoint: endpoint.default('127.0.0.1:4318').describe('host:port to listen on. Use 0.0.0.0:4318 to accept from other hosts.'),
  max_request_bytes: byteSize
    .prefault('16MiB')
    .describe('Largest request body accepted, as sent (compressed). Larger requests get 413.'),
  max_decompressed_bytes: byteSize
    .prefault('64MiB')
    .describe('Largest body after gzip decompression (guards against gzip bombs). Larger requests get 413.'),
  max_concurrent_requests: z
    .number()
    .int()
    .positive()
    .default(64)
    .describe('Requests processed at once; more are answered 429 with Retry-After.'),
  retry_after_seconds: z
    .number()
    .int()
    .positive()
    .default(2)
    .describe('Retry-After sent with 429 and 503 answers.'),
});
export type OtlpHttpConfig = z.infer<typeof otlpHttpConfigSchema>;
