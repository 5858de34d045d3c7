// label → sample/route → build tasks and examples → outbox drafts. The join
// calls decide(record) once per emitted record (eager updates with
// final=false, final records, orphans). Pure except for the budgets' state,
// the near-duplicate memory and the injected clock they read.
//
// Routing:
//   orphan (no interaction)  → orphaned_feedback only
//   eager update (final=false) → labeled_interactions only
//   final record             → labeled_interactions, annotation_tasks, training_examples

import type { LabeledRecord } from '../../model/record';
import type { AnnotationPriorityReason, TrainingExample } from '../../model/outputs';
import type { Topic } from '../../pipeline/contracts';
import type { OutboxDraft } from '../../pipeline/outbox';
import { annotationTaskToAvro, labeledRecordToAvro, trainingExampleToAvro } from '../../sinks/avro/convert';
import { encodeRecord } from '../../sinks/avro/schemas';
import type { ComponentContext } from '../../telemetry/metrics';
import { createLabeler } from '../label/factory';
import type { LabelConfig } from '../label/config';
import type { Labeler } from '../label/label';
import { buildTask, PRIORITY_CLASSES } from './annotation';
import type { SampleConfig } from './config';
import { createSamplePlan, type SamplePlan } from './factory';
import { DROPPED } from './route';
import { SampleStats, type PolicyCounts } from './stats';
import { trainingCandidates } from './training';

export interface DeciderConfig {
  label: LabelConfig;
  sample: SampleConfig;
}

export type RouteName = Exclude<Topic, 'dead_letters'>;

export interface RouteCounts {
  /** Records the route was asked about. */
  offered: number;
  /** Records (tasks, examples) written on the route. */
  kept: number;
}

export interface DecideStats {
  records: number;
  final: number;
  eager: number;
  orphans: number;
  routes: Record<RouteName, RouteCounts>;
  /** route → top-level policy (or budget) → counts; see stats.ts. */
  policies: Record<string, Record<string, PolicyCounts>>;
  /** dimension → how many labels said true / false, over final records and orphans (an eager update is counted with its final record). */
  labels: Record<string, { true: number; false: number }>;
  /** Annotation tasks written, by priority reason. */
  priorities: Record<AnnotationPriorityReason, number>;
  /** Training examples written, by split. */
  splits: { train: number; eval: number };
}

export interface Decider {
  decide(record: LabeledRecord): OutboxDraft[];
  /** The plan in words: labeler, and every route's policies and budgets. */
  describe(): string;
  /** Counts since this decider was created (a reload starts from zero). */
  stats(): DecideStats;
}

/** Encoded here, once: a record that does not match its schema throws, and the join dead-letters it. */
function draft(topic: Topic, record: LabeledRecord, recordId: string, value: unknown): OutboxDraft {
  return { topic, key: record.requestId, recordId, payload: encodeRecord(topic, value), timeMs: record.emittedMs };
}

class PlanDecider implements Decider {
  private readonly counts: Omit<DecideStats, 'policies'>;

  constructor(
    private readonly labeler: Labeler,
    private readonly plan: SamplePlan,
    private readonly sampleStats: SampleStats,
  ) {
    const route = (): RouteCounts => ({ offered: 0, kept: 0 });
    this.counts = {
      records: 0,
      final: 0,
      eager: 0,
      orphans: 0,
      routes: {
        labeled_interactions: route(),
        annotation_tasks: route(),
        training_examples: route(),
        orphaned_feedback: route(),
      },
      labels: {},
      priorities: { negative_with_reason: 0, low_confidence: 0, disagreement: 0, diverse_sample: 0 },
      splits: { train: 0, eval: 0 },
    };
  }

