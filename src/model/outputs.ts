// What the decide stage derives from a LabeledRecord for the annotation and
// training topics. The Avro schemas schemas/annotation_task.avsc and
// schemas/training_example.avsc mirror these types (snake_case there).

import type { Dialect, Message, MessagePart } from './interaction';
import type { FeedbackSignal } from './feedback';
import type { Label } from './record';

/** Why a task is in the annotation queue; the order is the default priority order. */
export const ANNOTATION_PRIORITY_REASONS = [
  'negative_with_reason',
  'low_confidence',
  'disagreement',
  'diverse_sample',
] as const;
export type AnnotationPriorityReason = (typeof ANNOTATION_PRIORITY_REASONS)[number];

export type AnswerType = 'binary' | 'score' | 'text';

/** One question an annotator answers; the answer becomes a label on `dimension`. */
export interface AnnotationQuestion {
  dimension: string;
  /** As shown to the annotator. */
  question: string;
  answerType: AnswerType;
}

/** Which model, prompt template and service produced an interaction. */
export interface Lineage {
  dialect: Dialect;
  provider?: string;
  requestModel?: string;
  responseModel?: string;
  promptName?: string;
  promptVersion?: string;
  serviceName?: string;
  serviceVersion?: string;
}

/** One interaction queued for human annotation. */
export interface AnnotationTask {
  /** Deterministic: the same task emitted twice has the same id. */
  taskId: string;
  requestId: string;
  /** recordId of the LabeledRecord the task was made from. */
  recordId: string;
  /** Lower is served first. */
  priority: number;
  priorityReason: AnnotationPriorityReason;
  systemInstructions: MessagePart[];
  inputMessages: Message[];
  outputMessages: Message[];
  feedback: FeedbackSignal[];
  labels: Label[];
  questions: AnnotationQuestion[];
  /** Probability that an interaction like this became a task; weight = 1 / p. */
  inclusionProbability: number;
  lineage: Lineage;
  createdMs: number;
}

export type TrainingExampleKind = 'sft' | 'preference';
export type TrainingSplit = 'train' | 'eval';
export type TrainingExampleSource = 'positive_feedback' | 'correction' | 'edit' | 'judge' | 'rule';

/** One SFT demonstration or preference pair. */
export interface TrainingExample {
  /** Deterministic: the same example emitted twice has the same id. */
  exampleId: string;
  kind: TrainingExampleKind;
  /** By a stable hash of the conversation id, else the user id, else the request id: a conversation never spans both splits. */
  split: TrainingSplit;
  requestId: string;
  recordId: string;
  systemInstructions: MessagePart[];
  prompt: Message[];
  /** The model output (sft) or the corrected / edited answer (preference). */
  chosen: Message[];
  /** The original model output, for preference pairs only. */
  rejected?: Message[];
  labels: Label[];
  qualityScore?: number;
  source: TrainingExampleSource;
  /** The feedback signals the example was built from. */
  sourceSignalIds: string[];
  /** Probability that an interaction like this became an example; weight = 1 / p. */
  inclusionProbability: number;
  lineage: Lineage;
  createdMs: number;
}
