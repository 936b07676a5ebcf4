/**
 * Scalar parsers that accept exactly what etcd's Go `flag` values accept, so that a command line
 * or environment that works with etcd works with tsetcd and one that etcd rejects is rejected too.
 *
 * Each parser throws GoParseError whose message is the text Go's flag package prints after
 * `invalid value "x" for flag -name: ` ("parse error", "value out of range", ...).
 */

export class GoParseError extends Error {
  override readonly name = 'GoParseError';
}

/** Go's flag package maps strconv's ErrSyntax to this text. */
const PARSE_ERROR = 'parse error';
/** ... and strconv's ErrRange to this one. */
const RANGE_ERROR = 'value out of range';

/** strconv.ParseBool. */
export function parseGoBool(s: string): boolean {
  switch (s) {
    case '1': case 't': case 'T': case 'TRUE': case 'true': case 'True':
      return true;
    case '0': case 'f': case 'F': case 'FALSE': case 'false': case 'False':
      return false;
    default:
      throw new GoParseError(PARSE_ERROR);
  }
}

/**
 * strconv's underscoreOK: with base prefix detection (base 0) Go allows '_' only between digits
 * (or right after a base prefix), e.g. "1_000" and "0x_ff" but not "_1", "1__0" or "1_".
 */
function underscoreOK(s: string): boolean {
  let saw = '^';
  let i = 0;
  if (s.length >= 1 && (s[0] === '-' || s[0] === '+')) s = s.slice(1);
  let hex = false;
  if (s.length >= 2 && s[0] === '0' && 'bBoOxX'.includes(s[1]!)) {
    i = 2;
    saw = '0';
    hex = s[1] === 'x' || s[1] === 'X';
  }
  for (; i < s.length; i++) {
    const c = s[i]!;
    if ((c >= '0' && c <= '9') || (hex && /[a-fA-F]/.test(c))) {
      saw = '0';
      continue;
    }
    if (c === '_') {
      if (saw !== '0') return false;
      saw = '_';
      continue;
    }
    if (saw === '_') return false;
    saw = '!';
  }
  return saw !== '_';
}

type NumResult = { ok: true; value: bigint } | { ok: false; why: 'syntax' | 'range' };

/** strconv.ParseUint(s, 0, bits): decimal, 0x/0o/0b prefixes, leading-0 octal, '_' separators. */
function goParseUint(s0: string, bits: number): NumResult {
  if (s0 === '') return { ok: false, why: 'syntax' };
  let s = s0;
  let base = 10n;
  if (s[0] === '0') {
    const p = s.length >= 3 ? s[1]!.toLowerCase() : '';
    if (p === 'b') { base = 2n; s = s.slice(2); }
    else if (p === 'o') { base = 8n; s = s.slice(2); }
    else if (p === 'x') { base = 16n; s = s.slice(2); }
    else { base = 8n; s = s.slice(1); }
  }
  const max = (1n << BigInt(bits)) - 1n;
  let n = 0n;
  let sawUnderscore = false;
  for (const c of s) {
    if (c === '_') { sawUnderscore = true; continue; }
    const digit = parseInt(c, 36);
    if (Number.isNaN(digit) || BigInt(digit) >= base) return { ok: false, why: 'syntax' };
    n = n * base + BigInt(digit);
    if (n > max) return { ok: false, why: 'range' };
  }
  if (sawUnderscore && !underscoreOK(s0)) return { ok: false, why: 'syntax' };
  return { ok: true, value: n };
}

/** strconv.ParseInt(s, 0, bits). */
function goParseInt(s0: string, bits: number): NumResult {
  if (s0 === '') return { ok: false, why: 'syntax' };
  let s = s0;
  let neg = false;
  if (s[0] === '+' || s[0] === '-') { neg = s[0] === '-'; s = s.slice(1); }
  const r = goParseUint(s, 64);
  if (!r.ok) return r;
  if (s.includes('_') && !underscoreOK(s0)) return { ok: false, why: 'syntax' };
  const cutoff = 1n << BigInt(bits - 1);
  if (!neg && r.value >= cutoff) return { ok: false, why: 'range' };
  if (neg && r.value > cutoff) return { ok: false, why: 'range' };
  return { ok: true, value: neg ? -r.value : r.value };
}

/**
 * Converts to a JS number. Go accepts up to 2^64-1; beyond 2^53 a JS number would silently round,
 * so such values (absurd for every etcd flag) are reported as out of range instead.
 */
