// A flag set with spf13/pflag's rules, which etcdctl users rely on: flags anywhere among the
// arguments, "--" ends them, "--flag=value" or "--flag value", bools take only "--flag=false",
// "-w json" / "-wjson" / "-w=json", string slices split on commas and accumulate.
// Error texts are pflag's, since etcdctl prints them verbatim.
import { formatDuration, goQuoteString, GoParseError, parseBool, parseDuration, parseInt64 } from './goparse.js';

export type FlagKind = 'bool' | 'string' | 'int64' | 'duration' | 'stringSlice';

export type FlagValue = boolean | string | bigint | string[];

export interface FlagDef {
  readonly name: string;
  readonly short?: string;
  readonly kind: FlagKind;
  /** Default as a value of the kind: boolean, string, bigint (int64 and duration in ns), string[]. */
  readonly def: FlagValue;
  readonly usage: string;
}

export class FlagError extends Error {}

export class FlagSet {
  private readonly defs = new Map<string, FlagDef>();
  private readonly shorts = new Map<string, FlagDef>();
  private readonly values = new Map<string, FlagValue>();
  private readonly changed = new Set<string>();
  /** Positional arguments left after parsing. */
  args: string[] = [];

  constructor(defs: readonly FlagDef[]) {
    for (const d of defs) this.add(d);
  }

  add(d: FlagDef): void {
    this.defs.set(d.name, d);
    if (d.short !== undefined) this.shorts.set(d.short, d);
    this.values.set(d.name, Array.isArray(d.def) ? [...d.def] : d.def);
  }

  has(name: string): boolean {
    return this.defs.has(name);
  }

  def(name: string): FlagDef | undefined {
    return this.defs.get(name);
  }

