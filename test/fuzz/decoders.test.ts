import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { decodeLogsProto, decodeTracesProto } from '../../src/otlp/proto';
import { decodeLogsJson, decodeTracesJson } from '../../src/otlp/json';
import { PermanentError } from '../../src/pipeline/errors';
import { createNormalizer, defaultNormalizeConfig } from '../../src/stages/normalize';
import type { LogsData, TracesData } from '../../src/otlp/types';
import { SEED, bodies, mutate } from './arbitraries';

const good = bodies(false);
const bad = bodies(true);

// Property: whatever bytes arrive, a decoder returns data or throws a
// PermanentError (→ 400) — never a TypeError, RangeError or stack overflow
// (→ 500 or a crash) — and what it returns the normalizer can take. Seeded:
// FUZZ_SEED=<n> replays a failure fast-check reports. Bounded by run counts
// chosen to keep this file around 5 s.

const normalizer = createNormalizer(defaultNormalizeConfig());

function decodeOrPermanent<T>(decode: () => T): T | undefined {
  try {
    return decode();
  } catch (e) {
    if (e instanceof PermanentError) {
      assert.ok(e.code === 'otlp_decode' || e.code === 'otlp_limit', `unexpected code ${e.code}`);
      assert.ok(e.message.length < 2000, 'error messages stay short');
      return undefined;
    }
    throw e;
  }
}

const ID = /^([0-9a-f]{32})?$/;
const SID = /^([0-9a-f]{16})?$/;

function checkTraces(d: TracesData | undefined): void {
  if (!d) return;
  for (const rs of d.resourceSpans) {
    for (const ss of rs.scopeSpans) {
      for (const s of ss.spans) {
        assert.match(s.traceId, ID);
        assert.match(s.spanId, SID);
        assert.ok(s.attributes instanceof Map);
      }
    }
  }
  normalizer.traces(d);
}

function checkLogs(d: LogsData | undefined): void {
  if (!d) return;
  for (const rl of d.resourceLogs) for (const sl of rl.scopeLogs) for (const r of sl.logRecords) assert.match(r.traceId, ID);
  normalizer.logs(d);
}

const opts = (numRuns: number) => ({ seed: SEED, numRuns });

test('fuzz well-formed bodies: always decode (both encodings) and the normalizer finds GenAI in them', () => {
  const kinds = new Set<string>();
  const count = (r: { events: { kind: string }[] }) => r.events.forEach((e) => kinds.add(e.kind));
  fc.assert(
    fc.property(good.pbTraces, good.jsonTraces, good.pbLogs, good.jsonLogs, (pt, jt, pl, jl) => {
      count(normalizer.traces(decodeTracesProto(pt)));
      count(normalizer.traces(decodeTracesJson(jt)));
      count(normalizer.logs(decodeLogsProto(pl)));
      count(normalizer.logs(decodeLogsJson(jl)));
    }),
    opts(600),
  );
  // Not a property of the code under test, a check on the generators: the fuzz reaches the dialect parsers.
  assert.ok(kinds.has('interaction') && kinds.has('feedback') && kinds.has('content'), `events seen: ${[...kinds].join(', ')}`);
});

test('fuzz protobuf: structured bodies with wrong wire types and lying lengths', () => {
  fc.assert(fc.property(bad.pbTraces, (b) => checkTraces(decodeOrPermanent(() => decodeTracesProto(b)))), opts(1500));
  fc.assert(fc.property(bad.pbLogs, (b) => checkLogs(decodeOrPermanent(() => decodeLogsProto(b)))), opts(1500));
});

test('fuzz protobuf: mutated well-formed and hostile bodies, decoded as both signals', () => {
  fc.assert(
    fc.property(mutate(fc.oneof(good.pbTraces, good.pbLogs, bad.pbTraces, bad.pbLogs)), (b) => {
      checkTraces(decodeOrPermanent(() => decodeTracesProto(b)));
      checkLogs(decodeOrPermanent(() => decodeLogsProto(b)));
    }),
    opts(2000),
  );
});

test('fuzz JSON: documents with a wrong type in any slot', () => {
  fc.assert(fc.property(bad.jsonTraces, (b) => checkTraces(decodeOrPermanent(() => decodeTracesJson(b)))), opts(1500));
  fc.assert(fc.property(bad.jsonLogs, (b) => checkLogs(decodeOrPermanent(() => decodeLogsJson(b)))), opts(1500));
});

test('fuzz JSON: mutated documents and random bytes are a PermanentError or data', () => {
  fc.assert(
    fc.property(fc.oneof(mutate(fc.oneof(good.jsonTraces, good.jsonLogs, bad.jsonTraces)), fc.uint8Array({ maxLength: 64 }), fc.string().map((s) => new TextEncoder().encode(s))), (b) => {
      checkTraces(decodeOrPermanent(() => decodeTracesJson(b)));
      checkLogs(decodeOrPermanent(() => decodeLogsJson(b)));
    }),
    opts(2000),
  );
});
