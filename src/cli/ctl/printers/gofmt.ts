// Small pieces of Go formatting that etcdctl output depends on.
import { goPanic } from '../exit.js';

/** fmt "%x" of a uint64 (member ids). */
export function hexId(v: bigint): string {
  return v.toString(16);
}

/** fmt "%016x" of an int64 (lease ids): zero-padded to 16, a '-' sign counting in the width. */
export function hexId16(v: bigint): string {
  if (v < 0n) return '-' + (-v).toString(16).padStart(15, '0');
  return v.toString(16).padStart(16, '0');
}

const SIZES = ['B', 'kB', 'MB', 'GB', 'TB', 'PB', 'EB'];

/** github.com/dustin/go-humanize Bytes(): SI units, one decimal below 10. */
export function humanizeBytes(n: bigint): string {
  if (n < 10n) return `${n} B`;
  const s = Number(n);
  const e = Math.floor(Math.log(s) / Math.log(1000));
  const suffix = SIZES[e] ?? '?';
  const val = Math.floor((s / 1000 ** e) * 10 + 0.5) / 10;
  return val < 10 ? `${goFixed(val, 1)} ${suffix}` : `${goFixed(val, 0)} ${suffix}`;
}

/**
 * Go's %.Nf: rounds the exact binary value half to even, where JS toFixed rounds ties up
 * (20.5 prints "20" in Go, "21" in JS).
 */
export function goFixed(v: number, digits: number): string {
  const scaled = v * 10 ** digits;
  const floor = Math.floor(scaled);
  const diff = scaled - floor;
  if (diff === 0.5 && Number.isInteger(floor) && (v * 10 ** digits) === floor + 0.5) {
    const even = floor % 2 === 0 ? floor : floor + 1;
    return (even / 10 ** digits).toFixed(digits);
  }
  return v.toFixed(digits);
}

/** etcdctl --hex: every byte as \xNN. */
export function hexEscape(b: Uint8Array): string {
  let s = '';
  for (const x of b) s += '\\x' + x.toString(16).padStart(2, '0');
  return s;
}

/** Dereferencing a missing message in Go panics; etcdctl does so on responses without a header. */
export function must<T>(v: T | undefined): T {
  if (v === undefined) goPanic('runtime error: invalid memory address or nil pointer dereference\n[signal SIGSEGV: segmentation violation code=0x1 addr=0x0 pc=0x0]');
  return v;
}
