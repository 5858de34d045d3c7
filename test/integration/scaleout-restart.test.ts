// Scale-out state survives a full stop: two instances open windows for every
// interaction (with content logs and evaluations), then every instance is
// stopped. Three start again — two on their old data dirs (clean checkpoints:
// restore only what changed since), one on an empty dir (restore from the
// changelog's beginning) — so partitions land on other owners than before.
// Feedback sent only after the restart must still join the windows opened
// before it, and every interaction is emitted exactly once.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { startKafka, type KafkaBroker } from '../infra';
import type { ServiceProcess } from '../helpers/service-process';
import { checkJoined, metricSum, post, readOutputs, startInstance, traffic, type Deployment } from '../scaleout/cluster';
import { readTopics, singleObjectDecoder, type ReadRecord } from '../sinks/kafka/helpers';

let kafka: KafkaBroker | undefined;
const instances: ServiceProcess[] = [];
const dirs = new Set<string>();
let deployment: Deployment;

const logsOf = (s: ServiceProcess): Array<Record<string, unknown>> =>
  s
    .logs()
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);

async function until(what: string, check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('scale-out: all instances stopped and restarted', () => {
  before(
    async () => {
      kafka = await startKafka({ properties: { 'group.min.session.timeout.ms': '1000' } });
      // The window outlives the restart: windows opened before it must still be open after it.
      deployment = { brokers: kafka.brokers, prefix: 'so-restart', window: '15s', partitions: 4, sessionTimeout: '2s' };
    },
    { timeout: 20 * 60_000 },
  );

  after(async () => {
    await Promise.allSettled(instances.map((s) => (s.child.exitCode === null && s.child.signalCode === null ? s.kill('SIGKILL') : undefined)));
    await kafka?.stop();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('restores windows from the changelog: feedback sent after the restart joins them', { timeout: 180_000 }, async () => {
    // Any failure (it failed once in ~14 runs, with its logs lost) prints every instance's log tail.
    try {
      const t = traffic(424242, 60, { feedbackLater: true });
      assert.ok(t.later.length > 0 && [...t.expected.values()].some((e) => e.user > 0));
      const first = await Promise.all(['a', 'b'].map((name) => startInstance(deployment, name)));
      instances.push(...first);
      for (const s of first) dirs.add(s.dir);
      for (let i = 0; i < t.bodies.length; i++) await post(() => first, i, t.bodies[i]!);
      // Every interaction has an open window somewhere before the stop.
      await until('60 open windows', async () => (await metricSum(first, 'feedback_loop_scaleout_open_windows')) >= 60, 30_000);

      for (const s of first) assert.equal(await s.kill('SIGTERM'), 0, 'clean exit');
      for (const s of first) {
        const closed = logsOf(s).filter((l) => l.msg === 'scale-out: partition closed' && l.instance === (s === first[0] ? 'a' : 'b'));
        assert.ok(closed.length > 0 && closed.every((l) => l.clean === true), 'every partition closed clean (committed, checkpointed)');
      }
      // Nothing was emitted yet: the windows are still open.
      const early = await readTopics(deployment.brokers, [`${deployment.prefix}.labeled_interactions`], singleObjectDecoder(), () => false, 3000);
      assert.equal(early.length, 0, 'no record before the windows close');

      const second = await Promise.all([
        startInstance(deployment, 'a2', first[0]!.dir),
        startInstance(deployment, 'b2', first[1]!.dir),
        startInstance(deployment, 'c2'),
      ]);
      instances.push(...second);
      dirs.add(second[2]!.dir);
      await until('every partition restored', async () => (await metricSum(second, 'feedback_loop_scaleout_partitions_owned')) === deployment.partitions, 60_000);
      assert.ok((await metricSum(second, 'feedback_loop_scaleout_open_windows')) >= 60, 'the windows are back');
      for (let i = 0; i < t.later.length; i++) await post(() => second, i, t.later[i]!);

      const records: ReadRecord[] = await readOutputs(deployment, new Set(t.expected.keys()), 90_000);
      checkJoined(deployment, records, t);
      const restored = second.flatMap((s) => logsOf(s).filter((l) => l.msg === 'scale-out: partition restored'));
      assert.ok(restored.some((l) => l.from === 'checkpoint'), 'a kept data dir restored from its checkpoint');
      assert.ok(restored.some((l) => l.from === 'beginning' && Number(l.records) > 0 && Number(l.openWindows) > 0), 'a new owner rebuilt open windows from the changelog');
    } catch (err) {
      for (const s of instances) process.stderr.write(`\n--- ${s.logFile}\n${s.logs().slice(-4000)}\n`);
      throw err;
    }
  });
});
