// Worker-thread entry for bench/load.ts: runs one share of a load on its own thread (and
// so, potentially, its own core), with a ready/go handshake so that all workers start
// the timed phase together and connection setup is never measured.
import { parentPort, workerData } from 'node:worker_threads';
import { Engine, type EnginePlan, type RawResult } from './engine.js';

export type ToWorker = { type: 'go' };
export type FromWorker =
  | { type: 'ready' }
  | { type: 'done'; result: RawResult }
  | { type: 'error'; message: string };

async function main(): Promise<void> {
  const port = parentPort;
  if (port === null) throw new Error('bench/load-worker.js must run as a worker thread');
  const post = (m: FromWorker, transfer: ArrayBuffer[] = []): void => port.postMessage(m, transfer);
  let engine: Engine | undefined;
  try {
    engine = await Engine.connect(workerData as EnginePlan);
    const go = new Promise<void>((resolve) => port.once('message', () => resolve()));
    post({ type: 'ready' });
    await go;
    const result = await engine.run();
    post({ type: 'done', result }, [result.latenciesNs.buffer as ArrayBuffer]);
  } catch (err) {
    post({ type: 'error', message: err instanceof Error ? err.message : String(err) });
  } finally {
    engine?.close();
    port.close();
  }
}

void main();
