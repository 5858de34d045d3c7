// What tasks and examples share: where the interaction came from, and ids
// derived from content so the same output emitted twice has the same id.

import { createHash } from 'node:crypto';
import type { Interaction } from '../../model/interaction';
import type { Lineage } from '../../model/outputs';

export function lineageOf(i: Interaction): Lineage {
  return {
    dialect: i.dialect,
    provider: i.provider,
    requestModel: i.requestModel,
    responseModel: i.responseModel,
    promptName: i.promptName,
    promptVersion: i.promptVersion,
    serviceName: i.resource?.serviceName,
    serviceVersion: i.resource?.serviceVersion,
  };
}

/** 128 bits of SHA-256 over the parts, NUL-separated, as hex. */
export function stableId(...parts: string[]): string {
  return createHash('sha256').update(parts.join('\u0000')).digest('hex').slice(0, 32);
}
