// Where a command writes. Output is bytes: keys and values are printed as the raw bytes
// etcd stored, exactly as etcdctl writes Go strings built from []byte.

export interface Output {
  write(chunk: string | Uint8Array): void;
}

export interface CtlIO {
  stdout: Output;
  stderr: Output;
  /** Reads stdin lazily (txn is interactive); see LineReader. */
  stdin: AsyncIterable<Uint8Array>;
  env: Readonly<Record<string, string | undefined>>;
  /** For times in log lines; injectable so tests can pin it. */
  now: () => Date;
}

/** Collects output in memory (printer unit tests). */
export class BufferOutput implements Output {
  private chunks: Buffer[] = [];
  write(chunk: string | Uint8Array): void {
    this.chunks.push(typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : Buffer.from(chunk));
  }
  bytes(): Buffer {
    return Buffer.concat(this.chunks);
  }
  text(): string {
    return this.bytes().toString('utf8');
  }
}

/**
 * Line reader with Go's bufio.Reader.ReadString('\n') contract: a line is returned with its
 * '\n'; input that ends without one is an EOF error (etcdctl then prints "Error: EOF").
 * Lines are latin1 strings so every byte survives unchanged.
 */
export class LineReader {
  private buf: Buffer = Buffer.alloc(0);
  private readonly it: AsyncIterator<Uint8Array>;
  private done = false;

  constructor(src: AsyncIterable<Uint8Array>) {
    this.it = src[Symbol.asyncIterator]();
  }

  /** The next line including '\n', or null at EOF (any partial line is dropped, as etcdctl does). */
  async readLine(): Promise<string | null> {
    for (;;) {
      const nl = this.buf.indexOf(0x0a);
      if (nl !== -1) {
        const line = this.buf.subarray(0, nl + 1).toString('latin1');
        this.buf = this.buf.subarray(nl + 1);
        return line;
      }
      if (this.done) return null;
      const r = await this.it.next();
      if (r.done === true) this.done = true;
      else this.buf = Buffer.concat([this.buf, Buffer.from(r.value)]);
    }
  }

  /** Everything left (ioutil.ReadAll). */
  async readAll(): Promise<Buffer> {
    const parts: Buffer[] = [this.buf];
    this.buf = Buffer.alloc(0);
    while (!this.done) {
      const r = await this.it.next();
      if (r.done === true) this.done = true;
      else parts.push(Buffer.from(r.value));
    }
    return Buffer.concat(parts);
  }
}

const readers = new WeakMap<AsyncIterable<Uint8Array>, LineReader>();

/** One reader per stdin, so a password prompt, a put value and txn lines share its buffer. */
export function stdinReader(io: CtlIO): LineReader {
  let r = readers.get(io.stdin);
  if (r === undefined) {
    r = new LineReader(io.stdin);
    readers.set(io.stdin, r);
  }
  return r;
}
