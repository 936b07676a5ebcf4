/**
 * --help text, generated from the flag table so it always lists what the parser accepts, in
 * etcd's layout: the usage summary goes to stderr (Go's flag package prints it when it sees
 * -h/--help or a bad flag) and the flag list to stdout.
 */
import { FLAGS, type HelpSection } from './flags.js';

export const USAGE_TEXT = `Usage:

  tsetcd [flags]
    Start a tsetcd (etcd-compatible) server.

  tsetcd --version
    Show the version of tsetcd and of the etcd API it implements.

  tsetcd -h | --help
    Show the help information about tsetcd.

  tsetcd --config-file
    Path to the server configuration file. Note that if a configuration file is provided, other command line flags and environment variables will be ignored.
`;

const SECTION_ORDER: readonly HelpSection[] = [
  'Member',
  'Clustering',
  'Security',
  'Auth',
  'Profiling and Monitoring',
  'Logging',
  'v2 Proxy (to be deprecated in v4)',
  'Experimental feature',
  'Unsafe feature',
  'TO BE DEPRECATED',
];

/** The flag reference printed by --help; flags tsetcd does not implement are marked. */
export function flagsHelpText(): string {
  const lines: string[] = [''];
  for (const section of SECTION_ORDER) {
    lines.push(`${section}:`);
    for (const f of FLAGS) {
      if (f.help?.section !== section) continue;
      lines.push(`  --${f.name} ${f.help.shown}`);
      const mark = f.status === 'inactive' ? ' [tsetcd: accepted, no effect yet]' : f.status === 'unsupported' ? ' [tsetcd: not supported]' : '';
      lines.push(`    ${f.help.text}${mark}`);
    }
    lines.push('');
  }
  lines.push('Every flag can also be set by an environment variable: --data-dir by ETCD_DATA_DIR, and so on.');
  return `${lines.join('\n')}\n`;
}

/**
 * The flag reference table of docs/configuration.md (a test keeps the document equal to this,
 * so the docs cannot drift from the parser).
 */
export function flagReferenceMarkdown(): string {
  const rows = [
    '| Flag | Default | Config-file key | tsetcd |',
    '| --- | --- | --- | --- |',
  ];
  for (const f of FLAGS) {
    if (f.kind === 'ignored') continue;
    const def = f.help?.shown ?? defaultText(f.defaultValue);
    const status = f.status === 'active' ? 'yes' : f.status === 'inactive' ? `accepted, no effect: ${f.note}` : `refused: ${f.note}`;
    rows.push(`| \`--${f.name}\` | \`${def}\` | ${f.fileKey === null ? '—' : `\`${f.fileKey}\``} | ${status} |`);
  }
  return `${rows.join('\n')}\n`;
}

function defaultText(v: unknown): string {
  if (Array.isArray(v)) return `'${v.map((x) => (typeof x === 'object' && x !== null ? (x as { href: string }).href : String(x))).join(',')}'`;
  return `'${String(v)}'`;
}
