// put, get, del (etcdctl put_command.go, get_command.go, del_command.go).
// The request builders are shared with txn, which parses the same commands inside a transaction.
import { create, type MessageInitShape } from '@bufbuild/protobuf';
import {
  DeleteRangeRequestSchema, PutRequestSchema, RangeRequest_SortOrder, RangeRequest_SortTarget,
  RangeRequestSchema,
} from '../../../gen/etcdserverpb/rpc_pb.js';
import { FROM_KEY_END, prefixEnd } from '../../../client/index.js';
import type { CommandSpec, RunContext } from '../command.js';
import { ExitBadArgs, ExitBadFeature, exitWithError } from '../exit.js';
import { flag, type FlagSet } from '../flags.js';
import { parseInt64, GoParseError } from '../goparse.js';
import { mustClient } from '../global.js';
import { LineReader, stdinReader } from '../io.js';
import { SimplePrinter } from '../printers/index.js';
import { rpc } from './util.js';

type Bytes = Uint8Array;

// ---- put ----

export const PUT_FLAGS = [
  flag.string('lease', '0', 'lease ID (in hexadecimal) to attach to the key'),
  flag.bool('prev-kv', false, 'return the previous key-value pair before modification'),
  flag.bool('ignore-value', false, 'updates the key using its current value'),
  flag.bool('ignore-lease', false, 'updates the key using its current lease'),
];

const PUT_LONG = `
Puts the given key into the store.

When <value> begins with '-', <value> is interpreted as a flag.
Insert '--' for workaround:

$ put <key> -- <value>
$ put -- <key> <value>

If <value> isn't given as a command line argument and '--ignore-value' is not specified,
this command tries to read the value from standard input.

If <lease> isn't given as a command line argument and '--ignore-lease' is not specified,
this command tries to read the value from standard input.

For example,
$ cat file | put <key>
will store the content of the file to <key>.
`;

/** etcdctl getPutOp. `stdin` supplies the value when only a key is given. */
export async function putRequest(args: Bytes[], flags: FlagSet, stdin: LineReader): Promise<MessageInitShape<typeof PutRequestSchema>> {
  const usage = 'put command needs 1 argument and input from stdin or 2 arguments';
  if (args.length === 0) exitWithError(ExitBadArgs, usage);
  const key = args[0] as Bytes;
  const ignoreValue = flags.bool('ignore-value');
  if (ignoreValue && args.length > 1) exitWithError(ExitBadArgs, "put command needs only 1 argument when 'ignore-value' is set");
  let value: Bytes = new Uint8Array(0);
  if (!ignoreValue) {
    if (args.length > 1) value = args[1] as Bytes;
    else {
      const all = await stdin.readAll();
      if (all.length === 0) exitWithError(ExitBadArgs, usage);
      value = all;
    }
  }
  let lease: bigint;
  try {
    lease = parseInt64(flags.string('lease'), 16);
  } catch (e) {
    if (e instanceof GoParseError) exitWithError(ExitBadArgs, `bad lease ID (${e.message}), expecting ID in Hex`);
    throw e;
  }
  return {
    key, value, lease,
    prevKv: flags.bool('prev-kv'),
    ignoreValue,
    ignoreLease: flags.bool('ignore-lease'),
  };
}

async function putRun(ctx: RunContext): Promise<void> {
  const req = await putRequest(ctx.args.map(utf8Arg), ctx.flags, stdinReader(ctx.io));
  const timeoutMs = ctx.flags.durationMs('command-timeout');
  const { client, printer } = await mustClient(ctx);
  try {
    const resp = await rpc(client.put(req, { timeoutMs }));
    printer.put(resp);
  } finally {
    client.close();
  }
}

// ---- get ----

export const GET_FLAGS = [
  flag.string('consistency', 'l', 'Linearizable(l) or Serializable(s)'),
  flag.string('order', '', 'Order of results; ASCEND or DESCEND (ASCEND by default)'),
  flag.string('sort-by', '', 'Sort target; CREATE, KEY, MODIFY, VALUE, or VERSION'),
  flag.int64('limit', 0n, 'Maximum number of results'),
  flag.bool('prefix', false, 'Get keys with matching prefix'),
  flag.bool('from-key', false, 'Get keys that are greater than or equal to the given key using byte compare'),
  flag.int64('rev', 0n, 'Specify the kv revision'),
  flag.bool('keys-only', false, 'Get only the keys'),
  flag.bool('print-value-only', false, 'Only write values when using the "simple" output format'),
];

