// Child process for the kill -9 test: commits batches forever (bounded), each batch writing 50
// rows and a counter in meta, and prints the counter after each commit returns. The parent
// SIGKILLs it mid-stream and checks that every printed (acknowledged) batch is on disk intact.
import { Backend } from '../../src/backend/backend.js';

const dir = process.argv[2];
if (dir === undefined) throw new Error('usage: crash_child DIR');
const backend = Backend.open(dir);
const start = backend.get('meta', Buffer.from('counter'))?.readUInt32BE(0) ?? 0;
for (let n = start + 1; n <= start + 1_000_000; n++) {
  backend.batch(() => {
    for (let i = 0; i < 50; i++) {
      const k = Buffer.alloc(8);
      k.writeUInt32BE(n, 0);
      k.writeUInt32BE(i, 4);
      backend.put('key', k, Buffer.alloc(100 + (i % 7) * 300, n & 0xff));
    }
    const c = Buffer.alloc(4);
    c.writeUInt32BE(n, 0);
    backend.put('meta', Buffer.from('counter'), c);
  });
  process.stdout.write(`${n}\n`);
}
