// Micro-benchmarks of the lessor, in-process (no network, no WAL, no raft): keepalive renews
// per second (the leader-side hot path of LeaseKeepAlive), grants applied per second (through
// backend batches, as the apply loop does), and how fast expired() hands out a large pile of
// expired leases. Run alone with  node dist/bench/lease.js  or import benchLease().

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Backend } from '../src/backend/backend.js';
import { ManualClock } from '../src/lease/clock.js';
import { Lessor } from '../src/lease/lessor.js';
import { MvccStore } from '../src/mvcc/store.js';

export interface BenchResult {
  name: string;
  value: number;
  unit: string;
}

const LEASES = 10_000;
const RENEWS = 1_000_000;
const GRANT_BATCH = 100;

function withLessor<T>(fn: (backend: Backend, lessor: Lessor, clock: ManualClock) => T): T {
  const dir = mkdtempSync(join(tmpdir(), 'tsetcd-bench-lease-'));
  const backend = Backend.open(join(dir, 'db'));
  const store = MvccStore.open(backend);
  const clock = new ManualClock(0);
  // No revoke budget in the way: expired() is measured as a data structure here.
  const lessor = Lessor.restore(backend, store, clock, { revokeRatePerSec: 1e12 });
  try {
    return fn(backend, lessor, clock);
  } finally {
    lessor.close();
    void store.close();
    backend.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

function grantAll(backend: Backend, lessor: Lessor, n: number, ttl: number): void {
  for (let i = 0; i < n; i += GRANT_BATCH) {
    backend.batch(() => {
      for (let j = i; j < i + GRANT_BATCH && j < n; j++) lessor.grant(BigInt(j + 1), ttl);
    });
  }
}

/**
 * Seconds of wall time and of this process's CPU (user + system) spent in fn. Both rates are
 * reported: on a loaded machine the CPU-time one is the figure that stays comparable.
 */
function timed(fn: () => void): { wallS: number; cpuS: number } {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  fn();
  const c = process.cpuUsage(c0);
  return { wallS: (performance.now() - t0) / 1000, cpuS: (c.user + c.system) / 1e6 };
}

function rates(name: string, n: number, t: { wallS: number; cpuS: number }, unit: string): BenchResult[] {
  return [
    { name, value: Math.round(n / t.wallS), unit },
    { name: `${name} per CPU second`, value: Math.round(n / Math.max(t.cpuS, 1e-6)), unit },
  ];
}

export async function benchLease(): Promise<BenchResult[]> {
  const out: BenchResult[] = [];
  withLessor((backend, lessor, clock) => {
    grantAll(backend, lessor, LEASES, 60);
    lessor.promote(1000);
    let sum = 0;
    const t = timed(() => {
      for (let i = 0; i < RENEWS; i++) {
        if ((i & 1023) === 0) clock.advance(1); // expiries move, so the heap really reorders
        sum += lessor.renew(BigInt((i % LEASES) + 1));
      }
    });
    if (sum !== RENEWS * 60) throw new Error('bench: renew returned a wrong TTL');
    out.push(...rates(`lease renews (${LEASES} leases)`, RENEWS, t, 'ops/s'));
  });
  withLessor((backend, lessor) => {
    lessor.promote(1000);
    const n = 50_000;
    const t = timed(() => grantAll(backend, lessor, n, 3600));
    if (lessor.size !== n) throw new Error('bench: grants lost');
    out.push(...rates(`lease grants applied (${GRANT_BATCH} per batch)`, n, t, 'ops/s'));
  });
  withLessor((backend, lessor, clock) => {
    const n = 100_000;
    grantAll(backend, lessor, n, 10);
    lessor.promote(0);
    clock.advance(10_000);
    let got = 0;
    const t = timed(() => {
      for (let round = 0; round < n && got < n; round++) got += lessor.expired(1000).length;
    });
    if (got !== n) throw new Error(`bench: expired() handed out ${got} of ${n}`);
    out.push(...rates('lease expired() hand-out', n, t, 'leases/s'));
  });
  return out;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  for (const r of await benchLease()) console.log(`${r.name}: ${r.value} ${r.unit}`);
}
