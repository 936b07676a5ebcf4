// An in-process member on a free 127.0.0.1 port with a temp data dir, and a gRPC transport to it.
import { createGrpcTransport } from '@connectrpc/connect-node';
import { startMember, type Member } from '../../src/embed/member.js';
import { tempDir } from './tmp.js';

export interface TestMember {
  member: Member;
  url: string;
  transport: ReturnType<typeof createGrpcTransport>;
  dataDir: string;
  /** Stops the member (keeps the data dir). */
  stop(): Promise<void>;
  /** Stops the member and removes its data dir. */
  dispose(): Promise<void>;
}

export async function startTestMember(dataDir?: string): Promise<TestMember> {
  const tmp = dataDir === undefined ? tempDir() : { dir: dataDir, remove: () => undefined };
  const member = await startMember({ dataDir: tmp.dir, listenClientUrls: ['http://127.0.0.1:0'], defaultMetrics: false });
  const url = member.clientUrls[0]!;
  return {
    member,
    url,
    transport: createGrpcTransport({ baseUrl: url }),
    dataDir: tmp.dir,
    stop: () => member.stop(),
    dispose: async () => {
      await member.stop();
      tmp.remove();
    },
  };
}
