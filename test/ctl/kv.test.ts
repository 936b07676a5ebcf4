// put / get / del: etcdctl 3.4 and tsetcdctl, same steps, same output.
import { test } from 'node:test';
import { assertSame } from './assert-same.js';
import { twins, type Step } from './harness.js';

const s = (...args: string[]): Step => ({ args });

test('put: plain, --prev-kv, --ignore-value, --ignore-lease, stdin value, errors, every format', async () => {
  assertSame(await twins([
    s('put', 'foo', 'bar'),
    s('put', 'foo', 'baz', '--prev-kv'),
    s('put', 'foo', '--ignore-value'),
    s('put', 'foo', 'qux', '--ignore-lease', '--prev-kv'),
    s('put', 'foo', 'x', '-w', 'json', '--prev-kv'),
    s('put', 'foo', 'y', '-w', 'fields', '--prev-kv'),
    s('put', 'foo', 'z', '-w', 'protobuf'),
    s('put', 'foo', 'w', '-w', 'table'),
    s('put', 'foo', 'v', '-w', 'xml'),
    s('put', 'a', 'b', 'c'),
    s('put', '--', 'dash', '-v'),
    { args: ['put', 'fromstdin'], stdin: 'line1\nline2\n' },
    s('put', 'only-key'),
    s('put'),
    s('put', 'k', 'v', '--ignore-value'),
    s('put', 'k', 'v', '--lease=zz'),
    s('put', 'k', 'v', '--lease=1234abcd'),
    s('put', '', 'empty-key'),
    s('put', 'k', 'v', '--prev-kv=false', '--hex'),
    s('put', 'k', 'v2', '--prev-kv', '--hex'),
    s('get', 'fromstdin', '-w', 'json'),
    s('get', 'foo', '--rev=2'),
  ]));
});

test('get: ranges, prefixes, limits, sorting, revisions, consistency and every format', async () => {
  const setup: Step[] = [
    s('put', 'a', '1'), s('put', 'a/b', '2'), s('put', 'a/c', '3'), s('put', 'b', '4'), s('put', 'a/b', '5'),
    s('put', 'c\u00e9', 'utf8 \u00e9 "quoted"'), s('put', 'tab', 'x\ty\n'),
  ];
  assertSame(await twins([
    ...setup,
    s('get', 'a'), s('get', 'a', 'b'), s('get', 'a', '--prefix'), s('get', '', '--prefix'), s('get', 'a/', '--from-key'),
    s('get', '', '--from-key'), s('get', 'a', '--prefix', '--keys-only'), s('get', 'a', '--prefix', '--print-value-only'),
    s('get', 'a', '--prefix', '--limit=2'), s('get', 'a', '--prefix', '--limit=2', '-w', 'json'),
    s('get', 'a', '--prefix', '--limit=2', '-w', 'fields'),
    s('get', 'a', '--prefix', '--sort-by=MODIFY', '--order=DESCEND'), s('get', 'a', '--prefix', '--sort-by=create', '--order=ascend'),
    s('get', 'a', '--prefix', '--sort-by=VALUE'), s('get', 'a', '--prefix', '--sort-by=VERSION', '--order=DESCEND'),
    s('get', 'a', '--prefix', '--order=ASCEND', '-w', 'json'), s('get', 'a', '--prefix', '--sort-by=KEY', '--order=DESCEND'),
    s('get', 'a/b', '--rev=3'), s('get', 'a/b', '--rev=3', '-w', 'json'), s('get', 'a/b', '--rev=999'),
    s('get', 'a', '--consistency=s'), s('get', 'a', '--consistency=x'), s('get', 'a', '--order=up'), s('get', 'a', '--sort-by=name'),
    s('get', 'a', '--prefix', '--from-key'), s('get', 'a', 'b', '--prefix'), s('get'), s('get', 'a', '-w', 'table'),
    s('get', 'a', '-w', 'json', '--print-value-only'), s('get', 'a', '--prefix', '-w', 'protobuf'),
    s('get', 'c\u00e9', '-w', 'fields'), s('get', 'c\u00e9', '-w', 'json'), s('get', 'c\u00e9', '--hex'), s('get', 'tab', '-w', 'fields'),
    s('get', 'a', '--prefix', '--keys-only', '-w', 'json'), s('get', 'nothing'), s('get', 'nothing', '-w', 'json'),
    s('get', 'nothing', '-w', 'fields'), s('get', 'a', '--rev=abc'), s('get', 'a', '--limit', '0x1', '--prefix'),
    s('ge', 'a'), s('g', 'a'),
  ]));
});

test('del: key, range, prefix, from-key, prev-kv, errors, formats', async () => {
  assertSame(await twins([
    s('put', 'a', '1'), s('put', 'a/b', '2'), s('put', 'a/c', '3'), s('put', 'b', '4'), s('put', 'c', '5'), s('put', 'd', '6'),
    s('del', 'nothing'), s('del', 'a', '--prev-kv'), s('del', 'a/', '--prefix', '--prev-kv', '-w', 'json'),
    s('put', 'a', '1'), s('del', 'a', 'b', '-w', 'fields', '--prev-kv'), s('del', 'c', '--from-key'),
    s('del'), s('del', 'a', 'b', 'c'), s('del', 'a', '--prefix', '--from-key'), s('del', 'a', 'b', '--prefix'),
    s('del', 'x', '-w', 'table'), s('del', 'x', '-w', 'protobuf'), s('put', 'z', '1'), s('del', '', '--prefix'),
  ]));
});
