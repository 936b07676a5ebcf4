// Global flags, ETCDCTL_* environment variables and the client they configure
// (etcdctl ctl.go + command/global.go).
import { EtcdClient, EtcdError, type FailedAttempt } from '../../client/index.js';
import type { RunContext } from './command.js';
import { stdinReader } from './io.js';
import { ExitBadArgs, ExitBadConnection, ExitBadFeature, ExitError, CtlExit, exitWithError } from './exit.js';
import { flag, type FlagDef } from './flags.js';
import { newPrinter, type Printer, isOutputFormat } from './printers/index.js';

export const GLOBAL_FLAGS: FlagDef[] = [
  flag.stringSlice('endpoints', ['127.0.0.1:2379'], 'gRPC endpoints'),
  flag.bool('debug', false, 'enable client-side debug logging'),
  flag.string('write-out', 'simple', 'set the output format (fields, json, protobuf, simple, table)', 'w'),
  flag.bool('hex', false, 'print byte strings as hex encoded strings'),
  flag.duration('dial-timeout', '2s', 'dial timeout for client connections'),
  flag.duration('command-timeout', '5s', 'timeout for short running command (excluding dial timeout)'),
  flag.duration('keepalive-time', '2s', 'keepalive time for client connections'),
  flag.duration('keepalive-timeout', '6s', 'keepalive timeout for client connections'),
  flag.bool('insecure-transport', true, 'disable transport security for client connections'),
  flag.bool('insecure-discovery', true, 'accept insecure SRV records describing cluster endpoints'),
  flag.bool('insecure-skip-tls-verify', false, 'skip server certificate verification (CAUTION: this option should be enabled only for testing purposes)'),
  flag.string('cert', '', 'identify secure client using this TLS certificate file'),
  flag.string('key', '', 'identify secure client using this TLS key file'),
  flag.string('cacert', '', 'verify certificates of TLS-enabled secure servers using this CA bundle'),
  flag.string('user', '', 'username[:password] for authentication (prompt if password is not supplied)'),
  flag.string('password', '', 'password for authentication (if this option is used, --user option shouldn\'t include password)'),
  flag.string('discovery-srv', '', 'domain name to query for SRV records describing cluster endpoints', 'd'),
  flag.string('discovery-srv-name', '', 'service name to query when using DNS discovery'),
];

export function flagToEnv(name: string): string {
  return 'ETCDCTL_' + name.replace(/-/g, '_').toUpperCase();
}

/** capnslog's line format, which etcd's pkg/flags logs with: "2006-01-02 15:04:05.000000 W | pkg: msg". */
function capnslog(ctx: RunContext, level: 'W' | 'C', msg: string): string {
  const d = ctx.io.now();
  const p = (n: number, w = 2): string => String(n).padStart(w, '0');
  const ts = `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}.${p(d.getMilliseconds() * 1000, 6)}`;
  return `${ts} ${level} | pkg/flags: ${msg}\n`;
}

/**
 * pkg/flags SetPflagsFromEnv over the inherited (global) flags: an unset flag takes its
 * ETCDCTL_* value (invalid values are ignored, as etcdctl ignores the returned error); a flag
 * given on the command line while its variable is also set is fatal; other ETCDCTL_*
 * variables get a warning.
 */
export function applyEnv(ctx: RunContext): void {
  const inherited = [...ctx.cmd.inheritedFlagDefs().map((d) => d.name), ...watchEnvFlags(ctx)];
  const alreadySet = new Set<string>();
  const used = new Set<string>();
  for (const name of inherited) {
    const key = flagToEnv(name);
    if (ctx.flags.isChanged(name)) {
      alreadySet.add(key);
      continue;
    }
    const val = ctx.io.env[key];
    if (val !== undefined && val !== '') {
      used.add(key);
      try {
        ctx.flags.set(name, val);
      } catch {
        // etcdctl drops this error: the flag keeps its default.
      }
    }
  }
  for (const [k, v] of Object.entries(ctx.io.env)) {
    if (v === undefined || used.has(k)) continue;
    if (alreadySet.has(k)) {
      throw new CtlExit(1, '', capnslog(ctx, 'C', `conflicting environment variable "${k}" is shadowed by corresponding command-line flag (either unset environment variable or disable flag)`));
    }
    if (k.startsWith('ETCDCTL_')) ctx.io.stderr.write(capnslog(ctx, 'W', `unrecognized environment variable ${k}=${v}`));
  }
}

