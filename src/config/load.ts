import { readFileSync } from 'node:fs';
import { LineCounter, parseDocument, isMap, isSeq, isScalar, type Node } from 'yaml';
import type { z } from 'zod';
import { configSchema, type Config } from './schema';

/** One problem in a config file, with the YAML path of the key it concerns. */
export interface ConfigProblem {
  path: string;
  message: string;
  /** 1-based line in the file, when known. */
  line?: number;
}

/** A config that failed validation: every problem, not just the first. */
export class ConfigError extends Error {
  constructor(
    readonly file: string,
    readonly problems: ConfigProblem[],
  ) {
    super(`${file}: ${problems.length} problem${problems.length === 1 ? '' : 's'}\n` + problems.map(formatProblem).join('\n'));
    this.name = 'ConfigError';
  }
}

export function formatProblem(p: ConfigProblem): string {
  return `  ${p.path || '(root)'}${p.line ? ` (line ${p.line})` : ''}: ${p.message}`;
}

/** `sampling.policies[2].percentage` from ['sampling','policies',2,'percentage']. */
export function formatPath(path: ReadonlyArray<PropertyKey>): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else out += out ? `.${String(seg)}` : String(seg);
  }
  return out;
}

const ENV_REF = /\$\{(?:env:)?([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

/**
 * Replace ${env:NAME}, ${NAME} and ${NAME:-default} in string values, the
 * collector's way of taking secrets from the environment. A missing variable
 * without a default is a problem reported with the key's path.
 */
function expandEnv(value: unknown, path: PropertyKey[], env: NodeJS.ProcessEnv, problems: ConfigProblem[]): unknown {
  if (typeof value === 'string') {
    return value.replace(ENV_REF, (_m, name: string, fallback: string | undefined) => {
      const v = env[name];
      if (v !== undefined) return v;
      if (fallback !== undefined) return fallback;
      problems.push({ path: formatPath(path), message: `environment variable ${name} is not set` });
      return '';
    });
  }
  if (Array.isArray(value)) return value.map((v, i) => expandEnv(v, [...path, i], env, problems));
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = expandEnv(v, [...path, k], env, problems);
    return out;
  }
  return value;
}

function lineOf(doc: ReturnType<typeof parseDocument>, path: ReadonlyArray<PropertyKey>, lc: LineCounter): number | undefined {
  // Walk as far down the path as the document goes; report the deepest node found.
  let node: Node | null | undefined = doc.contents as Node | null;
  let found: Node | null | undefined = node;
  for (const seg of path) {
    if (isMap(node)) {
      const pair = node.items.find((p) => isScalar(p.key) && p.key.value === seg);
      if (!pair) break;
      found = (pair.key as Node) ?? found;
      node = pair.value as Node | null;
      if (node) found = node;
    } else if (isSeq(node) && typeof seg === 'number') {
      node = node.items[seg] as Node | undefined;
      if (!node) break;
      found = node;
    } else break;
  }
  const offset = found?.range?.[0];
  return offset === undefined ? undefined : lc.linePos(offset).line;
}

function zodProblems(error: z.ZodError, locate: (p: ReadonlyArray<PropertyKey>) => number | undefined): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  for (const issue of error.issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) {
        const path = [...issue.path, key];
        problems.push({ path: formatPath(path), message: 'unknown key', line: locate(path) });
      }
    } else if (issue.code === 'invalid_union' && issue.errors.length > 0) {
      // Report the first branch's complaint; union branches restate the same problem.
      const first = issue.errors[0]![0];
      problems.push({ path: formatPath(issue.path), message: first?.message ?? issue.message, line: locate(issue.path) });
    } else {
      problems.push({ path: formatPath(issue.path), message: issue.message, line: locate(issue.path) });
    }
  }
  return problems;
}

/** Parse and validate YAML text. Throws ConfigError listing every problem. */
export function parseConfig(text: string, file = '<config>', env: NodeJS.ProcessEnv = process.env): Config {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false, uniqueKeys: true });
  const problems: ConfigProblem[] = [];
  for (const e of doc.errors) {
    problems.push({ path: '', message: `YAML: ${e.message.split('\n')[0]}`, line: e.linePos?.[0]?.line });
  }
  if (problems.length) throw new ConfigError(file, problems);
  const raw = expandEnv(doc.toJS() ?? {}, [], env, problems);
  const result = configSchema.safeParse(raw);
  if (!result.success) problems.push(...zodProblems(result.error, (p) => lineOf(doc, p, lc)));
  if (problems.length) throw new ConfigError(file, problems);
  return (result as { data: Config }).data;
}

export function loadConfig(file: string, env: NodeJS.ProcessEnv = process.env): Config {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(file, [{ path: '', message: `cannot read: ${(err as Error).message}` }]);
  }
  return parseConfig(text, file, env);
}

/** The built-in defaults: what an empty file means. */
export function defaultConfig(): Config {
  return parseConfig('{}', '<defaults>', {});
}
