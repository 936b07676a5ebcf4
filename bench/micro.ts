// Micro-benchmarks written by the owners of each layer (bench/raft.ts, bench/wal.ts,
// bench/mvcc.ts). They are imported by a computed specifier so this file compiles, and
// the run goes on, whether or not a given one exists yet: a missing module is "skipped",
// a failing one is "failed" with its message, and neither stops the other benchmarks.

export interface Metric {
  name: string;
  value: number;
  unit: string;
}

export interface MicroResult {
  suite: string;
  status: 'ok' | 'skipped' | 'failed';
  metrics: Metric[];
  /** Why it was skipped or failed. */
  reason?: string;
  elapsedS: number;
}

interface Suite {
  suite: string;
  module: string;
  exportName: string;
}

const SUITES: readonly Suite[] = [
  { suite: 'raft', module: './raft.js', exportName: 'benchRaft' },
  { suite: 'wal', module: './wal.js', exportName: 'benchWal' },
  { suite: 'mvcc', module: './mvcc.js', exportName: 'benchMvcc' },
  { suite: 'watch', module: './watch.js', exportName: 'benchWatch' },
  { suite: 'lease', module: './lease.js', exportName: 'benchLease' },
];

/** Each suite gets this long; a hung suite is reported as failed (its work may linger). */
const SUITE_TIMEOUT_MS = 300_000;

function isMetric(x: unknown): x is Metric {
  if (typeof x !== 'object' || x === null) return false;
  const m = x as Record<string, unknown>;
  return typeof m['name'] === 'string' && typeof m['value'] === 'number' && typeof m['unit'] === 'string';
}

function isModuleMissing(err: unknown, specifier: string): boolean {
  if (!(err instanceof Error) || (err as NodeJS.ErrnoException).code !== 'ERR_MODULE_NOT_FOUND') return false;
  // Only the suite file itself missing means "not written yet"; a missing import inside it is a failure.
  const file = new URL(specifier, import.meta.url).pathname;
  return err.message.includes(file);
}

async function runSuite(s: Suite): Promise<MicroResult> {
  const t0 = process.hrtime.bigint();
  const elapsedS = (): number => Number(process.hrtime.bigint() - t0) / 1e9;
  let mod: Record<string, unknown>;
  try {
    const specifier: string = s.module;
    mod = (await import(specifier)) as Record<string, unknown>;
  } catch (err) {
    if (isModuleMissing(err, s.module)) {
      return { suite: s.suite, status: 'skipped', metrics: [], reason: `bench/${s.suite}.ts not present`, elapsedS: elapsedS() };
    }
    return { suite: s.suite, status: 'failed', metrics: [], reason: `import: ${String(err)}`, elapsedS: elapsedS() };
  }
  const fn = mod[s.exportName];
  if (typeof fn !== 'function') {
    return { suite: s.suite, status: 'failed', metrics: [], reason: `bench/${s.suite}.ts does not export ${s.exportName}()`, elapsedS: elapsedS() };
  }
  let timer: NodeJS.Timeout | undefined;
  try {
    const out: unknown = await Promise.race([
      (fn as () => Promise<unknown>)(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`timed out after ${SUITE_TIMEOUT_MS} ms`)), SUITE_TIMEOUT_MS);
      }),
    ]);
    if (!Array.isArray(out) || !out.every(isMetric)) {
      return { suite: s.suite, status: 'failed', metrics: [], reason: `${s.exportName}() did not return {name,value,unit}[]`, elapsedS: elapsedS() };
    }
    return { suite: s.suite, status: 'ok', metrics: out, elapsedS: elapsedS() };
  } catch (err) {
    return { suite: s.suite, status: 'failed', metrics: [], reason: err instanceof Error ? err.message : String(err), elapsedS: elapsedS() };
  } finally {
    clearTimeout(timer);
  }
}

/** Runs the present suites one after another (they measure the same 2 cores). */
export async function runMicroBenchmarks(only?: readonly string[]): Promise<MicroResult[]> {
  const results: MicroResult[] = [];
  for (const s of SUITES) {
    if (only !== undefined && !only.includes(s.suite)) continue;
    results.push(await runSuite(s));
  }
  return results;
}
