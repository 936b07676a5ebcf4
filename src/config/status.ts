/**
 * What tsetcd does with flags it parses but does not implement (see FlagStatus): a startup
 * warning for 'inactive' ones and an error for 'unsupported' ones — but only when they are set
 * to something other than their default, since etcd's defaults are what tsetcd does anyway.
 */
import { invalidConfig } from './errors.js';
import { FLAGS, type FlagSpec, type FlagValue } from './flags.js';
import { formatGoDuration } from './goparse.js';
import type { ConfigNotice } from './notice.js';
import type { FlagReader } from './reader.js';
import type { ServerURL } from './urls.js';

/** Warnings for inactive flags and errors for unsupported ones, when set to a non-default value. */
export function flagStatusNotices(r: FlagReader): ConfigNotice[] {
  const out: ConfigNotice[] = [];
  for (const spec of FLAGS) {
    if (spec.status === 'active') continue;
    if (!r.isSet(spec.name)) continue;
    const value = r.value(spec.name);
    if (sameValue(value, spec.defaultValue)) continue;
    if (spec.status === 'unsupported') {
      throw invalidConfig(`--${spec.name} is not supported by tsetcd: ${spec.note ?? 'not implemented'}`);
    }
    out.push({
      level: 'warn',
      msg: 'flag is accepted for etcd compatibility but has no effect in tsetcd yet',
      fields: { flag: `--${spec.name}`, value: displayValue(spec, value), reason: spec.note ?? '' },
    });
  }
  return out;
}

/** A flag value as an operator would write it (URL lists and durations in flag syntax). */
export function displayValue(spec: FlagSpec, value: FlagValue): string | number | boolean {
  if (Array.isArray(value)) {
    return spec.kind === 'urls' ? (value as readonly ServerURL[]).map((u) => u.href).join(',') : value.join(',');
  }
  if (spec.kind === 'duration') return formatGoDuration(value as number);
  return value as string | number | boolean;
}

function sameValue(a: FlagValue, b: FlagValue): boolean {
  if (Array.isArray(a) && Array.isArray(b)) {
    const key = (x: unknown): string => (typeof x === 'object' && x !== null ? (x as ServerURL).href : String(x));
    return a.length === b.length && a.every((x, i) => key(x) === key(b[i]));
  }
  return a === b;
}
