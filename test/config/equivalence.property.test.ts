/**
 * Property: the three ways of giving a flag — `--f=v`, `-f v` style command lines, ETCD_F=v, and a
 * config file — configure exactly the same server (provenance and log notices aside).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { flagToEnv, parseServerConfig, type ServerConfig } from '../../src/config/index.js';

interface Pick {
  readonly flag: string;
  readonly text: string; // as on the command line / in the environment
  readonly yaml: string; // as a YAML value
}

const ip = fc.tuple(fc.integer({ min: 1, max: 254 }), fc.integer({ min: 0, max: 255 })).map(([a, b]) => `10.${a}.${b}.1`);
const port = fc.integer({ min: 1024, max: 65535 });
const url = fc.tuple(fc.constantFrom('http', 'https'), ip, port).map(([s, h, p]) => `${s}://${h}:${p}`);
const urlList = fc.uniqueArray(url, { minLength: 1, maxLength: 3 }).map((us) => us.join(','));
const uint = (min: number, max: number) => fc.integer({ min, max }).map(String);
const name = fc.stringMatching(/^[a-z][a-z0-9-]{0,11}$/);

const same = (flag: string, arb: fc.Arbitrary<string>, quote = false): fc.Arbitrary<Pick> =>
  arb.map((t) => ({ flag, text: t, yaml: quote ? JSON.stringify(t) : t }));

const picks = fc.record(
  {
    name: same('name', name, true),
    dataDir: same('data-dir', name.map((n) => `/var/lib/${n}`), true),
    snapshotCount: same('snapshot-count', uint(1, 1_000_000)),
    maxTxnOps: same('max-txn-ops', uint(1, 10_000)),
    maxRequestBytes: same('max-request-bytes', uint(1, 100 << 20)),
    quota: same('quota-backend-bytes', uint(0, 8 << 30)),
    peer: same('initial-advertise-peer-urls', urlList, true),
    metrics: same('listen-metrics-urls', urlList.map((l) => l.replace(/https?:\/\/10\./g, 'http://127.')), true),
    token: same('initial-cluster-token', name, true),
    preVote: fc.boolean().map((b) => ({ flag: 'pre-vote', text: String(b), yaml: String(b) })),
    logLevel: same('log-level', fc.constantFrom('debug', 'info', 'warn', 'error'), true),
    retention: same('auto-compaction-retention', fc.constantFrom('0', '1', '5m', '2h30m'), true),
  },
  { requiredKeys: [] },
);

/** The configuration minus provenance, in a comparable form. */
function essence(c: ServerConfig): unknown {
  const { sources: _s, notices: _n, configFile: _f, ...rest } = c;
  return JSON.parse(JSON.stringify({ ...rest, initialClusterMembers: [...rest.initialClusterMembers] }));
}

test('flags, ETCD_* variables and the config file are interchangeable', () => {
  fc.assert(
    fc.property(picks, fc.array(fc.constantFrom('eq', 'space', 'single'), { minLength: 12, maxLength: 12 }), (p, styles) => {
      const chosen = Object.values(p) as Pick[];
      // With a non-default name, all three derive --initial-cluster from name + peer URLs.
      const argv: string[] = [];
      chosen.forEach((c, i) => {
        const style = styles[i]!;
        const isBool = c.flag === 'pre-vote';
        if (style === 'eq' || isBool) argv.push(`--${c.flag}=${c.text}`);
        else if (style === 'space') argv.push(`--${c.flag}`, c.text);
        else argv.push(`-${c.flag}`, c.text);
      });
      const env = Object.fromEntries(chosen.map((c) => [flagToEnv(c.flag), c.text]));
      const yaml = chosen.map((c) => `${c.flag}: ${c.yaml}`).join('\n');
      const byFlags = essence(parseServerConfig(argv, {}));
      const byEnv = essence(parseServerConfig([], env));
      const byFile = essence(parseServerConfig(['--config-file=/c.yaml'], {}, { readFile: () => yaml }));
      assert.deepEqual(byEnv, byFlags);
      assert.deepEqual(byFile, byFlags);
    }),
    { numRuns: 200 },
  );
});