  /** Every flag, sorted by name (pflag's VisitAll order). */
  all(): FlagDef[] {
    return [...this.defs.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  isChanged(name: string): boolean {
    return this.changed.has(name);
  }

  bool(name: string): boolean {
    return this.get(name) as boolean;
  }
  string(name: string): string {
    return this.get(name) as string;
  }
  int64(name: string): bigint {
    return this.get(name) as bigint;
  }
  /** Durations in milliseconds (rounded down), what timers take. */
  durationMs(name: string): number {
    return Number((this.get(name) as bigint) / 1000_000n);
  }
  stringSlice(name: string): string[] {
    return this.get(name) as string[];
  }

  private get(name: string): FlagValue {
    const v = this.values.get(name);
    if (v === undefined) throw new Error(`flag accessed but not defined: ${name}`);
    return v;
  }

  /** pflag's Value.String(), used by --debug and the usage text. */
  format(name: string): string {
    const d = this.defs.get(name);
    if (d === undefined) return '';
    return formatValue(d.kind, this.get(name));
  }

  /**
   * Sets a flag from text, as pflag's FlagSet.Set. Marks it changed (which, for a slice,
   * makes later values append instead of replacing the default).
   */
  set(name: string, text: string): void {
    const d = this.defs.get(name);
    if (d === undefined) throw new FlagError(`no such flag -${name}`);
    this.values.set(name, this.convert(d, text));
    this.changed.add(name);
  }

  private convert(d: FlagDef, text: string): FlagValue {
    switch (d.kind) {
      case 'bool': return parseBool(text);
      case 'string': return text;
      case 'int64': return parseInt64(text, 0);
      case 'duration': return parseDuration(text);
      case 'stringSlice': {
        const parts = text === '' ? [] : splitCsv(text);
        return this.changed.has(d.name) ? [...(this.values.get(d.name) as string[]), ...parts] : parts;
      }
    }
  }

  private setFromCli(d: FlagDef, text: string): void {
    try {
      this.set(d.name, text);
    } catch (e) {
      if (e instanceof GoParseError) {
        const flagName = d.short !== undefined ? `-${d.short}, --${d.name}` : `--${d.name}`;
        throw new FlagError(`invalid argument ${goQuoteString(text)} for ${goQuoteString(flagName)} flag: ${e.message}`);
      }
      throw e;
    }
  }

  /** Parses arguments with flags interspersed; positional arguments end up in `args`. */
  parse(argv: readonly string[]): void {
    const args = [...argv];
    const positional: string[] = [];
    while (args.length > 0) {
      const s = args.shift() as string;
      if (s.length === 0 || s[0] !== '-' || s.length === 1) {
        positional.push(s);
        continue;
      }
      if (s === '--') {
        positional.push(...args);
        break;
      }
      if (s[1] === '-') this.parseLong(s, args);
      else this.parseShorts(s, args);
    }
    this.args = positional;
  }

  private parseLong(s: string, rest: string[]): void {
    const body = s.slice(2);
    if (body.length === 0 || body[0] === '-' || body[0] === '=') {
      throw new FlagError(`bad flag syntax: ${s}`);
    }
    const eq = body.indexOf('=');
    const name = eq === -1 ? body : body.slice(0, eq);
    const d = this.defs.get(name);
    if (d === undefined) throw new FlagError(`unknown flag: --${name}`);
    if (eq !== -1) {
      this.setFromCli(d, body.slice(eq + 1));
    } else if (d.kind === 'bool') {
      this.setFromCli(d, 'true');
    } else if (rest.length > 0) {
      this.setFromCli(d, rest.shift() as string);
    } else {
      throw new FlagError(`flag needs an argument: ${s}`);
    }
  }

  private parseShorts(s: string, rest: string[]): void {
    let shorts = s.slice(1);
    while (shorts.length > 0) {
      const c = shorts[0] as string;
      const d = this.shorts.get(c);
      if (d === undefined) {
        throw new FlagError(`unknown shorthand flag: ${goQuoteRune(c)} in -${shorts}`);
      }
      if (shorts.length > 2 && shorts[1] === '=') {
        this.setFromCli(d, shorts.slice(2));
        return;
      }
      if (d.kind === 'bool') {
        this.setFromCli(d, 'true');
        shorts = shorts.slice(1);
        continue;
      }
      if (shorts.length > 1) {
        this.setFromCli(d, shorts.slice(1));
        return;
      }
      if (rest.length > 0) {
        this.setFromCli(d, rest.shift() as string);
        return;
      }
      throw new FlagError(`flag needs an argument: ${goQuoteRune(c)} in -${shorts}`);
    }
  }
}

function goQuoteRune(c: string): string {
  return `'${c}'`;
}

/** pflag reads a string slice as one CSV record. */
function splitCsv(text: string): string[] {
  const out: string[] = [];
  let cur = '';
  let inQuotes = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i] as string;
    if (inQuotes) {
      if (ch === '"' && text[i + 1] === '"') { cur += '"'; i++; }
      else if (ch === '"') inQuotes = false;
      else cur += ch;
    } else if (ch === '"' && cur === '') inQuotes = true;
    else if (ch === ',') { out.push(cur); cur = ''; }
    else cur += ch;
  }
  out.push(cur);
  return out;
}

export function formatValue(kind: FlagKind, v: FlagValue): string {
  switch (kind) {
    case 'bool': return (v as boolean) ? 'true' : 'false';
    case 'string': return v as string;
    case 'int64': return (v as bigint).toString();
    case 'duration': return formatDuration(v as bigint);
    case 'stringSlice': return `[${(v as string[]).join(',')}]`;
  }
}

/** Helpers to declare flags tersely. */
export const flag = {
  bool: (name: string, def: boolean, usage: string, short?: string): FlagDef => ({ name, kind: 'bool', def, usage, ...(short !== undefined ? { short } : {}) }),
  string: (name: string, def: string, usage: string, short?: string): FlagDef => ({ name, kind: 'string', def, usage, ...(short !== undefined ? { short } : {}) }),
  int64: (name: string, def: bigint, usage: string): FlagDef => ({ name, kind: 'int64', def, usage }),
  duration: (name: string, defText: string, usage: string): FlagDef => ({ name, kind: 'duration', def: parseDuration(defText), usage }),
  stringSlice: (name: string, def: string[], usage: string): FlagDef => ({ name, kind: 'stringSlice', def, usage }),
};
