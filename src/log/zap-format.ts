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

/**
 * "caller" of the first stack frame outside the logging machinery, shortened like zap's
 * ShortCallerEncoder: ".../dist/src/server/apply.js:42:7" → "server/apply.js:42".
 * It is computed only for lines that pass the level filter, so disabled debug logs cost nothing.
 */
export function callerFromStack(stack: string | undefined): string {
  if (stack === undefined) return 'undefined';
  for (const line of stack.split('\n').slice(1)) {
    const m = /\(?((?:file:\/\/)?[^()\s]+?):(\d+):\d+\)?\s*$/.exec(line);
    if (m === null) continue;
    const file = m[1]!;
    if (file.startsWith('node:') || file.includes('/node_modules/pino') || /\/src\/log\/[^/]+$/.test(file)) continue;
    const parts = file.replace(/^file:\/\//, '').split('/');
    return `${parts.slice(-2).join('/')}:${m[2]}`;
  }
  return 'undefined';
}
