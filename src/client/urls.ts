// Peer URL checks as etcd's Go client makes them before MemberAdd and MemberUpdate
// (pkg/types.NewURLs over Go's net/url.Parse), so a bad URL fails with the same text
// ("URL scheme must be http, https, unix, or unixs: ...", `parse "127.0.0.1:2380": first path
// segment in URL cannot contain colon`, ...) without reaching the server.

/** A peer URL rejected by the client; the message is the Go client's. */
export class PeerURLError extends Error {
  override name = 'PeerURLError';
}

/**
 * Throws PeerURLError for the first URL etcd's client would refuse. Each URL is trimmed of
 * surrounding white space first (as types.NewURLs does).
 */
export function checkPeerURLs(urls: readonly string[]): void {
  if (urls.length === 0) throw new PeerURLError('no valid URLs given');
  for (const raw of urls) {
    const s = raw.trim();
    const u = parseURL(s);
    if (u.scheme !== 'http' && u.scheme !== 'https' && u.scheme !== 'unix' && u.scheme !== 'unixs') {
      throw new PeerURLError(`URL scheme must be http, https, unix, or unixs: ${s}`);
    }
    if (!splitsAsHostPort(u.host)) throw new PeerURLError(`URL address does not have the form "host:port": ${s}`);
    if (u.path !== '') throw new PeerURLError(`URL must not contain a path: ${s}`);
  }
}

interface ParsedURL {
  scheme: string;
  /** host[:port], unescaped; '' for opaque URLs ("http:foo") and URLs without an authority */
  host: string;
  /** the unescaped path */
  path: string;
}

/** The parts of Go's url.Parse that decide acceptance, with its error texts. */
function parseURL(raw: string): ParsedURL {
  const hash = raw.indexOf('#');
  const beforeFrag = hash === -1 ? raw : raw.slice(0, hash);
  const fail = (why: string, what = beforeFrag): never => {
    throw new PeerURLError(`parse ${quote(what)}: ${why}`);
  };
  const u = parseNoFragment(beforeFrag, fail);
  if (hash !== -1) {
    const bad = badEscape(raw.slice(hash + 1), 'fragment');
    if (bad !== undefined) fail(bad, raw);
  }
  return u;
}

function parseNoFragment(s: string, fail: (why: string) => never): ParsedURL {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) fail('net/url: invalid control character in URL');
  }
  if (s === '*') return { scheme: '', host: '', path: '*' };
  const { scheme, rest: afterScheme } = splitScheme(s, fail);
  let rest = afterScheme;
  // The query goes; "x?" (a lone trailing '?') only forces an empty query.
  const q = rest.indexOf('?');
  if (q !== -1) rest = rest.slice(0, q);
  if (!rest.startsWith('/')) {
    if (scheme !== '') return { scheme, host: '', path: '' }; // opaque: "http:foo"
    const slash = rest.indexOf('/');
    if ((slash === -1 ? rest : rest.slice(0, slash)).includes(':')) fail('first path segment in URL cannot contain colon');
  }
  let host = '';
  if ((scheme !== '' || !rest.startsWith('///')) && rest.startsWith('//')) {
    let authority = rest.slice(2);
    rest = '';
    const slash = authority.indexOf('/');
    if (slash !== -1) {
      rest = authority.slice(slash);
      authority = authority.slice(0, slash);
    }
    host = parseAuthority(authority, fail);
  }
  const bad = badEscape(rest, 'path');
  if (bad !== undefined) fail(bad);
  return { scheme, host, path: unescape(rest) };
}

/** url.getScheme: letters, then digits, '+', '-' or '.', up to the first ':'. */
function splitScheme(s: string, fail: (why: string) => never): { scheme: string; rest: string } {
  for (let i = 0; i < s.length; i++) {
    const c = s[i] as string;
    if (/[a-zA-Z]/.test(c)) continue;
    if (/[0-9+\-.]/.test(c)) {
      if (i === 0) return { scheme: '', rest: s };
      continue;
    }
    if (c === ':') {
      if (i === 0) fail('missing protocol scheme');
      return { scheme: s.slice(0, i).toLowerCase(), rest: s.slice(i + 1) };
    }
    return { scheme: '', rest: s };
  }
  return { scheme: '', rest: s };
}

