// watch (etcdctl 3.4 watch_command.go): one-shot and interactive watches, an exec command per
// event after "--", and etcdctl's argument rules, including how it reads the raw command line
// (os.Args) to find "--" and ETCDCTL_WATCH_KEY / ETCDCTL_WATCH_RANGE_END.
import { EtcdError, FROM_KEY_END, prefixEnd } from '../../../client/index.js';
import { isProgressNotify, watchResultError, Watcher, type WatchOptions, type WatchResult } from '../../../client/watch.js';
import type { CommandSpec, RunContext } from '../command.js';
import { CtlExit, ExitBadArgs, ExitBadFeature, ExitError, ExitInterrupted, ExitInvalidInput, exitWithError, goPanic } from '../exit.js';
import { flag, FlagError, FlagSet, type FlagDef } from '../flags.js';
import { goQuote, goQuoteString, goUnquote } from '../goparse.js';
import { clientConfig, mustClient } from '../global.js';
import { stdinReader } from '../io.js';
import { isOutputFormat } from '../printers/index.js';
import { runCommand } from './exec.js';
import { newWatchPrinter, type WatchPrinter } from '../printers/watch.js';

const WATCH_FLAGS: FlagDef[] = [
  flag.bool('interactive', false, 'Interactive mode', 'i'),
  flag.bool('prefix', false, 'Watch on a prefix if prefix is set'),
  flag.int64('rev', 0n, 'Revision to start watching'),
  flag.bool('prev-kv', false, 'get the previous key-value pair before the event happens'),
];

const errBadArgsNum = 'bad number of arguments';
const errBadArgsNumConflictEnv = 'bad number of arguments (found conflicting environment key)';
const errBadArgsNumSeparator = 'bad number of arguments (found separator --, but no commands)';
const errBadArgsInteractiveWatch = "args[0] must be 'watch' for interactive calls";

/** etcdctl keeps --prefix/--rev/--prev-kv in globals; interactive lines overwrite them. */
interface WatchState {
  prefix: boolean;
  rev: bigint;
  prevKv: boolean;
}

class WatchArgError extends Error {}

function reset(st: WatchState): void {
  st.prefix = false;
  st.rev = 0n;
  st.prevKv = false;
}

/** Go's `for i = range xs { if xs[i] == v { found; break } }`: the index (last one if absent). */
function scan(xs: readonly string[], v: string): { idx: number; found: boolean } {
  for (let i = 0; i < xs.length; i++) if (xs[i] === v) return { idx: i, found: true };
  return { idx: Math.max(0, xs.length - 1), found: false };
}

/** A flag set of the watch flags only (NewWatchCommand().Flags(): no --help before execution). */
function watchFlagSet(): FlagSet {
  return new FlagSet(WATCH_FLAGS);
}

function parseFlags(fs: FlagSet, args: readonly string[]): void {
  try {
    fs.parse(args);
  } catch (e) {
    if (e instanceof FlagError) throw new WatchArgError(e.message);
    throw e;
  }
}

/**
 * etcdctl parseWatchArgs: splits the key/range arguments from the exec command. `osArgs` is
 * the whole command line, `commandArgs` what the flag parser left (or an interactive line).
 */
function parseWatchArgs(osArgs: readonly string[], commandArgs: readonly string[], envKey: string, envRange: string, interactive: boolean, st: WatchState): { watchArgs: string[]; execArgs: string[] } {
  let rawArgs = [...osArgs];
  let watchArgs = [...commandArgs];
  const w = rawArgs.indexOf('watch');
  if (w !== -1) rawArgs = rawArgs.slice(w + 1);

  const fail = (msg: string, doReset: boolean): never => {
    if (doReset) reset(st);
    throw new WatchArgError(msg);
  };

  if (interactive) {
    if (watchArgs[0] !== 'watch') fail(errBadArgsInteractiveWatch, true);
    watchArgs = watchArgs.slice(1);
  }

  if (!interactive) {
    const { idx: execIdx, found: execExist } = scan(rawArgs, '--');
    if (execExist && execIdx === rawArgs.length - 1) fail(errBadArgsNumSeparator, false);
    if (!execExist && rawArgs.length < 1 && envKey === '') fail(errBadArgsNum, false);
    if (execExist && envKey !== '') {
      let ridx = rawArgs.length - 1;
      for (let widx = watchArgs.length - 1; widx >= 0; widx--) {
        if (ridx < 0) goPanic(`runtime error: index out of range [${ridx}]`);
        if (watchArgs[widx] === rawArgs[ridx]) {
          ridx--;
          continue;
        }
        if (ridx === execIdx) fail(errBadArgsNumConflictEnv, false);
      }
    }
    if (!execExist && watchArgs.length > 0 && envKey !== '') fail(errBadArgsNumConflictEnv, false);
  } else {
    const { idx: execIdx, found: execExist } = scan(watchArgs, '--');
    if (execExist && execIdx === watchArgs.length - 1) fail(errBadArgsNumSeparator, true);
    const fs = watchFlagSet();
    try {
      parseFlags(fs, watchArgs);
    } catch (e) {
      reset(st);
      throw e;
    }
    const pArgs = fs.args;
    if (!execExist && envKey === '' && pArgs.length < 1) fail(errBadArgsNum, true);
    if (!execExist && pArgs.length > 0 && envKey !== '') fail(errBadArgsNumConflictEnv, true);
  }

  const argsWithSep = interactive ? watchArgs : rawArgs;
  const { idx, found: foundSep } = scan(argsWithSep, '--');
  const execArgs = foundSep ? argsWithSep.slice(idx + 1) : [];

  if (interactive) {
    const fs = watchFlagSet();
    parseFlags(fs, argsWithSep);
    watchArgs = fs.args;
    st.prefix = fs.bool('prefix');
    st.rev = fs.int64('rev');
    st.prevKv = fs.bool('prev-kv');
  }

  if (envKey !== '') {
    watchArgs = [envKey, ...(envRange !== '' ? [envRange] : []), ...watchArgs];
  }
  if (!foundSep) return { watchArgs, execArgs: [] };

  // "watch foo --rev 1 bar -- echo hello" leaves "foo bar echo hello": cut at the exec command.
  let endIdx = watchArgs.length - 1;
  for (; endIdx >= 0; endIdx--) if (watchArgs[endIdx] === argsWithSep[idx + 1]) break;
  if (endIdx < 0) goPanic(`runtime error: slice bounds out of range [:${endIdx}]`);
  return { watchArgs: watchArgs.slice(0, endIdx), execArgs };
}

