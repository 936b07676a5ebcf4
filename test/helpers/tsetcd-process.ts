// Starts bin/tsetcd as a real process on free 127.0.0.1 ports, waits (bounded) until /health is
// true, and stops it by PID.
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { freePort } from './ports.js';

const BIN = fileURLToPath(new URL('../../../bin/tsetcd', import.meta.url));

export interface TsetcdProcess {
  endpoint: string; // http://127.0.0.1:P
  port: number;
  pid: number;
  child: ChildProcess;
  logs: () => string;
  /** SIGTERM (or the given signal) and wait for exit, bounded. */
  stop(signal?: NodeJS.Signals): Promise<void>;
}

export async function startTsetcd(opts: { dataDir: string; name?: string; extraArgs?: string[]; port?: number; peerPort?: number }): Promise<TsetcdProcess> {
  const port = opts.port ?? (await freePort());
  const peerPort = opts.peerPort ?? (await freePort());
  const name = opts.name ?? 'default';
  const client = `http://127.0.0.1:${port}`;
  const peer = `http://127.0.0.1:${peerPort}`;
  const args = [
    BIN,
    '--name', name,
    '--data-dir', opts.dataDir,
    '--listen-client-urls', client,
    '--advertise-client-urls', client,
    '--listen-peer-urls', peer,
    '--initial-advertise-peer-urls', peer,
    '--initial-cluster', `${name}=${peer}`,
    ...(opts.extraArgs ?? []),
  ];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const deadline = Date.now() + 20_000;
  for (let i = 0; i < 400 && Date.now() < deadline; i++) {
    if (child.exitCode !== null) throw new Error(`tsetcd exited with ${child.exitCode}:\n${out}`);
    try {
      const r = await fetch(`${client}/health`);
      if (r.ok && ((await r.json()) as { health: string }).health === 'true') break;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 50));
    if (i === 399 || Date.now() >= deadline) {
      child.kill('SIGKILL');
      throw new Error(`tsetcd did not become healthy:\n${out}`);
    }
  }
  return {
    endpoint: client,
    port,
    pid: child.pid!,
    child,
    logs: () => out,
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      if (child.exitCode !== null || child.signalCode !== null) return;
      process.kill(child.pid!, signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
