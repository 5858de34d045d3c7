// A small regular-expression engine that runs in linear time, for the patterns
// users write in config (custom detectors, key rules). JavaScript's own RegExp
// backtracks: `(a+)+$` or even `a+b` scanned over "aaaa…" can take quadratic or
// exponential time, and a config file must not be able to stall the pipeline.
// No RE2 binding can be built here, so this is a Thompson NFA simulated
// Pike-style: every position is visited once with at most one thread per
// program instruction, so a search costs O(text length × program size).
//
// Syntax: a subset of JavaScript RegExp — literals, `.`, classes `[a-z\d]`,
// `\d \D \w \W \s \S \b \B`, `^ $`, groups `(…)` `(?:…)` `(?<name>…)`,
// alternation, `* + ? {n} {n,} {n,m}` (lazy forms accepted, treated as greedy),
// a leading `(?i)` for ASCII case-insensitivity. Backreferences and lookaround
// are refused: they have no linear-time simulation.

import { CharSet, MAX_PATTERN_LENGTH, normalizeRanges, Parser, PatternError, type Assertion, type Node } from './pattern-syntax';

export { PatternError } from './pattern-syntax';

export interface PatternOptions {
  caseInsensitive?: boolean;
}

/** A match: [start, end) in UTF-16 code units. */
export interface PatternMatch {
  start: number;
  end: number;
}

export interface CompiledPattern {
  readonly source: string;
  /** True if the pattern matches anywhere in text. */
  test(text: string): boolean;
  /** True if the pattern matches the whole text. */
  fullMatch(text: string): boolean;
  /**
   * Every match, as the longest match ending at each position where one ends
   * (earliest start wins). Overlapping results are the caller's to merge; a
   * redactor covers their union, which is never less than what a backtracking
   * engine would have found.
   */
  matches(text: string): PatternMatch[];
}

const MAX_PROGRAM = 20_000;

// ── compiler: AST → program ──────────────────────────────────────────────────

const OP_SET = 0;
const OP_SPLIT = 1; // try a, then b
const OP_JMP = 2;
const OP_ASSERT = 3;
const OP_MATCH = 4;

const ASSERT_CODE: Record<Assertion, number> = { bol: 0, eol: 1, word: 2, nonword: 3 };

class Program {
  op: number[] = [];
  a: number[] = [];
  b: number[] = [];
  sets: CharSet[] = [];

  emit(op: number, a = 0, b = 0): number {
    if (this.op.length >= MAX_PROGRAM) throw new PatternError(`pattern is too large (more than ${MAX_PROGRAM} steps once repetitions are expanded)`);
    this.op.push(op);
    this.a.push(a);
    this.b.push(b);
    return this.op.length - 1;
  }

  compile(node: Node): void {
    switch (node.t) {
      case 'set':
        this.sets.push(new CharSet(node.ranges, node.negated));
        this.emit(OP_SET, this.sets.length - 1);
        return;
      case 'assert':
        this.emit(OP_ASSERT, ASSERT_CODE[node.kind]);
        return;
      case 'seq':
        for (const item of node.items) this.compile(item);
        return;
      case 'alt': {
        const jumps: number[] = [];
        for (let k = 0; k < node.alts.length - 1; k++) {
          const split = this.emit(OP_SPLIT);
          this.a[split] = split + 1;
          this.compile(node.alts[k]!);
          jumps.push(this.emit(OP_JMP));
          this.b[split] = this.op.length;
        }
        this.compile(node.alts[node.alts.length - 1]!);
        for (const j of jumps) this.a[j] = this.op.length;
        return;
      }
      case 'rep': {
        for (let k = 0; k < node.min; k++) this.compile(node.node);
        if (node.max === Infinity) {
          const split = this.emit(OP_SPLIT);
          this.a[split] = split + 1;
          this.compile(node.node);
          this.emit(OP_JMP, split);
          this.b[split] = this.op.length;
        } else {
          const splits: number[] = [];
          for (let k = node.min; k < node.max; k++) {
            const split = this.emit(OP_SPLIT);
            this.a[split] = split + 1;
            splits.push(split);
            this.compile(node.node);
          }
          for (const s of splits) this.b[s] = this.op.length;
        }
        return;
      }
    }
  }
}

// ── simulation ───────────────────────────────────────────────────────────────

function isWordCode(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
}

class LinearPattern implements CompiledPattern {
  private readonly op: Uint8Array;
  private readonly a: Int32Array;
  private readonly b: Int32Array;
  private readonly sets: CharSet[];
  /** Code units that can start a match; null when a match can start without consuming (skip nothing). */
  private readonly first: CharSet | null;

  // Scratch space for run(), allocated once: most calls test short strings (attribute
  // keys), where allocating per call would cost more than matching. run() is
  // synchronous and never re-entered, so sharing is safe.
  private readonly cpc: Int32Array;
  private readonly cstart: Int32Array;
  private readonly npc: Int32Array;
  private readonly nstart: Int32Array;
  private readonly mark: Int32Array;
  private readonly stack: Int32Array;
  private generation = 0;

  constructor(
    readonly source: string,
    prog: Program,
    first: CharSet | null,
  ) {
    this.op = Uint8Array.from(prog.op);
    this.a = Int32Array.from(prog.a);
    this.b = Int32Array.from(prog.b);
    this.sets = prog.sets;
    this.first = first;
    const size = this.op.length;
    this.cpc = new Int32Array(size);
    this.cstart = new Int32Array(size);
    this.npc = new Int32Array(size);
    this.nstart = new Int32Array(size);
    this.mark = new Int32Array(size).fill(-1);
    this.stack = new Int32Array(size * 2 + 2);
  }

