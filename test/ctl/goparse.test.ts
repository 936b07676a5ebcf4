// Unit tests of the Go parsing/formatting rules the CLI reproduces, and of pflag-style parsing.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FlagError, FlagSet, flag } from '../../src/cli/ctl/flags.js';
import { formatDuration, goQuote, goUnquote, parseBool, parseDuration, parseInt64 } from '../../src/cli/ctl/goparse.js';
import { tabwrite } from '../../src/cli/ctl/tabwriter.js';

test('durations parse and print like Go', () => {
  assert.equal(parseDuration('2s'), 2_000_000_000n);
  assert.equal(parseDuration('1m30.5s'), 90_500_000_000n);
  assert.equal(parseDuration('0'), 0n);
  assert.equal(parseDuration('-1.5ms'), -1_500_000n);
  assert.throws(() => parseDuration('abc'), /^Error: time: invalid duration "abc"$/);
  assert.throws(() => parseDuration('5'), /time: missing unit in duration "5"/);
  assert.throws(() => parseDuration('5x'), /time: unknown unit "x" in duration "5x"/);
  assert.equal(formatDuration(1_480_757n), '1.480757ms');
  assert.equal(formatDuration(2_000_000_000n), '2s');
  assert.equal(formatDuration(90_500_000_000n), '1m30.5s');
  assert.equal(formatDuration(1500n), '1.5µs');
  assert.equal(formatDuration(999n), '999ns');
});

test('integers and bools with strconv\'s rules', () => {
  assert.equal(parseInt64('0x10'), 16n);
  assert.equal(parseInt64('010'), 8n);
  assert.equal(parseInt64('1_000'), 1000n);
  assert.equal(parseInt64('-9223372036854775808'), -(2n ** 63n));
  assert.throws(() => parseInt64('9223372036854775808'), /strconv.ParseInt: parsing "9223372036854775808": value out of range/);
  assert.throws(() => parseInt64('abc'), /strconv.ParseInt: parsing "abc": invalid syntax/);
  assert.equal(parseInt64('ff', 16), 255n);
  assert.equal(parseBool('T'), true);
  assert.throws(() => parseBool('yes'), /strconv.ParseBool: parsing "yes": invalid syntax/);
});

test('Go %q quoting and unquoting', () => {
  assert.equal(goQuote(Buffer.from('a"b\\c\n\u00e9')), '"a\\"b\\\\c\\n\u00e9"');
  assert.equal(goQuote(Uint8Array.of(0xff, 0x00, 0x7f)), '"\\xff\\x00\\x7f"');
  assert.equal(goQuote(Buffer.from('\u200b')), '"\\u200b"');
  assert.deepEqual([...goUnquote(Buffer.from('"\\x41\\101\\u00e9\\t"'))], [0x41, 0x41, 0xc3, 0xa9, 0x09]);
  assert.throws(() => goUnquote(Buffer.from('"\\q"')), /invalid syntax/);
});

test('flags: interspersed, --x=v, -wv, bools, slices, and pflag\'s errors', () => {
  const fs = new FlagSet([
    flag.string('write-out', 'simple', '', 'w'), flag.bool('prefix', false, ''), flag.int64('limit', 0n, ''),
    flag.stringSlice('endpoints', ['127.0.0.1:2379'], ''), flag.bool('help', false, '', 'h'),
  ]);
  fs.parse(['get', '-wjson', 'a', '--prefix', '--limit', '3', '--endpoints=a,b', '--endpoints', 'c', '--', '--not-a-flag']);
  assert.deepEqual(fs.args, ['get', 'a', '--not-a-flag']);
  assert.equal(fs.string('write-out'), 'json');
  assert.equal(fs.bool('prefix'), true);
  assert.equal(fs.int64('limit'), 3n);
  assert.deepEqual(fs.stringSlice('endpoints'), ['a', 'b', 'c']);
  const err = (args: string[]): string => {
    try {
      new FlagSet([flag.string('write-out', 'simple', '', 'w'), flag.bool('prefix', false, ''), flag.int64('limit', 0n, '')]).parse(args);
    } catch (e) {
      if (e instanceof FlagError) return e.message;
      throw e;
    }
    return 'no error';
  };
  assert.equal(err(['--bogus']), 'unknown flag: --bogus');
  assert.equal(err(['-x']), "unknown shorthand flag: 'x' in -x");
  assert.equal(err(['--limit']), 'flag needs an argument: --limit');
  assert.equal(err(['-w']), "flag needs an argument: 'w' in -w");
  assert.equal(err(['--limit=x']), 'invalid argument "x" for "--limit" flag: strconv.ParseInt: parsing "x": invalid syntax');
  assert.equal(err(['--prefix=maybe']), 'invalid argument "maybe" for "--prefix" flag: strconv.ParseBool: parsing "maybe": invalid syntax');
  assert.equal(err(['---x']), 'bad flag syntax: ---x');
});

test('tabwriter: tab padding to multiples of 8 per column block', () => {
  assert.equal(tabwrite('\ta\tx\n\tlonger-name\ty\nend\n'), '\ta\t\tx\n\tlonger-name\ty\nend\n');
  assert.equal(tabwrite('NAME:\n\tget - x\n'), 'NAME:\n\tget - x\n');
});