/**
 * etcdctl's watch reads ETCDCTL_WATCH_KEY / ETCDCTL_WATCH_RANGE_END itself; it registers them
 * as flags that discard their value, so they raise no warning (and --debug lists them empty).
 */
function watchEnvFlags(ctx: RunContext): string[] {
  return ctx.cmd.spec.use.startsWith('watch') ? ['watch-key', 'watch-range-end'] : [];
}

export interface ClientConfig {
  endpoints: string[];
  auth: { username: string; password: string } | undefined;
  dialTimeoutMs: number;
  keepAliveTimeMs: number;
  keepAliveTimeoutMs: number;
  tls: { caFile?: string; certFile?: string; keyFile?: string; insecureSkipVerify: boolean; secure: boolean };
  printer: Printer;
}

/** etcdctl initDisplayFromCmd. */
export function display(ctx: RunContext): Printer {
  const format = ctx.flags.string('write-out');
  if (!isOutputFormat(format)) exitWithError(ExitBadFeature, 'unsupported output format');
  return newPrinter(format, ctx.flags.bool('hex'), ctx.io.stdout, ctx.io.stderr);
}

function checkedPath(ctx: RunContext, name: string): string | undefined {
  const v = ctx.flags.string(name);
  if (v === '' && ctx.flags.isChanged(name)) exitWithError(ExitBadArgs, `empty string is passed to --${name} option`);
  return v === '' ? undefined : v;
}

const configs = new WeakMap<RunContext, Promise<ClientConfig>>();

/**
 * etcdctl clientConfigFromCmd: env, --debug, endpoints, TLS, auth, then the printer.
 * Done once per command: applying the environment twice would see its own values as
 * command-line flags and report a conflict.
 */
export function clientConfig(ctx: RunContext): Promise<ClientConfig> {
  const known = configs.get(ctx);
  if (known !== undefined) return known;
  const cfg = buildClientConfig(ctx);
  configs.set(ctx, cfg);
  return cfg;
}

/**
 * etcdctl authCfgFromCmd: --user name:password, or --user name with --password, or a
 * "Password: " prompt. As in etcd's client, an empty password means no authentication.
 */
async function authConfig(ctx: RunContext): Promise<{ username: string; password: string } | undefined> {
  const user = ctx.flags.string('user');
  if (user === '') return undefined;
  const flagPassword = ctx.flags.string('password');
  let username = user;
  let password = flagPassword;
  if (flagPassword === '') {
    const colon = user.indexOf(':');
    if (colon === -1) {
      password = await promptPassword(ctx);
    } else {
      username = user.slice(0, colon);
      password = user.slice(colon + 1);
    }
  }
  return username !== '' && password !== '' ? { username, password } : undefined;
}

/** speakeasy.Ask: the prompt on stdout, one line read from stdin (without echo on a terminal). */
async function promptPassword(ctx: RunContext): Promise<string> {
  ctx.io.stdout.write('Password: ');
  const line = await readSecretLine(ctx);
  ctx.io.stdout.write('\n');
  return line;
}

type TtyStdin = NodeJS.ReadableStream & { isTTY?: boolean; setRawMode?: (raw: boolean) => void };

async function readSecretLine(ctx: RunContext): Promise<string> {
  const stdin = ctx.io.stdin as unknown as TtyStdin;
  if (stdin.isTTY !== true || typeof stdin.setRawMode !== 'function') {
    const line = await stdinReader(ctx.io).readLine();
    return line === null ? '' : Buffer.from(line.replace(/\r?\n$/, ''), 'latin1').toString('utf8');
  }
  // A terminal: read keystrokes without echo until Enter.
  const setRaw = stdin.setRawMode.bind(stdin);
  setRaw(true);
  try {
    return await new Promise<string>((resolve, reject) => {
      const bytes: number[] = [];
      const onData = (chunk: Buffer): void => {
        for (const b of chunk) {
          if (b === 0x0a || b === 0x0d || b === 0x03) {
            stdin.removeListener('data', onData);
            stdin.pause();
            if (b === 0x03) reject(new CtlExit(ExitError, 'interrupted'));
            else resolve(Buffer.from(bytes).toString('utf8'));
            return;
          }
          if (b === 0x7f) bytes.pop();
          else bytes.push(b);
        }
      };
      stdin.on('data', onData);
      stdin.resume();
    });
  } finally {
    setRaw(false);
  }
}

