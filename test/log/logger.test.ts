import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger, formatZapTime } from '../../src/log/index.js';

function capture(level: 'debug' | 'info' = 'info'): { lines: () => Record<string, unknown>[]; raw: string[]; log: ReturnType<typeof createLogger> } {
  const raw: string[] = [];
  const log = createLogger({ level, destination: { write: (s: string) => raw.push(s) } });
  return { raw, log, lines: () => raw.map((s) => JSON.parse(s) as Record<string, unknown>) };
}

test('a line has zap\'s keys in zap\'s order: level, ts, caller, msg, then fields', () => {
  const { raw, lines, log } = capture();
  log.info({ 'data-dir': '/x', count: 3 }, 'opened backend');
  assert.equal(raw.length, 1);
  assert.ok(raw[0]!.endsWith('}\n'), 'one object per line');
  const [line] = lines();
  assert.deepEqual(Object.keys(line!), ['level', 'ts', 'caller', 'msg', 'data-dir', 'count']);
  assert.equal(line!.level, 'info');
  assert.equal(line!.msg, 'opened backend');
  assert.equal(line!['data-dir'], '/x');
  // The caller is this test file, shortened to "<dir>/<file>:<line>".
  assert.match(String(line!.caller), /^log\/logger\.test\.js:\d+$/);
});

test('ts is zap\'s ISO8601 encoding: local time, milliseconds, Z or ±hhmm', () => {
  const { lines, log } = capture();
  log.warn('x');
  assert.match(String(lines()[0]!.ts), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}(Z|[+-]\d{4})$/);
  const d = new Date(Date.UTC(2026, 10, 25, 14, 33, 48, 123));
  const s = formatZapTime(d);
  if (d.getTimezoneOffset() === 0) assert.equal(s, '2026-11-25T14:33:48.123Z');
  else assert.match(s, /^2026-11-2\dT\d\d:\d\d:48\.123[+-]\d{4}$/);
});

test('levels are lowercase zap names and the level filter applies', () => {
  const { lines, log } = capture('info');
  log.debug('hidden');
  log.info('i');
  log.warn('w');
  log.error('e');
  log.dpanic('dp');
  log.panic('p');
  log.fatal('f');
  assert.deepEqual(lines().map((l) => l.level), ['info', 'warn', 'error', 'dpanic', 'panic', 'fatal']);
  const dbg = capture('debug');
  dbg.log.debug('shown');
  assert.equal(dbg.lines()[0]!.level, 'debug');
});

test('error and above carry a stacktrace after the fields, starting at the call site (zap production)', () => {
  const { lines, log } = capture();
  log.warn({ a: 1 }, 'no stack');
  log.error({ a: 1 }, 'with stack');
  const [w, e] = lines();
  assert.equal(w!.stacktrace, undefined);
  assert.deepEqual(Object.keys(e!), ['level', 'ts', 'caller', 'msg', 'a', 'stacktrace']);
  assert.match(String(e!.stacktrace), /^at .*log\/logger\.test\.js:\d+:\d+/);
  assert.doesNotMatch(String(e!.stacktrace), /node_modules\/pino|src\/log\//);
});

test('errors log as their message under "error", like zap.Error', () => {
  const { lines, log } = capture();
  log.warn({ error: new Error('disk full') }, 'failed to write');
  log.error(new Error('boom'), 'apply failed');
  const [a, b] = lines();
  assert.equal(a!.error, 'disk full');
  assert.equal(b!.error, 'boom');
  assert.equal(b!.msg, 'apply failed');
});

test('printf-style messages and child bindings', () => {
  const { lines, log } = capture();
  log.child({ 'local-member-id': '8e9e05c52164694d' }).info('term %d', 2);
  const [l] = lines();
  assert.equal(l!.msg, 'term 2');
  assert.match(String(l!.caller), /^log\/logger\.test\.js:\d+$/, 'the caller of a child logger is still the call site');
  assert.equal(l!['local-member-id'], '8e9e05c52164694d');
});

test('file outputs are appended to synchronously', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tsetcd-log-'));
  const file = join(dir, 'server.log');
  const log = createLogger({ outputs: [file] });
  log.info({ n: 1 }, 'first');
  log.info({ n: 2 }, 'second');
  // No flush, no await: the lines must already be in the file.
  const lines = readFileSync(file, 'utf8').trim().split('\n').map((s) => JSON.parse(s) as { msg: string });
  assert.deepEqual(lines.map((l) => l.msg), ['first', 'second']);
});

test('an output that cannot be opened is a LogOutputError naming it', async () => {
  const { LogOutputError } = await import('../../src/log/index.js');
  const bad = join(mkdtempSync(join(tmpdir(), 'tsetcd-log-')), 'missing-dir', 'x.log');
  assert.throws(
    () => createLogger({ outputs: ['stderr', bad] }),
    (e: unknown) => e instanceof LogOutputError && e.output === bad && e.message.startsWith(`cannot open log output "${bad}": ENOENT`),
  );
});

test('lines written before process.exit or SIGKILL are not lost', async () => {
  const { spawnSync } = await import('node:child_process');
  const { fileURLToPath } = await import('node:url');
  const logModule = fileURLToPath(new URL('../../src/log/index.js', import.meta.url));
  const dir = mkdtempSync(join(tmpdir(), 'tsetcd-log-crash-'));
  const file = join(dir, 'crash.log');
  const script = `
    const { createLogger } = await import(${JSON.stringify(logModule)});
    const log = createLogger({ outputs: ['stderr', ${JSON.stringify(file)}] });
    for (let i = 0; i < 2000; i++) log.info({ i }, 'line');
    if (process.argv[1] === 'kill') process.kill(process.pid, 'SIGKILL');
    process.exit(3);
  `;
  for (const how of ['exit', 'kill']) {
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script, how], { encoding: 'utf8', maxBuffer: 64 << 20 });
    assert.equal(how === 'kill' ? r.signal : r.status, how === 'kill' ? 'SIGKILL' : 3);
    const errLines = r.stderr.trim().split('\n');
    assert.equal(errLines.length, 2000, `stderr lines after ${how}`);
    assert.equal((JSON.parse(errLines[1999]!) as { i: number }).i, 1999);
  }
  assert.equal(readFileSync(file, 'utf8').trim().split('\n').length, 4000, 'both runs fully appended to the file');
});

test('moduleLogger: a fixed caller, still before msg', async () => {
  const { moduleLogger } = await import('../../src/log/index.js');
  const { raw, log } = capture();
  moduleLogger(log, 'server/apply').info({ index: 7 }, 'applied');
  const line = JSON.parse(raw[0]!) as Record<string, unknown>;
  assert.deepEqual(Object.keys(line), ['level', 'ts', 'caller', 'msg', 'index']);
  assert.equal(line.caller, 'server/apply');
  // The parent keeps computing real callers.
  log.info('parent');
  assert.match(String((JSON.parse(raw[1]!) as Record<string, unknown>).caller), /^log\/logger\.test\.js:\d+$/);
});