  test(text: string): boolean {
    return this.run(text, 'any', null);
  }

  fullMatch(text: string): boolean {
    return this.run(text, 'full', null);
  }

  matches(text: string): PatternMatch[] {
    const out: PatternMatch[] = [];
    this.run(text, 'all', out);
    return out;
  }

  /** Adds pc0 and everything reachable from it without consuming input to (pcs, starts); returns the new length. */
  private add(pcs: Int32Array, starts: Int32Array, len: number, pc0: number, start: number, text: string, pos: number): number {
    const { mark, stack, op, a, b } = this;
    const generation = this.generation;
    let sp = 0;
    stack[sp++] = pc0;
    while (sp > 0) {
      const pc = stack[--sp]!;
      if (mark[pc] === generation) continue;
      mark[pc] = generation;
      switch (op[pc]) {
        case OP_JMP:
          stack[sp++] = a[pc]!;
          break;
        case OP_SPLIT:
          stack[sp++] = b[pc]!; // pushed first, so explored second: a keeps priority
          stack[sp++] = a[pc]!;
          break;
        case OP_ASSERT:
          if (this.assertHolds(a[pc]!, text, pos)) stack[sp++] = pc + 1;
          break;
        default:
          pcs[len] = pc;
          starts[len] = start;
          len++;
      }
    }
    return len;
  }

  /**
   * One left-to-right pass. Threads are kept in priority order and a thread
   * started earlier always precedes one started later, so when two threads
   * reach the same instruction the one kept has the earliest start: that is
   * what makes "longest match ending here" exact without backtracking.
   */
  private run(text: string, mode: 'any' | 'full' | 'all', out: PatternMatch[] | null): boolean {
    const n = text.length;
    let cpc = this.cpc, cstart = this.cstart, clen = 0;
    let npc = this.npc, nstart = this.nstart, nlen = 0;
    const mark = this.mark;
    if (this.generation > 0x3fffffff - 2 * (n + 2)) {
      // Generations only grow; start over long before the counter could wrap.
      mark.fill(-1);
      this.generation = 0;
    }
    let found = false;
    for (let pos = 0; pos <= n; pos++) {
      this.generation++;
      // Re-mark the threads already queued for this position so `add` skips them.
      for (let k = 0; k < clen; k++) mark[cpc[k]!] = this.generation;
      if (mode !== 'full' || pos === 0) {
        // No thread alive and this code unit cannot start a match: nothing can happen here.
        if (clen === 0 && this.first !== null && pos < n && !this.first.has(text.charCodeAt(pos))) {
          if (mode === 'full') return false;
          continue;
        }
        clen = this.add(cpc, cstart, clen, 0, pos, text, pos);
      }
      if (clen === 0) {
        if (mode === 'full') return false;
        continue;
      }
      const c = pos < n ? text.charCodeAt(pos) : -1;
      this.generation++;
      nlen = 0;
      let matchedStart = -1;
      for (let k = 0; k < clen; k++) {
        const pc = cpc[k]!;
        if (this.op[pc] === OP_MATCH) {
          if (matchedStart < 0) matchedStart = cstart[k]!;
          continue;
        }
        if (c >= 0 && this.sets[this.a[pc]!]!.has(c)) nlen = this.add(npc, nstart, nlen, pc + 1, cstart[k]!, text, pos + 1);
      }
      if (matchedStart >= 0) {
        if (mode === 'any') return true;
        if (mode === 'full') {
          if (pos === n) return true;
        } else if (matchedStart < pos) {
          found = true;
          out!.push({ start: matchedStart, end: pos });
        }
      }
      [cpc, npc] = [npc, cpc];
      [cstart, nstart] = [nstart, cstart];
      clen = nlen;
    }
    return found;
  }

  private assertHolds(kind: number, text: string, pos: number): boolean {
    switch (kind) {
      case 0:
        return pos === 0;
      case 1:
        return pos === text.length;
      default: {
        const before = pos > 0 && isWordCode(text.charCodeAt(pos - 1));
        const after = pos < text.length && isWordCode(text.charCodeAt(pos));
        return (before !== after) === (kind === 2);
      }
    }
  }
}

/** The code units a match can start with, or null if one can start without consuming any. */
function firstSet(prog: Program): CharSet | null {
  const seen = new Set<number>();
  const stack = [0];
  const ranges: number[] = [];
  while (stack.length) {
    const pc = stack.pop()!;
    if (seen.has(pc)) continue;
    seen.add(pc);
    switch (prog.op[pc]) {
      case OP_JMP:
        stack.push(prog.a[pc]!);
        break;
      case OP_SPLIT:
        stack.push(prog.a[pc]!, prog.b[pc]!);
        break;
      case OP_ASSERT:
        stack.push(pc + 1);
        break;
      case OP_MATCH:
        return null;
      default:
        ranges.push(...prog.sets[prog.a[pc]!]!.effectiveRanges());
    }
  }
  return new CharSet(normalizeRanges(ranges, false), false);
}

/** Compile a pattern or throw PatternError saying what is wrong and where. */
export function compilePattern(source: string, options: PatternOptions = {}): CompiledPattern {
  if (source.length > MAX_PATTERN_LENGTH) throw new PatternError(`pattern longer than ${MAX_PATTERN_LENGTH} characters`);
  let body = source;
  let fold = options.caseInsensitive === true;
  if (body.startsWith('(?i)')) {
    fold = true;
    body = body.slice(4);
  }
  const ast = new Parser(body, fold).parse();
  const prog = new Program();
  prog.compile(ast);
  prog.emit(OP_MATCH);
  return new LinearPattern(source, prog, firstSet(prog));
}
