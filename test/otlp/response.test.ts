import { test } from 'node:test';
import assert from 'node:assert/strict';
import { JsonLogsSerializer, JsonTraceSerializer, ProtobufLogsSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { RPC_CODE, encodeExportResponse, encodeStatus } from '../../src/otlp/response';
import { decodeStatus } from './pb';

test('success without rejections is the empty message', () => {
  assert.equal(encodeExportResponse('traces', 'protobuf').length, 0);
  assert.equal(encodeExportResponse('logs', 'protobuf', { rejected: 0, errorMessage: '' }).length, 0);
  assert.equal(Buffer.from(encodeExportResponse('traces', 'json')).toString(), '{}');
  assert.deepEqual(ProtobufTraceSerializer.deserializeResponse(encodeExportResponse('traces', 'protobuf')), {});
});

test('partial_success decodes with the OTel JS client deserializers, both encodings and signals', () => {
  const partial = { rejected: 300, errorMessage: 'non-GenAI spans refused — 300' };
  const tp = ProtobufTraceSerializer.deserializeResponse(encodeExportResponse('traces', 'protobuf', partial));
  assert.equal(Number(tp.partialSuccess?.rejectedSpans), 300);
  assert.equal(tp.partialSuccess?.errorMessage, partial.errorMessage);
  const tj = JsonTraceSerializer.deserializeResponse(encodeExportResponse('traces', 'json', partial));
  assert.equal(Number(tj.partialSuccess?.rejectedSpans), 300);
  assert.equal(tj.partialSuccess?.errorMessage, partial.errorMessage);
  const lp = ProtobufLogsSerializer.deserializeResponse(encodeExportResponse('logs', 'protobuf', partial));
  assert.equal(Number(lp.partialSuccess?.rejectedLogRecords), 300);
  const lj = JsonLogsSerializer.deserializeResponse(encodeExportResponse('logs', 'json', partial));
  assert.deepEqual(lj, { partialSuccess: { rejectedLogRecords: '300', errorMessage: partial.errorMessage } });
  // A message alone (a warning with nothing rejected) is still sent.
  const warn = ProtobufTraceSerializer.deserializeResponse(encodeExportResponse('traces', 'protobuf', { rejected: 0, errorMessage: 'w' }));
  assert.equal(warn.partialSuccess?.errorMessage, 'w');
  assert.equal(warn.partialSuccess?.rejectedSpans, undefined);
  // Large counts survive (varint past 32 bits).
  const big = ProtobufTraceSerializer.deserializeResponse(encodeExportResponse('traces', 'protobuf', { rejected: 2 ** 40 + 5, errorMessage: '' }));
  assert.equal(Number(big.partialSuccess?.rejectedSpans), 2 ** 40 + 5);
});

test('google.rpc.Status in protobuf and JSON', () => {
  assert.deepEqual(decodeStatus(encodeStatus('protobuf', RPC_CODE.INVALID_ARGUMENT, 'bad body')), { code: 3, message: 'bad body' });
  assert.deepEqual(decodeStatus(encodeStatus('protobuf', RPC_CODE.UNAVAILABLE, '')), { code: 14, message: '' });
  assert.deepEqual(JSON.parse(Buffer.from(encodeStatus('json', RPC_CODE.RESOURCE_EXHAUSTED, 'slow down "now"')).toString()), {
    code: 8,
    message: 'slow down "now"',
  });
});
