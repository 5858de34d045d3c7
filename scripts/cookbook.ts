// Regenerates the README's sampling/routing cookbook: each example config in
// test/fixtures/policies/ replayed with `simulate` over the fixture capture,
// next to the built-in defaults.   node dist/scripts/cookbook.js > /tmp/cookbook.md
import { readFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { defaultConfig, loadConfig } from '../src/config';
import { formatSimulations, simulate } from '../src/pipeline/simulate';

const root = resolve(__dirname, '..', '..');
const dir = join(root, 'test', 'fixtures', 'policies');
const capture = join(root, 'test', 'fixtures', 'captures', 'support-assistant.jsonl');

async function main(): Promise<void> {
  const base = await simulate('defaults', defaultConfig(), [capture]);
  for (const f of readdirSync(dir).filter((n) => n.endsWith('.yaml')).sort()) {
    const text = readFileSync(join(dir, f), 'utf8');
    const intro = text.split('\n').filter((l) => l.startsWith('#')).map((l) => l.replace(/^#\s?/, '')).join(' ');
    const sim = await simulate(f, loadConfig(join(dir, f)), [capture]);
    const table = formatSimulations([base, sim])
      .split('\n')
      .filter((_line, i, all) => {
        // Keep the header, the topic volumes and the policy hits: the part a reader compares.
        const sectionOf = (k: number) => {
          for (let j = k; j >= 0; j--) if (!all[j]!.startsWith(' ')) return all[j]!;
          return '';
        };
        const sec = sectionOf(i);
        return i === 0 || sec.startsWith('records written') || sec.startsWith('policy hits');
      })
      .join('\n');
    process.stdout.write(`#### ${f.replace(/\.yaml$/, '').replace(/-/g, ' ')}\n\n${intro}\n\n\`\`\`yaml\n${text.replace(/^#.*\n/gm, '').trim()}\n\`\`\`\n\n\`\`\`\n$ npx feedback-loop simulate --config test/fixtures/policies/${f} test/fixtures/captures/support-assistant.jsonl\n${table}\n\`\`\`\n\n`);
  }
}

main().catch((err) => {
  process.stderr.write(`${String(err)}\n`);
  process.exitCode = 1;
});
