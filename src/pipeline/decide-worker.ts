import { parentPort, workerData } from 'node:worker_threads';
import type { LabeledRecord } from '../model';
import type { DecideOutcome } from '../stages/join/join';
import { createDecider, type Decider, type DeciderConfig } from '../stages/sample';
import { Metrics, silentLogger, type Clock } from '../telemetry';
import { errorMessage } from './errors';
import { packOutcomes, type FromDecideThread, type ToDecideThread } from './decide-thread';

// The decide thread's side (see decide-thread.ts): one decider, fed batches of
// records in order. Its metrics live in a registry of its own, which the
// service's /metrics merges in.

if (!parentPort) throw new Error('decide-worker runs as a worker thread');
const port = parentPort;

/** Budgets read the time of the record being decided: the join's clock when it emitted it. */
let recordTimeMs = (workerData as { nowMs: number }).nowMs;
const clock: Clock = { now: () => recordTimeMs };
const metrics = new Metrics();
const ctx = { logger: silentLogger(), metrics, clock };

let decider: Decider = createDecider((workerData as { config: DeciderConfig }).config, ctx);

function decideAll(records: LabeledRecord[]): DecideOutcome[] {
  return records.map((r) => {
    recordTimeMs = r.emittedMs;
    try {
      return decider.decide(r);
    } catch (err) {
      return { error: errorMessage(err) };
    }
  });
}

port.on('message', (m: ToDecideThread) => {
  void (async (): Promise<void> => {
    let reply: FromDecideThread;
    const transfer: ArrayBuffer[] = [];
    try {
      if (m.type === 'decide') {
        const packed = packOutcomes(decideAll(m.records));
        transfer.push(...packed.transfer);
        reply = { id: m.id, type: 'decided', packed: packed.packed };
      } else if (m.type === 'config') {
        recordTimeMs = m.nowMs;
        decider = createDecider(m.config, ctx);
        reply = { id: m.id, type: 'configured' };
      } else {
        reply = { id: m.id, type: 'metrics', metrics: await metrics.registry.getMetricsAsJSON() };
      }
    } catch (err) {
      reply = { id: m.id, type: 'failed', error: errorMessage(err) };
    }
    port.postMessage(reply, transfer);
  })();
});
