// Rule labelers: verifiable labels with no model. Each checks one fact a
// reviewer could check by hand, labels it with source 'rule' and the rule's
// name in derivedFrom, and stays silent when the fact does not apply (a
// response that was not asked for JSON gets no JSON label at all).
//
// Content may be missing: most instrumentations do not capture message
// content unless asked to. With no output messages there is nothing to judge,
// so the content rules say nothing rather than "empty".

import type { Interaction, MessagePart } from '../../model/interaction';
import type { Label } from '../../model/record';
import type { LabelConfig } from './config';
import { BUILTIN_DIMENSIONS } from './defaults';
import { PhraseMatcher } from './phrases';
import { lastUserText, outputText, systemText } from './text';

export interface RuleLabeler {
  readonly name: string;
  /** Appends this rule's label, if it applies, to `out`. */
  apply(i: Interaction, out: Label[]): void;
}

function ruleLabel(name: string, dimension: string, value: boolean, confidence: number, criterion: string): Label {
  return { dimension, value, source: 'rule', confidence, criterion, derivedFrom: [`rule:${name}`] };
}

function parsesAsJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

/** The body of a single ``` fence that wraps the whole text, or undefined. */
function fenced(text: string): string | undefined {
  if (!text.startsWith('```') || !text.endsWith('```') || text.length < 6) return undefined;
  const firstLine = text.indexOf('\n');
  if (firstLine < 0) return undefined;
  // Only a language tag may follow the opening fence.
  const tag = text.slice(3, firstLine).trim();
  if (tag !== '' && tag.toLowerCase() !== 'json') return undefined;
  const body = text.slice(firstLine + 1, -3);
  return body.includes('```') ? undefined : body;
}

function hasNonText(parts: readonly MessagePart[]): boolean {
  return parts.some((p) => p.type !== 'text' && p.type !== 'reasoning');
}

export class ValidJsonRule implements RuleLabeler {
  readonly name = 'valid_json';
  private readonly phrases: PhraseMatcher | undefined;
  private static readonly CRITERION = 'JSON output was requested, and the response text parses as JSON.';

  constructor(private readonly cfg: LabelConfig['rules']['valid_json']) {
    this.phrases = cfg.detect_instructions ? new PhraseMatcher(cfg.instruction_phrases) : undefined;
  }

  /** gen_ai.output.type = json, or (if enabled) an instruction phrase in the system prompt or the last user message. */
  requested(i: Interaction): boolean {
    if (i.params?.outputType?.trim().toLowerCase() === 'json') return true;
    if (!this.phrases) return false;
    return this.phrases.testText(systemText(i)) || this.phrases.testText(lastUserText(i));
  }

  apply(i: Interaction, out: Label[]): void {
    const text = outputText(i).trim();
    // Empty output is the empty_output rule's finding; a tool-call-only answer has no text to parse.
    if (!text || !this.requested(i)) return;
    let ok = parsesAsJson(text);
    if (!ok && this.cfg.allow_code_fence) {
      const body = fenced(text);
      ok = body !== undefined && parsesAsJson(body.trim());
    }
    out.push(ruleLabel(this.name, 'format_compliance', ok, 1, ValidJsonRule.CRITERION));
  }
}

/** Finish reasons that mean the output token limit cut the response off (OpenAI, Anthropic, Gemini, Bedrock spellings). */
const LENGTH_REASONS: ReadonlySet<string> = new Set(['length', 'max_tokens', 'max_output_tokens']);

export class TruncatedRule implements RuleLabeler {
  readonly name = 'truncated';
  private static readonly CRITERION = 'The response was not cut off by the output token limit.';

  static truncated(i: Interaction): boolean {
    for (const r of i.finishReasons ?? []) if (LENGTH_REASONS.has(r.trim().toLowerCase())) return true;
    for (const m of i.outputMessages) if (m.finishReason && LENGTH_REASONS.has(m.finishReason.trim().toLowerCase())) return true;
    return false;
  }

  apply(i: Interaction, out: Label[]): void {
    // Only the negative is verifiable: "not truncated" does not make a response complete.
    if (TruncatedRule.truncated(i)) out.push(ruleLabel(this.name, 'completeness', false, 1, TruncatedRule.CRITERION));
  }
}

export class RefusalRule implements RuleLabeler {
  readonly name = 'refusal';
  private readonly phrases: PhraseMatcher;
  private static readonly CRITERION = 'The response answers the request rather than declining it.';

  constructor(private readonly cfg: LabelConfig['rules']['refusal']) {
    this.phrases = new PhraseMatcher(cfg.phrases);
  }

  apply(i: Interaction, out: Label[]): void {
    const text = outputText(i);
    if (!text) return;
    // A phrase list is a heuristic, and a refusal can be the right answer: moderate confidence, for annotators to confirm.
    if (this.phrases.testText(text, this.cfg.scan_chars)) {
      out.push(ruleLabel(this.name, 'completeness', false, 0.6, RefusalRule.CRITERION));
    }
  }
}

export class EmptyOutputRule implements RuleLabeler {
  readonly name = 'empty_output';
  private static readonly CRITERION = 'The response is not empty.';

  static empty(i: Interaction): boolean {
    if (i.outputMessages.length === 0) {
      // No content captured: empty only if the usage says nothing was generated.
      return i.usage?.outputTokens === 0;
    }
    if (outputText(i).trim() !== '') return false;
    return !i.outputMessages.some((m) => hasNonText(m.parts));
  }

  apply(i: Interaction, out: Label[]): void {
    if (EmptyOutputRule.empty(i)) out.push(ruleLabel(this.name, 'completeness', false, 1, EmptyOutputRule.CRITERION));
  }
}

export class ToolCallJsonRule implements RuleLabeler {
  readonly name = 'tool_call_json';
  private static readonly CRITERION = "Every tool call's arguments parse as JSON.";

  apply(i: Interaction, out: Label[]): void {
    let calls = 0;
    let ok = true;
    for (const m of i.outputMessages) {
      for (const p of m.parts) {
        if (p.type !== 'tool_call') continue;
        calls++;
        const args = (p.arguments ?? '').trim();
        // An empty string is how some SDKs spell a call with no arguments.
        if (args !== '' && !parsesAsJson(args)) ok = false;
      }
    }
    if (calls > 0) out.push(ruleLabel(this.name, 'format_compliance', ok, 1, ToolCallJsonRule.CRITERION));
  }
}

/** The enabled rule labelers, in a fixed order so labels come out in the same order every time. */
export function buildRules(cfg: LabelConfig['rules']): RuleLabeler[] {
  const rules: RuleLabeler[] = [];
  if (cfg.empty_output.enabled) rules.push(new EmptyOutputRule());
  if (cfg.truncated.enabled) rules.push(new TruncatedRule());
  if (cfg.refusal.enabled) rules.push(new RefusalRule(cfg.refusal));
  if (cfg.valid_json.enabled) rules.push(new ValidJsonRule(cfg.valid_json));
  if (cfg.tool_call_json.enabled) rules.push(new ToolCallJsonRule());
  return rules;
}

/** Which built-in dimensions the rules write, for the README and describe(). */
export const RULE_DIMENSIONS: Readonly<Record<string, keyof typeof BUILTIN_DIMENSIONS>> = {
  empty_output: 'completeness',
  truncated: 'completeness',
  refusal: 'completeness',
  valid_json: 'format_compliance',
  tool_call_json: 'format_compliance',
};
