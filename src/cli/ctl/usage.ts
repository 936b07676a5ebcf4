// etcdctl's help text (ctlv3/help.go), rendered through Go's tabwriter rules so that
// `tsetcdctl get --help` and the usage printed after a flag error match etcdctl byte for byte.
import type { Command } from './command.js';
import { formatValue, type FlagDef } from './flags.js';
import { goQuoteString } from './goparse.js';
import { tabwrite } from './tabwriter.js';

export const ETCD_VERSION = '3.4.23';
export const API_VERSION = '3.4';

function flagUsages(defs: FlagDef[]): string {
  const sorted = [...defs].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  let out = '';
  for (const d of sorted) {
    let line = d.short !== undefined ? `  -${d.short}, --${d.name}` : `      --${d.name}`;
    const def = formatValue(d.kind, d.def);
    const value = d.kind === 'string' ? goQuoteString(def) : def;
    line += d.kind === 'bool' ? `[=${value}]` : `=${value}`;
    out += `${line}\t${d.usage}\n`;
  }
  return out;
}

function relName(cmd: Command, start: Command): string {
  const parts = [cmd.name];
  let c = cmd;
  while (c.parent !== undefined && c.parent.name !== start.name) {
    c = c.parent;
    parts.unshift(c.name);
  }
  return parts.join(' ');
}

function allSubcommands(cmd: Command): Command[] {
  const out: Command[] = [];
  for (const c of cmd.children) {
    out.push(c);
    out.push(...allSubcommands(c));
  }
  return out;
}

function useLine(cmd: Command): string {
  const base = cmd.parent === undefined ? cmd.spec.use : `${cmd.parent.path} ${cmd.spec.use}`;
  return base.includes('[flags]') ? base : `${base} [flags]`;
}

/**
 * `helpFlag: false` renders a command whose -h flag cobra has not added yet (the root, when
 * `help <unknown topic>` prints it).
 */
export function usageText(cmd: Command, helpFlag = true): string {
  const root = cmd.root();
  let t = 'NAME:\n';
  t += cmd.parent === undefined ? `\t${cmd.name} - ${cmd.spec.short}\n` : `\t${relName(cmd, root)} - ${cmd.spec.short}\n`;
  t += `\nUSAGE:\n\t${useLine(cmd)}\n`;
  if (cmd.parent === undefined) t += `\nVERSION:\n\t${ETCD_VERSION}\n`;
  if (cmd.children.length > 0) {
    t += `\nAPI VERSION:\n\t${API_VERSION}\n`;
    t += '\n\nCOMMANDS:\n';
    for (const s of allSubcommands(cmd)) {
      if (s.runnable) t += `\t${relName(s, cmd)}\t${s.spec.short}\n`;
    }
  }
  if (cmd.spec.long !== undefined && cmd.spec.long !== '') {
    t += '\nDESCRIPTION:\n';
    for (const line of cmd.spec.long.replace(/^[\n\t ]+|[\n\t ]+$/g, '').split('\n')) t += `\t${line}\n`;
  }
  const local = cmd.localFlagDefs().filter((d) => helpFlag || d.name !== 'help');
  if (local.length > 0) t += `\nOPTIONS:\n${flagUsages(local)}`;
  const inherited = cmd.inheritedFlagDefs();
  if (inherited.length > 0) t += `\nGLOBAL OPTIONS:\n${flagUsages(inherited)}`;
  t += '\n';
  return tabwrite(t);
}
