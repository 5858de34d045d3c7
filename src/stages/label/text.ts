// The text views of an interaction that the rule labelers and the sampler's
// near-duplicate filter read. Only `text` parts count: reasoning, tool calls
// and other parts are not what the user saw as the answer or asked as the question.

import type { Interaction, Message, MessagePart } from '../../model/interaction';

function partsText(parts: readonly MessagePart[]): string {
  let out = '';
  for (const p of parts) if (p.type === 'text' && p.content) out += (out ? '\n' : '') + p.content;
  return out;
}

/** The answer as the user saw it: text parts of every output message. */
export function outputText(i: Interaction): string {
  let out = '';
  for (const m of i.outputMessages) {
    const t = partsText(m.parts);
    if (t) out += (out ? '\n' : '') + t;
  }
  return out;
}

/** The question: the last user message that has text. */
export function lastUserText(i: Interaction): string {
  for (let k = i.inputMessages.length - 1; k >= 0; k--) {
    const m: Message = i.inputMessages[k]!;
    if (m.role !== 'user') continue;
    const t = partsText(m.parts).trim();
    if (t) return t;
  }
  return '';
}

/** System instructions, in whichever form the dialect carried them. */
export function systemText(i: Interaction): string {
  let out = partsText(i.systemInstructions);
  for (const m of i.inputMessages) {
    if (m.role !== 'system' && m.role !== 'developer') continue;
    const t = partsText(m.parts);
    if (t) out += (out ? '\n' : '') + t;
  }
  return out;
}
