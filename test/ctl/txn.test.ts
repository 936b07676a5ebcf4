// txn from stdin and interactive (-i): etcdctl 3.4's grammar, prompts, errors and exit codes.
import { test } from 'node:test';
import { assertSame } from './assert-same.js';
import { twins, type Step } from './harness.js';

const txn = (stdin: string, ...flags: string[]): Step => ({ args: ['txn', ...flags], stdin });

test('txn: compares, branches, output formats, interactive prompts', async () => {
  assertSame(await twins([
    { args: ['put', 'foo', 'bar'] },
    txn('value("foo") = "bar"\n\nget foo\nput x y\ndel z\n\nput z 1\n\n'),
    txn('value("foo") = "bar"\n\nget foo\nput x y --prev-kv\n\nput z 1\n\n', '-w', 'json'),
    txn('value("foo") != "bar"\n\nget foo\n\nput z 2 --prev-kv\nget z\n\n', '-w', 'fields'),
    txn('mod("foo") > "0"\nver("foo") < "5"\ncreate("foo") = "2"\nc("x") > "1"\nm("x") > "1"\nversion("x") = "1"\nval("x") = "y"\n\nget x\n\n\n', '-i'),
    txn('\n\n\n'),
    txn('\nput "quoted key" "a \\"b\\" c"\nget "quoted key" -w json\n\n\n'),
    txn("\nput 'k' v\n\n\n"),
    txn('\ng foo\np n 1\nd n\n\n\n'),
    txn('value("foo") = "bar"\n\nget foo\n\nput z 1\n\n', '-w', 'protobuf'),
    txn('value("foo") = "bar"\n\nget foo\n\n\n', '-w', 'table'),
    txn('\nput x 1\ndel x\n\n\n'),
  ]));
});

test('txn: input errors and exit codes', async () => {
  assertSame(await twins([
    txn('value("foo") = "bar"\n\nget foo\n'),
    txn('value("foo") = "bar"'),
    txn(''),
    txn('', '-i'),
    txn('bogus\n\n\n'),
    txn('value("foo" = "bar"\n\n\n'),
    txn('value("foo")="bar"\n\n\n'),
    txn('value(foo) = "bar"\n\n\n'),
    txn('nope("foo") = "bar"\n\n\n'),
    txn('ver("foo") = "x"\n\n\n'),
    txn('mod("foo") = "1.5"\n\n\n'),
    txn('\nget\n\n\n'),
    txn('\nfrob x\n\n\n'),
    txn('\nget foo --bogus\n\n\n'),
    txn('\nget foo --prefix --from-key\n\n\n'),
    txn('\nput "bad\\q" v\n\n\n'),
    { args: ['txn', 'extra'], stdin: '\n\n\n' },
    txn('ver("foo") >= "1"\n\n\n'),
    txn('lease("foo") = "1"\n\n\n'),
  ]));
});
