/**
 * --logger, --log-level, --log-outputs and their deprecated 3.4 companions (--log-output,
 * --debug, --log-package-levels), resolved as etcd's setupLogging does — it runs first in etcd's
 * validation, because every later error is reported through the logger it configures.
 */
import { invalidConfig } from './errors.js';
import type { ConfigNotice } from './notice.js';
import type { FlagReader } from './reader.js';
import type { LogLevel } from './types.js';

const LOG_LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error', 'dpanic', 'panic', 'fatal'];

export function resolveLogging(r: FlagReader, notices: ConfigNotice[]): { level: LogLevel; outputs: readonly string[] } {
  let outputs = r.list('log-outputs');
  if (r.isSet('log-output')) {
    notices.push({
      level: 'warn',
      msg: "[WARNING] Deprecated '--log-output' flag is set; use '--log-outputs' flag",
      fields: { 'log-output': r.list('log-output') },
    });
    // With both given, etcd 3.4 ends up using --log-outputs; with only the old one we honour it
    // (etcd 3.4 would sometimes keep logging to the default instead — surely not what was meant).
    if (!r.isSet('log-outputs')) outputs = r.list('log-output');
  }
  const logger = r.str('logger');
  if (logger === 'capnslog') {
    notices.push({
      level: 'warn',
      msg: "[WARNING] Deprecated '--logger=capnslog' flag is set; use '--logger=zap' flag instead",
      fields: { note: 'tsetcd has no capnslog format and logs as --logger=zap' },
    });
  } else if (logger !== 'zap') {
    throw invalidConfig(`unknown logger option ${JSON.stringify(logger)}`);
  }
  const levelText = r.str('log-level');
  if (!(LOG_LEVELS as readonly string[]).includes(levelText)) {
    // etcd 3.4 panics here; a clear error is kinder and keeps the exit code non-zero.
    throw invalidConfig(`unknown level ${JSON.stringify(levelText)}`);
  }
  let level = levelText as LogLevel;
  if (r.bool('debug')) {
    notices.push({ level: 'warn', msg: "[WARNING] Deprecated '--debug' flag is set to true (use '--log-level=debug' instead" });
    // Under etcd 3.4's default logger (capnslog) --debug meant debug-level logs; keep that.
    if (!r.isSet('log-level')) level = 'debug';
  }
  if (outputs.length === 0) outputs = ['default'];
  if (outputs.length > 1 && outputs.includes('default')) {
    throw invalidConfig('multi logoutput for "default" is not supported yet');
  }
  if (outputs.includes('systemd/journal')) {
    throw invalidConfig('--log-outputs=systemd/journal is not supported by tsetcd; log to stderr and let journald capture it');
  }
  return { level, outputs };
}
