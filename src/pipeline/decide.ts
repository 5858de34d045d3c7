import { createHash } from 'node:crypto';
import type { DeadLetter } from '../model';
import type { OutboxDraft } from './outbox';
import { deadLetterToAvro } from '../sinks/avro/convert';
import { encodeRecord } from '../sinks/avro/schemas';

// Dead letters skip label/sample/route: they are written as they are.

export function deadLetterDraft(dl: DeadLetter): OutboxDraft {
  const value = deadLetterToAvro(dl);
  const recordId = createHash('sha256')
    .update(`${dl.receivedMs}\u0000${dl.reason}\u0000${dl.component}\u0000${dl.detail}\u0000${dl.payloadSha256 ?? ''}`)
    .digest('hex')
    .slice(0, 32);
  return { topic: 'dead_letters', key: dl.reason, recordId, payload: encodeRecord('dead_letters', value), timeMs: dl.receivedMs };
}
