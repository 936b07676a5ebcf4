/**
 * Errors raised while turning argv / env / a config file into a ServerConfig.
 *
 * etcd 3.4 fails in two distinct ways and scripts can tell them apart by the exit code:
 *  - the Go `flag` package rejects the command line (unknown flag, unparsable value, missing
 *    argument): it prints the message, then the usage text, to stderr and exits with 2;
 *  - the parsed configuration is inconsistent (election timeout too short, bad env var, bad
 *    config file, stray positional argument): etcd logs "failed to verify flags" and exits with 1.
 * `kind` records which of the two happened so the CLI can print and exit exactly like etcd.
 */
export type ConfigErrorKind =
  /** Command-line syntax error: print `message`, then the usage text; exit 2. */
  | 'usage'
  /** Semantic error in the configuration: log "failed to verify flags"; exit 1. */
  | 'invalid'
  /** -h/--help was asked for: print the help (see parseInvocation); exit 0. */
  | 'help'
  /** --version was asked for: print the version; exit 0. */
  | 'version';

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly kind: ConfigErrorKind;
  /** The process exit code etcd 3.4 uses for this failure. */
  readonly exitCode: 0 | 1 | 2;

  constructor(kind: ConfigErrorKind, message: string) {
    super(message);
    this.kind = kind;
    this.exitCode = kind === 'usage' ? 2 : kind === 'invalid' ? 1 : 0;
  }
}

/** Shorthand for the command-line syntax errors of Go's flag package (exit code 2). */
export function usageError(message: string): ConfigError {
  return new ConfigError('usage', message);
}

/** Shorthand for configuration errors found after parsing (exit code 1). */
export function invalidConfig(message: string): ConfigError {
  return new ConfigError('invalid', message);
}
