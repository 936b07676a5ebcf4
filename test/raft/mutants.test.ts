// Planted bugs: each mutant breaks one rule of Raft (via the TEST-ONLY `mutations` hook in
// RaftConfig), and the simulator's checkers must catch it. This is what shows the checkers
// can fail -- a simulator that never reports anything proves nothing.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { RaftMutations } from '../../src/raft/index.js';
import { figure8HuntingOptions, optionsForSeed, runSeed, type SimOptions } from './sim/world.js';

/** Runs seeds until a safety checker (not liveness, not a crash) reports; returns the first report. */
function hunt(mutations: RaftMutations, maxSeeds: number, options: (seed: number) => SimOptions): { seed: number; violation: string } | null {
  for (let seed = 1; seed <= maxSeeds; seed++) {
    const r = runSeed(seed, { options: options(seed) });
    if (r.violation !== null && !r.violation.startsWith('liveness') && !r.violation.startsWith('exception')) {
      return { seed, violation: r.violation };
    }
  }
  return null;
}

const cases: { mutation: keyof RaftMutations; expect: RegExp; seeds: number; profile: (seed: number, m: RaftMutations) => SimOptions }[] = [
  { mutation: 'voteTwiceInTerm', expect: /^election safety/, seeds: 100, profile: optionsForSeed },
  { mutation: 'skipLogUpToDateCheck', expect: /^(leader completeness|state machine safety|log matching)/, seeds: 100, profile: optionsForSeed },
  { mutation: 'readIndexWithoutQuorum', expect: /^linearizability/, seeds: 200, profile: optionsForSeed },
  { mutation: 'commitOldTermByCounting', expect: /^(leader completeness|state machine safety)/, seeds: 600, profile: figure8HuntingOptions },
];

for (const c of cases) {
  test(`the checkers catch the planted bug ${c.mutation}`, (t) => {
    const mutations: RaftMutations = { [c.mutation]: true };
    const found = hunt(mutations, c.seeds, (seed) => c.profile(seed, mutations));
    assert.ok(found, `no violation in ${c.seeds} seeds`);
    t.diagnostic(`seed ${found.seed}: ${found.violation}`);
    assert.match(found.violation, c.expect);
    // And the same seed is clean without the bug.
    const clean = runSeed(found.seed, { options: c.profile(found.seed, {}) });
    assert.equal(clean.violation, null);
  });
}

test('the checkers catch a driver that sends messages before its fsync (persistence contract)', (t) => {
  // Frequent crashes between a Ready's write and its fsync: an acknowledgement or a vote
  // that went out early is then forgotten by the restarted member.
  const profile = (seed: number, broken: boolean): SimOptions => ({ ...optionsForSeed(seed), crashInReadyChance: 0.1, sendBeforeFsync: broken });
  let found: { seed: number; violation: string } | null = null;
  for (let seed = 1; seed <= 200 && found === null; seed++) {
    const r = runSeed(seed, { options: profile(seed, true) });
    if (r.violation !== null && !r.violation.startsWith('liveness') && !r.violation.startsWith('exception')) found = { seed, violation: r.violation };
  }
  assert.ok(found, 'no violation in 200 seeds');
  t.diagnostic(`seed ${found.seed}: ${found.violation}`);
  assert.match(found.violation, /^(election safety|leader completeness|state machine safety|log matching|linearizability)/);
  assert.equal(runSeed(found.seed, { options: profile(found.seed, false) }).violation, null, 'clean when the contract is kept');
});