  decide(record: LabeledRecord): OutboxDraft[] {
    this.labeler.label(record);
    const c = this.counts;
    c.records++;
    if (!record.interaction) c.orphans++;
    else if (record.final) c.final++;
    else c.eager++;
    if (record.final) this.countLabels(record);

    if (!record.interaction) {
      delete record.sampling;
      if (!this.plan.orphans) return [];
      c.routes.orphaned_feedback.offered++;
      const o = this.plan.orphans.decide(record);
      if (!o.keep) return [];
      c.routes.orphaned_feedback.kept++;
      record.sampling = { probability: o.probability, policy: o.policy, routes: ['orphaned_feedback'] };
      return [draft('orphaned_feedback', record, record.recordId, labeledRecordToAvro(record))];
    }

    const routes: string[] = [];
    const out: OutboxDraft[] = [];
    if (this.plan.labeled) c.routes.labeled_interactions.offered++;
    const labeled = this.plan.labeled?.decide(record) ?? DROPPED;
    if (labeled.keep) routes.push('labeled_interactions');
    if (record.final) {
      this.annotate(record, routes, out);
      this.train(record, routes, out);
    }
    delete record.sampling;
    if (!labeled.keep) return out;
    c.routes.labeled_interactions.kept++;
    record.sampling = { probability: labeled.probability, policy: labeled.policy, routes };
    out.unshift(draft('labeled_interactions', record, record.recordId, labeledRecordToAvro(record)));
    return out;
  }

  private annotate(record: LabeledRecord, routes: string[], out: OutboxDraft[]): void {
    const a = this.plan.annotation;
    if (!a) return;
    this.counts.routes.annotation_tasks.offered++;
    const d = a.list.evaluate(record);
    if (!d.keep) return;
    const g = a.gate.admit(record);
    if (!g.admitted) return;
    const task = buildTask(record, g.reason, d.probability * g.factor, this.labeler.dimensions);
    const encoded = draft('annotation_tasks', record, task.taskId, annotationTaskToAvro(task));
    g.commit();
    a.list.credit(d.index);
    this.counts.routes.annotation_tasks.kept++;
    this.counts.priorities[g.reason]++;
    routes.push('annotation_tasks');
    out.push(encoded);
  }

  private train(record: LabeledRecord, routes: string[], out: OutboxDraft[]): void {
    const t = this.plan.training;
    if (!t) return;
    // Eligibility first: policies and budgets are spent only on records that yield an example.
    const candidates = trainingCandidates(record, t.options);
    if (candidates.length === 0) return;
    this.counts.routes.training_examples.offered++;
    const o = t.route.decide(record);
    if (!o.keep) return;
    for (const c of candidates) {
      const example: TrainingExample = { ...c, inclusionProbability: o.probability };
      out.push(draft('training_examples', record, example.exampleId, trainingExampleToAvro(example)));
      this.counts.routes.training_examples.kept++;
      this.counts.splits[example.split]++;
    }
    routes.push('training_examples');
  }

  private countLabels(record: LabeledRecord): void {
    for (const l of record.labels) {
      if (typeof l.value !== 'boolean') continue;
      const m = (this.counts.labels[l.dimension] ??= { true: 0, false: 0 });
      if (l.value) m.true++;
      else m.false++;
    }
  }

  describe(): string {
    const p = this.plan;
    const line = (name: string, what: string | undefined): string => `  ${name}: ${what ?? 'disabled'}`;
    return [
      this.labeler.toString(),
      'routes (policies are tried in order; the first that keeps a record decides):',
      line('labeled_interactions', p.labeled?.toString()),
      line('orphaned_feedback', p.orphans?.toString()),
      line('annotation_tasks', p.annotation && `${p.annotation.list.toString()} then ${p.annotation.gate.toString()}; priority ${PRIORITY_CLASSES.join(' > ')}`),
      line(
        'training_examples',
        p.training &&
          `${p.training.route.toString()}; sft ${p.training.options.sft.enabled ? `quality ≥ ${p.training.options.sft.minQualityScore}` : 'off'}, ` +
            `preference ${p.training.options.preference.enabled ? `from ${[...p.training.options.preference.from].join('/')}` : 'off'}, ` +
            `eval share ${p.training.options.evalShare}`,
      ),
    ].join('\n');
  }

  stats(): DecideStats {
    // Copies, so a caller's report does not change under it.
    return structuredClone({ ...this.counts, policies: this.sampleStats.policies }) as DecideStats;
  }
}

/**
 * Builds the decider for a config: cheap (no I/O), so a reload builds a new
 * one and swaps it in. Throws CONFIG_INVALID listing every problem.
 */
export function createDecider(config: DeciderConfig, ctx: ComponentContext): Decider {
  const labeler = createLabeler(config.label);
  const stats = new SampleStats(ctx.metrics);
  const plan = createSamplePlan(config.sample, ctx, stats, new Set(labeler.dimensions.keys()));
  return new PlanDecider(labeler, plan, stats);
}
