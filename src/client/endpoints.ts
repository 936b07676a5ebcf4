// Endpoint strings as etcd clients accept them: "host:port", "http://host:port", "https://host:port".

export interface Endpoint {
  /** The string the user gave, trimmed: printed back verbatim by etcdctl (endpoint health/status). */
  readonly raw: string;
  /** host:port, what grpc-go shows as the dial target. */
  readonly authority: string;
  /** Explicit scheme, if the user wrote one; otherwise TLS follows the client's TLS settings. */
  readonly scheme: 'http' | 'https' | undefined;
}

export function parseEndpoint(input: string): Endpoint {
  const raw = input.trim();
  const m = /^(https?|unix|unixs):\/\/(.*)$/.exec(raw);
  if (m === null) return { raw, authority: stripPath(raw), scheme: undefined };
  const scheme = m[1];
  if (scheme !== 'http' && scheme !== 'https') {
    throw new Error(`unsupported endpoint scheme ${scheme}:// in ${JSON.stringify(raw)}`);
  }
  return { raw, authority: stripPath(m[2] ?? ''), scheme };
}

function stripPath(hostport: string): string {
  const slash = hostport.indexOf('/');
  return slash === -1 ? hostport : hostport.slice(0, slash);
}

/** The base URL for the HTTP/2 transport. */
export function baseUrl(ep: Endpoint, secure: boolean): string {
  return `${secure ? 'https' : 'http'}://${ep.authority}`;
}
