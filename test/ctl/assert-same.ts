// The comparison assertion shared by the etcdctl-vs-tsetcdctl tests.
import assert from 'node:assert/strict';
import { describe, normalizeStderr, normalizeStdout, type Compared } from './harness.js';

export function assertSame(results: Compared[]): void {
  for (const c of results) {
    const what = describe(c);
    assert.equal(c.tsetcdctl.code, c.etcdctl.code, `${what}: exit code\netcdctl stderr: ${c.etcdctl.stderr}\ntsetcdctl stderr: ${c.tsetcdctl.stderr}`);
    const timed = c.step.timedTable === true;
    const masked = (s: string): string => (c.step.mask ?? []).reduce((acc, re) => acc.replace(re, '<masked>'), s);
    assert.equal(masked(normalizeStdout(c.tsetcdctl.stdout, timed)), masked(normalizeStdout(c.etcdctl.stdout, timed)), `${what}: stdout`);
    const only = c.step.errorLinesOnly === true;
    assert.equal(normalizeStderr(c.tsetcdctl.stderr, only), normalizeStderr(c.etcdctl.stderr, only), `${what}: stderr`);
  }
}
