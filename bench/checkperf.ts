// `etcdctl check perf`: etcd's own ready-made write load, used as a neutral judge — the
// same binary drives both servers. It runs ~60 s, paced to a target rate (load "s": 150
// writes/s from 50 clients), and prints PASS/FAIL verdicts we parse.
import { spawn } from 'node:child_process';
import { cleanEnv } from './servers.js';

export interface CheckPerfResult {
  load: string;
  /** The final verdict line: PASS or FAIL. undefined if etcdctl never printed one. */
  pass: boolean | undefined;
  /** "Throughput is N writes/s" / "Throughput too low: N writes/s". */
  writesPerSec: number | undefined;
  slowestS: number | undefined;
  stddevS: number | undefined;
  /** The verdict lines as printed (progress-bar noise removed). */
  lines: string[];
  exitCode: number | null;
  timedOut: boolean;
}

const TIMEOUT_MS = 180_000;

/** Parses etcdctl 3.4's check perf output (ctlv3/command/check.go). */
export function parseCheckPerf(output: string): Omit<CheckPerfResult, 'load' | 'exitCode' | 'timedOut'> {
  // The progress bar redraws with \r and no newline; the verdicts are whole lines after it.
  const lines = output
    .split(/[\r\n]+/)
    .map((l) => l.trim())
    .filter((l) => /^(PASS|FAIL)\b|^Slowest request took|^Stddev too high/.test(l));
  const num = (re: RegExp): number | undefined => {
    for (const l of lines) {
      const m = re.exec(l);
      if (m !== null) return Number(m[1]);
    }
    return undefined;
  };
  const verdict = lines.filter((l) => l === 'PASS' || l === 'FAIL').pop();
  return {
    pass: verdict === undefined ? undefined : verdict === 'PASS',
    writesPerSec: num(/Throughput (?:is|too low:) (\d+) writes\/s/),
    slowestS: num(/Slowest request took(?: too long:)? ([\d.]+)s/),
    stddevS: num(/Stddev (?:is|too high:) ([\d.]+)s/),
    lines,
  };
}

export function runCheckPerf(clientUrl: string, load = 's', etcdctl = process.env['BENCH_ETCDCTL_BIN'] ?? '/usr/bin/etcdctl'): Promise<CheckPerfResult> {
  return new Promise((resolve, reject) => {
    const env = { ...cleanEnv(), ETCDCTL_API: '3' };
    const p = spawn(etcdctl, [`--endpoints=${clientUrl}`, 'check', 'perf', `--load=${load}`], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env,
    });
    let out = '';
    p.stdout.on('data', (c: Buffer) => (out += c.toString()));
    p.stderr.on('data', (c: Buffer) => (out += c.toString()));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      p.kill('SIGKILL');
    }, TIMEOUT_MS);
    p.once('error', (err) => {
      clearTimeout(timer);
      reject(new Error(`cannot run ${etcdctl}: ${err.message}`));
    });
    p.once('close', (code) => {
      clearTimeout(timer);
      const parsed = parseCheckPerf(out);
      // Keep etcdctl's own error text (e.g. a gRPC error) when it printed no verdict.
      const lines = parsed.lines.length > 0 ? parsed.lines : out.trim().split('\n').slice(-3);
      resolve({ load, ...parsed, lines, exitCode: code, timedOut });
    });
  });
}
