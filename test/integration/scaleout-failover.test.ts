// Scale-out on a real Kafka broker: three instances of the real service (child
// processes, own data dirs and OTLP ports, one consumer group) take seeded
// GenAI traffic as real OTLP bytes, split across them so that an interaction,
// its content logs, its feedback and its evaluations usually reach different
// instances. Mid-stream one instance is killed with SIGKILL (its uncommitted
// transactions are aborted, its partitions move and are restored from the
// changelog elsewhere), and a new instance joins. At the end every interaction
// is on the output topic exactly once, joined with all of its feedback.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { startKafka, type KafkaBroker } from '../infra';
import type { ServiceProcess } from '../helpers/service-process';
import { checkJoined, metricSum, post, readOutputs, startInstance, traffic, type Deployment, type Traffic } from '../scaleout/cluster';
import type { ReadRecord } from '../sinks/kafka/helpers';
import { metricValue, scrape } from '../helpers/metrics-scrape';

let kafka: KafkaBroker | undefined;
const instances: ServiceProcess[] = [];
let deployment: Deployment;
let sent: Traffic;

function logsOf(s: ServiceProcess): Array<Record<string, unknown>> {
  return s
    .logs()
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

describe('scale-out: three instances, one killed with SIGKILL mid-stream, one added', () => {
  before(
    async () => {
      // Short session timeouts so that the killed instance's partitions move within a couple of seconds.
      kafka = await startKafka({ properties: { 'group.min.session.timeout.ms': '1000' } });
      deployment = { brokers: kafka.brokers, prefix: 'so-failover', window: '6s', partitions: 6, sessionTimeout: '2s' };
    },
    { timeout: 20 * 60_000 },
  );

  after(async () => {
    await Promise.allSettled(instances.map((s) => (s.child.exitCode === null && s.child.signalCode === null ? s.kill('SIGKILL') : undefined)));
    await kafka?.stop();
    for (const s of instances) rmSync(s.dir, { recursive: true, force: true });
  });

  it('joins every interaction with all of its feedback, once, across the failover', { timeout: 180_000 }, async () => {
    instances.push(...(await Promise.all(['i1', 'i2', 'i3'].map((name) => startInstance(deployment, name)))));
    sent = traffic(20260101, 150);
    const { bodies } = sent;
    const live = () => instances.filter((s) => s.child.exitCode === null && s.child.signalCode === null);
    let i = 0;
    // Phase 1: spread over the three instances.
    for (; i < Math.floor(bodies.length * 0.4); i++) await post(live, i, bodies[i]!);
    // Kill one mid-stream, with requests in flight to it: whatever it acknowledged is in Kafka.
    const victim = instances[2]!;
    // Only once it owns partitions: killed while the group is still settling, it
    // would hand nothing over, and the failover would not be exercised.
    const owns = Date.now() + 30_000;
    while (!logsOf(victim).some((l) => l.msg === 'scale-out: partition restored') && Date.now() < owns) await new Promise((r) => setTimeout(r, 100));
    // And only once it has committed state of its own to the changelog (traffic
    // goes on meanwhile): killed before its first transaction, its partitions'
    // changelog holds nothing of its making, and the takeover would restore
    // only what the previous owner wrote — possibly nothing.
    const committed = async (): Promise<boolean> =>
      metricValue(await scrape(victim.adminUrl), 'feedback_loop_scaleout_changelog_records_total') > 0;
    while (!(await committed()) && Date.now() < owns) {
      if (i < Math.floor(bodies.length * 0.6)) await post(live, i, bodies[i++]!);
      else await new Promise((r) => setTimeout(r, 100));
    }
    assert.ok(await committed(), 'the instance to be killed has committed changelog records');
    const inFlight = Promise.all([0, 1, 2].map((k) => post(() => [victim, ...live().filter((s) => s !== victim)], 0, bodies[i + k]!)));
    await new Promise((r) => setTimeout(r, 5));
    const killedAt = Date.now();
    assert.equal(await victim.kill('SIGKILL'), 'SIGKILL');
    await inFlight;
    i += 3;
    // Phase 2: the survivors take the traffic while a new instance starts.
    const joining = startInstance(deployment, 'i4');
    for (; i < Math.floor(bodies.length * 0.7); i++) await post(live, i, bodies[i]!);
    instances.push(await joining);
    // Phase 3: three live instances again.
    for (; i < bodies.length; i++) await post(live, i, bodies[i]!);

    let records: ReadRecord[] = [];
    try {
      records = await readOutputs(deployment, new Set(sent.expected.keys()), 90_000);
      checkJoined(deployment, records, sent);
    } catch (err) {
      for (const s of instances) process.stderr.write(`\n--- ${s.logFile}\n${s.logs().slice(-4000)}\n`);
      throw err;
    }

    // The killed instance's partitions were restored from the changelog on the others; the new one took a share.
    const restored = instances.flatMap((s) => logsOf(s).filter((l) => l.msg === 'scale-out: partition restored'));
    assert.ok(restored.some((l) => l.instance === 'i4'), 'the added instance owns partitions');
    // The victim's partitions, restored on the others after the kill: from the
    // changelog's beginning, or (on a survivor that owned the partition while the
    // group was settling) from its own clean-close checkpoint plus the changelog
    // since. Either way the victim's committed state came through the changelog.
    const victimPartitions = new Set(logsOf(victim).filter((l) => l.msg === 'scale-out: partition restored').map((l) => l.partition));
    const moved = restored.filter((l) => l.instance !== 'i3' && victimPartitions.has(l.partition) && Date.parse(String(l.time)) >= killedAt);
    assert.ok(moved.length > 0, "the killed instance's partitions were taken over by the others");
    assert.ok(
      moved.some((l) => Number(l.records) > 0),
      `a moved partition was restored from the changelog: ${JSON.stringify(moved.map((l) => [l.instance, l.partition, l.from, l.records]))}`,
    );
    for (const l of restored) assert.ok(Number(l.restoreSeconds) < 30, `restore took ${String(l.restoreSeconds)} s`);
    assert.equal(await metricSum(live(), 'feedback_loop_scaleout_partitions_owned'), deployment.partitions, 'every partition owned by a live instance');
    assert.equal(await metricSum(live(), 'feedback_loop_scaleout_undecodable_total'), 0);
  });
});
