/**
 * Server configuration: `tsetcd` flags, ETCD_* environment variables and the YAML config file,
 * with etcd 3.4's names, defaults, precedence and error behaviour. See docs/configuration.md.
 *
 * Precedence (etcd's): with --config-file (or ETCD_CONFIG_FILE) the file is the whole
 * configuration and every other flag and ETCD_* variable is ignored (they must still parse);
 * otherwise flags, then ETCD_* variables for flags not on the command line, then defaults — and
 * a variable naming a flag that is also on the command line is an error.
 */
import { parseArgs, type ParsedArgs } from './argv.js';
import { applyEnv } from './env.js';
import { invalidConfig, ConfigError } from './errors.js';
import { FLAGS, FLAGS_BY_NAME, flagToEnv, type FlagValue } from './flags.js';
import { loadConfigFile } from './file.js';
import { flagsHelpText, USAGE_TEXT } from './help.js';
import { resolveConfig } from './resolve.js';
import type { ConfigNotice } from './notice.js';
import type { ServerConfig, ValueSource } from './types.js';
import { formatZapLine } from '../log/zap-format.js';

export { ConfigError, type ConfigErrorKind } from './errors.js';
export type * from './types.js';
export { FLAGS, flagToEnv, type FlagSpec, type FlagStatus } from './flags.js';
export { flagsHelpText, USAGE_TEXT } from './help.js';
export { DEFAULT_QUOTA_BACKEND_BYTES } from './resolve.js';
export { parseServerURL, parseServerURLs, parseInitialCluster } from './urls.js';
export { verifyBootstrap } from './bootstrap.js';
export { startupLogFields } from './summary.js';

export interface ParseOptions {
  /** Reads the config file; defaults to fs.readFileSync (tests inject files). */
  readonly readFile?: (path: string) => string;
}

export type Invocation =
  | { readonly kind: 'serve'; readonly config: ServerConfig }
  /** -h/--help: print `stderr` to stderr and `stdout` to stdout, exit 0 (etcd's behaviour). */
  | { readonly kind: 'help'; readonly stdout: string; readonly stderr: string }
  /** --version: print the version and exit 0; nothing else is parsed or validated. */
  | { readonly kind: 'version' };

/**
 * What `tsetcd <argv>` asks for. Throws ConfigError: kind 'usage' (exit 2, print the message and
 * USAGE_TEXT to stderr) or 'invalid' (exit 1).
 */
export function parseInvocation(argv: readonly string[], env: NodeJS.ProcessEnv, opts: ParseOptions = {}): Invocation {
  const args = parseArgs(argv, FLAGS_BY_NAME);
  if (args.help) return { kind: 'help', stdout: flagsHelpText(), stderr: USAGE_TEXT };
  const sub = argv[0];
  if (sub === 'gateway' || sub === 'grpc-proxy') {
    throw invalidConfig(`'etcd ${sub}' is not implemented by tsetcd; run the real etcd for it`);
  }
  if (args.positional.length > 0) throw invalidConfig(`'${args.positional[0]}' is not a valid flag`);
  if (args.values.get('version') === true) return { kind: 'version' };

  // ETCD_CONFIG_FILE is read before anything else: it decides whether env vars count at all.
  const configFile = (args.values.get('config-file') as string | undefined) || (env[flagToEnv('config-file')] ?? '');
  const layer = configFile !== '' ? fromConfigFile(configFile, args, env, opts) : fromFlagsAndEnv(args, env);
  const sources = new Map(layer.sources);
  for (const spec of FLAGS) if (!sources.has(spec.name)) sources.set(spec.name, 'default');
  const notices = [...args.notices, ...layer.notices];
  const config = resolveConfig({ values: layer.values, sources, notices, configFile: configFile === '' ? null : configFile });
  return { kind: 'serve', config };
}

/** Flag values set by one source, before defaults and validation. */
interface Layer {
  readonly values: Map<string, FlagValue>;
  readonly sources: Map<string, ValueSource>;
  readonly notices: ConfigNotice[];
}

