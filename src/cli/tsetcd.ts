// bin/tsetcd: parse etcd's flags/env/config file, start one member, serve until SIGTERM/SIGINT.
import { arch, platform } from 'node:process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, formatConfigError, logConfigNotices, parseInvocation, startupLogFields, verifyBootstrap, type ServerConfig } from '../config/index.js';
import { startMember, type Member } from '../embed/member.js';
import { createLogger, LogOutputError, type Logger } from '../log/index.js';
import { type Compactor, startPeriodicCompactor, startRevisionCompactor } from '../server/compactor.js';
import { ETCD_API_VERSION, TSETCD_VERSION } from '../version.js';

function printVersion(): void {
  process.stdout.write(
    `etcd Version: ${ETCD_API_VERSION}\ntsetcd Version: ${TSETCD_VERSION}\nNode Version: ${process.version}\nOS/Arch: ${platform}/${arch}\n`,
  );
}

function startAutoCompaction(cfg: ServerConfig, member: Member, log: Logger): Compactor | null {
  const ac = cfg.autoCompaction;
  const target = {
    rev: () => member.server.currentRevision(),
    compact: async (rev: number) => {
      log.info({ revision: rev }, `starting auto ${ac.mode} compaction`);
      await member.server.compact({ revision: BigInt(rev), physical: false } as Parameters<typeof member.server.compact>[0]);
      log.info({ revision: rev }, `completed auto ${ac.mode} compaction`);
    },
  };
  const onError = (e: unknown): void => log.warn({ error: e instanceof Error ? e.message : String(e) }, `failed auto ${ac.mode} compaction`);
  if (ac.mode === 'periodic' && ac.periodMs > 0) return startPeriodicCompactor(ac.periodMs, target, undefined, onError);
  if (ac.mode === 'revision' && ac.revisions > 0) return startRevisionCompactor(ac.revisions, target, undefined, onError);
  return null;
}

async function main(): Promise<void> {
  let inv;
  try {
    inv = parseInvocation(process.argv.slice(2), process.env);
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(formatConfigError(e));
      process.exit(e.exitCode);
    }
    throw e;
  }
  if (inv.kind === 'help') {
    process.stderr.write(inv.stderr);
    process.stdout.write(inv.stdout);
    return;
  }
  if (inv.kind === 'version') {
    printVersion();
    return;
  }
  const cfg = inv.config;
  let log: Logger;
  try {
    log = createLogger({ level: cfg.logLevel, outputs: cfg.logOutputs });
  } catch (e) {
    if (!(e instanceof LogOutputError)) throw e;
    process.stderr.write(`${e.message}\n`);
    process.exit(1);
  }
  logConfigNotices(log, cfg.notices);
  // A member with a WAL is who its WAL says; the bootstrap flags are checked only for a new one.
  const walDir = cfg.walDir === '' ? join(cfg.dataDir, 'member', 'wal') : cfg.walDir;
  const initialized = existsSync(walDir);
  if (!initialized) {
    try {
      verifyBootstrap(cfg);
    } catch (e) {
      if (!(e instanceof ConfigError)) throw e;
      process.stderr.write(formatConfigError(e));
      process.exit(e.exitCode);
    }
  }
  log.info(
    { 'etcd-version': ETCD_API_VERSION, 'tsetcd-version': TSETCD_VERSION, 'node-version': process.version, ...startupLogFields(cfg, initialized) },
    'starting an etcd server',
  );
  let member: Member;
  let shutdown: (signal: string) => void = () => process.exit(1);
  try {
    member = await startMember({
      name: cfg.name,
      dataDir: cfg.dataDir,
      walDir: cfg.walDir === '' ? undefined : cfg.walDir,
      listenClientUrls: cfg.listenClientUrls.map((u) => u.href),
      advertiseClientUrls: cfg.advertiseClientUrls.map((u) => u.href),
      initialAdvertisePeerUrls: cfg.initialAdvertisePeerUrls.map((u) => u.href),
      initialClusterToken: cfg.initialClusterToken,
      maxRequestBytes: cfg.maxRequestBytes,
      maxTxnOps: cfg.maxTxnOps,
      listenMetricsUrls: cfg.listenMetricsUrls.map((u) => u.href),
      listenPeerUrls: cfg.listenPeerUrls.map((u) => u.href),
      initialCluster: new Map([...cfg.initialClusterMembers].map(([name, urls]) => [name, urls.map((u) => u.href)])),
      initialClusterState: cfg.initialClusterState,
      heartbeatIntervalMs: cfg.heartbeatIntervalMs,
      electionTimeoutMs: cfg.electionTimeoutMs,
      snapshotCount: cfg.snapshotCount,
      strictReconfigCheck: cfg.strictReconfigCheck,
      ...(cfg.clientTls.certFile !== ''
        ? { clientTls: { certFile: cfg.clientTls.certFile, keyFile: cfg.clientTls.keyFile, trustedCaFile: cfg.clientTls.trustedCaFile, clientCertAuth: cfg.clientTls.clientCertAuth } }
        : {}),
      ...(cfg.peerTls.certFile !== ''
        ? { peerTls: { certFile: cfg.peerTls.certFile, keyFile: cfg.peerTls.keyFile, trustedCaFile: cfg.peerTls.trustedCaFile, clientCertAuth: cfg.peerTls.clientCertAuth } }
        : {}),
      onRemoved: () => shutdown('removed from the cluster'),
      warn: (fields, msg) => log.warn(fields, msg),
    });
  } catch (e) {
    log.fatal({ error: e instanceof Error ? e.message : String(e) }, 'failed to start tsetcd');
    process.exit(1);
  }
  const server = member.server;
  log.info(
    {
      name: cfg.name,
      'data-dir': cfg.dataDir,
      'member-id': server.memberId.toString(16),
      'cluster-id': server.clusterId.toString(16),
      'client-urls': member.clientUrls,
    },
    'ready to serve client requests',
  );
  for (const u of member.clientUrls) {
    if (u.startsWith('http:')) log.warn({ address: u }, 'serving client traffic insecurely; this is strongly discouraged!');
  }
  const compactor = startAutoCompaction(cfg, member, log);
  let stopping = false;
  shutdown = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'received signal; shutting down');
    compactor?.stop();
    member
      .stop()
      .then(() => process.exit(0))
      .catch((e: unknown) => {
        log.error({ error: e instanceof Error ? e.message : String(e) }, 'error while shutting down');
        process.exit(1);
      });
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

await main();
