// Shared by the sample tests: a context on a fake clock, records with labels
// set directly (policies read labels; they need no labeler), and a policy
// built from its YAML-shaped config.
import type { Label, LabeledRecord, LabelSource } from '../../../src/model';
import { FakeClock, Metrics, silentLogger, type ComponentContext } from '../../../src/telemetry';
import { buildPolicy, policySchema, type Policy, type PolicyConfig } from '../../../src/stages/sample';
import { interaction } from '../../helpers/events';
import { record } from '../label/record';

export function testContext(clock = new FakeClock()): ComponentContext & { clock: FakeClock } {
  return { clock, metrics: new Metrics(), logger: silentLogger() };
}

export function label(dimension: string, value: boolean, source: LabelSource = 'user', confidence = 0.9): Label {
  return { dimension, value, source, confidence, criterion: 'c.', derivedFrom: ['s'] };
}

/** A final record for request `id` with the given labels. */
export function withLabels(id: string, labels: Label[] = [], over: Partial<LabeledRecord> = {}): LabeledRecord {
  return record(interaction({ requestId: id }), [], { labels, ...over });
}

export interface Built {
  policy: Policy;
  limited: string[];
}

export function policy(cfg: PolicyConfig, ctx = testContext(), seed = 'seed'): Built {
  const limited: string[] = [];
  const parsed = policySchema.parse(cfg);
  const p = buildPolicy(parsed, parsed.name ?? 'p', {
    seed,
    clock: ctx.clock,
    estimateWindowMs: 60_000,
    limited: (name) => () => limited.push(name),
  });
  return { policy: p, limited };
}
