/**
 * tsetcd's logger: pino, shaped like etcd's zap JSON so that log pipelines built for etcd
 * (and people who grep them) keep working. One object per line, keys in zap's order:
 *   {"level":"warn","ts":"2026-11-25T14:38:35.717Z","caller":"server/server.js:66","msg":"...","error":"..."}
 *
 * Writes are synchronous (fs.writeSync under pino.destination({sync:true})): a member that
 * crashes or calls process.exit right after logging still leaves its last line on disk, which is
 * worth far more for a database than the throughput of asynchronous logging.
 *
 * Levels are zap's: debug, info, warn, error, dpanic, panic, fatal. As with pino, logging at
 * panic/fatal only writes the line; the caller decides to throw or exit (etcd exits with 1).
 */
import { format } from 'node:util';
import { pino, type DestinationStream, type Logger as PinoLogger } from 'pino';
import { fieldValue, formatZapTime, parseStack } from './zap-format.js';

export { formatZapLine, formatZapTime, parseStack } from './zap-format.js';

/** zap's levels beyond pino's built-in ones, placed between error (50) and fatal (60). */
const CUSTOM_LEVELS = { dpanic: 53, panic: 56 } as const;
type CustomLevel = keyof typeof CUSTOM_LEVELS;

export type Logger = PinoLogger<CustomLevel>;
export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'dpanic' | 'panic' | 'fatal';

export interface LoggerOptions {
  /** Minimum level written; 'silent' writes nothing. Default 'info'. */
  readonly level?: LogLevel | 'silent';
  /**
   * etcd's --log-outputs: 'default' and 'stderr' → stderr, 'stdout' → stdout, '/dev/null'
   * anywhere → discard everything (zap's rule), anything else → a file appended to (its
   * directory must exist; LogOutputError otherwise). Default ['default'].
   */
  readonly outputs?: readonly string[];
  /** zap's logger name, written as "logger" (etcd names none of its loggers; ours may). */
  readonly name?: string;
  /**
   * Compute "caller" from the stack of each written line (tens of microseconds per line; lines
   * filtered out by the level cost nothing). Default true. See also moduleLogger.
   */
  readonly caller?: boolean;
  /** Write here instead of `outputs` (tests, embedding). */
  readonly destination?: { write(line: string): unknown };
}

export function createLogger(opts: LoggerOptions = {}): Logger {
  const withCaller = opts.caller ?? true;
  const stream = opts.destination ?? openOutputs(opts.outputs ?? ['default']);
  return pino<CustomLevel>(
    {
      level: opts.level ?? 'info',
      customLevels: CUSTOM_LEVELS,
      base: opts.name === undefined ? null : { logger: opts.name },
      messageKey: 'msg',
      timestamp: () => `,"ts":"${formatZapTime(new Date())}"`,
      formatters: {
        level: (label) => ({ level: label }),
        // zap.Error(err) logs the message string, not pino's {type,message,stack} object.
        log: (obj) => {
          const out: Record<string, unknown> = {};
          for (const [k, v] of Object.entries(obj)) out[k] = fieldValue(v);
          // zap writes the stacktrace after every field.
          const stack = (obj as { [STACK]?: string })[STACK];
          if (stack !== undefined) out.stacktrace = stack;
          return out;
        },
      },
      // pino writes bindings, then the merged object, then the message; zap writes caller and
      // msg before the fields. So the hook moves the message into the object, first, and the
      // mixin (merged in front of the object) supplies the caller before it. Like zap's
      // production config, error and above also carry a stacktrace.
      mixin: (_obj: object, level: number, instance: unknown) => {
        const wantStack = level >= ERROR_LEVEL;
        const wantCaller = withCaller && !STATIC_CALLER.has(instance as object);
        if (!wantStack && !wantCaller) return {};
        const parsed = parseStack(captureStack(wantStack ? 40 : 12));
        const extra: { caller?: string; [STACK]?: string } = {};
        if (wantCaller) extra.caller = parsed.caller;
        if (wantStack) extra[STACK] = parsed.stacktrace;
        return extra;
      },
      hooks: {
        logMethod(args: unknown[], method: (this: unknown, ...a: unknown[]) => void) {
          let fields: Record<string, unknown> = {};
          let rest = args;
          const first = args[0];
          if (first instanceof Error) {
            fields = { error: first.message };
            rest = args.slice(1);
          } else if (typeof first === 'object' && first !== null) {
            fields = first as Record<string, unknown>;
            rest = args.slice(1);
          }
          const { msg: fieldMsg, ...others } = fields;
          const msg = rest.length > 0 ? format(...rest) : typeof fieldMsg === 'string' ? fieldMsg : '';
          method.call(this, { msg, ...others });
        },
      },
    },
    stream as DestinationStream,
  );
}

/** Loggers made by moduleLogger: their "caller" is a fixed binding, no stack is captured. */
const STATIC_CALLER = new WeakSet<object>();

/**
 * A child logger whose "caller" is the given module name instead of the exact call site. Capturing
 * a stack costs tens of microseconds per written line; use this for code that may log often
 * (per request, per apply) — the module name is usually all one needs to find the line.
 */
export function moduleLogger(parent: Logger, module: string): Logger {
  const child = parent.child({ caller: module });
  STATIC_CALLER.add(child);
  return child;
}

/** pino's numeric value for 'error'; dpanic, panic and fatal are above it. */
const ERROR_LEVEL = 50;
/** Carries the stacktrace from the mixin to the formatter, which puts it last. */
const STACK = Symbol('stacktrace');

/** A stack deep enough to get past pino's frames to the caller (and further for stacktraces). */
function captureStack(frames: number): string | undefined {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = frames;
  const holder: { stack?: string } = {};
  Error.captureStackTrace(holder);
  Error.stackTraceLimit = limit;
  return holder.stack;
}

/** A --log-outputs file could not be opened; etcd reports this as a flag error and exits 1. */
export class LogOutputError extends Error {
  override readonly name = 'LogOutputError';
  constructor(readonly output: string, reason: string) {
    super(`cannot open log output ${JSON.stringify(output)}: ${reason}`);
  }
}

interface SyncStream {
  write(s: string): unknown;
  flushSync?(): void;
}

/** Resolves etcd's --log-outputs into one synchronous stream (a fan-out when there are several). */
function openOutputs(outputs: readonly string[]): DestinationStream {
  if (outputs.includes('/dev/null')) return { write: () => undefined };
  const targets = new Set<string | 1 | 2>();
  for (const o of outputs) {
    if (o === 'default' || o === 'stderr') targets.add(2);
    else if (o === 'stdout') targets.add(1);
    else targets.add(o);
  }
  const streams: SyncStream[] = [...targets].map((t) => {
    try {
      return pino.destination({ dest: t, sync: true, append: true });
    } catch (e) {
      // Like zap, no parent directories are created: a typo in a path should fail, not sprout dirs.
      throw new LogOutputError(String(t), e instanceof Error ? e.message : String(e));
    }
  });
  if (streams.length === 1) return streams[0] as DestinationStream;
  return {
    write(s: string) {
      for (const st of streams) st.write(s);
    },
  };
}