function toSafeNumber(v: bigint): number {
  if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < BigInt(Number.MIN_SAFE_INTEGER)) {
    throw new GoParseError(RANGE_ERROR);
  }
  return Number(v);
}

/** flag.Uint64Var / flag.UintVar (64-bit platform). */
export function parseGoUint(s: string): number {
  const r = goParseUint(s, 64);
  if (!r.ok) throw new GoParseError(r.why === 'syntax' ? PARSE_ERROR : RANGE_ERROR);
  return toSafeNumber(r.value);
}

/** flag.Int64Var / flag.IntVar (64-bit platform). */
export function parseGoInt(s: string): number {
  const r = goParseInt(s, 64);
  if (!r.ok) throw new GoParseError(r.why === 'syntax' ? PARSE_ERROR : RANGE_ERROR);
  return toSafeNumber(r.value);
}

/**
 * etcd's own uint32 flag value (--max-concurrent-streams) returns strconv's raw error rather than
 * the flag package's short one, so its message differs: `strconv.ParseUint: parsing "-1": invalid syntax`.
 */
export function parseGoUint32(s: string): number {
  const r = goParseUint(s, 32);
  if (!r.ok) {
    const why = r.why === 'syntax' ? 'invalid syntax' : 'value out of range';
    throw new GoParseError(`strconv.ParseUint: parsing ${JSON.stringify(s)}: ${why}`);
  }
  return Number(r.value);
}

const DURATION_UNITS_NS: ReadonlyMap<string, number> = new Map([
  ['ns', 1],
  ['us', 1e3],
  ['µs', 1e3], // U+00B5 micro sign
  ['μs', 1e3], // U+03BC greek mu
  ['ms', 1e6],
  ['s', 1e9],
  ['m', 60e9],
  ['h', 3600e9],
]);

/**
 * time.ParseDuration: a signed sequence of decimal numbers with optional fraction and a unit
 * ("300ms", "1.5h", "2h45m"); "0" alone needs no unit. Returns milliseconds (fractional allowed).
 * flag.DurationVar reports every failure as "parse error".
 */
export function parseGoDuration(s0: string): number {
  let s = s0;
  let neg = false;
  if (s !== '' && (s[0] === '-' || s[0] === '+')) { neg = s[0] === '-'; s = s.slice(1); }
  if (s === '0') return 0;
  if (s === '') throw new GoParseError(PARSE_ERROR);
  let totalNs = 0;
  const re = /^(\d*)(?:\.(\d*))?([^\d.]+)/u;
  while (s !== '') {
    const m = re.exec(s);
    if (m === null) throw new GoParseError(PARSE_ERROR);
    const [all, intPart = '', fracPart, unit = ''] = m;
    if (intPart === '' && (fracPart === undefined || fracPart === '')) throw new GoParseError(PARSE_ERROR);
    const scale = DURATION_UNITS_NS.get(unit);
    if (scale === undefined) throw new GoParseError(PARSE_ERROR);
    totalNs += Number(`${intPart === '' ? '0' : intPart}.${fracPart ?? ''}0`) * scale;
    s = s.slice(all.length);
  }
  // Go's Duration is an int64 of nanoseconds.
  if (totalNs > 9223372036854775807) throw new GoParseError(PARSE_ERROR);
  const ms = totalNs / 1e6;
  return neg ? -ms : ms;
}

/** Formats milliseconds like Go's time.Duration.String(): "1h0m0s", "5m0s", "1.5s", "100ms", "500µs". */
export function formatGoDuration(ms: number): string {
  if (ms === 0) return '0s';
  const sign = ms < 0 ? '-' : '';
  let rest = Math.abs(ms);
  if (rest < 1e-3) return `${sign}${Number((rest * 1e6).toFixed(3))}ns`;
  if (rest < 1) return `${sign}${Number((rest * 1e3).toFixed(6))}µs`;
  if (rest < 1000) return `${sign}${Number(rest.toFixed(9))}ms`;
  const h = Math.floor(rest / 3_600_000);
  rest -= h * 3_600_000;
  const m = Math.floor(rest / 60_000);
  rest -= m * 60_000;
  const sec = `${Number((rest / 1000).toFixed(9))}s`;
  if (h > 0) return `${sign}${h}h${m}m${sec}`;
  if (m > 0) return `${sign}${m}m${sec}`;
  return `${sign}${sec}`;
}
