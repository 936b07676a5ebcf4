// Parsers with Go's exact acceptance rules and error texts (strconv, time), because etcdctl's
// flag errors quote them: `invalid argument "abc" for "--rev" flag: strconv.ParseInt: ...`.

export class GoParseError extends Error {}

/** strconv.ParseBool */
export function parseBool(s: string): boolean {
  switch (s) {
    case '1': case 't': case 'T': case 'TRUE': case 'true': case 'True': return true;
    case '0': case 'f': case 'F': case 'FALSE': case 'false': case 'False': return false;
  }
  throw new GoParseError(`strconv.ParseBool: parsing ${goQuoteString(s)}: invalid syntax`);
}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/** strconv.ParseInt(s, base, 64); base 0 infers the base from a 0x/0o/0b/0 prefix and allows '_'. */
export function parseInt64(s: string, base: 0 | 10 | 16 = 0): bigint {
  const fail = (why: string): never => {
    throw new GoParseError(`strconv.ParseInt: parsing ${goQuoteString(s)}: ${why}`);
  };
  if (s.length === 0) fail('invalid syntax');
  let i = 0;
  let neg = false;
  if (s[0] === '+' || s[0] === '-') { neg = s[0] === '-'; i = 1; }
  let b: number = base;
  let body = s.slice(i);
  let underscoresOk = false;
  if (base === 0) {
    b = 10;
    if (body.startsWith('0x') || body.startsWith('0X')) { b = 16; body = body.slice(2); underscoresOk = true; }
    else if (body.startsWith('0o') || body.startsWith('0O')) { b = 8; body = body.slice(2); underscoresOk = true; }
    else if (body.startsWith('0b') || body.startsWith('0B')) { b = 2; body = body.slice(2); underscoresOk = true; }
    else if (body.length > 1 && body[0] === '0') { b = 8; body = body.slice(1); underscoresOk = true; }
    else underscoresOk = true;
  }
  if (body.length === 0) fail('invalid syntax');
  if (body.includes('_')) {
    // Go allows '_' only between digits (or after a base prefix) and only with base 0.
    if (!underscoresOk || !/^_?[0-9a-zA-Z]+(_[0-9a-zA-Z]+)*$/.test(body) || (body.startsWith('_') && s.replace(/^[+-]/, '').length === body.length)) fail('invalid syntax');
    body = body.replace(/_/g, '');
  }
  let v = 0n;
  for (const ch of body) {
    const d = digitValue(ch);
    if (d < 0 || d >= b) fail('invalid syntax');
    v = v * BigInt(b) + BigInt(d);
  }
  if (neg) v = -v;
  if (v < INT64_MIN || v > INT64_MAX) fail('value out of range');
  return v;
}

function digitValue(ch: string): number {
  const c = ch.charCodeAt(0);
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 122) return c - 87;
  if (c >= 65 && c <= 90) return c - 55;
  return -1;
}

const UNITS: Record<string, bigint> = {
  ns: 1n, us: 1000n, 'µs': 1000n, 'μs': 1000n, ms: 1000_000n, s: 1000_000_000n, m: 60_000_000_000n, h: 3600_000_000_000n,
};

/** time.ParseDuration, in nanoseconds. */
export function parseDuration(s: string): bigint {
  const orig = s;
  const invalid = (): never => { throw new GoParseError(`time: invalid duration ${goQuoteString(orig)}`); };
  let neg = false;
  if (s !== '' && (s[0] === '-' || s[0] === '+')) { neg = s[0] === '-'; s = s.slice(1); }
  if (s === '0') return 0n;
  if (s === '') invalid();
  let total = 0n;
  while (s !== '') {
    const m = /^([0-9]*)(\.([0-9]*))?/.exec(s);
    const intPart = m?.[1] ?? '';
    const fracPart = m?.[3] ?? '';
    const hadDot = m?.[2] !== undefined;
    if (intPart === '' && fracPart === '') invalid();
    s = s.slice((m?.[0] ?? '').length);
    const u = /^[^0-9.]*/.exec(s)?.[0] ?? '';
    if (u === '') throw new GoParseError(`time: missing unit in duration ${goQuoteString(orig)}`);
    const unit = UNITS[u];
    if (unit === undefined) throw new GoParseError(`time: unknown unit ${goQuoteString(u)} in duration ${goQuoteString(orig)}`);
    s = s.slice(u.length);
    let v = BigInt(intPart === '' ? '0' : intPart) * unit;
    if (hadDot && fracPart !== '') {
      const scale = 10n ** BigInt(fracPart.length);
      v += (BigInt(fracPart) * unit) / scale;
    }
    total += v;
    if (total > INT64_MAX) invalid();
  }
  return neg ? -total : total;
}

/** Go's time.Duration.String(), from nanoseconds. */
export function formatDuration(ns: bigint): string {
  if (ns === 0n) return '0s';
  const neg = ns < 0n;
  let u = neg ? -ns : ns;
  let out: string;
  if (u < 1000_000_000n) {
    let unit: string;
    let div: bigint;
    if (u < 1000n) return `${neg ? '-' : ''}${u}ns`;
    if (u < 1000_000n) { unit = 'µs'; div = 1000n; } else { unit = 'ms'; div = 1000_000n; }
    out = fixed(u, div) + unit;
  } else {
    const h = u / 3600_000_000_000n;
    u -= h * 3600_000_000_000n;
    const m = u / 60_000_000_000n;
    u -= m * 60_000_000_000n;
    out = fixed(u, 1000_000_000n) + 's';
    if (h > 0n) out = `${h}h${m}m${out}`;
    else if (m > 0n) out = `${m}m${out}`;
  }
  return (neg ? '-' : '') + out;
}

