// The txn input grammar of etcdctl 3.4 (txn_command.go), reproduced with its quirks because
// scripts feed it: compares like `mod("k") > "5"` are read with Go's Sscanf("%q) %s %q"),
// request lines are split by etcdctl's argify regexp and parsed as put/get/del commands.
//
// Lines are latin1 strings (one char per byte) so keys and values keep their exact bytes.
import { create, type MessageInitShape } from '@bufbuild/protobuf';
import {
  Compare_CompareResult, Compare_CompareTarget, CompareSchema, RequestOpSchema,
  type Compare, type RequestOp,
} from '../../../gen/etcdserverpb/rpc_pb.js';
import { Command, find, type CommandSpec } from '../command.js';
import { CtlExit, ExitInvalidInput, exitWithError, goPanic } from '../exit.js';
import { FlagError } from '../flags.js';
import { goQuote, GoParseError, goUnquote, parseInt64 } from '../goparse.js';
import type { LineReader, Output } from '../io.js';
import { buildDelete, buildPut, buildRange, delCommand, getCommand, putCommand } from './kv.js';
import { cobraUsage } from '../pflag-usage.js';

const latin1 = (s: string): Uint8Array => Buffer.from(s, 'latin1');
const quote = (s: string): string => goQuote(latin1(s));

/** Go's strings.TrimSpace for the ASCII whitespace a txn line can carry. */
export function trimSpace(s: string): string {
  return s.replace(/^[\t\n\v\f\r ]+|[\t\n\v\f\r ]+$/g, '');
}

// ---- argify ----

