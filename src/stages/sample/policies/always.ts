import type { Decision, Policy } from './types';
import { DROP, KEEP } from './types';

/** Keeps everything: the default of the full labeled stream. */
export class AlwaysPolicy implements Policy {
  readonly type = 'always';
  constructor(readonly name: string) {}
  evaluate(): Decision {
    return KEEP;
  }
  probability(): number {
    return 1;
  }
  toString(): string {
    return `${this.name}=always`;
  }
}

/** Keeps nothing: switches a route's sampling off without removing its config. */
export class NeverPolicy implements Policy {
  readonly type = 'never';
  constructor(readonly name: string) {}
  evaluate(): Decision {
    return DROP;
  }
  probability(): number {
    return 0;
  }
  toString(): string {
    return `${this.name}=never`;
  }
}
