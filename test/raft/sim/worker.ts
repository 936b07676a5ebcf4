// Runs a range of simulator seeds in a worker thread, so the suite can use every core.

import { parentPort, workerData } from 'node:worker_threads';
import { runSeed } from './world.js';

export interface WorkerRequest {
  from: number;
  to: number;
}

export interface WorkerReply {
  seeds: number;
  failures: { seed: number; violation: string }[];
  committed: number;
  reads: number;
  leaders: number;
}

const { from, to } = workerData as WorkerRequest;
const reply: WorkerReply = { seeds: 0, failures: [], committed: 0, reads: 0, leaders: 0 };
for (let seed = from; seed < to; seed++) {
  const r = runSeed(seed);
  reply.seeds++;
  reply.committed += r.committed;
  reply.reads += r.reads;
  reply.leaders += r.leaders;
  if (r.violation !== null) reply.failures.push({ seed, violation: r.violation });
}
parentPort!.postMessage(reply);
