// The command tree and its dispatch, with cobra's rules as etcdctl 3.4 uses them: unique
// prefixes select a command ("ge", "memb li"), flags may come before the command name,
// a command without Run prints its help, unknown commands get suggestions.
import { flag, FlagError, FlagSet, type FlagDef } from './flags.js';
import type { CtlIO } from './io.js';

export interface RunContext {
  cmd: Command;
  args: string[];
  /** Every flag the command accepts: its own, its ancestors' persistent ones, --help. */
  flags: FlagSet;
  io: CtlIO;
  /** The whole command line as etcdctl's os.Args sees it (program name first); watch reads it. */
  argv?: readonly string[];
}

export interface CommandSpec {
  /** First word is the name, the rest documents the arguments (cobra's Use). */
  use: string;
  short: string;
  long?: string;
  flags?: FlagDef[];
  /** Flags inherited by subcommands too. */
  persistentFlags?: FlagDef[];
  run?: (ctx: RunContext) => Promise<void>;
  children?: CommandSpec[];
}

export class Command {
  readonly name: string;
  readonly children: Command[];
  parent: Command | undefined;

  constructor(readonly spec: CommandSpec) {
    this.name = spec.use.split(' ')[0] as string;
    this.children = (spec.children ?? []).map((c) => new Command(c)).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const c of this.children) c.parent = this;
  }

  get runnable(): boolean {
    return this.spec.run !== undefined;
  }

  get path(): string {
    return this.parent === undefined ? this.name : `${this.parent.path} ${this.name}`;
  }

  root(): Command {
    return this.parent === undefined ? this : this.parent.root();
  }

  helpFlag(): FlagDef {
    return flag.bool('help', false, `help for ${this.name}`, 'h');
  }

  /** Flags defined on this command (local and its own persistent ones) plus --help. */
  localFlagDefs(): FlagDef[] {
    return [...(this.spec.flags ?? []), ...(this.spec.persistentFlags ?? []), this.helpFlag()];
  }

  /** Persistent flags of the ancestors (cobra's InheritedFlags; ETCDCTL_* applies to these). */
  inheritedFlagDefs(): FlagDef[] {
    const out: FlagDef[] = [];
    const seen = new Set(this.localFlagDefs().map((d) => d.name));
    for (let p = this.parent; p !== undefined; p = p.parent) {
      for (const d of p.spec.persistentFlags ?? []) {
        if (!seen.has(d.name)) { out.push(d); seen.add(d.name); }
      }
    }
    return out;
  }

  flagSet(): FlagSet {
    return new FlagSet([...this.localFlagDefs(), ...this.inheritedFlagDefs()]);
  }

  /** cobra findNext: exact name, else the only command with that prefix. */
  findChild(word: string): Command | undefined {
    const exact = this.children.find((c) => c.name === word);
    if (exact !== undefined) return exact;
    const matches = this.children.filter((c) => c.name.startsWith(word));
    return matches.length === 1 ? matches[0] : undefined;
  }

  suggestionsFor(typed: string): string[] {
    const out: string[] = [];
    for (const c of this.children) {
      const d = levenshtein(typed.toLowerCase(), c.name.toLowerCase());
      if (d <= 2 || c.name.toLowerCase().startsWith(typed.toLowerCase())) out.push(c.name);
    }
    return out;
  }
}

/** cobra's stripFlags: the non-flag words, skipping values of flags that take one. */
function stripFlags(args: readonly string[], fs: FlagSet): string[] {
  const words: string[] = [];
  const rest = [...args];
  while (rest.length > 0) {
    const s = rest.shift() as string;
    if (s === '--') break;
    const takesValueLong = s.startsWith('--') && !s.includes('=') && !isBoolFlag(fs, s.slice(2));
    const takesValueShort = s.startsWith('-') && !s.startsWith('--') && !s.includes('=') && s.length === 2 && !isBoolShort(fs, s.slice(1));
    if (takesValueLong || takesValueShort) {
      if (rest.length <= 1) break;
      rest.shift();
      continue;
    }
    if (s !== '' && !s.startsWith('-')) words.push(s);
  }
  return words;
}

function isBoolFlag(fs: FlagSet, name: string): boolean {
  return fs.def(name)?.kind === 'bool';
}

function isBoolShort(fs: FlagSet, short: string): boolean {
  return fs.all().some((d) => d.short === short && d.kind === 'bool');
}

function withoutFirst(args: readonly string[], x: string): string[] {
  const i = args.indexOf(x);
  return i === -1 ? [...args] : [...args.slice(0, i), ...args.slice(i + 1)];
}

export type FindResult =
  | { ok: true; cmd: Command; args: string[] }
  | { ok: false; cmd: Command; error: string };

/** cobra Command.Find from the root. */
export function find(root: Command, args: readonly string[]): FindResult {
  let cmd = root;
  let rest = [...args];
  for (;;) {
    const words = stripFlags(rest, cmd.flagSet());
    if (words.length === 0) break;
    const next = cmd.findChild(words[0] as string);
    if (next === undefined) break;
    rest = withoutFirst(rest, words[0] as string);
    cmd = next;
  }
  if (cmd.parent === undefined && cmd.children.length > 0) {
    const words = stripFlags(rest, cmd.flagSet());
    if (words.length > 0) {
      const typed = words[0] as string;
      const sugg = cmd.suggestionsFor(typed);
      const hint = sugg.length > 0 ? `\n\nDid you mean this?\n${sugg.map((s) => `\t${s}\n`).join('')}` : '';
      return { ok: false, cmd, error: `unknown command "${typed}" for "${cmd.path}"${hint}` };
    }
  }
  return { ok: true, cmd, args: rest };
}

export { FlagError };

function levenshtein(a: string, b: string): number {
  const dp: number[] = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = dp[0] as number;
    dp[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = dp[j] as number;
      dp[j] = Math.min((dp[j] as number) + 1, (dp[j - 1] as number) + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return dp[b.length] as number;
}
