// A client for the Confluent schema registry REST API (also served by
// Apicurio's ccompat API, Karapace and Redpanda): just what the sink needs to
// find — and, if allowed, register — each topic's schema under the
// topic-name strategy (`<kafka topic>-value`), refusing an incompatible one.

import { ERROR_CODES, FeedbackLoopError, RetryableError, errorMessage } from '../../pipeline/errors';

const CONTENT_TYPE = 'application/vnd.schemaregistry.v1+json';

/** Confluent error codes the client tells apart. */
const SUBJECT_NOT_FOUND = 40401;
const VERSION_NOT_FOUND = 40402;
const SCHEMA_NOT_FOUND = 40403;

export type FetchFn = (url: string, init: RequestInit) => Promise<Response>;

export interface SchemaRegistryOptions {
  /** Base URL, e.g. http://127.0.0.1:8081 or http://host/apis/ccompat/v7. */
  url: string;
  /** Per request. */
  timeoutMs?: number;
  fetch?: FetchFn;
}

interface RegistryAnswer {
  status: number;
  body: Record<string, unknown>;
}

export class SchemaRegistryClient {
  private readonly base: string;
  private readonly timeoutMs: number;
  private readonly fetchFn: FetchFn;

  constructor(options: SchemaRegistryOptions) {
    this.base = options.url.replace(/\/+$/, '');
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.fetchFn = options.fetch ?? ((url, init) => fetch(url, init));
  }

  /**
   * The id of `schema` under `subject`. With `register`, first checks it
   * against the subject's latest version under the subject's compatibility
   * rule, then registers it (a no-op returning the existing id if it is
   * already there). Throws a non-retryable SCHEMA_INCOMPATIBLE error naming
   * the subject when the registry refuses it, or when it is not registered
   * and `register` is false.
   */
  async ensure(subject: string, schema: string, register: boolean): Promise<number> {
    if (!register) {
      const found = await this.lookup(subject, schema);
      if (found === undefined) {
        throw new FeedbackLoopError(
          ERROR_CODES.SCHEMA_INCOMPATIBLE,
          `schema registry: subject "${subject}" does not hold this service's schema and schema_registry_auto_register is false; register it first`,
        );
      }
      return found;
    }
    const check = await this.checkCompatibility(subject, schema);
    if (!check.compatible) throw incompatible(subject, check.messages);
    const res = await this.call('POST', `/subjects/${encodeURIComponent(subject)}/versions`, { schema });
    // 409: the registry's own compatibility check refused it (a race with another writer, or a rule the check did not apply).
    if (res.status === 409) throw incompatible(subject, messagesOf(res.body));
    if (res.status !== 200) throw unexpected('register a schema under', subject, res);
    return idOf(res.body, subject);
  }

  /** Is `schema` compatible with the latest version of `subject`? A subject with no versions accepts anything. */
  async checkCompatibility(subject: string, schema: string): Promise<{ compatible: boolean; messages: string[] }> {
    const res = await this.call('POST', `/compatibility/subjects/${encodeURIComponent(subject)}/versions/latest?verbose=true`, { schema });
    if (res.status === 404) {
      const code = res.body.error_code;
      if (code === SUBJECT_NOT_FOUND || code === VERSION_NOT_FOUND || code === undefined) return { compatible: true, messages: [] };
    }
    if (res.status === 409 || res.status === 422) return { compatible: false, messages: messagesOf(res.body) };
    if (res.status !== 200) throw unexpected('check compatibility for', subject, res);
    return { compatible: res.body.is_compatible === true, messages: messagesOf(res.body) };
  }

  /** The id `schema` has under `subject`, or undefined if it is not registered there. */
  async lookup(subject: string, schema: string): Promise<number | undefined> {
    const res = await this.call('POST', `/subjects/${encodeURIComponent(subject)}`, { schema });
    if (res.status === 404) {
      const code = res.body.error_code;
      if (code === SUBJECT_NOT_FOUND || code === SCHEMA_NOT_FOUND || code === undefined) return undefined;
    }
    if (res.status !== 200) throw unexpected('look up a schema under', subject, res);
    return idOf(res.body, subject);
  }

  /** The schema text registered with `id`. */
  async schemaById(id: number): Promise<string> {
    const res = await this.call('GET', `/schemas/ids/${id}`);
    if (res.status !== 200 || typeof res.body.schema !== 'string') throw unexpected('fetch schema id', String(id), res);
    return res.body.schema;
  }

  /** One request. Network trouble and 5xx are RetryableError; the caller decides how long to keep trying. */
  private async call(method: 'GET' | 'POST', path: string, payload?: unknown): Promise<RegistryAnswer> {
    let res: Response;
    try {
      res = await this.fetchFn(`${this.base}${path}`, {
        method,
        headers: { accept: CONTENT_TYPE, ...(payload === undefined ? {} : { 'content-type': CONTENT_TYPE }) },
        body: payload === undefined ? undefined : JSON.stringify(payload),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (err) {
      throw new RetryableError(ERROR_CODES.SINK_UNAVAILABLE, `schema registry ${this.base} unreachable: ${errorMessage(err)}`, 1, err);
    }
    const text = await res.text().catch(() => '');
    if (res.status >= 500) {
      throw new RetryableError(ERROR_CODES.SINK_UNAVAILABLE, `schema registry ${this.base} answered ${res.status}: ${text.slice(0, 200)}`);
    }
    let body: Record<string, unknown> = {};
    try {
      const parsed: unknown = text ? JSON.parse(text) : {};
      if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) body = parsed as Record<string, unknown>;
    } catch {
      body = { message: text.slice(0, 200) };
    }
    return { status: res.status, body };
  }
}

function messagesOf(body: Record<string, unknown>): string[] {
  const out: string[] = [];
  if (Array.isArray(body.messages)) for (const m of body.messages) out.push(String(m));
  if (typeof body.message === 'string') out.push(body.message);
  return out;
}

function idOf(body: Record<string, unknown>, subject: string): number {
  const id = body.id;
  if (typeof id !== 'number' || !Number.isInteger(id) || id < 0 || id > 0xffffffff) {
    throw new FeedbackLoopError(ERROR_CODES.SCHEMA_INCOMPATIBLE, `schema registry: no valid schema id for subject "${subject}"`);
  }
  return id;
}

function incompatible(subject: string, messages: string[]): FeedbackLoopError {
  const why = messages.length ? `: ${messages.slice(0, 3).join('; ').slice(0, 500)}` : '';
  return new FeedbackLoopError(
    ERROR_CODES.SCHEMA_INCOMPATIBLE,
    `schema registry: this service's schema is not compatible with the latest version of subject "${subject}"${why}. ` +
      'Evolve the schema compatibly, or change the subject\'s compatibility rule or the topic name.',
  );
}

function unexpected(what: string, subject: string, res: RegistryAnswer): FeedbackLoopError {
  return new FeedbackLoopError(
    ERROR_CODES.SCHEMA_INCOMPATIBLE,
    `schema registry: could not ${what} "${subject}" (HTTP ${res.status}${messagesOf(res.body).length ? `: ${messagesOf(res.body)[0]!.slice(0, 200)}` : ''})`,
  );
}
