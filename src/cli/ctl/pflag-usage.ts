// cobra's default usage text with pflag's FlagUsages layout. etcdctl shows it (on stderr) when a
// request line inside a txn has a bad flag, because txn parses those lines with a bare cobra root.
import type { Command } from './command.js';
import { formatValue, type FlagDef } from './flags.js';
import { goQuoteString } from './goparse.js';

function varName(d: FlagDef): string {
  switch (d.kind) {
    case 'bool': return '';
    case 'int64': return 'int';
    case 'string': return 'string';
    case 'duration': return 'duration';
    case 'stringSlice': return 'strings';
  }
}

function isZero(d: FlagDef): boolean {
  const v = formatValue(d.kind, d.def);
  return v === '' || v === '0' || v === 'false' || v === '[]' || v === '0s';
}

export function flagUsages(defs: FlagDef[]): string {
  const sorted = [...defs].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  let maxlen = 0;
  const lines = sorted.map((d) => {
    let line = d.short !== undefined ? `  -${d.short}, --${d.name}` : `      --${d.name}`;
    const v = varName(d);
    if (v !== '') line += ' ' + v;
    line += '\0';
    if (line.length > maxlen) maxlen = line.length;
    let usage = d.usage;
    if (!isZero(d)) {
      const def = formatValue(d.kind, d.def);
      usage += d.kind === 'string' ? ` (default ${goQuoteString(def)})` : ` (default ${def})`;
    }
    return line + usage;
  });
  return lines.map((line) => {
    const sidx = line.indexOf('\0');
    return `${line.slice(0, sidx)} ${' '.repeat(maxlen - sidx)} ${line.slice(sidx + 1)}\n`;
  }).join('');
}

/**
 * cobra's UsageString for a leaf command under txn's bare root, whose path is empty: hence the
 * UseLine " get [options] ..." with a leading space.
 */
export function cobraUsage(cmd: Command): string {
  const useLine = ` ${cmd.spec.use}`;
  const line = useLine.includes('[flags]') ? useLine : `${useLine} [flags]`;
  return `Usage:\n  ${line}\n\nFlags:\n${flagUsages(cmd.localFlagDefs()).replace(/[\s]+$/, '')}\n`;
}
