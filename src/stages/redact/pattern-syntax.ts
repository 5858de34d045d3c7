// Syntax for the linear-time pattern engine (pattern.ts): character sets and
// the parser from pattern text to an AST. Kept apart from the simulation so
// each file reads on its own.

export class PatternError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PatternError';
  }
}

export const MAX_PATTERN_LENGTH = 2000;
const MAX_REPEAT = 1000;
const MAX_DEPTH = 64;

// ── character sets ───────────────────────────────────────────────────────────

/** Sorted, merged [lo, hi] code unit ranges, possibly negated. */
export class CharSet {
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

export function normalizeRanges(raw: number[], fold: boolean): number[] {
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

export type Node =
  | { t: 'set'; ranges: number[]; negated: boolean }
  | { t: 'seq'; items: Node[] }
  | { t: 'alt'; alts: Node[] }
  | { t: 'rep'; node: Node; min: number; max: number }
  | { t: 'assert'; kind: Assertion };

export type Assertion = 'bol' | 'eol' | 'word' | 'nonword';

export class Parser {
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
    const after = this.src[this.i];
    if (after === '*' || after === '+' || after === '?' || (after === '{' && /^\{\d/.test(this.src.slice(this.i, this.i + 2)))) {
      throw this.error('nothing to repeat');
    }
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