/** etcdctl getGetOp. */
export function rangeRequest(args: Bytes[], flags: FlagSet): MessageInitShape<typeof RangeRequestSchema> {
  if (args.length === 0) exitWithError(ExitBadArgs, 'get command needs one argument as key and an optional argument as range_end');
  const prefix = flags.bool('prefix');
  const fromKey = flags.bool('from-key');
  if (prefix && fromKey) exitWithError(ExitBadArgs, '`--prefix` and `--from-key` cannot be set at the same time, choose one');
  const consistency = flags.string('consistency');
  if (consistency !== 's' && consistency !== 'l') exitWithError(ExitBadFeature, `unknown consistency flag "${consistency}"`);
  let key = args[0] as Bytes;
  let rangeEnd: Bytes = new Uint8Array(0);
  if (args.length > 1) {
    if (prefix || fromKey) exitWithError(ExitBadArgs, 'too many arguments, only accept one argument when `--prefix` or `--from-key` is set');
    rangeEnd = args[1] as Bytes;
  }
  const orderText = flags.string('order');
  let order = RangeRequest_SortOrder.NONE;
  switch (orderText.toUpperCase()) {
    case 'ASCEND': order = RangeRequest_SortOrder.ASCEND; break;
    case 'DESCEND': order = RangeRequest_SortOrder.DESCEND; break;
    case '': break;
    default: exitWithError(ExitBadFeature, `bad sort order ${orderText}`);
  }
  const targetText = flags.string('sort-by');
  let target = RangeRequest_SortTarget.KEY;
  switch (targetText.toUpperCase()) {
    case 'CREATE': target = RangeRequest_SortTarget.CREATE; break;
    case 'KEY': target = RangeRequest_SortTarget.KEY; break;
    case 'MODIFY': target = RangeRequest_SortTarget.MOD; break;
    case 'VALUE': target = RangeRequest_SortTarget.VALUE; break;
    case 'VERSION': target = RangeRequest_SortTarget.VERSION; break;
    case '': break;
    default: exitWithError(ExitBadFeature, `bad sort target ${targetText}`);
  }
  // Keys come back ascending anyway; clientv3 drops an explicit ascending key sort.
  if (target === RangeRequest_SortTarget.KEY && order === RangeRequest_SortOrder.ASCEND) order = RangeRequest_SortOrder.NONE;
  if (prefix) {
    if (key.length === 0) { key = FROM_KEY_END; rangeEnd = FROM_KEY_END; } else rangeEnd = prefixEnd(key);
  }
  if (fromKey) {
    if (key.length === 0) key = FROM_KEY_END;
    rangeEnd = FROM_KEY_END;
  }
  const rev = flags.int64('rev');
  return {
    key, rangeEnd,
    limit: flags.int64('limit'),
    revision: rev > 0n ? rev : 0n,
    sortOrder: order,
    sortTarget: target,
    serializable: consistency === 's',
    keysOnly: flags.bool('keys-only'),
  };
}

async function getRun(ctx: RunContext): Promise<void> {
  const req = rangeRequest(ctx.args.map(utf8Arg), ctx.flags);
  const timeoutMs = ctx.flags.durationMs('command-timeout');
  const { client, printer } = await mustClient(ctx);
  try {
    const resp = await rpc(client.range(req, { timeoutMs }));
    if (ctx.flags.bool('print-value-only')) {
      if (!(printer instanceof SimplePrinter)) exitWithError(ExitBadArgs, 'print-value-only is only for `--write-out=simple`');
      printer.valueOnly = true;
    }
    printer.get(resp);
  } finally {
    client.close();
  }
}

// ---- del ----

export const DEL_FLAGS = [
  flag.bool('prefix', false, 'delete keys with matching prefix'),
  flag.bool('prev-kv', false, 'return deleted key-value pairs'),
  flag.bool('from-key', false, 'delete keys that are greater than or equal to the given key using byte compare'),
];

/** etcdctl getDelOp. */
export function deleteRequest(args: Bytes[], flags: FlagSet): MessageInitShape<typeof DeleteRangeRequestSchema> {
  if (args.length === 0 || args.length > 2) exitWithError(ExitBadArgs, 'del command needs one argument as key and an optional argument as range_end');
  const prefix = flags.bool('prefix');
  const fromKey = flags.bool('from-key');
  if (prefix && fromKey) exitWithError(ExitBadArgs, '`--prefix` and `--from-key` cannot be set at the same time, choose one');
  let key = args[0] as Bytes;
  let rangeEnd: Bytes = new Uint8Array(0);
  if (args.length > 1) {
    if (prefix || fromKey) exitWithError(ExitBadArgs, 'too many arguments, only accept one argument when `--prefix` or `--from-key` is set');
    rangeEnd = args[1] as Bytes;
  }
  if (prefix) {
    if (key.length === 0) { key = FROM_KEY_END; rangeEnd = FROM_KEY_END; } else rangeEnd = prefixEnd(key);
  }
  if (fromKey) {
    if (key.length === 0) key = FROM_KEY_END;
    rangeEnd = FROM_KEY_END;
  }
  return { key, rangeEnd, prevKv: flags.bool('prev-kv') };
}

async function delRun(ctx: RunContext): Promise<void> {
  const req = deleteRequest(ctx.args.map(utf8Arg), ctx.flags);
  const timeoutMs = ctx.flags.durationMs('command-timeout');
  const { client, printer } = await mustClient(ctx);
  try {
    const resp = await rpc(client.deleteRange(req, { timeoutMs }));
    printer.del(resp);
  } finally {
    client.close();
  }
}

function utf8Arg(s: string): Bytes {
  return Buffer.from(s, 'utf8');
}

export const putCommand: CommandSpec = {
  use: 'put [options] <key> <value> (<value> can also be given from stdin)',
  short: 'Puts the given key into the store',
  long: PUT_LONG,
  flags: PUT_FLAGS,
  run: putRun,
};

export const getCommand: CommandSpec = {
  use: 'get [options] <key> [range_end]',
  short: 'Gets the key or a range of keys',
  flags: GET_FLAGS,
  run: getRun,
};

export const delCommand: CommandSpec = {
  use: 'del [options] <key> [range_end]',
  short: 'Removes the specified key or range of keys [key, range_end)',
  flags: DEL_FLAGS,
  run: delRun,
};

/** Validates request shapes eagerly (used by txn to build ops without sending them). */
export function buildRange(args: Bytes[], flags: FlagSet) { return create(RangeRequestSchema, rangeRequest(args, flags)); }
export function buildDelete(args: Bytes[], flags: FlagSet) { return create(DeleteRangeRequestSchema, deleteRequest(args, flags)); }
export async function buildPut(args: Bytes[], flags: FlagSet, stdin: LineReader) { return create(PutRequestSchema, await putRequest(args, flags, stdin)); }
