// One error base for the whole service. `code` is stable and machine-readable
// (listed in ERROR_CODES), `retryable` tells a client whether to try again:
// the OTLP receiver maps retryable errors to 503/429 with Retry-After and
// the rest to 4xx.

export const ERROR_CODES = {
  CONFIG_INVALID: 'config_invalid',
  OTLP_DECODE: 'otlp_decode',
  OTLP_LIMIT: 'otlp_limit',
  UNSUPPORTED_MEDIA_TYPE: 'unsupported_media_type',
  PAYLOAD_TOO_LARGE: 'payload_too_large',
  PIPELINE_FULL: 'pipeline_full',
  SHUTTING_DOWN: 'shutting_down',
  STORE_UNAVAILABLE: 'store_unavailable',
  SINK_UNAVAILABLE: 'sink_unavailable',
  REDACTION_FAILED: 'redaction_failed',
  SCHEMA_INCOMPATIBLE: 'schema_incompatible',
  UNAUTHORIZED: 'unauthorized',
} as const;

export type ErrorCode = (typeof ERROR_CODES)[keyof typeof ERROR_CODES];

export class FeedbackLoopError extends Error {
  readonly code: ErrorCode;
  readonly retryable: boolean;

  constructor(code: ErrorCode, message: string, options: { cause?: unknown; retryable?: boolean } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'FeedbackLoopError';
    this.code = code;
    this.retryable = options.retryable ?? false;
  }
}

/** Input that can never be processed: reject (4xx) or dead-letter it, never retry. */
export class PermanentError extends FeedbackLoopError {
  constructor(code: ErrorCode, message: string, cause?: unknown) {
    super(code, message, { cause, retryable: false });
    this.name = 'PermanentError';
  }
}

/** A condition that passes: the client should retry later (503/429). */
export class RetryableError extends FeedbackLoopError {
  readonly retryAfterSeconds: number;
  constructor(code: ErrorCode, message: string, retryAfterSeconds = 1, cause?: unknown) {
    super(code, message, { cause, retryable: true });
    this.name = 'RetryableError';
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
