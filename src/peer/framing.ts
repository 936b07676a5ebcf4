// Raft messages on a peer stream: each message is a 4-byte big-endian length followed by the
// message in the Raft codec's binary form. One send() of many messages becomes one buffer (one
// write, one HTTP/2 DATA frame train), and the reader copes with frames split across chunks.
import { type Message, Writer, writeMessage, decodeMessage } from '../raft/index.js';

/** Largest single message accepted from a peer (a snapshot travels on its own request). */
export const MAX_FRAME_BYTES = 512 * 1024 * 1024;

export function encodeFrames(msgs: readonly Message[]): Uint8Array {
  // One buffer sized for the whole batch up front (entry payloads dominate), each message
  // encoded straight into it behind a length patched in afterwards: no per-message copies.
  let estimate = 0;
  for (const m of msgs) {
    estimate += 96 + (m.context?.length ?? 0);
    for (const e of m.entries) estimate += 24 + e.data.length;
  }
  const w = new Writer(estimate);
  for (const m of msgs) {
    const at = w.skip(4);
    writeMessage(w, m);
    w.patchUint32BE(at, w.length - at - 4);
  }
  return w.view();
}

/** Incremental decoder: push chunks, get whole messages out. Throws on a corrupt stream. */
export class FrameReader {
  private pending: Buffer | null = null;

  push(chunk: Buffer, onMessage: (m: Message) => void): void {
    const buf = this.pending === null ? chunk : Buffer.concat([this.pending, chunk]);
    this.pending = null;
    let off = 0;
    while (buf.length - off >= 4) {
      const len = buf.readUInt32BE(off);
      if (len > MAX_FRAME_BYTES) throw new Error(`peer frame of ${len} bytes exceeds ${MAX_FRAME_BYTES}`);
      if (buf.length - off - 4 < len) break;
      // The codec copies the byte fields it keeps, so a view is enough here.
      const body = buf.subarray(off + 4, off + 4 + len);
      off += 4 + len;
      onMessage(decodeMessage(body));
    }
    // Keep only the unfinished tail (copied, so the big chunk it came from can be freed).
    if (off < buf.length) this.pending = Buffer.from(buf.subarray(off));
  }
}
