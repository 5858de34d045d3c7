// The label/sample/route step the benchmarks run, timed: the service's own
// decider on the default policy, so every benchmark measures what runs live.
import type { Decide } from '../src/stages/join/join';
import type { ComponentContext } from '../src/telemetry';
import { createDecider } from '../src/stages/sample';
import { defaultConfig } from '../src/config';

export function makeDecide(ctx: ComponentContext, addNs: (ns: number) => void): Decide {
  const config = defaultConfig();
  const decider = createDecider({ label: config.label, sample: config.sample }, ctx);
  return (record) => {
    const a = process.hrtime.bigint();
    const out = decider.decide(record);
    addNs(Number(process.hrtime.bigint() - a));
    return out;
  };
}
