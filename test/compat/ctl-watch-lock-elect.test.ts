// tsetcdctl's watch, lock and elect next to the REAL etcdctl 3.4: both tools run the same steps
// against the same server (real etcd and tsetcd), and stdout, stderr and exit codes must match.
// Watches replay history (--rev), so both tools see the same responses; lock and election keys
// carry each tool's own session lease, so those are compared with the lease id masked.
// Every wait is bounded; every spawned process is stopped by PID.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, describe, test } from 'node:test';
import { startServer, type ServerHandle, type ServerKind } from '../helpers/real-etcd.js';

const REPO = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const TOOLS = { etcdctl: '/usr/bin/etcdctl', tsetcdctl: join(REPO, 'bin', 'tsetcdctl') } as const;
type Tool = keyof typeof TOOLS;

interface Result { stdout: string; stderr: string; status: number | null }

function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('ETCDCTL_')) env[k] = v;
  return { ...env, ...extra };
}

function run(tool: Tool, ep: string, args: string[], opts: { input?: string; env?: Record<string, string> } = {}): Result {
  const r = spawnSync(TOOLS[tool], ['--endpoints', ep, ...args], { input: opts.input ?? '', encoding: 'utf8', timeout: 20_000, env: cleanEnv(opts.env) });
  return { stdout: r.stdout, stderr: r.stderr, status: r.status };
}

const live = new Set<ChildProcess>();

interface Proc {
  out: () => string;
  err: () => string;
  write: (s: string) => void;
  endInput: () => void;
  /** Resolves once `pred(stdout)` holds; rejects after `ms` (a bound, not a measurement). */
  waitFor: (pred: (out: string) => boolean, what: string, ms?: number) => Promise<void>;
  /** Sends `sig` (unless it already ended) and waits for the exit code; SIGKILL after a bound. */
  stop: (sig?: NodeJS.Signals) => Promise<number | null>;
  exited: Promise<number | null>;
}

function start(tool: Tool, ep: string, args: string[], env: Record<string, string> = {}): Proc {
  const child = spawn(TOOLS[tool], ['--endpoints', ep, ...args], { stdio: ['pipe', 'pipe', 'pipe'], env: cleanEnv(env) });
  live.add(child);
  let out = '';
  let err = '';
  const listeners = new Set<() => void>();
  const notify = (): void => { for (const l of [...listeners]) l(); };
  child.stdout!.on('data', (d: Buffer) => { out += d.toString('latin1'); notify(); });
  child.stderr!.on('data', (d: Buffer) => { err += d.toString('latin1'); notify(); });
  child.stdin!.on('error', () => undefined);
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => { live.delete(child); notify(); r(code); }));
  return {
    out: () => out,
    err: () => err,
    write: (s) => { child.stdin!.write(s); },
    endInput: () => { child.stdin!.end(); },
    waitFor: (pred, what, ms = 15_000) => new Promise<void>((resolve, reject) => {
      const check = (): void => {
        if (pred(out)) { done(); resolve(); }
        else if (child.exitCode !== null || child.signalCode !== null) { done(); reject(new Error(`${tool} exited while waiting for ${what}: ${out}|${err}`)); }
      };
      const t = setTimeout(() => { done(); reject(new Error(`${tool}: no ${what} within ${ms} ms: ${out}|${err}`)); }, ms);
      const done = (): void => { clearTimeout(t); listeners.delete(check); };
      listeners.add(check);
      check();
    }),
    stop: async (sig = 'SIGTERM') => {
      if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) process.kill(child.pid, sig);
      const t = setTimeout(() => { if (child.pid !== undefined && child.exitCode === null) process.kill(child.pid, 'SIGKILL'); }, 10_000);
      const code = await exited;
      clearTimeout(t);
      return code;
    },
    exited,
  };
}

async function poll(what: string, f: () => boolean, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  for (let i = 0; i < 1000; i++) {
    if (f()) return;
    if (Date.now() > deadline) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`not reached in time: ${what}`);
}

/** Lock and election keys end in the session's lease id (hex); revisions differ per tool. */
function maskLease(s: string): string {
  return s.replace(/\/[0-9a-f]{8,16}\b/g, '/<lease>');
}

/** Runs `f` once per tool and returns both results. */
async function both<T>(f: (tool: Tool) => Promise<T> | T): Promise<Record<Tool, T>> {
  return { etcdctl: await f('etcdctl'), tsetcdctl: await f('tsetcdctl') };
}

/** capnslog's timestamp in etcdctl's environment warnings. */
const TIME = /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}/gm;

