// The redact stage's logic: walk one PipelineEvent, redact every free-text
// string, pseudonymize identifiers, apply key rules to `extra`, and build a new
// event. Fields the join and the sinks rely on (request id, response id, span
// context, ids inside messages) are never touched, so records still join.
// Anything this walker does not know is redacted as text rather than passed
// through, and anything unexpected fails the whole event (fail closed).

import { ERROR_CODES, FeedbackLoopError } from '../../pipeline/errors';
import type {
  ContentFragment,
  FeedbackSignal,
  Interaction,
  Message,
  MessagePart,
  PipelineEvent,
  RedactionSummary,
} from '../../model';
import { FEEDBACK_REASONS } from '../../model';
import type { OperatorName } from './config';
import { BLOCKED_VALUE, mayBeJson, redactJson } from './json';
import { applyOperator, EventContext, type Pseudonymizer } from './operators';
import type { CompiledPattern } from './pattern';
import type { Scanner, Span } from './scan';

export interface Redactor {
  /** Returns the redacted event (a new object; the input is not mutated) and what was found. Throws (fail closed) if anything goes wrong. */
  redact(event: PipelineEvent): { event: PipelineEvent; summary: RedactionSummary };
  /** Free text, e.g. a log-safe string. */
  redactText(text: string): { text: string; entities: Record<string, number> };
  /** Keyed HMAC-SHA-256 pseudonym for identifiers (user id, session id, actor). */
  pseudonymize(value: string): string;
}

/** Everything decided at load time; the hot path only reads it. */
export interface RedactPlan {
  policyVersion: string;
  scanner: Scanner;
  operatorFor(type: string): OperatorName;
  maskKeepLast: number;
  hmac: Pseudonymizer | null;
  identifierOperator: 'hash' | 'drop';
  allowedValues: readonly CompiledPattern[];
  keyRules: KeyRules;
}

export interface KeyRules {
  allowAllKeys: boolean;
  allowedKeys: ReadonlySet<string>;
  ignoredKeys: ReadonlySet<string>;
  blockedKeyPatterns: readonly CompiledPattern[];
}

/** A shape the walker refuses. Its message names fields only, so it may be shown. */
class ShapeError extends Error {}

const MAX_DEPTH = 64;
/** JSON inside a JSON string inside…: beyond this depth, inner strings are scanned as plain text. */
const MAX_JSON_NESTING = 3;
const REASONS: ReadonlySet<string> = new Set(FEEDBACK_REASONS);

const INTERACTION_KEYS = new Set([
  'kind', 'requestId', 'dialect', 'span', 'parentSpanId', 'provider', 'operation', 'requestModel', 'responseModel',
  'responseId', 'conversationId', 'userId', 'sessionId', 'promptName', 'promptVersion', 'params', 'usage',
  'startTimeMs', 'endTimeMs', 'latencyMs', 'timeToFirstChunkMs', 'finishReasons', 'systemInstructions',
  'inputMessages', 'outputMessages', 'resource', 'errorType', 'extra',
]);
const CONTENT_KEYS = new Set(['kind', 'span', 'timeMs', 'dialect', 'systemInstructions', 'inputMessages', 'outputMessages', 'sequence']);
const FEEDBACK_KEYS = new Set([
  'kind', 'signalId', 'target', 'feedbackKind', 'value', 'label', 'reason', 'text', 'name', 'source', 'actor', 'observedTimeMs',
]);
const MESSAGE_KEYS = new Set(['role', 'parts', 'name', 'finishReason']);
const PART_KEYS: Record<string, ReadonlySet<string>> = {
  text: new Set(['type', 'content']),
  reasoning: new Set(['type', 'content']),
  tool_call: new Set(['type', 'id', 'name', 'arguments']),
  tool_call_response: new Set(['type', 'id', 'response']),
  other: new Set(['type', 'originalType', 'content']),
};
/** The free-text field of each part type. */
const TEXT_FIELDS = ['content', 'arguments', 'response'] as const;
const SPAN_KEYS = new Set(['traceId', 'spanId']);
const TARGET_KEYS = new Set(['requestId', 'span']);
const USAGE_KEYS = new Set(['inputTokens', 'outputTokens', 'totalTokens', 'cacheReadInputTokens', 'cacheCreationInputTokens', 'reasoningTokens']);
const RESOURCE_KEYS = new Set(['serviceName', 'serviceVersion', 'environment']);
const PARAM_KEYS = new Set([
  'temperature', 'topP', 'topK', 'maxTokens', 'frequencyPenalty', 'presencePenalty', 'seed', 'stopSequences', 'choiceCount', 'outputType',
]);

