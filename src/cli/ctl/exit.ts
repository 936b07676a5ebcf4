// etcdctl's exit codes (ctlv3/command/error.go) and the way a command ends early.

export const ExitSuccess = 0;
export const ExitError = 1;
export const ExitBadConnection = 2;
/** txn and watch input errors */
export const ExitInvalidInput = 3;
/** a valid flag with an unsupported value, e.g. -w table for get */
export const ExitBadFeature = 4;
export const ExitInterrupted = 5;
export const ExitIO = 6;
export const ExitBadArgs = 128;

/**
 * Thrown to stop a command, as etcdctl's ExitWithError does: main prints
 * "Error: <message>" to stderr (unless `raw` text is given) and exits with `code`.
 */
export class CtlExit extends Error {
  constructor(readonly code: number, message: string, readonly raw?: string) {
    super(message);
  }
}

export function exitWithError(code: number, message: string): never {
  throw new CtlExit(code, message);
}

/**
 * etcdctl panics (nil pointer, bad compare operator, ...) end with Go's runtime
 * message and exit code 2; we reproduce the first line and the code, not the stack.
 */
export function goPanic(message: string): never {
  throw new CtlExit(2, message, `panic: ${message}\n\ngoroutine 1 [running]:\n(tsetcdctl: stack trace omitted)\n`);
}
