import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolve } from 'node:path';
import { loadConfig } from '../../../src/config';
import { createRedactor } from '../../../src/stages/redact';
import { KEY, KEY_ENV } from './helpers';

// The example configs under config/examples/ that the README points to: they
// load, and do what their comments say.

const root = resolve(__dirname, '..', '..', '..', '..');

test('config/examples/street-addresses.yaml: the written forms it names are redacted, look-alikes are not', () => {
  const cfg = loadConfig(resolve(root, 'config', 'examples', 'street-addresses.yaml'));
  const r = createRedactor(cfg.redact, { [KEY_ENV]: KEY });
  const redacted: Array<[string, string]> = [
    ['Ship it to 1600 Pennsylvania Avenue, please', 'Ship it to <STREET_ADDRESS_1>, please'],
    ['I live at 221B Baker Street, London NW1 6XE.', 'I live at <STREET_ADDRESS_1>, London <UK_POSTCODE_1>.'],
    ['Send it to 42 Wallaby Way', 'Send it to <STREET_ADDRESS_1>'],
    ['Meine Adresse: Hauptstraße 12, 10115 Berlin', 'Meine Adresse: <STREET_ADDRESS_DE_1>, 10115 Berlin'],
    ['Lieferung an Lindenallee 3a', 'Lieferung an <STREET_ADDRESS_DE_1>'],
    ['Post it to SW1A 1AA', 'Post it to <UK_POSTCODE_1>'],
  ];
  for (const [input, want] of redacted) assert.equal(r.redactText(input).text, want, input);
  const untouched = [
    'We released 3 new features on the way to 2.0',
    'See section 4 Main results and table 2',
    'Order 12345 shipped; port 8080 is open',
    'Take the 2 Way street sign down', // one word before the suffix is required
    'Model GPT4 1AB is not a postcode without its shape',
  ];
  for (const input of untouched) assert.equal(r.redactText(input).text, input, input);
});
