import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseTraceData } from '../../../src/admin/trace/trace-records.js';

// Records as Apache's TraceDataEncoder.encoderFromContextBean writes them: fields split by char 1, each record ended by char 2.
const record = (...fields: Array<string | number | boolean>) => `${fields.join('\u0001')}\u0002`;

test('Pub, SubBefore, SubAfter, EndTransaction and Recall records are read as the Java clients write them', () => {
  const body = [
    record('Pub', 1700000000000, 'DefaultRegion', 'PG', 'T', 'MSG1', 'TagA', 'k1 k2', '10.0.0.1:10911', 42, 3, 0, 'OFF1', true),
    record('SubBefore', 1700000000100, 'DefaultRegion', 'CG', 'REQ1', 'MSG1', 2, 'k1 k2'),
    record('SubAfter', 'REQ1', 'MSG1', 7, false, 'k1 k2', 4, 1700000000107, 'CG'),
    record('EndTransaction', 1700000000050, 'DefaultRegion', 'PG', 'T', 'MSG1', 'null', 'null', '10.0.0.1:10911', 1, 'TX1', 'COMMIT_MESSAGE', true),
    record('Recall', 1700000000200, 'DefaultRegion', 'PG', 'T', 'MSG1', true),
  ].join('');
  const { records, skipped } = parseTraceData(body);
  assert.equal(skipped, 0);
  assert.deepEqual(records, [
    { type: 'Pub', timestamp: 1700000000000, regionId: 'DefaultRegion', group: 'PG', topic: 'T', msgId: 'MSG1', tags: 'TagA', keys: 'k1 k2', storeHost: '10.0.0.1:10911', bodyLength: 42, costMs: 3, msgType: 'Normal', offsetMsgId: 'OFF1', success: true },
    { type: 'SubBefore', timestamp: 1700000000100, regionId: 'DefaultRegion', group: 'CG', requestId: 'REQ1', msgId: 'MSG1', retryTimes: 2, keys: 'k1 k2' },
    { type: 'SubAfter', requestId: 'REQ1', msgId: 'MSG1', costMs: 7, success: false, keys: 'k1 k2', returnType: 'FAILED', timestamp: 1700000000107, group: 'CG' },
    { type: 'EndTransaction', timestamp: 1700000000050, regionId: 'DefaultRegion', group: 'PG', topic: 'T', msgId: 'MSG1', tags: null, keys: null, storeHost: '10.0.0.1:10911', msgType: 'Trans', transactionId: 'TX1', transactionState: 'COMMIT_MESSAGE', fromTransactionCheck: true },
    { type: 'Recall', timestamp: 1700000000200, regionId: 'DefaultRegion', group: 'PG', topic: 'T', msgId: 'MSG1', success: true },
  ]);
});

test('older layouts are read, and unknown or malformed records are counted, not fatal', () => {
  const body = [
    // a Pub without offsetMsgId (13 fields), a SubAfter of the cloud channel (no time nor group, a trailing separator)
    record('Pub', 1, 'R', 'PG', 'T', 'M', 'null', 'null', 'h:1', 0, 0, 3, false),
    `SubAfter\u0001REQ\u0001M\u00015\u0001true\u0001null\u00010\u0001\u0002`,
    record('SubBefore', 'not-a-time', 'R', 'CG', 'REQ', 'M', 0, 'null'),
    record('Teleport', 1, 2, 3),
    record('Pub', 1, 'R'),
    '\n',
  ].join('');
  const { records, skipped } = parseTraceData(body);
  assert.equal(skipped, 3);
  assert.deepEqual(records.map((r) => r.type), ['Pub', 'SubAfter']);
  assert.deepEqual(records[0], { type: 'Pub', timestamp: 1, regionId: 'R', group: 'PG', topic: 'T', msgId: 'M', tags: null, keys: null, storeHost: 'h:1', bodyLength: 0, costMs: 0, msgType: 'Delay', offsetMsgId: null, success: false });
  assert.deepEqual(records[1], { type: 'SubAfter', requestId: 'REQ', msgId: 'M', costMs: 5, success: true, keys: null, returnType: 'SUCCESS', timestamp: null, group: null });
});