const utf8 = (s: string): Uint8Array => Buffer.from(s, 'utf8');

/** etcdctl getWatchChan: the watch request from the arguments and the flag state. */
function watchOptions(args: readonly string[], st: WatchState): WatchOptions {
  if (args.length < 1) throw new WatchArgError(errBadArgsNum);
  let key = utf8(args[0] as string);
  let rangeEnd: Uint8Array | undefined;
  if (args.length === 2) {
    if (st.prefix) throw new WatchArgError('`range_end` and `--prefix` are mutually exclusive');
    rangeEnd = utf8(args[1] as string);
  }
  if (st.prefix) {
    if (key.length === 0) {
      key = FROM_KEY_END;
      rangeEnd = FROM_KEY_END;
    } else rangeEnd = prefixEnd(key);
  }
  const o: WatchOptions = { key, startRevision: st.rev, prevKv: st.prevKv };
  if (rangeEnd !== undefined) o.rangeEnd = rangeEnd;
  return o;
}

/** Go's %q of a []string: ["a" "b"]. */
function quoteList(xs: readonly string[]): string {
  return `[${xs.map(goQuoteString).join(' ')}]`;
}

const EVENT_NAMES = ['PUT', 'DELETE'];

/** etcdctl printWatchCh: every response of one watch until it ends. */
async function printWatch(ctx: RunContext, results: AsyncIterable<WatchResult>, display: WatchPrinter, execArgs: readonly string[]): Promise<void> {
  for await (const r of results) {
    if (r.canceled) ctx.io.stderr.write(`watch was canceled (${watchResultError(r) ?? '<nil>'})\n`);
    if (isProgressNotify(r)) ctx.io.stdout.write(`progress notify: ${r.header.revision}\n`);
    display(r);
    if (execArgs.length === 0) continue;
    for (const ev of r.events) {
      const kv = ev.kv;
      const env: Record<string, string | undefined> = {
        ...process.env,
        ...ctx.io.env,
        ETCD_WATCH_REVISION: r.header.revision.toString(),
        ETCD_WATCH_EVENT_TYPE: goQuoteString(EVENT_NAMES[ev.type] ?? String(ev.type)),
        ETCD_WATCH_KEY: kvQuote(kv?.key),
        ETCD_WATCH_VALUE: kvQuote(kv?.value),
      };
      const err = await runCommand(ctx, execArgs, env);
      if (err !== undefined) throw new CtlExit(ExitError, err, `command ${quoteList(execArgs)} error (${err})\n`);
    }
  }
}

function kvQuote(b: Uint8Array | undefined): string {
  return goQuote(b ?? new Uint8Array(0));
}

/** The printer for watch responses, chosen by --write-out / --hex as display is. */
async function watchDisplay(ctx: RunContext): Promise<WatchPrinter> {
  await clientConfig(ctx); // mustClient has checked -w already (ExitBadFeature)
  const format = ctx.flags.string('write-out');
  if (!isOutputFormat(format)) exitWithError(ExitBadFeature, 'unsupported output format');
  return newWatchPrinter(format, ctx.flags.bool('hex'), ctx.io.stdout);
}

