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

export class PatternError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PatternError';
  }
}

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

const MAX_PATTERN_LENGTH = 2000;
const MAX_PROGRAM = 20_000;
const MAX_REPEAT = 1000;
const MAX_DEPTH = 64;

// ── character sets ───────────────────────────────────────────────────────────

/** Sorted, merged [lo, hi] code unit ranges, possibly negated. */
class CharSet {
  private readonly ascii = new Uint8Array(128);
  constructor(
    private readonly ranges: number[],
    private readonly negated: boolean,
  ) {
    for (let c = 0; c < 128; c++) this.ascii[c] = this.inRanges(c) !== negated ? 1 : 0;
  }
  private inRanges(c: number): boolean {
    for (let i = 0; i < this.ranges.length; i += 2) {
      if (c < this.ranges[i]!) return false;
      if (c <= this.ranges[i + 1]!) return true;
    }
    return false;
  }
  has(c: number): boolean {
    return c < 128 ? this.ascii[c] === 1 : this.inRanges(c) !== this.negated;
  }
  /** The code units in the set, as plain (non-negated) ranges. */
  effectiveRanges(): number[] {
    return this.negated ? complement(this.ranges) : this.ranges;
  }
}

const DIGIT = [48, 57];
const WORD = [48, 57, 65, 90, 95, 95, 97, 122];
const SPACE = [9, 13, 32, 32, 160, 160, 0x1680, 0x1680, 0x2000, 0x200a, 0x2028, 0x2029, 0x202f, 0x202f, 0x205f, 0x205f, 0x3000, 0x3000, 0xfeff, 0xfeff];

function normalizeRanges(raw: number[], fold: boolean): number[] {
  const pairs: Array<[number, number]> = [];
  for (let i = 0; i < raw.length; i += 2) pairs.push([raw[i]!, raw[i + 1]!]);
  if (fold) {
    // ASCII case folding: add the other case of every letter in the ranges.
    for (const [lo, hi] of [...pairs]) {
      const a = Math.max(lo, 65), b = Math.min(hi, 90);
      if (a <= b) pairs.push([a + 32, b + 32]);
      const c = Math.max(lo, 97), d = Math.min(hi, 122);
      if (c <= d) pairs.push([c - 32, d - 32]);
    }
  }
  pairs.sort((x, y) => x[0] - y[0]);
  const out: number[] = [];
  for (const [lo, hi] of pairs) {
    const n = out.length;
    if (n > 0 && lo <= out[n - 1]! + 1) out[n - 1] = Math.max(out[n - 1]!, hi);
    else out.push(lo, hi);
  }
  return out;
}

function complement(ranges: number[]): number[] {
  const out: number[] = [];
  let next = 0;
  for (let i = 0; i < ranges.length; i += 2) {
    if (ranges[i]! > next) out.push(next, ranges[i]! - 1);
    next = ranges[i + 1]! + 1;
  }
  if (next <= 0xffff) out.push(next, 0xffff);
  return out;
}

// ── parser: pattern text → AST ───────────────────────────────────────────────

type Node =
  | { t: 'set'; ranges: number[]; negated: boolean }
  | { t: 'seq'; items: Node[] }
  | { t: 'alt'; alts: Node[] }
  | { t: 'rep'; node: Node; min: number; max: number }
  | { t: 'assert'; kind: Assertion };

type Assertion = 'bol' | 'eol' | 'word' | 'nonword';

class Parser {
  private i = 0;
  private depth = 0;
  constructor(
    private readonly src: string,
    private readonly fold: boolean,
  ) {}

  parse(): Node {
    const node = this.alternation();
    if (this.i < this.src.length) throw this.error(`unmatched ")"`);
    return node;
  }

  private error(msg: string): PatternError {
    return new PatternError(`${msg} at position ${this.i}`);
  }

  private alternation(): Node {
    const alts = [this.sequence()];
    while (this.src[this.i] === '|') {
      this.i++;
      alts.push(this.sequence());
    }
    return alts.length === 1 ? alts[0]! : { t: 'alt', alts };
  }

  private sequence(): Node {
    const items: Node[] = [];
    while (this.i < this.src.length && this.src[this.i] !== '|' && this.src[this.i] !== ')') {
      items.push(this.quantified());
    }
    return { t: 'seq', items };
  }

