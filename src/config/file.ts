/**
 * The --config-file YAML, with etcd 3.4's keys and typing (embed.Config's json tags, decoded by
 * sigs.k8s.io/yaml — YAML 1.1 into Go's encoding/json):
 *  - keys are the flag names; TLS settings live under client-transport-security and
 *    peer-transport-security; keys match case-insensitively, as encoding/json does;
 *  - values are typed: numbers must be YAML numbers (`snapshot-count: "5"` is an error, and so is
 *    `auto-compaction-retention: 1` — it must be a string), booleans accept YAML 1.1's yes/no/on/off,
 *    durations are integers of nanoseconds, URL lists are one comma-separated string, and
 *    log-outputs / cipher-suites are YAML sequences;
 *  - a null value leaves the default.
 * etcd silently ignores unknown keys; we keep them working but warn, since a typo in a config file
 * otherwise silently falls back to a default.
 */
import { readFileSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';
import { invalidConfig } from './errors.js';
import { FLAGS, type FlagSpec, type FlagValue } from './flags.js';
import { GoParseError } from './goparse.js';
import type { ConfigNotice } from './notice.js';
import { parseFlagText } from './setflag.js';

export interface FileResult {
  readonly values: Map<string, FlagValue>;
  readonly notices: readonly ConfigNotice[];
}

/** Keys etcd reads from the file but that no flag of ours maps to (none expected). */
const FILE_SPECS: ReadonlyMap<string, FlagSpec> = new Map(
  FLAGS.filter((f) => f.fileKey !== null).map((f) => [f.fileKey!.toLowerCase(), f]),
);

const SECTIONS = new Set(['client-transport-security', 'peer-transport-security']);

export function loadConfigFile(path: string, readFile: (p: string) => string = (p) => readFileSync(p, 'utf8')): FileResult {
  let text: string;
  try {
    text = readFile(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file or directory' : (e as Error).message;
    throw invalidConfig(`open ${path}: ${why}`);
  }
  return parseConfigYaml(text, path);
}

export function parseConfigYaml(text: string, path: string): FileResult {
  // Like etcd: a repeated key takes its last value, and only the first document counts.
  const docs = parseAllDocuments(text, { version: '1.1', intAsBigInt: true, uniqueKeys: false });
  if (!Array.isArray(docs)) return { values: new Map(), notices: [] }; // empty file: all defaults
  const doc = docs[0];
  if (doc === undefined) return { values: new Map(), notices: [] };
  if (doc.errors.length > 0) {
    throw invalidConfig(`error converting YAML to JSON in ${path}: ${doc.errors[0]!.message.split('\n')[0]}`);
  }
  const root: unknown = doc.toJS();
  const values = new Map<string, FlagValue>();
  const notices: ConfigNotice[] = [];
  if (root === null || root === undefined) return { values, notices };
  if (!isPlainObject(root)) throw invalidConfig(`error unmarshaling config file ${path}: the document must be a mapping of keys to values`);

  const visit = (obj: Record<string, unknown>, prefix: string): void => {
    for (const [rawKey, raw] of Object.entries(obj)) {
      const key = prefix + rawKey.toLowerCase();
      if (prefix === '' && SECTIONS.has(key)) {
        if (raw === null) continue;
        if (!isPlainObject(raw)) throw typeError(path, key, 'a mapping', raw);
        visit(raw, `${key}.`);
        continue;
      }
      const spec = FILE_SPECS.get(key);
      if (spec === undefined) {
        notices.push({ level: 'warn', msg: 'unknown key in configuration file, ignoring', fields: { path, key: prefix + rawKey } });
        continue;
      }
      if (raw === null || raw === undefined) continue;
      values.set(spec.name, decode(spec, raw, path, key, values.get(spec.name) ?? spec.defaultValue));
    }
  };
  visit(root, '');
  return { values, notices };
}

function decode(spec: FlagSpec, raw: unknown, path: string, key: string, current: FlagValue): FlagValue {
  const fromText = (s: string): FlagValue => {
    try {
      return parseFlagText(spec, s, current);
    } catch (e) {
      if (!(e instanceof GoParseError)) throw e;
      throw invalidConfig(`unexpected error setting up ${key} from ${path}: ${e.message}`);
    }
  };
  switch (spec.kind) {
    case 'string':
      if (typeof raw !== 'string') throw typeError(path, key, 'a string', raw);
      return raw;
    case 'choice':
      // Checked by resolveConfig, which words it as etcd does for a file ("unexpected clusterState").
      if (typeof raw !== 'string') throw typeError(path, key, 'a string', raw);
      return raw;
    case 'bool':
      if (typeof raw !== 'boolean') throw typeError(path, key, 'a boolean', raw);
      return raw;
    case 'uint':
    case 'uint32':
    case 'int': {
      const n = integral(raw);
      if (n === null) throw typeError(path, key, 'an integer', raw);
      const max = spec.kind === 'uint32' ? 4294967295n : BigInt(Number.MAX_SAFE_INTEGER);
      const min = spec.kind === 'int' ? BigInt(Number.MIN_SAFE_INTEGER) : 0n;
      if (n < min || n > max) throw typeError(path, key, `an integer in [${min}, ${max}]`, raw);
      return Number(n);
    }
    case 'duration': {
      // Go's time.Duration decodes from JSON as an integer number of nanoseconds.
      const n = integral(raw);
      if (n === null) throw typeError(path, key, 'an integer number of nanoseconds', raw);
      return Number(n) / 1e6;
    }
    case 'urls':
    case 'strings':
    case 'uniqueStrings':
    case 'origins':
      if (spec.fileList === 'sequence') {
        if (!Array.isArray(raw) || !raw.every((x) => typeof x === 'string')) {
          throw typeError(path, key, 'a sequence of strings', raw);
        }
        return spec.kind === 'uniqueStrings' ? [...new Set(raw)].sort() : [...raw];
      }
      if (typeof raw !== 'string') throw typeError(path, key, 'a comma-separated string', raw);
      // etcd only applies a non-empty string for these keys.
      return raw === '' ? current : fromText(raw);
    case 'ignored':
      return current;
  }
}

function integral(raw: unknown): bigint | null {
  if (typeof raw === 'bigint') return raw;
  if (typeof raw === 'number' && Number.isInteger(raw)) return BigInt(raw);
  return null;
}

function describe(raw: unknown): string {
  if (Array.isArray(raw)) return 'sequence';
  if (isPlainObject(raw)) return 'mapping';
  if (typeof raw === 'bigint') return `number ${raw}`;
  if (typeof raw === 'string') return `string ${JSON.stringify(raw)}`;
  return `${typeof raw} ${String(raw)}`;
}

function typeError(path: string, key: string, want: string, raw: unknown): Error {
  return invalidConfig(`error unmarshaling config file ${path}: key ${JSON.stringify(key)} must be ${want}, got ${describe(raw)}`);
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
