/**
 * ETCD_* environment variables, with etcd 3.4's rules (pkg/flags.SetFlagsFromEnv):
 *  - every flag "foo-bar" can come from ETCD_FOO_BAR; an empty value counts as unset;
 *  - a variable for a flag that is ALSO on the command line is a fatal error (etcd 3.4 and 3.5
 *    refuse to guess which one the operator meant), even when the variable is empty;
 *  - each variable used is logged ("recognized and used environment variable ..."), each other
 *    ETCD_* variable is warned about ("unrecognized environment variable ...").
 */
import { invalidConfig } from './errors.js';
import { FLAGS, flagToEnv, type FlagSpec, type FlagValue } from './flags.js';
import { GoParseError } from './goparse.js';
import type { ConfigNotice } from './notice.js';
import { parseFlagText } from './setflag.js';

/**
 * Variables etcd reads outside the flag machinery. etcd unsets ETCD_UNSUPPORTED_ARCH after its
 * architecture check, so it never reaches the "unrecognized" warning; tsetcd runs on every
 * architecture Node does and has nothing to check.
 */
const NON_FLAG_VARIABLES: ReadonlySet<string> = new Set(['ETCD_UNSUPPORTED_ARCH']);

export interface EnvResult {
  /** Flag values taken from the environment, by flag name. */
  readonly values: Map<string, FlagValue>;
  readonly notices: readonly ConfigNotice[];
}

/**
 * @param env            the process environment
 * @param setOnCmdline   flags given on the command line
 * @param current        value of a flag before the environment is applied
 */
export function applyEnv(
  env: NodeJS.ProcessEnv,
  setOnCmdline: ReadonlySet<string>,
  current: (spec: FlagSpec) => FlagValue,
): EnvResult {
  const values = new Map<string, FlagValue>();
  const notices: ConfigNotice[] = [];
  const used = new Set<string>();
  const shadowed = new Set<string>();
  for (const name of setOnCmdline) shadowed.add(flagToEnv(name));

  // etcd visits flags in lexicographic order and reports a bad value as an error after all.
  const specs = [...FLAGS].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  let firstError: Error | undefined;
  for (const spec of specs) {
    const key = flagToEnv(spec.name);
    if (shadowed.has(key)) continue;
    const text = env[key];
    if (text === undefined || text === '') continue;
    used.add(key);
    if (spec.kind === 'ignored') {
      notices.push(
        { level: 'warn', msg: `flag "-${spec.name}" is no longer supported - ignoring.` },
        { level: 'info', msg: `recognized and used environment variable ${key}=${text}` },
      );
      continue;
    }
    try {
      values.set(spec.name, parseFlagText(spec, text, current(spec)));
    } catch (e) {
      if (!(e instanceof GoParseError)) throw e;
      firstError ??= invalidConfig(`invalid value ${JSON.stringify(text)} for ${key}: ${e.message}`);
      continue;
    }
    notices.push({ level: 'info', msg: `recognized and used environment variable ${key}=${text}` });
  }

  for (const [key, text] of Object.entries(env)) {
    if (used.has(key)) continue;
    if (shadowed.has(key)) {
      throw invalidConfig(
        `conflicting environment variable ${JSON.stringify(key)} is shadowed by corresponding command-line flag (either unset environment variable or disable flag)`,
      );
    }
    if (key.startsWith('ETCD_') && !NON_FLAG_VARIABLES.has(key)) {
      notices.push({ level: 'warn', msg: `unrecognized environment variable ${key}=${text ?? ''}` });
    }
  }
  if (firstError !== undefined) throw firstError;
  return { values, notices };
}
