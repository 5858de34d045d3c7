import { createHash } from 'node:crypto';
import type { DeadLetter, LabeledRecord } from '../model';
import type { OutboxDraft } from './outbox';
import { deadLetterToAvro, labeledRecordToAvro } from '../sinks/avro/convert';

// Until the label and sample stages land (issue: labels, sampling and
// routing), every joined record is kept with probability 1 and routed to the
// full labeled stream; orphaned feedback goes to its own topic.

export function keepAll(record: LabeledRecord): OutboxDraft[] {
  const topic = record.interaction ? 'labeled_interactions' : 'orphaned_feedback';
  record.sampling = { probability: 1, policy: 'always', routes: [topic] };
  return [{ topic, key: record.requestId, recordId: record.recordId, value: labeledRecordToAvro(record), timeMs: record.emittedMs }];
}

export function deadLetterDraft(dl: DeadLetter): OutboxDraft {
  const value = deadLetterToAvro(dl);
  const recordId = createHash('sha256')
    .update(`${dl.receivedMs}\u0000${dl.reason}\u0000${dl.component}\u0000${dl.detail}\u0000${dl.payloadSha256 ?? ''}`)
    .digest('hex')
    .slice(0, 32);
  return { topic: 'dead_letters', key: dl.reason, recordId, value, timeMs: dl.receivedMs };
}
