// Error classes of the WAL. Each names the file and byte offset involved so that an
// operator reading a failed start-up log knows exactly what to inspect.

export class WalError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WalError';
  }
}

/** A record that is damaged and is NOT the torn tail of the last segment. */
export class WalCorruptionError extends WalError {
  constructor(
    readonly file: string,
    readonly offset: number,
    readonly reason: string,
  ) {
    super(`wal: corrupt record in ${file} at offset ${offset}: ${reason}`);
    this.name = 'WalCorruptionError';
  }
}

/** The last segment ends in a partially written record and repair was not requested. */
export class WalTornTailError extends WalError {
  constructor(
    readonly file: string,
    readonly offset: number,
    readonly reason: string,
  ) {
    super(
      `wal: torn write at the end of ${file} at offset ${offset}: ${reason} ` +
        `(open with repairTornTail to truncate it)`,
    );
    this.name = 'WalTornTailError';
  }
}

/** Another process (or another Wal in this process) holds the directory. */
export class WalLockedError extends WalError {
  constructor(
    readonly dir: string,
    readonly holder: string,
  ) {
    super(`wal: directory ${dir} is locked by ${holder}`);
    this.name = 'WalLockedError';
  }
}