const ARG_RE = /"(?:[^"\\]|\\.)*"|'[^']*'|[^'"\t\n\f\r ][^\t\n\f\r ]*[^'"\t\n\f\r ]?/g;

/**
 * etcdctl's argify: splits a request line into words, unquoting "double" (Go syntax) and
 * 'single' quoted words. etcdctl slices a single-quoted word with the number of words instead
 * of the word's length; we keep that, including the panic when the slice is out of range.
 */
export function argify(line: string): string[] {
  const args = line.match(ARG_RE) ?? [];
  return args.map((a) => {
    if (a.length === 0) return a;
    if (a[0] === "'") {
      const hi = args.length - 1;
      if (hi < 1 || hi > a.length) goPanic(`runtime error: slice bounds out of range [${hi < 1 ? `1:${hi}` : `:${hi}`}] with length ${a.length}`);
      return a.slice(1, hi);
    }
    if (a[0] === '"') {
      try {
        return Buffer.from(goUnquote(latin1(a))).toString('latin1');
      } catch (e) {
        if (e instanceof GoParseError) exitWithError(ExitInvalidInput, e.message);
        throw e;
      }
    }
    return a;
  });
}

// ---- compares ----

class ScanError extends Error {}

/** A cursor over one compare line with the pieces of Go's fmt scanning that "%q) %s %q" uses. */
class Scanner {
  pos = 0;
  constructor(readonly s: string) {}
  private eof(): boolean { return this.pos >= this.s.length; }
  private isSpace(c: string | undefined): boolean { return c === ' ' || c === '\t' || c === '\r' || c === '\v' || c === '\f'; }
  skipSpace(): void {
    while (!this.eof() && this.isSpace(this.s[this.pos])) this.pos++;
  }
  quoted(): string {
    this.skipSpace();
    if (this.eof()) throw new ScanError('unexpected EOF');
    const q = this.s[this.pos++] as string;
    if (q === '`') {
      const end = this.s.indexOf('`', this.pos);
      if (end === -1) throw new ScanError('unexpected EOF');
      const v = this.s.slice(this.pos, end);
      this.pos = end + 1;
      return v;
    }
    if (q !== '"') throw new ScanError('expected quoted string');
    let raw = '"';
    for (;;) {
      if (this.eof()) throw new ScanError('unexpected EOF');
      const c = this.s[this.pos++] as string;
      raw += c;
      if (c === '\\') {
        if (this.eof()) throw new ScanError('unexpected EOF');
        raw += this.s[this.pos++] as string;
      } else if (c === '"') break;
    }
    try {
      return Buffer.from(goUnquote(latin1(raw))).toString('latin1');
    } catch {
      throw new ScanError('invalid syntax');
    }
  }
  literal(c: string): void {
    if (this.eof()) throw new ScanError('unexpected EOF');
    if (this.s[this.pos] !== c) throw new ScanError('input does not match format');
    this.pos++;
  }
  /** A space in the format: one or more spaces in the input, or the end of input. */
  space(): void {
    if (this.eof()) return;
    if (!this.isSpace(this.s[this.pos])) throw new ScanError('expected space in input to match format');
    this.skipSpace();
  }
  word(): string {
    this.skipSpace();
    if (this.eof()) throw new ScanError('unexpected EOF');
    const start = this.pos;
    while (!this.eof() && !this.isSpace(this.s[this.pos]) && this.s[this.pos] !== '\n') this.pos++;
    return this.s.slice(start, this.pos);
  }
}

export class TxnInputError extends Error {}

function compareResult(op: string): Compare_CompareResult {
  switch (op) {
    case '=': return Compare_CompareResult.EQUAL;
    case '!=': return Compare_CompareResult.NOT_EQUAL;
    case '>': return Compare_CompareResult.GREATER;
    case '<': return Compare_CompareResult.LESS;
  }
  return goPanic('Unknown result op');
}

/** etcdctl parseCompare. Errors are TxnInputError (exit 3); etcdctl's panics stay panics. */
export function parseCompare(line: string): Compare {
  const lp = line.indexOf('(');
  if (lp === -1) throw new TxnInputError(`malformed comparison: ${line}`);
  const target = line.slice(0, lp);
  const sc = new Scanner(line.slice(lp + 1));
  let key = '';
  let op = '';
  let val = '';
  let n = 0;
  try {
    key = sc.quoted(); n++;
    sc.literal(')');
    sc.space();
    op = sc.word(); n++;
    sc.space();
    val = sc.quoted(); n++;
  } catch (e) {
    if (!(e instanceof ScanError)) throw e;
  }
  if (n !== 3) throw new TxnInputError(`malformed comparison: ${line}; got ${target}(${quote(key)}) ${op} ${quote(val)}`);
  const init: MessageInitShape<typeof CompareSchema> = { key: latin1(key) };
  const num = (): bigint => {
    try {
      return parseInt64(val, 10);
    } catch {
      throw new TxnInputError(`invalid txn compare request: ${line}`);
    }
  };
  switch (target) {
    case 'ver': case 'version': {
      const v = num();
      return create(CompareSchema, { ...init, target: Compare_CompareTarget.VERSION, result: compareResult(op), targetUnion: { case: 'version', value: v } });
    }
    case 'c': case 'create': {
      const v = num();
      return create(CompareSchema, { ...init, target: Compare_CompareTarget.CREATE, result: compareResult(op), targetUnion: { case: 'createRevision', value: v } });
    }
    case 'm': case 'mod': {
      const v = num();
      return create(CompareSchema, { ...init, target: Compare_CompareTarget.MOD, result: compareResult(op), targetUnion: { case: 'modRevision', value: v } });
    }
    case 'val': case 'value':
      return create(CompareSchema, { ...init, target: Compare_CompareTarget.VALUE, result: compareResult(op), targetUnion: { case: 'value', value: latin1(val) } });
    case 'lease':
      // etcdctl 3.4 passes the value as a string where clientv3 wants an integer: it always panics.
      compareResult(op);
      return goPanic('bad value');
    default:
      throw new TxnInputError(`malformed comparison: ${line} (unknown target ${target})`);
  }
}

// ---- requests ----

// The commands are only parsed here, never run: the builders below turn them into ops.
const OP_COMMANDS: CommandSpec = {
  use: '',
  short: '',
  children: [putCommand, getCommand, delCommand].map((c) => ({ use: c.use, short: c.short, flags: c.flags ?? [], run: async () => undefined })),
};

/** etcdctl parseRequestUnion: a put/get/del command line inside a txn. */
export async function parseRequestOp(line: string, stdin: LineReader, stderr?: Output): Promise<RequestOp> {
  const args = argify(line);
  if (args.length < 2) throw new TxnInputError(`invalid txn compare request: ${line}`);
  const invalid = (): never => { throw new TxnInputError(`invalid txn request: ${line}`); };
  const root = new Command(OP_COMMANDS);
  const found = find(root, args);
  if (!found.ok || found.cmd === root) return invalid();
  const fs = found.cmd.flagSet();
  try {
    fs.parse(found.args);
  } catch (e) {
    if (e instanceof FlagError) {
      // cobra prints the command's usage (to stderr) before etcdctl reports the line.
      stderr?.write(cobraUsage(found.cmd) + '\n');
      return invalid();
    }
    throw e;
  }
  if (fs.bool('help')) return invalid();
  const words = fs.args.map(latin1);
  switch (found.cmd.name) {
    case 'put': return create(RequestOpSchema, { request: { case: 'requestPut', value: await buildPut(words, fs, stdin) } });
    case 'get': return create(RequestOpSchema, { request: { case: 'requestRange', value: buildRange(words, fs) } });
    default: return create(RequestOpSchema, { request: { case: 'requestDeleteRange', value: buildDelete(words, fs) } });
  }
}

/** Reads lines until a blank one; input ending without a newline is "EOF" (exit 3). */
async function readBlock<T>(r: LineReader, parse: (line: string) => Promise<T>): Promise<T[]> {
  const out: T[] = [];
  for (;;) {
    const raw = await r.readLine();
    if (raw === null) throw new CtlExit(ExitInvalidInput, 'EOF');
    const line = trimSpace(raw);
    if (line.length === 0) return out;
    try {
      out.push(await parse(line));
    } catch (e) {
      if (e instanceof TxnInputError) throw new CtlExit(ExitInvalidInput, e.message);
      throw e;
    }
  }
}

export interface TxnInput {
  compare: Compare[];
  success: RequestOp[];
  failure: RequestOp[];
}

/** Reads a whole txn: compares, success ops, failure ops; `prompt` is called before each part. */
export async function readTxn(r: LineReader, prompt: (s: string) => void, stderr?: Output): Promise<TxnInput> {
  prompt('compares:');
  const compare = await readBlock(r, async (l) => parseCompare(l));
  prompt('success requests (get, put, del):');
  const success = await readBlock(r, (l) => parseRequestOp(l, r, stderr));
  prompt('failure requests (get, put, del):');
  const failure = await readBlock(r, (l) => parseRequestOp(l, r, stderr));
  return { compare, success, failure };
}
