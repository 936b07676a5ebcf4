/**
 * etcd's embed.Config.Validate (after logging, which resolveLogging covers), check for check and
 * in the same order, so that a configuration with several problems reports the one etcd reports.
 */
import { isIP } from 'node:net';
import { invalidConfig } from './errors.js';
import { FLAGS } from './flags.js';
import type { FlagReader } from './reader.js';
import type { ServerURL } from './urls.js';

const MAX_ELECTION_MS = 50000;

export function validateLikeEtcd(r: FlagReader): void {
  const str = r.str.bind(r);
  const bool = r.bool.bind(r);
  const num = r.num.bind(r);
  const urls = r.urls.bind(r);
  checkBindURLs(urls('listen-peer-urls'));
  checkBindURLs(urls('listen-client-urls'));
  checkBindURLs(urls('listen-metrics-urls'));
  checkHostURLs('--initial-advertise-peer-urls', urls('initial-advertise-peer-urls'));
  checkHostURLs('--advertise-client-urls', urls('advertise-client-urls'));
  for (const spec of FLAGS) {
    if (spec.kind !== 'choice') continue;
    const value = str(spec.name);
    if (!(spec.choices ?? []).includes(value)) {
      // The config file path reaches here unvalidated; etcd words this one specially.
      throw invalidConfig(
        spec.name === 'initial-cluster-state'
          ? `unexpected clusterState ${JSON.stringify(value)}`
          : `invalid value ${JSON.stringify(value)} for ${spec.name} (valid values: ${(spec.choices ?? []).join(', ')})`,
      );
    }
  }
  const bootstrapModes = [str('discovery') !== '', str('initial-cluster') !== '', str('discovery-srv') !== ''];
  if (bootstrapModes.filter(Boolean).length > 1) {
    throw invalidConfig(
      'multiple discovery or bootstrap flags are set. Choose one of "initial-cluster", "discovery" or "discovery-srv"',
    );
  }
  const tickMs = num('heartbeat-interval');
  const electionMs = num('election-timeout');
  if (tickMs <= 0) throw invalidConfig(`--heartbeat-interval must be >0 (set to ${tickMs}ms)`);
  if (electionMs <= 0) throw invalidConfig(`--election-timeout must be >0 (set to ${electionMs}ms)`);
  if (5 * tickMs > electionMs) {
    throw invalidConfig(
      `--election-timeout[${electionMs}ms] should be at least as 5 times as --heartbeat-interval[${tickMs}ms]`,
    );
  }
  if (electionMs > MAX_ELECTION_MS) {
    throw invalidConfig(`--election-timeout[${electionMs}ms] is too long, and should be set less than ${MAX_ELECTION_MS}ms`);
  }
  if (urls('listen-client-urls').length > 0 && urls('advertise-client-urls').length === 0 && str('proxy') === 'off') {
    throw invalidConfig('--advertise-client-urls is required when --listen-client-urls is set explicitly');
  }
  const compactionMode = str('auto-compaction-mode');
  if (compactionMode !== '' && compactionMode !== 'periodic' && compactionMode !== 'revision') {
    throw invalidConfig(`unknown auto-compaction-mode ${JSON.stringify(compactionMode)}`);
  }
  if (bool('experimental-enable-lease-checkpoint-persist') && !bool('experimental-enable-lease-checkpoint')) {
    throw invalidConfig('setting experimental-enable-lease-checkpoint-persist requires experimental-enable-lease-checkpoint');
  }
}

/** Listen URLs must name an IP address or "localhost": we bind them, and DNS names may change. */
function checkBindURLs(list: readonly ServerURL[]): void {
  for (const u of list) {
    if (u.scheme === 'unix' || u.scheme === 'unixs') continue;
    if (u.hostname === 'localhost') continue;
    if (isIP(u.hostname) === 0) throw invalidConfig(`expected IP in URL for binding (${u.href})`);
  }
}

function checkHostURLs(flag: string, list: readonly ServerURL[]): void {
  const bad = list.find((u) => u.hostname === '');
  if (bad !== undefined) {
    const all = list.map((u) => u.href).join(',');
    throw invalidConfig(`${flag} ${JSON.stringify(all)} must be "host:port" (unexpected empty host (${bad.href}))`);
  }
}
