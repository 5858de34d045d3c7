import { z } from 'zod';
import { byteSize, duration, endpoint, section } from '../../config/types';

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
  request_timeout: duration
    .prefault('30s')
    .describe('Longest time a client may take to send a whole request (headers and body); slower ones are cut off.'),
  max_items_per_request: z
    .number()
    .int()
    .positive()
    .default(100_000)
    .describe('Most spans (on /v1/traces) or log records (on /v1/logs) in one request; more get 400.'),
  max_attributes_per_item: z
    .number()
    .int()
    .positive()
    .default(1024)
    .describe('Most attributes on one resource, scope, span, event, link or log record (and entries in one map value); more get 400.'),
  max_attribute_value_bytes: byteSize
    .prefault('4MiB')
    .describe('Largest single string or bytes value (attribute values, log bodies); larger get 400. GenAI message content is large.'),
  max_value_depth: z
    .number()
    .int()
    .min(1)
    .max(1000)
    .default(32)
    .describe('Deepest nesting of array/map attribute values and log bodies; deeper get 400.'),
});
export type OtlpHttpConfig = z.infer<typeof otlpHttpConfigSchema>;
