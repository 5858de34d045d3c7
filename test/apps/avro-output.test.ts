import assert from 'node:assert/strict';
import { createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { after, before, describe, it } from 'node:test';
import { streams } from 'avsc';
import type { Schema } from 'avsc';
import { AvroOutputReader, field, firstUserMessage, list, num, text } from './avro-output';

// A cut-down record in the shape of schemas/labeled_interaction.avsc; the
// reader must not depend on the full schema, which evolves.
const SCHEMA: Schema = {
  type: 'record',
  name: 'LabeledInteraction',
  namespace: 'test.v1',
  fields: [
    { name: 'request_id', type: 'string' },
    { name: 'version', type: 'int' },
    { name: 'final', type: 'boolean' },
    {
      name: 'interaction',
      type: [
        'null',
        {
          type: 'record',
          name: 'Interaction',
          fields: [
            { name: 'request_model', type: ['null', 'string'], default: null },
            { name: 'usage', type: { type: 'record', name: 'Usage', fields: [{ name: 'input_tokens', type: ['null', 'long'], default: null }] } },
            {
              name: 'input_messages',
              type: {
                type: 'array',
                items: {
                  type: 'record',
                  name: 'Message',
                  fields: [
                    { name: 'role', type: 'string' },
                    {
                      name: 'parts',
                      type: { type: 'array', items: { type: 'record', name: 'Part', fields: [{ name: 'type', type: 'string' }, { name: 'content', type: ['null', 'string'] }] } },
                    },
                  ],
                },
              },
            },
          ],
        },
      ],
      default: null,
    },
    { name: 'feedback', type: { type: 'array', items: { type: 'record', name: 'Signal', fields: [{ name: 'feedback_kind', type: 'string' }] } } },
  ],
};

async function writeAvro(path: string, values: object[]): Promise<void> {
  const encoder = new streams.BlockEncoder(SCHEMA, { codec: 'deflate' });
  // pipeline resolves when the file stream has closed, i.e. the bytes are on disk.
  const done = pipeline(encoder, createWriteStream(path));
  for (const v of values) encoder.write(v);
  encoder.end();
  await done;
}

const record = (id: string, version: number): object => ({
  request_id: id,
  version,
  final: version > 1,
  interaction: {
    request_model: 'gpt-4o-mini',
    usage: { input_tokens: 42 },
    input_messages: [
      { role: 'system', parts: [{ type: 'text', content: 'Be nice.' }] },
      { role: 'user', parts: [{ type: 'text', content: 'Mail me at <EMAIL>' }] },
    ],
  },
  feedback: [{ feedback_kind: 'thumbs' }],
});

describe('Avro output reader', () => {
  let root: string;
  const partition = 'labeled_interactions/dt=2025-01-01/hour=00';

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'avro-output-'));
    await mkdir(join(root, partition), { recursive: true });
  });
  after(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('reads only finished files written after ignoreExisting(), with the schema from the file header', async () => {
    await writeAvro(join(root, partition, 'part-0-0.avro'), [record('old', 1)]);
    const reader = new AvroOutputReader(root);
    await reader.ignoreExisting();
    assert.deepEqual(await reader.read(), []);

    await writeAvro(join(root, partition, 'part-1-2.avro'), [record('new', 1), record('new', 2)]);
    // Being written: must be skipped, even if it is garbage.
    await writeFile(join(root, partition, 'part-3.avro.tmp'), 'not avro yet');
    const got = await reader.read();
    assert.equal(got.length, 2);
    assert.ok(got.every((r) => r.topic === 'labeled_interactions' && r.file === `${partition}/part-1-2.avro`));

    const latest = got[1].value;
    assert.equal(text(latest, 'request_id'), 'new');
    assert.equal(num(latest, 'version'), 2);
    assert.equal(field(latest, 'final'), true);
    assert.equal(text(latest, 'interaction.request_model'), 'gpt-4o-mini');
    assert.equal(num(latest, 'interaction.usage.input_tokens'), 42);
    assert.equal(firstUserMessage(latest), 'Mail me at <EMAIL>');
    assert.equal(text(list(latest, 'feedback')[0], 'feedback_kind'), 'thumbs');
  });

  it('treats a missing output directory as empty and missing fields as undefined', async () => {
    const reader = new AvroOutputReader(join(root, 'does-not-exist'));
    await reader.ignoreExisting();
    assert.deepEqual(await reader.read(), []);
    assert.equal(field({ a: { b: 1 } }, 'a.c.d'), undefined);
    assert.equal(field({ a: { string: 'wrapped union' } }, 'a'), 'wrapped union');
    assert.deepEqual(list({}, 'feedback'), []);
  });
});