/** The config file alone; the command line and environment only matter to say they are ignored. */
function fromConfigFile(path: string, args: ParsedArgs, env: NodeJS.ProcessEnv, opts: ParseOptions): Layer {
  const file = loadConfigFile(path, opts.readFile);
  const layer: Layer = { values: new Map(), sources: new Map(), notices: [...file.notices] };
  for (const [name, value] of file.values) {
    layer.values.set(name, value);
    layer.sources.set(name, 'file');
  }
  layer.notices.push({
    level: 'info',
    msg: 'loaded server configuration, other configuration command line flags and environment variables will be ignored if provided',
    fields: { path },
  });
  // etcd ignores them silently; naming them saves an operator from wondering why a flag "does nothing".
  const ignoredFlags = [...args.set].filter((n) => n !== 'config-file').map((n) => `--${n}`);
  const ignoredEnv = Object.keys(env).filter((k) => k.startsWith('ETCD_') && k !== flagToEnv('config-file'));
  if (ignoredFlags.length > 0 || ignoredEnv.length > 0) {
    layer.notices.push({
      level: 'warn',
      msg: 'ignoring command-line flags and environment variables because a configuration file is used',
      fields: { path, flags: ignoredFlags, 'environment-variables': ignoredEnv },
    });
  }
  // etcd drops the default initial cluster when the file bootstraps by discovery.
  const discovering = str(layer.values, 'discovery') !== '' || str(layer.values, 'discovery-srv') !== '';
  if (discovering && !layer.values.has('initial-cluster')) layer.values.set('initial-cluster', '');
  return layer;
}

/** Command-line flags, then ETCD_* variables for the flags not on the command line. */
function fromFlagsAndEnv(args: ParsedArgs, env: NodeJS.ProcessEnv): Layer {
  const layer: Layer = { values: new Map(), sources: new Map(), notices: [] };
  for (const [name, value] of args.values) {
    layer.values.set(name, value);
    layer.sources.set(name, 'flag');
  }
  const fromEnv = applyEnv(env, args.set, (spec) => layer.values.get(spec.name) ?? spec.defaultValue);
  for (const [name, value] of fromEnv.values) {
    layer.values.set(name, value);
    layer.sources.set(name, 'env');
  }
  layer.notices.push(...fromEnv.notices);
  // Listening on explicit client URLs without saying how clients reach them is an error in
  // etcd, not a silent "http://localhost:2379" advertisement.
  if (layer.sources.has('listen-client-urls') && !layer.sources.has('advertise-client-urls')) {
    layer.values.set('advertise-client-urls', []);
  }
  const discovering = ['discovery', 'discovery-srv', 'discovery-srv-name'].some((n) => str(layer.values, n) !== '');
  if (discovering && !layer.sources.has('initial-cluster')) layer.values.set('initial-cluster', '');
  return layer;
}

/**
 * The server configuration for `tsetcd <argv>`. --help and --version are not configurations:
 * they throw a ConfigError of kind 'help' / 'version' (exitCode 0); parseInvocation returns them
 * as values instead, with the help text.
 */
export function parseServerConfig(argv: readonly string[], env: NodeJS.ProcessEnv, opts: ParseOptions = {}): ServerConfig {
  const inv = parseInvocation(argv, env, opts);
  if (inv.kind === 'help') throw new ConfigError('help', inv.stderr + inv.stdout);
  if (inv.kind === 'version') throw new ConfigError('version', 'version requested');
  return inv.config;
}

/** A ServerConfig with every default, as `tsetcd` with no flags and an empty environment. */
export function defaultServerConfig(): ServerConfig {
  return parseServerConfig([], {});
}

/**
 * What etcd writes to stderr for a ConfigError before exiting with err.exitCode: for a syntax
 * error the message and the usage text; for a configuration error the zap JSON line
 * {"level":"warn",...,"msg":"failed to verify flags","error":"..."} (no logger exists yet).
 */
export function formatConfigError(err: ConfigError, now: Date = new Date()): string {
  if (err.kind === 'usage') return `${err.message}\n${USAGE_TEXT}`;
  if (err.kind === 'help' || err.kind === 'version') return '';
  return formatZapLine('warn', 'failed to verify flags', { error: err.message }, 'config/index.js', now);
}

/** Writes the notices of a configuration through the server's logger, in order. */
export function logConfigNotices(
  logger: { info(obj: object, msg: string): void; warn(obj: object, msg: string): void },
  notices: readonly ConfigNotice[],
): void {
  for (const n of notices) logger[n.level]({ ...(n.fields ?? {}) }, n.msg);
}

function str(values: ReadonlyMap<string, FlagValue>, name: string): string {
  const v = values.get(name) ?? FLAGS_BY_NAME.get(name)?.defaultValue ?? '';
  return typeof v === 'string' ? v : '';
}
