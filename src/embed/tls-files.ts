// etcd's TLS flags (--cert-file/--key-file/--trusted-ca-file/--client-cert-auth and their --peer-*
// twins) turned into Node TLS options, read once at start so a missing or unreadable file fails
// the start with the file's name instead of the first handshake.
import { readFileSync } from 'node:fs';
import type { SecureContextOptions } from 'node:tls';

export interface TlsFiles {
  certFile: string;
  keyFile: string;
  trustedCaFile?: string;
  /** Require and verify the other side's certificate against trustedCaFile. */
  clientCertAuth?: boolean;
}

export interface TlsMaterial {
  /** For a server: our certificate, and client certificate verification when asked for. */
  server: SecureContextOptions & { requestCert: boolean; rejectUnauthorized: boolean };
  /** For dialling a peer: the CA to verify it with, and our certificate to present. */
  client: SecureContextOptions;
}

function read(what: string, path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (e) {
    throw new Error(`cannot read ${what} ${path}: ${(e as Error).message}`);
  }
}

export function loadTls(f: TlsFiles, flagPrefix: string): TlsMaterial {
  if (f.certFile === '' || f.keyFile === '') {
    throw new Error(`TLS needs both --${flagPrefix}cert-file and --${flagPrefix}key-file`);
  }
  const cert = read(`--${flagPrefix}cert-file`, f.certFile);
  const key = read(`--${flagPrefix}key-file`, f.keyFile);
  const ca = f.trustedCaFile ? read(`--${flagPrefix}trusted-ca-file`, f.trustedCaFile) : undefined;
  if (f.clientCertAuth && ca === undefined) {
    throw new Error(`--${flagPrefix}client-cert-auth needs --${flagPrefix}trusted-ca-file to verify certificates with`);
  }
  const auth = f.clientCertAuth === true;
  return {
    server: { cert, key, ...(ca ? { ca } : {}), requestCert: auth, rejectUnauthorized: auth },
    client: { cert, key, ...(ca ? { ca } : {}) },
  };
}