function noTime(r: Result): Result {
  return { ...r, stderr: r.stderr.replace(TIME, '<time>') };
}

function same<T>(r: Record<Tool, T>, what: string): void {
  assert.deepEqual(r.tsetcdctl, r.etcdctl, what);
}

after(() => {
  for (const c of live) if (c.pid !== undefined && c.exitCode === null) process.kill(c.pid, 'SIGKILL');
});

for (const kind of ['tsetcd', 'etcd'] as ServerKind[]) {
  describe(`watch, lock, elect: tsetcdctl as etcdctl (server: ${kind})`, { timeout: 240_000 }, () => {
    let srv: ServerHandle;
    let ep = '';

    test('start server and write history', async () => {
      srv = await startServer({ kind });
      ep = srv.endpoint;
      const etcdctl = (args: string[], input?: string): Result => run('etcdctl', ep, args, input !== undefined ? { input } : {});
      etcdctl(['put', 'a', '1']);
      etcdctl(['put', 'a', '2']);
      etcdctl(['put', 'b', '1']);
      etcdctl(['put', 'x', '1']);
      etcdctl(['put', 'y', '2']);
      etcdctl(['put', 'bb', '\u00e9t\u00e9']);
      etcdctl(['del', 'a']);
      assert.equal(etcdctl(['get', 'a', '-w', 'json']).status, 0);
    });

    test('watch history: simple --prev-kv, --prefix, range, -w json/fields/protobuf/--hex', async () => {
      const cases: Array<{ args: string[]; marker: (o: string) => boolean }> = [
        { args: ['watch', 'a', '--rev', '1', '--prev-kv'], marker: (o) => o.endsWith('DELETE\na\n2\na\n\n') },
        { args: ['watch', '--prefix', 'b', '--rev', '1'], marker: (o) => o.endsWith('bb\n\u00c3\u00a9t\u00c3\u00a9\n') },
        { args: ['watch', 'a', 'y', '--rev', '1'], marker: (o) => o.endsWith('DELETE\na\n\n') },
        { args: ['watch', '--prefix', '', '--rev', '1', '-w', 'json'], marker: (o) => o.includes('"type":1') && o.endsWith('\n') },
        { args: ['watch', 'a', '--rev', '1', '--prev-kv', '-w', 'fields'], marker: (o) => o.includes('"Type" : DELETE') && o.endsWith('"Lease" : 0\n') },
        { args: ['watch', 'x', '--rev', '1', '-w', 'protobuf'], marker: (o) => o.includes('x') && o.endsWith('1') },
        { args: ['watch', 'bb', '--rev', '1', '--hex'], marker: (o) => o.endsWith('\\xa9\n') },
      ];
      for (const c of cases) {
        // etcdctl first; tsetcdctl is then waited for until it has written as much.
        let refLen = 0;
        const r = await both(async (tool) => {
          const p = start(tool, ep, c.args);
          await p.waitFor((o) => c.marker(o) && o.length >= refLen, `events of ${c.args.join(' ')}`);
          refLen = p.out().length;
          const code = await p.stop();
          return { out: p.out(), err: p.err(), code };
        });
        same(r, c.args.join(' '));
      }
    });

    test('watch -- exec command with ETCD_WATCH_* variables', async () => {
      const script = 'echo "[$ETCD_WATCH_EVENT_TYPE|$ETCD_WATCH_KEY|$ETCD_WATCH_VALUE|$ETCD_WATCH_REVISION]"';
      const r = await both(async (tool) => {
        const p = start(tool, ep, ['watch', '--prefix', '', '--rev', '2', '--', 'sh', '-c', script]);
        await p.waitFor((o) => /\["DELETE"\|"a"\|""\|\d+\]\n$/.test(o), 'exec output');
        const code = await p.stop();
        return { out: p.out(), err: p.err(), code };
      });
      same(r, 'exec');
      assert.match(r.etcdctl.out, /\["PUT"\|"y"\|"2"\|\d+\]/);
      // A failing command ends the watch with etcdctl's message and exit code 1.
      const fail = await both((tool) => run(tool, ep, ['watch', 'a', '--rev', '2', '--', 'sh', '-c', 'exit 3']));
      same(fail, 'exec failure');
      assert.equal(fail.etcdctl.status, 1);
    });

    test('watch -i: watch and progress lines, bad lines, EOF', async () => {
      const r = await both(async (tool) => {
        const p = start(tool, ep, ['watch', '-i']);
        p.write('watch a --rev 1\n');
        await p.waitFor((o) => o.endsWith('DELETE\na\n\n'), 'interactive events');
        p.write('nonsense\n');
        p.write('watch\n');
        p.write('watch b c --prefix\n');
        p.write('watch --prefix x --rev 1 --prev-kv\n');
        await p.waitFor((o) => o.endsWith('PUT\nx\n1\n'), 'second watch');
        p.write('progress\n');
        await p.waitFor((o) => /(progress notify: \d+\n.*){2}$/s.test(o), 'progress notifications');
        p.endInput();
        const code = await p.exited;
        return { out: p.out(), err: p.err(), code };
      });
      same(r, 'interactive');
      assert.equal(r.etcdctl.code, 3);
    });

    test('watch argument errors and environment keys', async () => {
      const cases: Array<{ args: string[]; env?: Record<string, string> }> = [
        { args: ['watch'] },
        { args: ['watch', 'a', 'b', '--prefix'] },
        { args: ['watch', 'a', '--'] },
        { args: ['watch', '--rev', '1', '--', 'echo', 'hi'] },
        { args: ['watch', '--progress-notify', 'a'] },
        { args: ['watch', 'a', '--rev', 'x'] },
        { args: ['watch', 'b'], env: { ETCDCTL_WATCH_KEY: 'a' } },
        { args: ['watch'], env: { ETCDCTL_WATCH_RANGE_END: 'z' } },
        { args: ['watch', 'a', '--rev', '1', '-w', 'table'] },
        { args: ['watch', '--help'] },
        { args: ['lock'] },
        { args: ['lock', '--help'] },
        { args: ['lock', 'L', '--ttl', 'x'] },
        { args: ['elect'] },
        { args: ['elect', 'E'] },
        { args: ['elect', '-l', 'E', 'p'] },
        { args: ['elect', 'E', 'p', 'q'] },
        { args: ['elect', '--help'] },
      ];
      for (const c of cases) {
        const r = await both((tool) => run(tool, ep, c.args, c.env !== undefined ? { env: c.env } : {}));
        same({ etcdctl: noTime(r.etcdctl), tsetcdctl: noTime(r.tsetcdctl) }, `${JSON.stringify(c.env ?? {})} ${c.args.join(' ')}`);
      }
      // ETCDCTL_WATCH_KEY / _RANGE_END stand in for the key arguments.
      const env = await both(async (tool) => {
        const p = start(tool, ep, ['watch', '--rev', '1'], { ETCDCTL_WATCH_KEY: 'a', ETCDCTL_WATCH_RANGE_END: 'c' });
        await p.waitFor((o) => o.endsWith('DELETE\na\n\n'), 'env range events');
        const code = await p.stop();
        return { out: p.out(), err: p.err().replace(TIME, '<time>'), code };
      });
      same(env, 'ETCDCTL_WATCH_KEY/RANGE_END');
    });

    test('watch from a compacted revision is canceled', async () => {
      const rev = JSON.parse(run('etcdctl', ep, ['get', 'x', '-w', 'json']).stdout).header.revision as number;
      assert.equal(run('etcdctl', ep, ['compact', String(rev - 1)]).status, 0);
      for (const args of [['watch', 'a', '--rev', '2'], ['watch', 'a', '--rev', '2', '-w', 'json']]) {
        const r = await both((tool) => run(tool, ep, args));
        same(r, args.join(' '));
        assert.equal(r.etcdctl.status, 5);
        assert.match(r.etcdctl.stderr, /watch was canceled \(etcdserver: mvcc: required revision has been compacted\)/);
      }
    });

    test('lock: a second contender waits until the holder releases', async () => {
      const keysOf = (name: string): string[] => run('etcdctl', ep, ['get', name, '--prefix', '--keys-only']).stdout.split('\n').filter((l) => l !== '');
      const r = await both(async (holderTool) => {
        const other: Tool = holderTool === 'etcdctl' ? 'tsetcdctl' : 'etcdctl';
        const name = `L-${holderTool}`;
        const holder = start(holderTool, ep, ['lock', name]);
        await holder.waitFor((o) => o.endsWith('\n\n'), 'lock key');
        const contender = start(other, ep, ['lock', name, '--ttl', '5']);
        await poll('contender queued', () => keysOf(name).length === 2);
        assert.equal(contender.out(), '', 'the contender must not hold the lock yet');
        const holderCode = await holder.stop('SIGINT');
        await contender.waitFor((o) => o.endsWith('\n\n'), 'lock key after release');
        const contenderCode = await contender.stop('SIGTERM');
        await poll('lock keys removed', () => keysOf(name).length === 0);
        return {
          holder: { out: maskLease(holder.out()).replace(name, 'L'), err: holder.err(), code: holderCode },
          contender: { out: maskLease(contender.out()).replace(name, 'L'), err: contender.err(), code: contenderCode },
        };
      });
      assert.deepEqual(r.etcdctl.holder, { out: 'L/<lease>\n\n', err: '', code: 0 });
      assert.deepEqual(r.tsetcdctl.holder, r.etcdctl.holder, 'holder');
      assert.deepEqual(r.tsetcdctl.contender, r.etcdctl.contender, 'contender');
    });

    test('lock with an exec command', async () => {
      const script = 'echo "key=$ETCD_LOCK_KEY rev=$ETCD_LOCK_REV"';
      const r = await both((tool) => {
        const x = run(tool, ep, ['lock', 'LX', '--', 'sh', '-c', script]);
        return { ...x, stdout: maskLease(x.stdout).replace(/rev=\d+/, 'rev=N') };
      });
      same(r, 'lock exec');
      assert.equal(r.etcdctl.stdout, 'key=LX/<lease> rev=N\n');
      const fail = await both((tool) => run(tool, ep, ['lock', 'LX', '--', 'sh', '-c', 'echo out; echo err >&2; exit 3']));
      same(fail, 'lock exec failure');
      assert.equal(fail.etcdctl.status, 1);
      assert.equal(run('etcdctl', ep, ['get', 'LX', '--prefix', '--keys-only']).stdout, '', 'locks released');
    });

    test('elect: campaign with a proposal, observers see every leader', async () => {
      // Observers start once the first leader is in place, so every one of them finds it with
      // the same lookup (an observer that starts earlier sees it through a watch instead).
      const first = start('etcdctl', ep, ['elect', 'E', 'p1']);
      await first.waitFor((o) => o.endsWith('p1\n'), 'first leader');
      const observers = { etcdctl: start('etcdctl', ep, ['elect', '-l', 'E']), tsetcdctl: start('tsetcdctl', ep, ['elect', '-l', 'E']) };
      const jsonObservers = { etcdctl: start('etcdctl', ep, ['elect', '-l', 'E', '-w', 'json']), tsetcdctl: start('tsetcdctl', ep, ['elect', '-l', 'E', '-w', 'json']) };
      for (const o of Object.values(observers)) await o.waitFor((x) => x.endsWith('p1\n'), 'observed p1');
      for (const o of Object.values(jsonObservers)) await o.waitFor((x) => x.includes('"cDE="') && x.endsWith('\n'), 'observed p1 (json)');
      const second = start('tsetcdctl', ep, ['elect', 'E', 'p2']);
      await poll('second candidate queued', () => run('etcdctl', ep, ['get', 'E/', '--prefix', '--keys-only']).stdout.split('\n').filter((l) => l !== '').length === 2);
      assert.equal(second.out(), '');
      const firstCode = await first.stop('SIGINT');
      await second.waitFor((o) => o.endsWith('p2\n'), 'second leader');
      for (const o of Object.values(observers)) await o.waitFor((x) => x.endsWith('p2\n'), 'observed p2');
      for (const o of Object.values(jsonObservers)) await o.waitFor((x) => x.includes('"cDI="') && x.endsWith('\n'), 'observed p2 (json)');
      const secondCode = await second.stop('SIGTERM');
      const seen = { etcdctl: observers.etcdctl.out(), tsetcdctl: observers.tsetcdctl.out() };
      const seenJson = { etcdctl: jsonObservers.etcdctl.out(), tsetcdctl: jsonObservers.tsetcdctl.out() };
      const codes = await both((t) => observers[t].stop('SIGINT'));
      await both((t) => jsonObservers[t].stop('SIGINT'));
      assert.equal(maskLease(first.out()), 'E/<lease>\np1\n');
      assert.equal(maskLease(second.out()), 'E/<lease>\np2\n');
      assert.deepEqual([firstCode, first.err()], [0, '']);
      assert.deepEqual([secondCode, second.err()], [0, '']);
      assert.match(maskLease(seen.etcdctl), /^E\/<lease>\np1\nE\/<lease>\np2\n$/);
      same(seen, 'observers');
      same(seenJson, 'json observers');
      same(codes, 'observer exit codes');
      assert.equal(run('etcdctl', ep, ['get', 'E/', '--prefix', '--keys-only']).stdout, '', 'resigned');
    });

    test('stop server', async () => {
      for (const c of live) if (c.pid !== undefined && c.exitCode === null) process.kill(c.pid, 'SIGKILL');
      await srv?.stop();
    });
  });
}
