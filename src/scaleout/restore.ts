// Restoring partition stores from the changelog, and the local checkpoint
// that lets a clean restart skip most of it.
//
// Where a restore starts:
// - a checkpoint file exists (written only after a clean close whose last
//   transaction committed): the store on disk is exactly the changelog up to
//   the checkpoint offset; restore from there (it may have moved away and
//   back meanwhile — whatever its other owners wrote is read);
// - no checkpoint (first start, crash, failed commit): the store may be ahead
//   of the changelog (changes applied locally, transaction never committed),
//   so it is wiped and restored from the beginning.
// Replaying a key-value changelog from any earlier offset gives the same
// final state, so starting early is always safe; starting late never is.
//
// Where it ends: the new owner first writes a marker record to the partition
// in its own committed transaction (after fencing the previous owner, whose
// open transaction the broker aborts). Reading read_committed up to that
// marker means every committed change before it has been applied.

import { existsSync, readFileSync, rmSync, writeFileSync, renameSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { AssignerProtocol, type Kafka, type PartitionAssigner } from 'kafkajs';
import type { Batch } from '../stages/join/store';
import type { Logger } from '../telemetry/logger';
import { errorMessage } from '../pipeline/errors';

/** Changelog keys starting with this are the runner's own (markers), not store keys. */
export const RESERVED_KEY_PREFIX = '\u0000';
export const MARKER_KEY = `${RESERVED_KEY_PREFIX}restore-marker`;

interface CheckpointFile {
  version: 1;
  changelogTopic: string;
  partitions: number;
  partition: number;
  /** Next changelog offset the store does not hold. */
  offset: string;
}

export function checkpointPath(stateDir: string, partition: number): string {
  return join(stateDir, `p-${partition}.checkpoint`);
}

/** The checkpoint offset, if a usable checkpoint exists for this topic layout. */
export function readCheckpoint(stateDir: string, partition: number, changelogTopic: string, partitions: number): bigint | undefined {
  const file = checkpointPath(stateDir, partition);
  if (!existsSync(file)) return undefined;
  try {
    const c = JSON.parse(readFileSync(file, 'utf8')) as Partial<CheckpointFile>;
    if (c.version !== 1 || c.changelogTopic !== changelogTopic || c.partitions !== partitions || c.partition !== partition) return undefined;
    if (typeof c.offset !== 'string' || !/^\d+$/.test(c.offset)) return undefined;
    return BigInt(c.offset);
  } catch {
    return undefined;
  }
}

export function writeCheckpoint(stateDir: string, partition: number, changelogTopic: string, partitions: number, offset: bigint): void {
  const file = checkpointPath(stateDir, partition);
  const body: CheckpointFile = { version: 1, changelogTopic, partitions, partition, offset: offset.toString() };
  // Written whole or not at all: a torn checkpoint would be worse than none.
  writeFileSync(`${file}.tmp`, JSON.stringify(body));
  renameSync(`${file}.tmp`, file);
}

export function removeCheckpoint(stateDir: string, partition: number): void {
  rmSync(checkpointPath(stateDir, partition), { force: true });
}

export interface RestoreRequest {
  partition: number;
  /** First offset to read; undefined: the beginning. */
  from?: bigint;
  /** Offset of this owner's marker: done once a record at or past it was read. */
  until: bigint;
  /** Writes restored records into the store (not logged again). */
  apply(batch: Batch): Promise<void>;
}

export interface RestoreResult {
  partition: number;
  records: number;
  ms: number;
}

/** Assigns exactly the requested changelog partitions to the (only) member: kafkajs has no manual assignment. */
function fixedAssigner(topic: string, partitions: number[]): PartitionAssigner {
  const name = 'FeedbackLoopRestore';
  return () => ({
    name,
    version: 1,
    async assign({ members }) {
      return members.map((m, i) => ({
        memberId: m.memberId,
        memberAssignment: AssignerProtocol.MemberAssignment.encode({
          version: 1,
          assignment: i === 0 ? { [topic]: partitions } : {},
          userData: Buffer.alloc(0),
        }),
      }));
    },
    protocol({ topics }) {
      return { name, metadata: AssignerProtocol.MemberMetadata.encode({ version: 1, topics, userData: Buffer.alloc(0) }) };
    },
  });
}

/** Store ops applied per LevelDB batch while restoring. */
const APPLY_CHUNK = 2000;

/**
 * Restores several partitions in one pass: one short-lived consumer, in a
 * group of its own that commits nothing, reads the changelog partitions
 * read_committed, from each request's start to its marker.
 */
export async function restorePartitions(
  kafka: Kafka,
  options: { topic: string; groupPrefix: string; timeoutMs: number; logger: Logger },
  requests: RestoreRequest[],
): Promise<RestoreResult[]> {
  if (requests.length === 0) return [];
  const started = Date.now();
  const state = new Map(requests.map((r) => [r.partition, { req: r, records: 0, done: false, doneMs: 0 }]));
  const consumer = kafka.consumer({
    groupId: `${options.groupPrefix}.restore.${randomBytes(6).toString('hex')}`,
    partitionAssigners: [fixedAssigner(options.topic, [...state.keys()])],
    readUncommitted: false,
    maxBytesPerPartition: 16 * 1024 * 1024,
    maxBytes: 64 * 1024 * 1024,
    maxWaitTimeInMs: 100,
    sessionTimeout: 30_000,
  });
  let finish: (() => void) | undefined;
  let fail: ((err: unknown) => void) | undefined;
  const finished = new Promise<void>((resolve, reject) => {
    finish = resolve;
    fail = reject;
  });
  const checkDone = (): void => {
    if ([...state.values()].every((s) => s.done)) finish?.();
  };
  consumer.on(consumer.events.GROUP_JOIN, () => {
    // Synchronously, before the first fetch: start where each request says.
    for (const s of state.values()) if (s.req.from !== undefined) consumer.seek({ topic: options.topic, partition: s.req.partition, offset: s.req.from.toString() });
  });
  consumer.on(consumer.events.CRASH, ({ payload }) => {
    if (!payload.restart) fail?.(payload.error);
  });
  const timer = setTimeout(() => fail?.(new Error(`restore of changelog partitions ${[...state.keys()].join(',')} did not finish within ${options.timeoutMs}ms`)), options.timeoutMs);
  try {
    await consumer.connect();
    await consumer.subscribe({ topics: [options.topic], fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      partitionsConsumedConcurrently: Math.min(state.size, 8),
      eachBatch: async ({ batch, heartbeat, isStale, pause }) => {
        const s = state.get(batch.partition);
        if (!s || s.done || isStale()) return;
        let ops: Batch = [];
        for (const m of batch.messages) {
          const offset = BigInt(m.offset);
          if (s.req.from !== undefined && offset < s.req.from) continue; // fetched before the seek took effect
          const key = m.key?.toString('utf8');
          if (key !== undefined && !key.startsWith(RESERVED_KEY_PREFIX)) {
            ops.push(m.value === null ? { type: 'del', key } : { type: 'put', key, value: m.value });
            s.records++;
            if (ops.length >= APPLY_CHUNK) {
              await s.req.apply(ops);
              ops = [];
              await heartbeat();
            }
          }
          if (offset >= s.req.until) {
            s.done = true;
            s.doneMs = Date.now() - started;
            break;
          }
        }
        if (ops.length > 0) await s.req.apply(ops);
        if (s.done) {
          pause();
          checkDone();
        }
        await heartbeat();
      },
    });
    await finished;
  } catch (err) {
    options.logger.warn({ component: 'scaleout', partitions: [...state.keys()], err: errorMessage(err) }, 'scale-out: restore failed');
    throw err;
  } finally {
    clearTimeout(timer);
    await consumer.disconnect().catch(() => undefined);
  }
  return [...state.values()].map((s) => ({ partition: s.req.partition, records: s.records, ms: s.doneMs }));
}
