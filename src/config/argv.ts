/**
 * Command-line parsing with the rules of Go's standard `flag` package, which etcd 3.4 uses
 * (not pflag, whatever its docs suggest):
 *  - `-name` and `--name` are the same flag; `-name=value`, `-name value`;
 *  - a boolean takes its value only after '=' (`--enable-v2 false` leaves "false" as a
 *    positional argument, which etcd then rejects);
 *  - a non-boolean flag consumes the next argument even if it starts with '-';
 *  - parsing stops at the first non-flag argument or after `--`;
 *  - `-h`, `-help`, `--help` ask for help; every other unknown name is an error;
 *  - the last occurrence of a repeated flag wins.
 * We only use commander-style libraries for subcommand CLIs; none of them reproduces these rules.
 */
import { usageError } from './errors.js';
import type { FlagSpec, FlagValue } from './flags.js';
import { GoParseError } from './goparse.js';
import type { ConfigNotice } from './notice.js';
import { parseFlagText } from './setflag.js';

export interface ParsedArgs {
  /** Values of flags given on the command line, by flag name. */
  readonly values: Map<string, FlagValue>;
  /** Names of flags given on the command line (for ETCD_* conflict detection). */
  readonly set: ReadonlySet<string>;
  /** Arguments left after flag parsing stopped; etcd rejects any. */
  readonly positional: readonly string[];
  readonly help: boolean;
  readonly notices: readonly ConfigNotice[];
}

/**
 * Parses argv (without the node and script paths). Throws ConfigError kind 'usage' with the
 * message Go's flag package prints; the caller adds the usage text and exits 2.
 */
export function parseArgs(argv: readonly string[], specs: ReadonlyMap<string, FlagSpec>): ParsedArgs {
  const values = new Map<string, FlagValue>();
  const set = new Set<string>();
  const notices: ConfigNotice[] = [];
  const current = (spec: FlagSpec): FlagValue => values.get(spec.name) ?? spec.defaultValue;
  let i = 0;
  while (i < argv.length) {
    const arg = argv[i]!;
    if (arg.length < 2 || arg[0] !== '-') break; // first non-flag argument
    let dashes = 1;
    if (arg[1] === '-') {
      dashes = 2;
      if (arg.length === 2) { i++; break; } // "--" terminates the flags
    }
    let name = arg.slice(dashes);
    if (name.length === 0 || name[0] === '-' || name[0] === '=') throw usageError(`bad flag syntax: ${arg}`);
    i++;
    let value: string | undefined;
    const eq = name.indexOf('=', 1);
    if (eq >= 0) {
      value = name.slice(eq + 1);
      name = name.slice(0, eq);
    }
    const spec = specs.get(name);
    if (spec === undefined) {
      if (name === 'help' || name === 'h') return { values, set, positional: [], help: true, notices };
      throw usageError(`flag provided but not defined: -${name}`);
    }
    if (spec.kind === 'bool' || spec.kind === 'ignored') {
      let v = true;
      if (value !== undefined) {
        try {
          v = parseFlagText(spec, value, current(spec)) as boolean;
        } catch (e) {
          if (!(e instanceof GoParseError)) throw e;
          // etcd's ignored flags accept any value; real booleans report Go's message.
          if (spec.kind === 'bool') throw usageError(`invalid boolean value ${JSON.stringify(value)} for -${name}: ${e.message}`);
        }
      }
      if (spec.kind === 'ignored') {
        notices.push({ level: 'warn', msg: `flag "-${name}" is no longer supported - ignoring.` });
        continue;
      }
      values.set(name, v);
      set.add(name);
      continue;
    }
    if (value === undefined) {
      if (i >= argv.length) throw usageError(`flag needs an argument: -${name}`);
      value = argv[i]!;
      i++;
    }
    try {
      values.set(name, parseFlagText(spec, value, current(spec)));
    } catch (e) {
      if (!(e instanceof GoParseError)) throw e;
      throw usageError(`invalid value ${JSON.stringify(value)} for flag -${name}: ${e.message}`);
    }
    set.add(name);
  }
  return { values, set, positional: argv.slice(i), help: false, notices };
}
