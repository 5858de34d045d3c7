import pino from 'pino';

export type Logger = pino.Logger;

export interface LoggerOptions {
  level: string;
  /** Where log lines go; defaults to stderr so stdout stays free for command output. */
  destination?: pino.DestinationStream;
}

// Message content never reaches a log line: components log counts, ids and
// reasons only. As a second guard, pino's redaction removes the fields that
// could carry content if a future change logged a record by mistake.
const REDACTED_PATHS = [
  'body',
  'payload',
  'record.interaction',
  'record.feedback',
  'interaction',
  'feedback',
  'content',
  'text',
  'headers.authorization',
  'authorization',
  'token',
  'password',
];

export function createLogger(options: LoggerOptions): Logger {
  return pino(
    {
      level: options.level,
      base: { service: 'otel-feedback-loop' },
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    options.destination ?? pino.destination({ fd: 2, sync: false }),
  );
}

/** A logger that discards everything, for unit tests. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