  private quantified(): Node {
    const atom = this.atom();
    const c = this.src[this.i];
    let min: number, max: number;
    if (c === '*') [min, max] = [0, Infinity];
    else if (c === '+') [min, max] = [1, Infinity];
    else if (c === '?') [min, max] = [0, 1];
    else if (c === '{' && /^\{\d+(,\d*)?\}/.test(this.src.slice(this.i, this.i + 24))) {
      const m = /^\{(\d+)(,(\d*))?\}/.exec(this.src.slice(this.i, this.i + 24))!;
      min = Number(m[1]);
      max = m[2] === undefined ? min : m[3] === '' ? Infinity : Number(m[3]);
      if (max < min) throw this.error('repetition {n,m} with m < n');
      if (min > MAX_REPEAT || (max !== Infinity && max > MAX_REPEAT)) throw this.error(`repetition count above ${MAX_REPEAT}`);
      this.i += m[0].length - 1;
    } else return atom;
    this.i++;
    if (this.src[this.i] === '?') this.i++; // lazy: same language, and we report longest matches anyway
    if (atom.t === 'assert') throw this.error('nothing to repeat');
    if ('*+?{'.includes(this.src[this.i] ?? '')) throw this.error('nothing to repeat');
    return { t: 'rep', node: atom, min, max };
  }

  private atom(): Node {
    const c = this.src[this.i]!;
    switch (c) {
      case '(':
        return this.group();
      case '[':
        return this.charClass();
      case '.':
        this.i++;
        return { t: 'set', ranges: [10, 10, 13, 13, 0x2028, 0x2029], negated: true };
      case '^':
        this.i++;
        return { t: 'assert', kind: 'bol' };
      case '$':
        this.i++;
        return { t: 'assert', kind: 'eol' };
      case '\\':
        return this.escape(false) as Node;
      case '*':
      case '+':
      case '?':
        throw this.error('nothing to repeat');
      default:
        this.i++;
        return this.literal(c.charCodeAt(0));
    }
  }

  private literal(code: number): Node {
    return { t: 'set', ranges: normalizeRanges([code, code], this.fold), negated: false };
  }

  private group(): Node {
    this.i++;
    if (++this.depth > MAX_DEPTH) throw this.error(`groups nested deeper than ${MAX_DEPTH}`);
    if (this.src[this.i] === '?') {
      const next = this.src.slice(this.i, this.i + 3);
      if (next.startsWith('?:')) this.i += 2;
      else if (next === '?<=' || next === '?<!' || next.startsWith('?=') || next.startsWith('?!')) {
        throw this.error('lookaround is not supported (it cannot run in linear time)');
      } else if (next.startsWith('?<')) {
        const close = this.src.indexOf('>', this.i);
        if (close < 0 || !/^[A-Za-z_$][\w$]*$/.test(this.src.slice(this.i + 2, close))) throw this.error('bad group name');
        this.i = close + 1;
      } else throw this.error('unsupported group syntax');
    }
    const inner = this.alternation();
    if (this.src[this.i] !== ')') throw this.error('missing ")"');
    this.i++;
    this.depth--;
    return inner;
  }

  /** `\x` outside or inside a class. Inside a class, \b means backspace and assertions are refused. */
  private escape(inClass: boolean): Node | number[] {
    this.i++;
    const c = this.src[this.i];
    if (c === undefined) throw this.error('pattern ends with "\\"');
    this.i++;
    const set = (ranges: number[], negated: boolean): Node | number[] =>
      inClass ? (negated ? complement(ranges) : ranges) : { t: 'set', ranges, negated };
    switch (c) {
      case 'd': return set(DIGIT, false);
      case 'D': return set(DIGIT, true);
      case 'w': return set(WORD, false);
      case 'W': return set(WORD, true);
      case 's': return set(SPACE, false);
      case 'S': return set(SPACE, true);
      case 'b':
        if (inClass) return [8, 8];
        return { t: 'assert', kind: 'word' };
      case 'B':
        if (inClass) throw this.error('\\B inside a class');
        return { t: 'assert', kind: 'nonword' };
      case 'n': return this.code(10, inClass);
      case 'r': return this.code(13, inClass);
      case 't': return this.code(9, inClass);
      case 'f': return this.code(12, inClass);
      case 'v': return this.code(11, inClass);
      case '0': return this.code(0, inClass);
      case 'x': return this.code(this.hex(2), inClass);
      case 'u': return this.code(this.hex(4), inClass);
      case 'p':
      case 'P':
        throw this.error('\\p{…} Unicode properties are not supported');
      case 'k':
        throw this.error('backreferences are not supported (they cannot run in linear time)');
      default:
        if (c >= '1' && c <= '9') throw this.error('backreferences are not supported (they cannot run in linear time)');
        if (/[A-Za-z]/.test(c)) throw this.error(`unknown escape \\${c}`);
        return this.code(c.charCodeAt(0), inClass);
    }
  }

