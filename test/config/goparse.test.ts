import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GoParseError, parseGoBool, parseGoDuration, parseGoInt, parseGoUint, parseGoUint32 } from '../../src/config/goparse.js';
import { parseInitialCluster, parseServerURL } from '../../src/config/urls.js';

const fails = (fn: () => unknown, msg: string): void => {
  assert.throws(fn, (e: unknown) => e instanceof GoParseError && e.message === msg);
};

test('strconv.ParseBool', () => {
  for (const t of ['1', 't', 'T', 'TRUE', 'true', 'True']) assert.equal(parseGoBool(t), true, t);
  for (const f of ['0', 'f', 'F', 'FALSE', 'false', 'False']) assert.equal(parseGoBool(f), false, f);
  for (const bad of ['yes', 'on', 'tRUE', '', ' true']) fails(() => parseGoBool(bad), 'parse error');
});

test('strconv.ParseUint with base 0', () => {
  assert.equal(parseGoUint('0'), 0);
  assert.equal(parseGoUint('100000'), 100000);
  assert.equal(parseGoUint('0x1F'), 31);
  assert.equal(parseGoUint('0o17'), 15);
  assert.equal(parseGoUint('017'), 15);
  assert.equal(parseGoUint('0b101'), 5);
  assert.equal(parseGoUint('1_000_000'), 1_000_000);
  assert.equal(parseGoUint('0x_ff'), 255);
  for (const bad of ['', '-1', '+1', 'abc', '1.5', '08', '0x', '_1', '1_', '1__0', ' 1']) fails(() => parseGoUint(bad), 'parse error');
  fails(() => parseGoUint('18446744073709551616'), 'value out of range'); // 2^64
  fails(() => parseGoUint('9007199254740993'), 'value out of range'); // beyond JS's exact integers
});

test('strconv.ParseInt with base 0', () => {
  assert.equal(parseGoInt('-5'), -5);
  assert.equal(parseGoInt('+5'), 5);
  assert.equal(parseGoInt('-0x10'), -16);
  for (const bad of ['', '-', '--1', 'x']) fails(() => parseGoInt(bad), 'parse error');
  fails(() => parseGoInt('9223372036854775808'), 'value out of range');
});

test("etcd's uint32 flag reports strconv's own error text", () => {
  assert.equal(parseGoUint32('4294967295'), 4294967295);
  fails(() => parseGoUint32('4294967296'), 'strconv.ParseUint: parsing "4294967296": value out of range');
  fails(() => parseGoUint32('x'), 'strconv.ParseUint: parsing "x": invalid syntax');
});

test('time.ParseDuration (milliseconds out)', () => {
  assert.equal(parseGoDuration('0'), 0);
  assert.equal(parseGoDuration('5s'), 5000);
  assert.equal(parseGoDuration('100ms'), 100);
  assert.equal(parseGoDuration('1h30m'), 5_400_000);
  assert.equal(parseGoDuration('1.5h'), 5_400_000);
  assert.equal(parseGoDuration('.5s'), 500);
  assert.equal(parseGoDuration('1500us'), 1.5);
  assert.equal(parseGoDuration('2µs'), 0.002);
  assert.equal(parseGoDuration('-2m'), -120_000);
  for (const bad of ['', '5', '1x', 's', '.s', '1.5.5s', '+', '1h 30m']) fails(() => parseGoDuration(bad), 'parse error');
});

test('time.Duration.String()', async () => {
  const { formatGoDuration } = await import('../../src/config/goparse.js');
  const cases: [number, string][] = [
    [0, '0s'], [0.0005, '500ns'], [0.5, '500µs'], [1.5, '1.5ms'], [100, '100ms'], [1000, '1s'], [1500, '1.5s'],
    [60_000, '1m0s'], [300_000, '5m0s'], [3_600_000, '1h0m0s'], [5_400_000, '1h30m0s'], [-2000, '-2s'],
  ];
  for (const [ms, text] of cases) {
    assert.equal(formatGoDuration(ms), text, String(ms));
    if (ms !== 0) assert.equal(parseGoDuration(text), ms, `round trip ${text}`);
  }
});

test('URLs as etcd checks them', () => {
  const u = parseServerURL(' HTTPS://Example.com:443 ');
  assert.deepEqual(u, { scheme: 'https', hostname: 'Example.com', port: 443, host: 'Example.com:443', href: 'https://Example.com:443' });
  assert.equal(parseServerURL('unix://localhost:1').scheme, 'unix');
  fails(() => parseServerURL('localhost:2379'), 'URL scheme must be http, https, unix, or unixs: localhost:2379');
  fails(() => parseServerURL('http://localhost:2379/'), 'URL must not contain a path: http://localhost:2379/');
  fails(() => parseServerURL('http://[::1]'), 'URL address does not have the form "host:port": http://[::1]');
  fails(() => parseServerURL('http://a:b:1'), 'URL address does not have the form "host:port": http://a:b:1');
  fails(() => parseServerURL('http://localhost:'), 'URL address does not have the form "host:port": http://localhost:');
  fails(() => parseServerURL('http://localhost:99999'), 'URL port out of range: http://localhost:99999');
  fails(() => parseServerURL('http://localhost:12a'), 'parse "http://localhost:12a": invalid port ":12a" after host');
  fails(() => parseServerURL('http://u@localhost:1'), 'URL must not contain user info: http://u@localhost:1');
  fails(() => parseServerURL('http://localhost:1?x=1'), 'URL must not contain a query or fragment: http://localhost:1?x=1');
});

test('initial cluster strings', () => {
  const m = parseInitialCluster('a=http://h1:2380,,b=http://h2:2380,a=http://h0:2380');
  assert.deepEqual([...m.keys()], ['a', 'b']);
  assert.deepEqual(m.get('a')!.map((u) => u.href), ['http://h0:2380', 'http://h1:2380']);
  assert.equal(parseInitialCluster('').size, 0);
  fails(() => parseInitialCluster('lonely'), 'URL scheme must be http, https, unix, or unixs: ');
});
