// A labeled record around an interaction and its feedback, for label and sample tests.
import type { FeedbackSignal, Interaction, LabeledRecord } from '../../../src/model';
import { noRedaction } from '../../helpers/events';

export function record(interaction: Interaction | undefined, feedback: FeedbackSignal[] = [], over: Partial<LabeledRecord> = {}): LabeledRecord {
  const requestId = over.requestId ?? interaction?.requestId ?? 'orphan-1';
  return {
    recordId: `rec-${requestId}-1`,
    requestId,
    version: 1,
    final: true,
    closeReason: interaction ? 'window_expired' : 'orphan',
    interaction,
    feedback,
    labels: [],
    redaction: noRedaction,
    firstSeenMs: Date.UTC(2026, 0, 1),
    emittedMs: Date.UTC(2026, 0, 2),
    ...over,
  };
}
