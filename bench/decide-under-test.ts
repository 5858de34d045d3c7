// The label/sample/route step the benchmarks run, timed. One place to switch
// when the decide stage changes, so every benchmark measures the same thing.
import type { Decide } from '../src/stages/join/join';
import type { ComponentContext } from '../src/telemetry';
import { keepAll } from '../src/pipeline/decide';

export function makeDecide(_ctx: ComponentContext, addNs: (ns: number) => void): Decide {
  return (record) => {
    const a = process.hrtime.bigint();
    const out = keepAll(record);
    addNs(Number(process.hrtime.bigint() - a));
    return out;
  };
}
