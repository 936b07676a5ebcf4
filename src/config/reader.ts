/**
 * Typed access to the raw flag values during resolution. The flag table is the only place that
 * knows each flag's kind, so the casts here are safe by construction (a test resolves every flag).
 */
import { FLAGS_BY_NAME, type FlagValue } from './flags.js';
import type { ConfigNotice } from './notice.js';
import type { ValueSource } from './types.js';
import type { ServerURL } from './urls.js';

export interface RawConfig {
  /** Values of flags that were set (by flag, env or file); the others take their defaults. */
  readonly values: ReadonlyMap<string, FlagValue>;
  readonly sources: ReadonlyMap<string, ValueSource>;
  readonly notices: readonly ConfigNotice[];
  readonly configFile: string | null;
}

export class FlagReader {
  constructor(readonly raw: RawConfig) {}

  value(name: string): FlagValue {
    const spec = FLAGS_BY_NAME.get(name);
    if (spec === undefined) throw new Error(`config: no flag named ${name}`);
    return this.raw.values.get(name) ?? spec.defaultValue;
  }
  str(name: string): string {
    return this.value(name) as string;
  }
  bool(name: string): boolean {
    return this.value(name) as boolean;
  }
  num(name: string): number {
    return this.value(name) as number;
  }
  list(name: string): readonly string[] {
    return this.value(name) as readonly string[];
  }
  urls(name: string): readonly ServerURL[] {
    return this.value(name) as readonly ServerURL[];
  }
  /** Set by a flag, an environment variable or the config file (not left at its default). */
  isSet(name: string): boolean {
    return (this.raw.sources.get(name) ?? 'default') !== 'default';
  }
}
