// Shared pieces of command implementations.
import { EtcdError } from '../../../client/index.js';
import { CtlExit, ExitError } from '../exit.js';

/** Runs one RPC; an etcd error ends the command as etcdctl's ExitWithError(ExitError, err). */
export async function rpc<T>(p: Promise<T>): Promise<T> {
  try {
    return await p;
  } catch (e) {
    if (e instanceof EtcdError) throw new CtlExit(ExitError, e.message);
    throw e;
  }
}
