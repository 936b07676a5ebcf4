/**
 * URL lists as etcd parses them (pkg/types.NewURLs): "scheme://host:port" with scheme http, https,
 * unix or unixs, a mandatory port, and no path. We do not use WHATWG `URL` for this because it
 * rewrites what etcd keeps verbatim: it drops a default port ("http://h:80" → "http://h"), which
 * etcd needs to bind, and adds a "/" path, which etcd rejects.
 */
import { GoParseError } from './goparse.js';

export type UrlScheme = 'http' | 'https' | 'unix' | 'unixs';

export interface ServerURL {
  readonly scheme: UrlScheme;
  /** Host without port; IPv6 without brackets ("::1"). */
  readonly hostname: string;
  readonly port: number;
  /** "host:port" exactly as written (IPv6 keeps its brackets) — what to pass to listen/connect. */
  readonly host: string;
  /** "scheme://host:port", the form etcd prints and stores in member attributes. */
  readonly href: string;
}

/** Thrown messages are etcd's, e.g. `URL scheme must be http, https, unix, or unixs: foo`. */
export function parseServerURL(raw: string): ServerURL {
  const input = raw.trim();
  const schemeMatch = /^([A-Za-z][A-Za-z0-9+.-]*):/.exec(input);
  const scheme = schemeMatch?.[1]?.toLowerCase() ?? '';
  if (scheme !== 'http' && scheme !== 'https' && scheme !== 'unix' && scheme !== 'unixs') {
    throw new GoParseError(`URL scheme must be http, https, unix, or unixs: ${input}`);
  }
  let rest = input.slice(scheme.length + 1);
  // Query and fragment are legal in Go's parser but meaningless for an address; rejecting them
  // beats silently carrying "?x" into member attributes.
  if (/[?#]/.test(rest)) throw new GoParseError(`URL must not contain a query or fragment: ${input}`);
  if (!rest.startsWith('//')) {
    throw new GoParseError(`URL address does not have the form "host:port": ${input}`);
  }
  rest = rest.slice(2);
  const slash = rest.indexOf('/');
  const authority = slash < 0 ? rest : rest.slice(0, slash);
  const path = slash < 0 ? '' : rest.slice(slash);
  if (authority.includes('@')) throw new GoParseError(`URL must not contain user info: ${input}`);
  const hp = splitHostPort(authority);
  if (hp === null) throw new GoParseError(`URL address does not have the form "host:port": ${input}`);
  if (path !== '') throw new GoParseError(`URL must not contain a path: ${input}`);
  if (!/^[A-Za-z0-9._~%!$&'()*+,;=:-]*$/.test(hp.hostname)) {
    throw new GoParseError(`parse ${JSON.stringify(input)}: invalid character in host name`);
  }
  if (!/^\d+$/.test(hp.port)) {
    throw new GoParseError(`parse ${JSON.stringify(input)}: invalid port ${JSON.stringify(':' + hp.port)} after host`);
  }
  const port = Number(hp.port);
  if (port > 65535) throw new GoParseError(`URL port out of range: ${input}`);
  return { scheme, hostname: hp.hostname, port, host: authority, href: `${scheme}://${authority}` };
}

/** net.SplitHostPort, minus the empty-port case (Go allows "h:" which would bind a random port). */
export function splitHostPort(hostport: string): { hostname: string; port: string } | null {
  if (hostport.startsWith('[')) {
    const end = hostport.indexOf(']');
    if (end < 0 || hostport[end + 1] !== ':') return null;
    const port = hostport.slice(end + 2);
    if (port === '' || port.includes(':')) return null;
    return { hostname: hostport.slice(1, end), port };
  }
  const colon = hostport.lastIndexOf(':');
  if (colon < 0) return null;
  const hostname = hostport.slice(0, colon);
  const port = hostport.slice(colon + 1);
  if (hostname.includes(':') || port === '') return null;
  return { hostname, port };
}

/**
 * A comma-separated list, sorted by href and de-duplicated as etcd's UniqueURLs flag does
 * (etcd sorts every URL list; duplicates would only fail later at bind time).
 */
export function parseServerURLs(list: string): ServerURL[] {
  const byHref = new Map<string, ServerURL>();
  for (const part of list.split(',')) {
    const u = parseServerURL(part);
    byHref.set(u.href, u);
  }
  return [...byHref.values()].sort((a, b) => (a.href < b.href ? -1 : a.href > b.href ? 1 : 0));
}

/**
 * --initial-cluster "n1=http://a:2380,n1=http://b:2380,n2=http://c:2380" → name → peer URLs.
 * Like etcd's URLsMap parsing: empty items are skipped, an item without "=" is a name with an
 * empty (hence invalid) URL, and a name may repeat to list several URLs.
 */
export function parseInitialCluster(s: string): Map<string, ServerURL[]> {
  const grouped = new Map<string, string[]>();
  for (const item of s.split(',')) {
    if (item === '') continue;
    const eq = item.indexOf('=');
    const name = eq < 0 ? item : item.slice(0, eq);
    const url = eq < 0 ? '' : item.slice(eq + 1);
    const list = grouped.get(name) ?? [];
    list.push(url);
    grouped.set(name, list);
  }
  const out = new Map<string, ServerURL[]>();
  for (const [name, urls] of grouped) out.set(name, parseServerURLs(urls.join(',')));
  return out;
}

/** The inverse of parseInitialCluster in etcd's canonical form: pairs sorted, comma-joined. */
export function formatInitialCluster(m: ReadonlyMap<string, readonly ServerURL[]>): string {
  const pairs: string[] = [];
  for (const [name, urls] of m) for (const u of urls) pairs.push(`${name}=${u.href}`);
  return pairs.sort().join(',');
}
