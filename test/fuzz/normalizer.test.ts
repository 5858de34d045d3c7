import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { createNormalizer, defaultNormalizeConfig, normalizeConfigSchema } from '../../src/stages/normalize';
import type { LogsData, TracesData } from '../../src/otlp/types';
import { SEED, logsData, tracesData } from './arbitraries';

// Property: the normalizer never throws, whatever a (decodable) request holds:
// random values under every GenAI dialect's keys, JSON strings that are
// message arrays, almost-JSON, deeply nested or the wrong type, NaN and
// infinities, bytes, hostile keys. It counts every item it is given.

const normalizers = [
  createNormalizer(defaultNormalizeConfig()),
  createNormalizer(
    normalizeConfigSchema.parse({
      request_id_attributes: ['feedback.request_id', 'gen_ai.response.id', '__proto__'],
      keep_attributes: ['gen_ai.prompt', 'constructor', 'user.id'],
      skip_operations: [],
    }),
  ),
];

const spanCount = (d: TracesData) => d.resourceSpans.reduce((n, rs) => n + rs.scopeSpans.reduce((m, ss) => m + ss.spans.length, 0), 0);
const logCount = (d: LogsData) => d.resourceLogs.reduce((n, rl) => n + rl.scopeLogs.reduce((m, sl) => m + sl.logRecords.length, 0), 0);

test('fuzz normalize traces: never throws, counts every span, emits well-formed events', () => {
  fc.assert(
    fc.property(tracesData, (d) => {
      for (const n of normalizers) {
        const r = n.traces(d);
        assert.equal(r.received, spanCount(d));
        for (const ev of r.events) assert.ok(typeof ev === 'object' && ev !== null && typeof ev.kind === 'string');
        for (const v of Object.values(r.dropped)) assert.ok(Number.isInteger(v) && v > 0);
      }
    }),
    { seed: SEED, numRuns: 1500 },
  );
});

test('fuzz normalize logs: never throws, counts every record', () => {
  fc.assert(
    fc.property(logsData, (d) => {
      for (const n of normalizers) {
        const r = n.logs(d);
        assert.equal(r.received, logCount(d));
        for (const ev of r.events) assert.ok(typeof ev === 'object' && ev !== null && typeof ev.kind === 'string');
      }
    }),
    { seed: SEED + 1, numRuns: 1500 },
  );
});
