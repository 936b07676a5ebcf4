/**
 * Something the configuration wants logged once the logger exists — the logger is itself
 * configured by the flags being parsed, so parsing collects these instead of logging them.
 */
export interface ConfigNotice {
  readonly level: 'info' | 'warn';
  readonly msg: string;
  readonly fields?: Readonly<Record<string, unknown>>;
}
