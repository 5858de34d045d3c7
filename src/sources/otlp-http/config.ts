import { existsSync } from 'node:fs';
import { z } from 'zod';
import { byteSize, duration, endpoint, section } from '../../config/types';

/** A file the receiver reads at start; a missing one is a problem naming its key, found by `validate`. */
const existingFile = (what: string) =>
  z
    .string()
    .min(1, 'must not be empty')
    .superRefine((p, ctx) => {
      if (p !== '' && !existsSync(p)) ctx.addIssue({ code: 'custom', message: `${what} file not found: ${p}` });
    });

// Only the variable's *name* or the file's *path* is configured, never the
// token itself, so config files, `validate` output and logs cannot leak it.
const authSchema = z
  .strictObject({
    bearer_token_env: z
      .string()
      .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be an environment variable name (letters, digits, _)')
      .optional()
      .describe('Require `Authorization: Bearer <token>`, the token taken from this environment variable (read once at start). Default: off.'),
    bearer_token_file: existingFile('token')
      .optional()
      .describe('Require `Authorization: Bearer <token>`, the token read once at start from this file (surrounding whitespace trimmed). Default: off.'),
  })
  .superRefine(
    (auth, ctx) => {
      if (auth.bearer_token_env !== undefined && auth.bearer_token_file !== undefined) {
        ctx.addIssue({ code: 'custom', path: ['bearer_token_file'], message: 'set bearer_token_env or bearer_token_file, not both' });
      }
    },
    // Also when another key is invalid, so one pass reports every problem.
    { when: () => true },
  )
  .prefault({} as never)
  .describe('Bearer-token authentication for OTLP requests (the admin server stays open). Default: off.');

const tlsSchema = z
  .strictObject({
    cert_file: existingFile('certificate').describe('PEM certificate (chain) the receiver presents. Required with tls.'),
    key_file: existingFile('key').describe('PEM private key for cert_file. Required with tls.'),
    client_ca_file: existingFile('client CA')
      .optional()
      .describe('PEM CA bundle: when set, clients must present a certificate it signed (mutual TLS). Default: none.'),
  })
  .optional()
  .describe('Serve HTTPS instead of HTTP. Absent: plain HTTP.');

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
  max_events_per_span: z
    .number()
    .int()
    .positive()
    .default(10_000)
    .describe('Most events on one span; more get 400.'),
  max_links_per_span: z
    .number()
    .int()
    .positive()
    .default(1024)
    .describe('Most links on one span; more get 400.'),
  auth: authSchema,
  tls: tlsSchema,
});
export type OtlpHttpConfig = z.infer<typeof otlpHttpConfigSchema>;