const USERINFO_OK = /^[a-zA-Z0-9\-._:~!$&'()*+,;=%@]*$/;

function parseAuthority(authority: string, fail: (why: string) => never): string {
  const at = authority.lastIndexOf('@');
  const host = parseHost(at === -1 ? authority : authority.slice(at + 1), fail);
  if (at !== -1) {
    const userinfo = authority.slice(0, at);
    if (!USERINFO_OK.test(userinfo)) fail('net/url: invalid userinfo');
    const bad = badEscape(userinfo, 'userinfo');
    if (bad !== undefined) fail(bad);
  }
  return host;
}

function validOptionalPort(p: string): boolean {
  return p === '' || /^:[0-9]*$/.test(p);
}

function parseHost(host: string, fail: (why: string) => never): string {
  if (host.startsWith('[')) {
    const close = host.lastIndexOf(']');
    if (close === -1) fail("missing ']' in host");
    const colonPort = host.slice(close + 1);
    if (!validOptionalPort(colonPort)) fail(`invalid port ${quote(colonPort)} after host`);
  } else {
    const colon = host.lastIndexOf(':');
    if (colon !== -1 && !validOptionalPort(host.slice(colon))) fail(`invalid port ${quote(host.slice(colon))} after host`);
  }
  const bad = badEscape(host, 'host');
  if (bad !== undefined) fail(bad);
  return unescape(host);
}

/** Characters Go's host parser accepts unescaped (besides letters, digits and bytes >= 0x80). */
const HOST_PUNCT = new Set("!$&'()*+,;=:[]<>\"-_.~");

/** The first %-escape (or host character) Go's url.unescape refuses, as its error text. */
function badEscape(s: string, mode: 'host' | 'path' | 'userinfo' | 'fragment'): string | undefined {
  for (let i = 0; i < s.length; i++) {
    const c = s[i] as string;
    if (c === '%') {
      const hex = s.slice(i + 1, i + 3);
      if (!/^[0-9a-fA-F]{2}$/.test(hex)) return `invalid URL escape ${quote(s.slice(i, i + 3))}`;
      // In a host, %-escapes are only for non-ASCII bytes, and %25 (a zone's '%').
      if (mode === 'host' && parseInt(hex[0] as string, 16) < 8 && s.slice(i, i + 3) !== '%25') return `invalid URL escape ${quote(s.slice(i, i + 3))}`;
      i += 2;
      continue;
    }
    if (mode === 'host' && c.charCodeAt(0) < 0x80 && !/[a-zA-Z0-9]/.test(c) && !HOST_PUNCT.has(c)) {
      return `invalid character ${quote(c)} in host name`;
    }
  }
  return undefined;
}

function unescape(s: string): string {
  return s.replace(/%([0-9a-fA-F]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16)));
}

/** net.SplitHostPort's acceptance: "host:port", "[v6]:port"; the port may be empty. */
function splitsAsHostPort(hp: string): boolean {
  const i = hp.lastIndexOf(':');
  if (i < 0) return false;
  let j = 0;
  let k = 0;
  if (hp.startsWith('[')) {
    const end = hp.indexOf(']');
    if (end < 0 || end + 1 !== i) return false;
    j = 1;
    k = end + 1;
  } else if (hp.slice(0, i).includes(':')) {
    return false;
  }
  return !hp.slice(j).includes('[') && !hp.slice(k).includes(']');
}

/** Go's strconv.Quote for the ASCII-range characters that can reach an error message. */
function quote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0) as number;
    if (ch === '"' || ch === '\\') out += '\\' + ch;
    else if (c === 7) out += '\\a';
    else if (c === 8) out += '\\b';
    else if (c === 12) out += '\\f';
    else if (c === 10) out += '\\n';
    else if (c === 13) out += '\\r';
    else if (c === 9) out += '\\t';
    else if (c === 11) out += '\\v';
    else if (c < 0x20 || c === 0x7f) out += '\\x' + c.toString(16).padStart(2, '0');
    else out += ch;
  }
  return out + '"';
}
