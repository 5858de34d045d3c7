// What the Kafka sink and the Kafka source share: the broker-list config type
// and the bridge from kafkajs's own logger to the service's pino logger.

import { z } from 'zod';
import { logLevel, type LogEntry, type logCreator } from 'kafkajs';
import type { Logger } from '../../telemetry/logger';

const HOST_PORT = /^(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]+):\d{1,5}$/;

/**
 * Bootstrap brokers: a YAML list, or one comma-separated string — so that
 * `brokers: ${env:KAFKA_BROKERS:-127.0.0.1:9092}` works with the same
 * variable the collector's kafka exporter reads.
 */
export const brokerList = z
  .union([z.string(), z.array(z.string())])
  .transform((v) => (Array.isArray(v) ? v : v.split(',')).map((b) => b.trim()).filter((b) => b !== ''))
  .pipe(
    z
      .array(z.string().regex(HOST_PORT, 'must be host:port, e.g. 127.0.0.1:9092'))
      .min(1, 'name at least one broker (host:port)'),
  );

// Fields of kafkajs log entries worth keeping. An allow-list, because the
// entries are free-form; none of these carry message keys or values.
const KEEP = ['broker', 'clientId', 'groupId', 'memberId', 'topic', 'partition', 'retryCount', 'retryTime', 'error', 'host', 'port'];

/**
 * kafkajs logs through this into pino, under `component`. kafkajs reports
 * every failed connection attempt as an ERROR; during a broker outage that is
 * expected and retried, so ERROR and WARN become pino warnings, INFO debug.
 */
export function kafkaLogCreator(logger: Logger, component: string): logCreator {
  const child = logger.child({ component, lib: 'kafkajs' });
  return () =>
    ({ namespace, level, log }: LogEntry) => {
      const fields: Record<string, unknown> = { namespace };
      for (const k of KEEP) {
        const v = (log as Record<string, unknown>)[k];
        if (v !== undefined) fields[k] = v instanceof Error ? v.message : v;
      }
      const msg = String(log.message);
      // Said on every idempotent producer the sink creates; the sink bounds
      // retries on purpose (the outbox retries), so it is not news.
      if (msg.startsWith('Limiting retries for the idempotent producer')) return void child.debug(fields, msg);
      if (level === logLevel.ERROR || level === logLevel.WARN) child.warn(fields, msg);
      else if (level === logLevel.INFO) child.debug(fields, msg);
      else child.trace(fields, msg);
    };
}