async function watchRun(ctx: RunContext): Promise<void> {
  const envKey = ctx.io.env['ETCDCTL_WATCH_KEY'] ?? '';
  const envRange = ctx.io.env['ETCDCTL_WATCH_RANGE_END'] ?? '';
  if (envKey === '' && envRange !== '') {
    exitWithError(ExitBadArgs, `ETCDCTL_WATCH_KEY is empty but got ETCDCTL_WATCH_RANGE_END=${goQuoteString(envRange)}`);
  }
  const st: WatchState = { prefix: ctx.flags.bool('prefix'), rev: ctx.flags.int64('rev'), prevKv: ctx.flags.bool('prev-kv') };
  const osArgs = ctx.argv ?? ['etcdctl', 'watch', ...ctx.args];
  if (ctx.flags.bool('interactive')) {
    await interactive(ctx, osArgs, envKey, envRange, st);
    return;
  }
  let parsed: { watchArgs: string[]; execArgs: string[] };
  try {
    parsed = parseWatchArgs(osArgs, ctx.args, envKey, envRange, false, st);
  } catch (e) {
    if (e instanceof WatchArgError) exitWithError(ExitBadArgs, e.message);
    throw e;
  }
  const { client } = await mustClient(ctx);
  const display = await watchDisplay(ctx);
  const watcher = new Watcher(client, true);
  try {
    let opts: WatchOptions;
    try {
      opts = watchOptions(parsed.watchArgs, st);
    } catch (e) {
      if (e instanceof WatchArgError) exitWithError(ExitBadArgs, e.message);
      throw e;
    }
    await printWatch(ctx, watcher.watch(opts), display, parsed.execArgs);
  } finally {
    watcher.close();
    client.close();
  }
  exitWithError(ExitInterrupted, 'watch is canceled by the server');
}

/** etcdctl argify: splits a line into words, with "double" (Go-unquoted) and 'single' quotes. */
function argify(line: string): string[] {
  const re = /"(?:[^"\\]|\\.)*"|'[^']*'|[^'"\t\n\f\r ][^\t\n\f\r ]*[^'"\t\n\f\r ]?/g;
  const args = line.match(re) ?? [];
  const n = args.length;
  return args.map((a) => {
    if (a.length === 0) return a;
    if (a[0] === "'") {
      // etcdctl slices with the number of words instead of the word's length.
      const hi = n - 1;
      const len = Buffer.byteLength(a, 'utf8');
      if (hi > len) goPanic(`runtime error: slice bounds out of range [:${hi}] with length ${len}`);
      if (hi < 1) goPanic(`runtime error: slice bounds out of range [1:${hi}]`);
      return Buffer.from(a, 'utf8').subarray(1, hi).toString('utf8');
    }
    if (a[0] === '"') {
      try {
        return Buffer.from(goUnquote(Buffer.from(a, 'utf8'))).toString('utf8');
      } catch {
        throw new CtlExit(ExitInvalidInput, 'invalid syntax');
      }
    }
    return a;
  });
}

/** etcdctl watchInteractiveFunc: "watch ..." and "progress" lines from stdin, one stream for all. */
async function interactive(ctx: RunContext, osArgs: readonly string[], envKey: string, envRange: string, st: WatchState): Promise<void> {
  const { client } = await mustClient(ctx);
  const display = await watchDisplay(ctx);
  const watcher = new Watcher(client, true);
  const reader = stdinReader(ctx.io);
  // A failed exec command in any watch ends the program (os.Exit in etcdctl's goroutine).
  let fail: (e: unknown) => void = () => undefined;
  const failed = new Promise<never>((_, reject) => { fail = reject; });
  failed.catch(() => undefined);
  try {
    for (;;) {
      const raw = await Promise.race([reader.readLine(), failed]);
      if (raw === null) exitWithError(ExitInvalidInput, 'Error reading watch request line: EOF');
      const l = Buffer.from(raw.replace(/\n$/, ''), 'latin1').toString('utf8');
      const args = argify(l);
      if (args.length < 1) {
        ctx.io.stderr.write(`Invalid command: ${l} (watch and progress supported)\n`);
        continue;
      }
      switch (args[0]) {
        case 'watch': {
          if (args.length < 2 && envKey === '') {
            ctx.io.stderr.write(`Invalid command ${l} (command type or key is not provided)\n`);
            continue;
          }
          let parsed: { watchArgs: string[]; execArgs: string[] };
          try {
            parsed = parseWatchArgs(osArgs, args, envKey, envRange, true, st);
          } catch (e) {
            if (e instanceof WatchArgError) exitWithError(ExitBadArgs, e.message);
            throw e;
          }
          let opts: WatchOptions;
          try {
            opts = watchOptions(parsed.watchArgs, st);
          } catch (e) {
            if (e instanceof WatchArgError) {
              ctx.io.stderr.write(`Invalid command ${l} (${e.message})\n`);
              continue;
            }
            throw e;
          }
          printWatch(ctx, watcher.watch(opts), display, parsed.execArgs).catch(fail);
          break;
        }
        case 'progress':
          watcher.requestProgress();
          break;
        default:
          ctx.io.stderr.write(`Invalid command ${l} (only support watch)\n`);
      }
    }
  } catch (e) {
    if (e instanceof EtcdError) exitWithError(ExitError, e.message);
    throw e;
  } finally {
    watcher.close();
    client.close();
  }
}

export const watchCommand: CommandSpec = {
  use: 'watch [options] [key or prefix] [range_end] [--] [exec-command arg1 arg2 ...]',
  short: 'Watches events stream on keys or prefixes',
  flags: WATCH_FLAGS,
  run: watchRun,
};
