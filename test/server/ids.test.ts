import assert from 'node:assert/strict';
import { test } from 'node:test';
import { canonicalUrl, clusterId, memberId } from '../../src/server/ids.js';

// Values observed on the real etcd 3.4.23 started with
//   --initial-advertise-peer-urls http://127.0.0.1:23801 --initial-cluster default=http://127.0.0.1:23801
// and the default --initial-cluster-token etcd-cluster.
test('member and cluster IDs are derived exactly as etcd derives them', () => {
  const m = memberId(['http://127.0.0.1:23801'], 'etcd-cluster');
  assert.equal(m, 13668033151171901709n);
  assert.equal(clusterId([m]), 15118495548433857066n);
});

test('peer URLs are compared in Go url.String() form and sorted', () => {
  assert.equal(canonicalUrl('http://127.0.0.1:2380/'), 'http://127.0.0.1:2380');
  assert.equal(
    memberId(['http://b:2380', 'http://a:2380'], 't'),
    memberId(['http://a:2380/', 'http://b:2380'], 't'),
  );
  assert.notEqual(memberId(['http://a:2380'], 't1'), memberId(['http://a:2380'], 't2'));
});

test('cluster ID does not depend on member order', () => {
  assert.equal(clusterId([1n, 2n, 3n]), clusterId([3n, 1n, 2n]));
  assert.notEqual(clusterId([1n, 2n]), clusterId([1n, 3n]));
});
