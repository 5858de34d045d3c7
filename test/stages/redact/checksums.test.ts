import { test } from 'node:test';
import assert from 'node:assert/strict';
import { IBAN_LENGTHS, ibanValid, luhnValid, ssnValid } from '../../../src/stages/redact/checksums';

test('Luhn', () => {
  for (const n of ['4111111111111111', '5500005555555559', '378282246310005', '6011111111111117', '79927398713']) assert.equal(luhnValid(n), true, n);
  for (const n of ['4111111111111112', '79927398710', '1234567812345678', '', '4', '41111111111111a1']) assert.equal(luhnValid(n), false, n);
});

test('IBAN: mod 97 with the registry length', () => {
  // Examples from the national formats in the IBAN registry.
  for (const iban of ['DE89370400440532013000', 'GB82WEST12345698765432', 'FR1420041010050500013M02606', 'NL91ABNA0417164300', 'NO9386011117947', 'MT84MALT011000012345MTLCAST001S', 'BE68539007547034']) {
    assert.equal(ibanValid(iban), true, iban);
  }
  assert.equal(ibanValid('DE89370400440532013001'), false, 'check digits');
  assert.equal(ibanValid('DE8937040044053201300'), false, 'length');
  assert.equal(ibanValid('XX89370400440532013000'), false, 'country');
  assert.equal(ibanValid('de89370400440532013000'), false, 'lower case is not compact form');
  assert.equal(IBAN_LENGTHS.DE, 22);
  assert.equal(IBAN_LENGTHS.NO, 15);
  assert.equal(IBAN_LENGTHS.RU, 33);
});

test('SSN ranges never issued', () => {
  assert.equal(ssnValid('123', '45', '6789'), true);
  assert.equal(ssnValid('899', '99', '9999'), true);
  for (const [a, g, s] of [['000', '12', '3456'], ['666', '12', '3456'], ['900', '12', '3456'], ['999', '12', '3456'], ['123', '00', '4567'], ['123', '45', '0000']]) {
    assert.equal(ssnValid(a!, g!, s!), false, `${a}-${g}-${s}`);
  }
});
