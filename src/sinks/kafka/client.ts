// What the Kafka sink and the Kafka source share: the broker-list config type
// and the bridge from kafkajs's own logger to the service's pino logger.

import { z } from 'zod';
import { readFileSync } from 'node:fs';
import { logLevel, type KafkaConfig, type LogEntry, type logCreator } from 'kafkajs';
import type { Clock } from '../../telemetry/clock';
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

/** The same warning at most once per this interval (the next one says how many were suppressed). */
const WARN_INTERVAL_MS = 10_000;

/**
 * kafkajs logs through this into pino, under `component`. kafkajs reports
 * every failed connection attempt as an ERROR; during a broker outage that is
 * expected and retried, so ERROR and WARN become pino warnings — each distinct
 * one at most every 10 s — and INFO becomes debug.
 */
export function kafkaLogCreator(logger: Logger, component: string, clock: Clock): logCreator {
  const child = logger.child({ component, lib: 'kafkajs' });
  const last = new Map<string, { atMs: number; suppressed: number }>();
  const warn = (fields: Record<string, unknown>, msg: string): void => {
    const key = `${String(fields.namespace)}\u0000${msg}`;
    const now = clock.now();
    const seen = last.get(key);
    if (seen && now - seen.atMs < WARN_INTERVAL_MS) {
      seen.suppressed++;
      return;
    }
    if (last.size > 1000) last.clear(); // messages carry addresses; keep the map bounded
    last.set(key, { atMs: now, suppressed: 0 });
    child.warn({ ...fields, suppressed: seen?.suppressed ?? 0 }, msg);
  };
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
      if (level === logLevel.ERROR || level === logLevel.WARN) warn(fields, msg);
      else if (level === logLevel.INFO) child.debug(fields, msg);
      else child.trace(fields, msg);
    };
}

/**
 * TLS and SASL to the brokers, shared by the Kafka source and sink. Secrets
 * come from the environment through the config's `${env:NAME}` substitution;
 * files are read once when the client is built. Never logged.
 */
export const kafkaSecuritySchema = z
  .strictObject({
    tls: z
      .strictObject({
        enabled: z.boolean().default(false).describe('Connect to the brokers over TLS.'),
        ca_file: z.string().optional().describe('PEM file of the CA that signed the brokers\' certificates. Default: the system CAs.'),
        cert_file: z.string().optional().describe('PEM client certificate, for brokers that require mutual TLS.'),
        key_file: z.string().optional().describe('PEM private key of cert_file.'),
        server_name: z.string().optional().describe('Name expected in the brokers\' certificates, if not the broker host.'),
      })
      .prefault({})
      .refine((t) => Boolean(t.cert_file) === Boolean(t.key_file), { message: 'cert_file and key_file go together', path: ['key_file'] })
      .describe('TLS to the brokers.'),
    sasl: z
      .strictObject({
        mechanism: z.enum(['plain', 'scram-sha-256', 'scram-sha-512']).describe('SASL mechanism.'),
        username: z.string().min(1).describe('SASL user name.'),
        password: z.string().min(1).describe('SASL password; use ${env:NAME} so it is not written in the file.'),
      })
      .optional()
      .describe('SASL authentication. Default: none.'),
  })
  .prefault({});
export type KafkaSecurity = z.output<typeof kafkaSecuritySchema>;

/** The kafkajs `ssl` / `sasl` client options for a security config. */
export function kafkaSecurityOptions(
  security: KafkaSecurity,
  readFile: (path: string) => string = (p) => readFileSync(p, 'utf8'),
): Pick<KafkaConfig, 'ssl' | 'sasl'> {
  const out: Pick<KafkaConfig, 'ssl' | 'sasl'> = {};
  const t = security.tls;
  if (t.enabled) {
    const hasOptions = t.ca_file || t.cert_file || t.server_name;
    out.ssl = hasOptions
      ? {
          ...(t.ca_file ? { ca: [readFile(t.ca_file)] } : {}),
          ...(t.cert_file ? { cert: readFile(t.cert_file), key: readFile(t.key_file!) } : {}),
          ...(t.server_name ? { servername: t.server_name } : {}),
        }
      : true;
  }
  const s = security.sasl;
  if (s) {
    out.sasl =
      s.mechanism === 'plain'
        ? { mechanism: 'plain', username: s.username, password: s.password }
        : s.mechanism === 'scram-sha-256'
          ? { mechanism: 'scram-sha-256', username: s.username, password: s.password }
          : { mechanism: 'scram-sha-512', username: s.username, password: s.password };
  }
  return out;
}
