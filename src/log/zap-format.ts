/**
 * The pieces of etcd's zap JSON log format (etcd 3.4, pkg/logutil.DefaultZapLoggerConfig):
 *   {"level":"info","ts":"2026-11-25T14:38:47.190Z","caller":"embed/etcd.go:117","msg":"...",<fields>}
 * - level: lowercase name;
 * - ts: zap's ISO8601TimeEncoder, i.e. local time with milliseconds and a "Z0700" zone
 *   ("Z" in UTC, otherwise "+0100" — no colon), observed from etcd 3.4.23 itself;
 * - caller: zap's ShortCallerEncoder, "<last dir>/<file>:<line>".
 */

function pad(n: number, width = 2): string {
  return String(n).padStart(width, '0');
}

/** Go layout "2006-01-02T15:04:05.000Z0700" in the process's local time zone. */
export function formatZapTime(d: Date): string {
  const offsetMin = -d.getTimezoneOffset();
  const zone =
    offsetMin === 0
      ? 'Z'
      : `${offsetMin > 0 ? '+' : '-'}${pad(Math.floor(Math.abs(offsetMin) / 60))}${pad(Math.abs(offsetMin) % 60)}`;
  return (
    `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}` +
    `T${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}${zone}`
  );
}

/** Like zap.Error(err): an Error becomes its message; everything else is left for JSON. */
export function fieldValue(v: unknown): unknown {
  if (v instanceof Error) return v.message;
  if (typeof v === 'bigint') return Number.isSafeInteger(Number(v)) ? Number(v) : v.toString();
  if (v instanceof Map) return Object.fromEntries([...v].map(([k, x]) => [String(k), fieldValue(x)]));
  if (v instanceof Set) return [...v].map(fieldValue);
  return v;
}

/**
 * One complete log line, for the rare output written before a logger exists (flag errors).
 * Same shape as createLogger's lines.
 */
export function formatZapLine(
  level: string,
  msg: string,
  fields: Readonly<Record<string, unknown>>,
  caller: string,
  now: Date = new Date(),
): string {
  const out: Record<string, unknown> = { level, ts: formatZapTime(now), caller, msg };
  for (const [k, v] of Object.entries(fields)) out[k] = fieldValue(v);
  return `${JSON.stringify(out)}\n`;
}

/** True for frames of the logging machinery itself (pino, src/log, Node internals). */
function isLoggingFrame(file: string): boolean {
  return file.startsWith('node:') || file.includes('/node_modules/pino') || /\/src\/log\/[^/]+$/.test(file);
}

const FRAME = /\(?((?:file:\/\/)?[^()\s]+?):(\d+):\d+\)?\s*$/;

/**
 * From a JS stack captured inside the logger: the "caller" of the first frame outside the logging
 * machinery, shortened like zap's ShortCallerEncoder (".../dist/src/server/apply.js:42:7" →
 * "server/apply.js:42"), and the "stacktrace" from that frame on (zap adds one to error logs).
 */
export function parseStack(stack: string | undefined): { caller: string; stacktrace: string } {
  const lines = (stack ?? '').split('\n').slice(1);
  for (let i = 0; i < lines.length; i++) {
    const m = FRAME.exec(lines[i]!);
    if (m === null || isLoggingFrame(m[1]!)) continue;
    const parts = m[1]!.replace(/^file:\/\//, '').split('/');
    return {
      caller: `${parts.slice(-2).join('/')}:${m[2]}`,
      stacktrace: lines.slice(i).map((l) => l.trim()).join('\n'),
    };
  }
  return { caller: 'undefined', stacktrace: '' };
}
