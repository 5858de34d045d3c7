import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { logLevel } from 'kafkajs';
import { brokerList, kafkaLogCreator } from '../../../src/sinks/kafka/client';
import { FakeClock, createLogger } from '../../../src/telemetry';

describe('broker list', () => {
  it('takes a YAML list or one comma-separated string (as ${env:KAFKA_BROKERS} gives)', () => {
    assert.deepEqual(brokerList.parse(['a:1', 'b:2']), ['a:1', 'b:2']);
    assert.deepEqual(brokerList.parse(' a:1, b:2 ,'), ['a:1', 'b:2']);
    assert.deepEqual(brokerList.parse('[::1]:9092'), ['[::1]:9092']);
  });
  it('refuses an empty list and entries without a port', () => {
    assert.equal(brokerList.safeParse('').success, false);
    assert.equal(brokerList.safeParse(['localhost']).success, false);
  });
});

describe('kafkajs log bridge', () => {
  function capture() {
    const lines: Record<string, unknown>[] = [];
    const dest = new Writable({
      write(chunk: Buffer, _enc, cb) {
        for (const l of chunk.toString().split('\n')) if (l) lines.push(JSON.parse(l) as Record<string, unknown>);
        cb();
      },
    });
    return { lines, logger: createLogger({ level: 'info', destination: dest }) };
  }
  const entry = (level: logLevel, message: string, extra: Record<string, unknown> = {}) => ({
    namespace: 'Connection',
    level,
    label: 'ERROR',
    log: { timestamp: 'now', message, ...extra },
  });

  it('logs kafkajs errors as warnings, each at most every 10 s, counting the ones held back', async () => {
    const { lines, logger } = capture();
    const clock = new FakeClock();
    const log = kafkaLogCreator(logger, 'kafka_sink', clock)(logLevel.ERROR);
    for (let i = 0; i < 5; i++) log(entry(logLevel.ERROR, 'Connection error: connect ECONNREFUSED', { broker: '127.0.0.1:9092', retryCount: i }));
    clock.advance(10_000);
    log(entry(logLevel.ERROR, 'Connection error: connect ECONNREFUSED'));
    log(entry(logLevel.INFO, 'Starting'));
    logger.flush();
    await new Promise((r) => setTimeout(r, 50));
    const warns = lines.filter((l) => l.level === 40);
    assert.equal(warns.length, 2);
    assert.equal(warns[0]!.component, 'kafka_sink');
    assert.equal(warns[0]!.broker, '127.0.0.1:9092');
    assert.equal(warns[1]!.suppressed, 4);
    assert.equal(lines.filter((l) => l.msg === 'Starting').length, 0, 'INFO is debug');
  });

  it('keeps only known fields: never message keys or values', async () => {
    const { lines, logger } = capture();
    const log = kafkaLogCreator(logger, 'kafka', new FakeClock())(logLevel.WARN);
    log(entry(logLevel.WARN, 'odd', { topic: 't', value: 'jane.doe@example.com', key: 'secret', error: new Error('boom') }));
    logger.flush();
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(lines.length, 1);
    assert.equal(lines[0]!.topic, 't');
    assert.equal(lines[0]!.error, 'boom');
    assert.equal('value' in lines[0]!, false);
    assert.equal('key' in lines[0]!, false);
  });
});