  private code(code: number, inClass: boolean): Node | number[] {
    return inClass ? [code, code] : this.literal(code);
  }

  private hex(n: number): number {
    const h = this.src.slice(this.i, this.i + n);
    if (h.length !== n || !/^[0-9a-fA-F]+$/.test(h)) throw this.error('bad hex escape');
    this.i += n;
    return parseInt(h, 16);
  }

  private charClass(): Node {
    this.i++;
    let negated = false;
    if (this.src[this.i] === '^') {
      negated = true;
      this.i++;
    }
    const ranges: number[] = [];
    let first = true;
    while (this.i < this.src.length && (this.src[this.i] !== ']' || first)) {
      first = false;
      const lo = this.classAtom();
      if (this.src[this.i] === '-' && this.src[this.i + 1] !== ']' && this.i + 1 < this.src.length && lo.length === 2 && lo[0] === lo[1]) {
        this.i++;
        const hi = this.classAtom();
        if (hi.length !== 2 || hi[0] !== hi[1]) throw this.error('bad range in class');
        if (hi[0]! < lo[0]!) throw this.error('range out of order in class');
        ranges.push(lo[0]!, hi[0]!);
      } else ranges.push(...lo);
    }
    if (this.src[this.i] !== ']') throw this.error('missing "]"');
    this.i++;
    return { t: 'set', ranges: normalizeRanges(ranges, this.fold), negated };
  }

  private classAtom(): number[] {
    if (this.src[this.i] === '\\') return this.escape(true) as number[];
    const code = this.src.charCodeAt(this.i);
    this.i++;
    return [code, code];
  }
}

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

  /**
   * One left-to-right pass. Threads are kept in priority order and a thread
   * started earlier always precedes one started later, so when two threads
   * reach the same instruction the one kept has the earliest start: that is
   * what makes "longest match ending here" exact without backtracking.
   */
  private run(text: string, mode: 'any' | 'full' | 'all', out: PatternMatch[] | null): boolean {
    const size = this.op.length;
    const n = text.length;
    let cpc = new Int32Array(size), cstart = new Int32Array(size), clen = 0;
    let npc = new Int32Array(size), nstart = new Int32Array(size), nlen = 0;
    const mark = new Int32Array(size).fill(-1);
    const stack = new Int32Array(size * 2 + 2);
    let generation = 0;
    let found = false;

    const add = (pcs: Int32Array, starts: Int32Array, len: number, pc0: number, start: number, pos: number): number => {
      let sp = 0;
      stack[sp++] = pc0;
      while (sp > 0) {
        const pc = stack[--sp]!;
        if (mark[pc] === generation) continue;
        mark[pc] = generation;
        switch (this.op[pc]) {
          case OP_JMP:
            stack[sp++] = this.a[pc]!;
            break;
          case OP_SPLIT:
            stack[sp++] = this.b[pc]!; // pushed first, so explored second: a keeps priority
            stack[sp++] = this.a[pc]!;
            break;
          case OP_ASSERT:
            if (this.assertHolds(this.a[pc]!, text, pos)) stack[sp++] = pc + 1;
            break;
          default:
            pcs[len] = pc;
            starts[len] = start;
            len++;
        }
      }
      return len;
    };

    for (let pos = 0; pos <= n; pos++) {
      generation++;
      // Re-mark the threads already queued for this position so `add` skips them.
      for (let k = 0; k < clen; k++) mark[cpc[k]!] = generation;
      if (mode !== 'full' || pos === 0) {
        // No thread alive and this code unit cannot start a match: nothing can happen here.
        if (clen === 0 && this.first !== null && pos < n && !this.first.has(text.charCodeAt(pos))) {
          if (mode === 'full') return false;
          continue;
        }
        clen = add(cpc, cstart, clen, 0, pos, pos);
      }
      if (clen === 0) {
        if (mode === 'full') return false;
        continue;
      }
      const c = pos < n ? text.charCodeAt(pos) : -1;
      generation++;
      nlen = 0;
      let matchedStart = -1;
      for (let k = 0; k < clen; k++) {
        const pc = cpc[k]!;
        if (this.op[pc] === OP_MATCH) {
          if (matchedStart < 0) matchedStart = cstart[k]!;
          continue;
        }
        if (c >= 0 && this.sets[this.a[pc]!]!.has(c)) nlen = add(npc, nstart, nlen, pc + 1, cstart[k]!, pos + 1);
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