type Obj = Record<string, unknown>;

const MAX_CACHED_KEYS = 4096;

/**
 * `${path}[${i}].parts` for a message list ("inputMessages", "outputMessages"),
 * built once per index: it is only read when something fails, but every
 * message needs one.
 */
const PARTS_PATHS = new Map<string, string[]>();
function partsPath(path: string, i: number): string {
  if (i >= 1024) return `${path}[${i}].parts`;
  let byIndex = PARTS_PATHS.get(path);
  if (byIndex === undefined) PARTS_PATHS.set(path, (byIndex = []));
  return (byIndex[i] ??= `${path}[${i}].parts`);
}

/**
 * A key worth remembering: short, and only letters, "_", "." and "-". Keys with
 * digits, "@", spaces or other characters (an email or phone used as a map key,
 * a sentence) are checked afresh each time and never kept.
 */
function isPlainKeyName(key: string): boolean {
  if (key.length === 0 || key.length > 64) return false;
  for (let i = 0; i < key.length; i++) {
    const c = key.charCodeAt(i);
    if (!((c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95 || c === 46 || c === 45)) return false;
  }
  return true;
}

export class PlanRedactor implements Redactor {
  /**
   * blocked_key_patterns verdicts by key. The same attribute and JSON key names
   * (customer_email, order_id…) come back in every event, and each verdict runs
   * every pattern on the NFA engine. Bounded, and only for plain names (see
   * isPlainKeyName), so no value-like key is kept beyond its event.
   */
  private readonly blockedKeys = new Map<string, boolean>();

  constructor(private readonly plan: RedactPlan) {}

  redact(event: PipelineEvent): { event: PipelineEvent; summary: RedactionSummary } {
    const ctx = new EventContext();
    try {
      let out: PipelineEvent;
      const kind = (event as { kind?: unknown } | null)?.kind;
      if (kind === 'interaction') out = this.interaction(event as Interaction, ctx);
      else if (kind === 'content') out = this.content(event as ContentFragment, ctx);
      else if (kind === 'feedback') out = this.feedback(event as FeedbackSignal, ctx);
      else throw new ShapeError('unknown event kind');
      return { event: out, summary: ctx.summary(this.plan.policyVersion) };
    } catch (err) {
      throw failClosed(err, ctx.where);
    }
  }

  redactText(text: string): { text: string; entities: Record<string, number> } {
    const ctx = new EventContext();
    try {
      if (typeof text !== 'string') throw new ShapeError('redactText expects a string');
      return { text: this.field(text, ctx, 0), entities: ctx.summary(this.plan.policyVersion).entities };
    } catch (err) {
      throw failClosed(err, 'text');
    }
  }

  pseudonymize(value: string): string {
    if (!this.plan.hmac) {
      throw new FeedbackLoopError(ERROR_CODES.REDACTION_FAILED, 'pseudonymize needs the HMAC key (redact.hmac_key_env), which is not set');
    }
    if (typeof value !== 'string') throw failClosed(new ShapeError('pseudonymize expects a string'), 'identifier');
    return this.plan.hmac.identifier(value);
  }

  // ── events ────────────────────────────────────────────────────────────────

  private interaction(ev: Interaction, ctx: EventContext): Interaction {
    const out = this.copyKnown(ev as unknown as Obj, INTERACTION_KEYS, ctx) as unknown as Interaction;
    out.span = this.copyKnown(ev.span as unknown as Obj, SPAN_KEYS, ctx, 'span') as unknown as Interaction['span'];
    out.params = this.params(ev.params, ctx);
    out.usage = this.copyKnown(ev.usage as unknown as Obj, USAGE_KEYS, ctx, 'usage') as Interaction['usage'];
    out.resource = this.copyKnown(ev.resource as unknown as Obj, RESOURCE_KEYS, ctx, 'resource') as Interaction['resource'];
    out.finishReasons = this.stringArray(ev.finishReasons, 'finishReasons').slice();
    this.optionalText(out, 'conversationId', ev.conversationId, ctx);
    this.optionalText(out, 'errorType', ev.errorType, ctx);
    this.identifier(out, 'userId', ev.userId, ctx);
    this.identifier(out, 'sessionId', ev.sessionId, ctx);
    out.systemInstructions = this.parts(ev.systemInstructions, ctx, 'systemInstructions');
    out.inputMessages = this.messages(ev.inputMessages, ctx, 'inputMessages');
    out.outputMessages = this.messages(ev.outputMessages, ctx, 'outputMessages');
    out.extra = this.extra(ev.extra, ctx);
    return out;
  }

  private content(ev: ContentFragment, ctx: EventContext): ContentFragment {
    const out = this.copyKnown(ev as unknown as Obj, CONTENT_KEYS, ctx) as unknown as ContentFragment;
    out.span = this.copyKnown(ev.span as unknown as Obj, SPAN_KEYS, ctx, 'span') as unknown as ContentFragment['span'];
    out.systemInstructions = this.parts(ev.systemInstructions, ctx, 'systemInstructions');
    out.inputMessages = this.messages(ev.inputMessages, ctx, 'inputMessages');
    out.outputMessages = this.messages(ev.outputMessages, ctx, 'outputMessages');
    return out;
  }

  private feedback(ev: FeedbackSignal, ctx: EventContext): FeedbackSignal {
    const out = this.copyKnown(ev as unknown as Obj, FEEDBACK_KEYS, ctx) as unknown as FeedbackSignal;
    const target = this.copyKnown(ev.target as unknown as Obj, TARGET_KEYS, ctx, 'target') as unknown as FeedbackSignal['target'];
    if (ev.target.span) target.span = this.copyKnown(ev.target.span as unknown as Obj, SPAN_KEYS, ctx, 'target.span') as unknown as NonNullable<FeedbackSignal['target']['span']>;
    out.target = target;
    for (const key of ['label', 'text', 'name'] as const) this.optionalText(out, key, ev[key], ctx);
    if (ev.reason !== undefined && !REASONS.has(ev.reason)) this.optionalText(out, 'reason', ev.reason, ctx);
    this.identifier(out, 'actor', ev.actor, ctx);
    return out;
  }

  // ── parts of events ───────────────────────────────────────────────────────

  private messages(list: Message[], ctx: EventContext, path: string): Message[] {
    if (!Array.isArray(list)) throw new ShapeError(`${path} is not an array`);
    return list.map((m, i) => {
      if (m === null || typeof m !== 'object') throw new ShapeError(`${path}[${i}] is not an object`);
      const out = this.copyKnown(m as unknown as Obj, MESSAGE_KEYS, ctx, path, i) as unknown as Message;
      out.parts = this.parts(m.parts, ctx, partsPath(path, i));
      // A participant's name may be a person's: scan it like text. (An error here names
      // inputMessages[i].name; it used to say only "name".)
      ctx.whereAt(path, i, 'name');
      if (m.name !== undefined) out.name = this.field(this.strAtWhere(m.name, ctx), ctx, 0);
      return out;
    });
  }

  private parts(list: MessagePart[], ctx: EventContext, path: string): MessagePart[] {
    if (!Array.isArray(list)) throw new ShapeError(`${path} is not an array`);
    return list.map((p, i) => {
      if (p === null || typeof p !== 'object') throw new ShapeError(`${path}[${i}] is not an object`);
      // Own keys only: a part of type "constructor" or "toString" is an unknown type, not Object.prototype's.
      const known = Object.hasOwn(PART_KEYS, p.type) ? PART_KEYS[p.type] : undefined;
      if (!known) {
        // A part type this code does not know: keep its type, redact everything else.
        const out = this.generic(p, ctx, 0, `${path}[${i}]`) as Obj;
        out.type = p.type;
        return out as unknown as MessagePart;
      }
      const out = this.copyKnown(p as unknown as Obj, known, ctx, path, i);
      for (let t = 0; t < TEXT_FIELDS.length; t++) {
        const key = TEXT_FIELDS[t]!;
        if (key in p) {
          ctx.whereAt(path, i, key);
          out[key] = this.field(this.strAtWhere((p as unknown as Obj)[key], ctx), ctx, 0);
        }
      }
      return out as unknown as MessagePart;
    });
  }

  private params(params: Interaction['params'], ctx: EventContext): Interaction['params'] {
    const out = this.copyKnown(params as unknown as Obj, PARAM_KEYS, ctx, 'params') as Interaction['params'];
    if (params.stopSequences !== undefined) {
      out.stopSequences = this.stringArray(params.stopSequences, 'params.stopSequences').map((s) => this.field(s, ctx, 0));
    }
    if (params.outputType !== undefined) out.outputType = this.str(params.outputType, 'params.outputType');
    return out;
  }

  /** interaction.extra under the key rules of the collector's redaction processor. */
  private extra(extra: Record<string, string>, ctx: EventContext): Record<string, string> {
    if (extra === null || typeof extra !== 'object' || Array.isArray(extra)) throw new ShapeError('extra is not an object');
    const rules = this.plan.keyRules;
    const out: Record<string, string> = {};
    for (const [key, raw] of Object.entries(extra)) {
      ctx.where = 'extra';
      if (rules.ignoredKeys.has(key)) {
        out[key] = raw;
        continue;
      }
      if (!rules.allowAllKeys && !rules.allowedKeys.has(key)) {
        ctx.keysRedacted++;
        continue;
      }
      if (this.blockedKey(key)) {
        out[key] = BLOCKED_VALUE;
        ctx.keysRedacted++;
        continue;
      }
      // The contract says strings; a number (a phone?) is scanned as its text rather than let through.
      const value = typeof raw === 'number' || typeof raw === 'boolean' ? String(raw) : this.str(raw, 'extra value');
      out[key] = this.field(value, ctx, 0);
    }
    return out;
  }

  // ── strings ───────────────────────────────────────────────────────────────

  /** A free-text field: JSON stays valid JSON, anything else is scanned as text. */
  private field(text: string, ctx: EventContext, depth: number): string {
    if (depth < MAX_JSON_NESTING && mayBeJson(text)) {
      const json = redactJson(text, {
        text: (s) => this.field(s, ctx, depth + 1),
        blockedKey: (k) => this.blockedKey(k),
        onBlocked: () => ctx.keysRedacted++,
      });
      if (json !== null) return json;
    }
    return this.scanText(text, ctx);
  }

  private scanText(text: string, ctx: EventContext): string {
    const spans: Span[] = this.plan.scanner.detect(text);
    if (spans.length === 0) return text;
    let out = '';
    let last = 0;
    const allowed = this.plan.allowedValues;
    for (const s of spans) {
      const value = text.slice(s.start, s.end);
      if (allowed.length > 0 && allowed.some((p) => p.fullMatch(value))) continue;
      ctx.count(s.type);
      out += text.slice(last, s.start) + applyOperator(this.plan.operatorFor(s.type), s.type, value, ctx, this.plan);
      last = s.end;
    }
    return last === 0 && out === '' ? text : out + text.slice(last);
  }

  private blockedKey(key: string): boolean {
    const cacheable = isPlainKeyName(key);
    if (cacheable) {
      const known = this.blockedKeys.get(key);
      if (known !== undefined) return known;
    }
    const blocked = this.plan.keyRules.blockedKeyPatterns.some((p) => p.test(key));
    if (cacheable) {
      if (this.blockedKeys.size >= MAX_CACHED_KEYS) this.blockedKeys.clear();
      this.blockedKeys.set(key, blocked);
    }
    return blocked;
  }

  private optionalText<T extends object>(out: T, key: keyof T & string, value: unknown, ctx: EventContext): void {
    if (value === undefined) return;
    ctx.where = key;
    (out as Obj)[key] = this.field(this.str(value, key), ctx, 0);
  }

  private identifier<T extends object>(out: T, key: keyof T & string, value: unknown, ctx: EventContext): void {
    if (value === undefined) return;
    ctx.where = key;
    const s = this.str(value, key);
    if (this.plan.identifierOperator === 'drop') delete (out as Obj)[key];
    else (out as Obj)[key] = this.pseudonymize(s);
  }

  /** str() naming the field at ctx.where, which is only spelled out if the value is not a string. */
  private strAtWhere(value: unknown, ctx: EventContext): string {
    if (typeof value !== 'string') throw new ShapeError(`${ctx.where} is not a string`);
    return value;
  }

  private str(value: unknown, where: string): string {
    if (typeof value !== 'string') throw new ShapeError(`${where} is not a string`);
    return value;
  }

  private stringArray(value: unknown, where: string): string[] {
    if (!Array.isArray(value) || value.some((v) => typeof v !== 'string')) throw new ShapeError(`${where} is not an array of strings`);
    return value as string[];
  }

  /**
   * A shallow copy in which known keys are copied as they are (the caller
   * replaces those that need redaction) and unknown keys are redacted as
   * text: a field added to the model later is safe before this code learns it.
   */
  private copyKnown(obj: Obj, known: ReadonlySet<string>, ctx: EventContext, path = '', index = -1): Obj {
    // The field's path is `${path}[${index}]` (or path alone), spelled out only when needed.
    if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) {
      throw new ShapeError(`${(index < 0 ? path : `${path}[${index}]`) || 'event'} is not an object`);
    }
    const out: Obj = {};
    // Object.keys and a lookup rather than Object.entries: no pair arrays on the hot path.
    const keys = Object.keys(obj);
    for (let i = 0; i < keys.length; i++) {
      const k = keys[i]!;
      const v = obj[k];
      if (known.has(k)) out[k] = v;
      else {
        const where = index < 0 ? path : `${path}[${index}]`;
        out[k] = this.generic(v, ctx, 0, where ? `${where}.${k}` : k);
      }
    }
    return out;
  }

  /** Deep copy that redacts every string in it. */
  private generic(value: unknown, ctx: EventContext, depth: number, where: string): unknown {
    if (depth > MAX_DEPTH) throw new ShapeError(`${where} is nested too deeply`);
    if (typeof value === 'string') {
      ctx.where = where;
      return this.field(value, ctx, 0);
    }
    if (value === null || typeof value !== 'object') return value;
    if (Array.isArray(value)) return value.map((v, i) => this.generic(v, ctx, depth + 1, `${where}[${i}]`));
    const out: Obj = {};
    for (const [k, v] of Object.entries(value as Obj)) out[k] = this.generic(v, ctx, depth + 1, `${where}.${k}`);
    return out;
  }
}

/** Redaction switched off on purpose (enabled: false with allow_unredacted: true). */
export class PassThroughRedactor implements Redactor {
  redact(event: PipelineEvent): { event: PipelineEvent; summary: RedactionSummary } {
    return { event: structuredClone(event), summary: { policyVersion: 'unredacted', entities: {}, keysRedacted: 0 } };
  }
  redactText(text: string): { text: string; entities: Record<string, number> } {
    return { text, entities: {} };
  }
  pseudonymize(value: string): string {
    return value;
  }
}

/**
 * Every failure becomes REDACTION_FAILED. The message names the field, never
 * its content, and the original error is not attached: engine messages (a
 * JSON.parse error, say) can quote the input.
 */
function failClosed(err: unknown, where: string): FeedbackLoopError {
  if (err instanceof FeedbackLoopError && err.code === ERROR_CODES.REDACTION_FAILED) return err;
  const detail = err instanceof ShapeError ? err.message : err instanceof Error ? err.name : typeof err;
  return new FeedbackLoopError(ERROR_CODES.REDACTION_FAILED, `redaction failed${where ? ` at ${where}` : ''}: ${detail}`);
}