async function buildClientConfig(ctx: RunContext): Promise<ClientConfig> {
  applyEnv(ctx);
  if (ctx.flags.bool('debug')) {
    const lines = ctx.cmd.inheritedFlagDefs().map((d) => [d.name, ctx.flags.format(d.name)] as const);
    for (const [name, value] of [...lines, ...watchEnvFlags(ctx).map((n) => [n, ''] as const)].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
      ctx.io.stderr.write(`${flagToEnv(name)}=${value}\n`);
    }
  }
  if (ctx.flags.string('discovery-srv') !== '' && !ctx.flags.bool('insecure-discovery')) {
    exitWithError(ExitBadFeature, 'DNS SRV discovery (--discovery-srv) is not supported by tsetcdctl yet');
  }
  const endpoints = ctx.flags.stringSlice('endpoints').map((e) => e.trim());
  const dialTimeoutMs = ctx.flags.durationMs('dial-timeout');
  const certFile = checkedPath(ctx, 'cert');
  const keyFile = checkedPath(ctx, 'key');
  const caFile = checkedPath(ctx, 'cacert');
  const anyTls = certFile !== undefined || keyFile !== undefined || caFile !== undefined;
  const tls = {
    ...(caFile !== undefined ? { caFile } : {}),
    ...(certFile !== undefined ? { certFile } : {}),
    ...(keyFile !== undefined ? { keyFile } : {}),
    insecureSkipVerify: ctx.flags.bool('insecure-skip-tls-verify'),
    secure: anyTls || !ctx.flags.bool('insecure-transport'),
  };
  const auth = await authConfig(ctx);
  const printer = display(ctx);
  return {
    endpoints, dialTimeoutMs, tls, printer, auth,
    keepAliveTimeMs: ctx.flags.durationMs('keepalive-time'),
    keepAliveTimeoutMs: ctx.flags.durationMs('keepalive-timeout'),
  };
}

/** The zap line etcd's client logs for every failed RPC attempt (clientv3/retry_interceptor.go). */
export function warnLogger(ctx: RunContext): (a: FailedAttempt) => void {
  return (a) => {
    const line = `{"level":"warn","ts":${JSON.stringify(ctx.io.now().toISOString())},"caller":"clientv3/retry_interceptor.go:62","msg":"retrying of unary invoker failed","target":${JSON.stringify(a.target)},"attempt":${a.attempt},"error":${JSON.stringify(a.error)}}\n`;
    ctx.io.stderr.write(line);
  };
}

export function newClient(ctx: RunContext, cfg: ClientConfig, endpoints = cfg.endpoints): EtcdClient {
  try {
    return new EtcdClient({
      endpoints,
      dialTimeoutMs: cfg.dialTimeoutMs,
      keepAliveTimeMs: cfg.keepAliveTimeMs,
      keepAliveTimeoutMs: cfg.keepAliveTimeoutMs,
      auth: cfg.auth,
      secure: cfg.tls.secure,
      tls: cfg.tls.secure ? cfg.tls : undefined,
      onFailedAttempt: warnLogger(ctx),
    });
  } catch (e) {
    return exitWithError(ExitBadArgs, e instanceof Error ? e.message : String(e));
  }
}

/**
 * mustClientFromCmd: configure, then connect. Authentication happens here, so a wrong
 * password ends the command with ExitBadConnection like etcdctl's failed dial.
 */
export async function mustClient(ctx: RunContext): Promise<{ client: EtcdClient; printer: Printer }> {
  const cfg = await clientConfig(ctx);
  const client = newClient(ctx, cfg);
  try {
    await client.connect({ timeoutMs: cfg.dialTimeoutMs });
  } catch (e) {
    client.close();
    if (e instanceof EtcdError) exitWithError(ExitBadConnection, e.message);
    throw e;
  }
  return { client, printer: cfg.printer };
}
