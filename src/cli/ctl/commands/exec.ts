// Process helpers shared by watch, lock and elect: Go's signal.Notify for SIGINT/SIGTERM and
// exec.Cmd.Run with its error texts.
import { spawn } from 'node:child_process';
import type { RunContext } from '../command.js';

/** clientv3 calls made with context.TODO() or a cancel-only context: no deadline. */
export const NO_DEADLINE = 2 ** 31 - 1;

/**
 * signal.Notify(SIGINT, SIGTERM) for the command's lifetime: the first signal aborts the
 * returned controller instead of killing the process.
 */
export function onInterrupt(): { signal: AbortSignal; dispose: () => void } {
  const ac = new AbortController();
  const handler = (): void => ac.abort();
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return {
    signal: ac.signal,
    dispose: () => {
      process.off('SIGINT', handler);
      process.off('SIGTERM', handler);
    },
  };
}

export function waitAbort(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener('abort', () => resolve(), { once: true });
  });
}

/** exec.Cmd.Run with the parent's stdout/stderr; resolves with Go's error text, or undefined. */
export function runCommand(ctx: RunContext, args: readonly string[], env: Record<string, string | undefined>): Promise<string | undefined> {
  const [file, ...rest] = args as [string, ...string[]];
  const inherit = (ctx.io.stdout as unknown) === process.stdout && (ctx.io.stderr as unknown) === process.stderr;
  return new Promise((resolve) => {
    let settled = false;
    const done = (v: string | undefined): void => {
      if (!settled) { settled = true; resolve(v); }
    };
    const child = spawn(file, rest, { env, stdio: inherit ? ['ignore', 'inherit', 'inherit'] : ['ignore', 'pipe', 'pipe'] });
    if (!inherit) {
      child.stdout?.on('data', (d: Buffer) => ctx.io.stdout.write(d));
      child.stderr?.on('data', (d: Buffer) => ctx.io.stderr.write(d));
    }
    child.once('error', (e: NodeJS.ErrnoException) => done(spawnErrorText(file, e)));
    child.once('close', (code, sig) => {
      if (sig !== null) done(`signal: ${SIGNAL_TEXT[sig] ?? sig}`);
      else done(code === 0 ? undefined : `exit status ${code}`);
    });
  });
}

function spawnErrorText(file: string, e: NodeJS.ErrnoException): string {
  const q = JSON.stringify(file);
  if (!file.includes('/')) {
    if (e.code === 'ENOENT') return `exec: ${q}: executable file not found in $PATH`;
    if (e.code === 'EACCES') return `exec: ${q}: permission denied`;
  } else {
    if (e.code === 'ENOENT') return `fork/exec ${file}: no such file or directory`;
    if (e.code === 'EACCES') return `fork/exec ${file}: permission denied`;
  }
  return e.message;
}

const SIGNAL_TEXT: Record<string, string> = {
  SIGKILL: 'killed', SIGTERM: 'terminated', SIGINT: 'interrupt', SIGHUP: 'hangup', SIGQUIT: 'quit',
  SIGABRT: 'aborted', SIGSEGV: 'segmentation fault', SIGPIPE: 'broken pipe', SIGUSR1: 'user defined signal 1',
  SIGUSR2: 'user defined signal 2', SIGALRM: 'alarm clock',
};
