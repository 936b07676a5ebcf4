/**
 * Turning one textual flag value (from argv or an ETCD_* variable) into a typed value, with the
 * semantics of the Go flag.Value that etcd registers for that flag.
 */
import type { FlagSpec, FlagValue } from './flags.js';
import { GoParseError, parseGoBool, parseGoDuration, parseGoInt, parseGoUint, parseGoUint32 } from './goparse.js';
import { parseServerURLs } from './urls.js';

/**
 * Parses `text` for `spec`. `current` matters for URL lists, where etcd treats "" as "keep what
 * is there" rather than as an error. Throws GoParseError with Go's message.
 */
export function parseFlagText(spec: FlagSpec, text: string, current: FlagValue): FlagValue {
  switch (spec.kind) {
    case 'string':
      return text;
    case 'bool':
    case 'ignored':
      return parseGoBool(text);
    case 'uint':
      return parseGoUint(text);
    case 'int':
      return parseGoInt(text);
    case 'uint32':
      return parseGoUint32(text);
    case 'duration':
      return parseGoDuration(text);
    case 'urls':
      if (text === '' && spec.emptyKeeps === true) return current;
      return parseServerURLs(text);
    case 'strings':
      // etcd's StringsValue: a plain split, so "" becomes [""] — kept as given, validated by users.
      return text.split(',');
    case 'uniqueStrings':
      return [...new Set(text.split(','))].sort();
    case 'origins':
      // "*" (allow all) is the one non-URL etcd accepts here.
      if (text === '*') return ['*'];
      return parseServerURLs(text).map((u) => u.href);
    case 'choice':
      if (!(spec.choices ?? []).includes(text)) throw new GoParseError('invalid value');
      return text;
  }
}
