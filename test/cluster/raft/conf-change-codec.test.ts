// Proves confChange entry data round-trips, that empty data means "leave the joint configuration",
// and that malformed bytes are refused with ConfChangeError rather than misread.
import t from 'tap';
import { decodeConfChange, encodeConfChange } from '../../../cluster/raft/conf-change-codec.js';
import { ConfChangeError } from '../../../cluster/raft/errors.js';
import { type ConfChange, nodeId } from '../../../cluster/raft/types.js';

t.test('changes round-trip, with and without context', async (t) => {
  const changes: ConfChange[] = [
    { transition: 'auto', changes: [{ type: 'addNode', nodeId: nodeId(4) }] },
    {
      transition: 'jointExplicit',
      changes: [
        { type: 'removeNode', nodeId: nodeId(1) },
        { type: 'addLearnerNode', nodeId: nodeId(300_000_000_000) },
      ],
      context: new Uint8Array([1, 2, 3]),
    },
    { transition: 'jointImplicit', changes: [] },
  ];
  for (const change of changes) t.same(decodeConfChange(encodeConfChange(change)), change);
});

t.test('empty data is the leave-joint change', async (t) => {
  t.same(decodeConfChange(new Uint8Array(0)), { transition: 'auto', changes: [] });
});

t.test('malformed data is refused', async (t) => {
  const good = encodeConfChange({ transition: 'auto', changes: [{ type: 'addNode', nodeId: nodeId(2) }] });
  t.throws(() => decodeConfChange(good.subarray(0, good.length - 1)), ConfChangeError, 'truncated');
  t.throws(() => decodeConfChange(new Uint8Array([9, 0, 0, 0])), ConfChangeError, 'unknown version');
  t.throws(() => decodeConfChange(new Uint8Array([1, 7, 0, 0])), ConfChangeError, 'unknown transition');
  t.throws(() => decodeConfChange(new Uint8Array([1, 0, 1, 5, 2, 0])), ConfChangeError, 'unknown change type');
  t.throws(() => decodeConfChange(new Uint8Array([1, 0, 0, 0, 0])), ConfChangeError, 'trailing bytes');
});