function fixed(v: bigint, div: bigint): string {
  const whole = v / div;
  const frac = v % div;
  if (frac === 0n) return whole.toString();
  const digits = div.toString().length - 1;
  return `${whole}.${frac.toString().padStart(digits, '0').replace(/0+$/, '')}`;
}

// ---- quoting (fmt %q / strconv.Quote) ----

/** Go's strconv.Quote of raw bytes: invalid UTF-8 becomes \xNN, non-printable runes are escaped. */
export function goQuote(b: Uint8Array): string {
  let out = '"';
  let i = 0;
  while (i < b.length) {
    const [cp, size] = decodeRune(b, i);
    if (cp === -1) {
      out += '\\x' + hex2(b[i] as number);
      i += 1;
      continue;
    }
    i += size;
    out += quoteRune(cp);
  }
  return out + '"';
}

export function goQuoteString(s: string): string {
  return goQuote(Buffer.from(s, 'utf8'));
}

function hex2(n: number): string {
  return n.toString(16).padStart(2, '0');
}

function quoteRune(cp: number): string {
  switch (cp) {
    case 0x07: return '\\a';
    case 0x08: return '\\b';
    case 0x0c: return '\\f';
    case 0x0a: return '\\n';
    case 0x0d: return '\\r';
    case 0x09: return '\\t';
    case 0x0b: return '\\v';
    case 0x5c: return '\\\\';
    case 0x22: return '\\"';
  }
  if (isPrint(cp)) return String.fromCodePoint(cp);
  if (cp < 0x80) return '\\x' + hex2(cp);
  if (cp < 0x10000) return '\\u' + cp.toString(16).padStart(4, '0');
  return '\\U' + cp.toString(16).padStart(8, '0');
}

const PRINT = /^[\p{L}\p{M}\p{N}\p{P}\p{S}]$/u;

/** unicode.IsPrint: letters, marks, numbers, punctuation, symbols and the ASCII space. */
export function isPrint(cp: number): boolean {
  if (cp === 0x20) return true;
  if (cp < 0x20 || cp === 0x7f) return false;
  if (cp >= 0xd800 && cp <= 0xdfff) return false;
  return PRINT.test(String.fromCodePoint(cp));
}

/** Decodes one UTF-8 rune as Go does; returns [-1, 1] for an invalid byte. */
export function decodeRune(b: Uint8Array, i: number): [number, number] {
  const c0 = b[i] as number;
  if (c0 < 0x80) return [c0, 1];
  const cont = (k: number): number => {
    const c = b[i + k];
    return c !== undefined && (c & 0xc0) === 0x80 ? c & 0x3f : -1;
  };
  if (c0 >= 0xc2 && c0 <= 0xdf) {
    const c1 = cont(1);
    return c1 < 0 ? [-1, 1] : [((c0 & 0x1f) << 6) | c1, 2];
  }
  if (c0 >= 0xe0 && c0 <= 0xef) {
    const c1 = cont(1), c2 = cont(2);
    if (c1 < 0 || c2 < 0) return [-1, 1];
    const cp = ((c0 & 0x0f) << 12) | (c1 << 6) | c2;
    if (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff)) return [-1, 1];
    return [cp, 3];
  }
  if (c0 >= 0xf0 && c0 <= 0xf4) {
    const c1 = cont(1), c2 = cont(2), c3 = cont(3);
    if (c1 < 0 || c2 < 0 || c3 < 0) return [-1, 1];
    const cp = ((c0 & 0x07) << 18) | (c1 << 12) | (c2 << 6) | c3;
    if (cp < 0x10000 || cp > 0x10ffff) return [-1, 1];
    return [cp, 4];
  }
  return [-1, 1];
}

/**
 * strconv.Unquote for a double-quoted Go string, returning raw bytes (a "\xff" escape is one byte).
 * Throws "invalid syntax" as Go does.
 */
export function goUnquote(q: Uint8Array): Uint8Array {
  const bad = (): never => { throw new GoParseError('invalid syntax'); };
  if (q.length < 2 || q[0] !== 0x22 || q[q.length - 1] !== 0x22) bad();
  const out: number[] = [];
  let i = 1;
  const end = q.length - 1;
  while (i < end) {
    const c = q[i] as number;
    if (c === 0x22 || c === 0x0a) bad();
    if (c !== 0x5c) { out.push(c); i++; continue; }
    i++;
    if (i >= end) bad();
    const e = q[i] as number;
    i++;
    const simple: Record<number, number> = { 0x61: 7, 0x62: 8, 0x66: 12, 0x6e: 10, 0x72: 13, 0x74: 9, 0x76: 11, 0x5c: 0x5c, 0x22: 0x22 };
    const sv = simple[e];
    if (sv !== undefined) { out.push(sv); continue; }
    const take = (n: number, radix: number): number => {
      if (i + n > end) bad();
      const s = Buffer.from(q.subarray(i, i + n)).toString('latin1');
      const re = radix === 16 ? /^[0-9a-fA-F]+$/ : /^[0-7]+$/;
      if (!re.test(s)) bad();
      i += n;
      return parseInt(s, radix);
    };
    if (e === 0x78) { out.push(take(2, 16)); continue; }
    if (e >= 0x30 && e <= 0x37) {
      i--;
      const v = take(3, 8);
      if (v > 255) bad();
      out.push(v);
      continue;
    }
    if (e === 0x75 || e === 0x55) {
      const cp = take(e === 0x75 ? 4 : 8, 16);
      if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) bad();
      out.push(...Buffer.from(String.fromCodePoint(cp), 'utf8'));
      continue;
    }
    bad();
  }
  return Uint8Array.from(out);
}
