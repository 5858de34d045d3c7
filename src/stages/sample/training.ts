// Training examples from final labeled records:
//   - SFT: the output as a demonstration, when people (or a judge) approved it
//     and nothing verifiable or explicit says it is wrong;
//   - preference pairs: chosen = a correction's or edit's text, rejected = the
//     original output.
// The train/eval split hashes the conversation id (else the user id, else the
// request id), so a conversation — or a user's requests — never straddles the
// two splits and eval measures generalization, not memory.

import type { Interaction, Message } from '../../model/interaction';
import type { TrainingExample, TrainingExampleSource, TrainingSplit } from '../../model/outputs';
import type { LabeledRecord, LabelSource } from '../../model/record';
import { outputText } from '../label/text';
import { lineageOf, stableId } from './lineage';
import { unitHash } from './policies/probabilistic';

export interface TrainingOptions {
  sft: { enabled: boolean; minQualityScore: number };
  preference: { enabled: boolean; from: ReadonlySet<'correction' | 'edit'> };
  evalShare: number;
  splitSeed: string;
}

/** The key the split hashes, prefixed by its kind so ids of different kinds never coincide. */
export function splitKey(i: Interaction | undefined, requestId: string): string {
  if (i?.conversationId) return `conversation:${i.conversationId}`;
  if (i?.userId) return `user:${i.userId}`;
  return `request:${requestId}`;
}

/** eval iff unitHash(split_seed, "split", key) < eval_share (the same hash as probabilistic sampling: probabilistic.ts). */
export function splitOf(i: Interaction | undefined, requestId: string, evalShare: number, seed: string): TrainingSplit {
  return unitHash(seed, 'split', splitKey(i, requestId)) < evalShare ? 'eval' : 'train';
}

const EXPLICIT: ReadonlySet<LabelSource> = new Set(['user', 'expert', 'judge']);
/** Negative labels that rule an output out as a demonstration; implicit ones are too weak to veto. */
const VETO: ReadonlySet<LabelSource> = new Set(['user', 'expert', 'judge', 'rule']);

function hasContent(messages: readonly Message[]): boolean {
  return messages.some((m) => m.parts.some((p) => (p.type === 'text' ? p.content.trim() !== '' : p.type === 'tool_call')));
}

/** Examples without inclusionProbability (the route decides that). Empty when the record yields none. */
export function trainingCandidates(record: LabeledRecord, o: TrainingOptions): Omit<TrainingExample, 'inclusionProbability'>[] {
  const i = record.interaction;
  if (!i) return [];
  const out: Omit<TrainingExample, 'inclusionProbability'>[] = [];
  const split = splitOf(i, record.requestId, o.evalShare, o.splitSeed);
  const base = {
    split,
    requestId: record.requestId,
    recordId: record.recordId,
    systemInstructions: i.systemInstructions,
    prompt: i.inputMessages,
    labels: record.labels,
    qualityScore: record.qualityScore,
    lineage: lineageOf(i),
    createdMs: record.emittedMs,
  };

  if (o.sft.enabled && hasContent(i.outputMessages)) {
    const positives = record.labels.filter((l) => l.value === true && EXPLICIT.has(l.source));
    const vetoed = record.labels.some((l) => l.value === false && VETO.has(l.source));
    const q = record.qualityScore;
    if (positives.length > 0 && !vetoed && q !== undefined && q >= o.sft.minQualityScore) {
      const fromPeople = positives.some((l) => l.source !== 'judge');
      const source: TrainingExampleSource = fromPeople ? 'positive_feedback' : 'judge';
      const ids = [...new Set(positives.flatMap((l) => l.derivedFrom))].filter((id) => !id.startsWith('rule:'));
      out.push({ ...base, exampleId: stableId('training_example', record.recordId, 'sft'), kind: 'sft', chosen: i.outputMessages, source, sourceSignalIds: ids });
    }
  }

  if (o.preference.enabled && hasContent(i.outputMessages)) {
    const original = outputText(i).trim();
    for (const s of record.feedback) {
      if (s.feedbackKind !== 'correction' && s.feedbackKind !== 'edit') continue;
      if (!o.preference.from.has(s.feedbackKind) || s.source === 'implicit') continue;
      const text = s.text?.trim();
      // Without a different text there is nothing to prefer.
      if (!text || text === original) continue;
      out.push({
        ...base,
        exampleId: stableId('training_example', record.recordId, 'preference', s.signalId),
        kind: 'preference',
        chosen: [{ role: 'assistant', parts: [{ type: 'text', content: s.text! }] }],
        rejected: i.outputMessages,
        source: s.feedbackKind,
        sourceSignalIds: [s.signalId],
      });
    }
  }
  return out;
}
