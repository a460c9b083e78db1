// What a server writes to its sockets, one entry per write handed to the kernel (net.Socket's
// _write/_writev), for asserting how many writes a reply took. Patches net.Socket in this test
// process only; the sockets are picked by the server's listening port.
import { Socket } from 'node:net';

type WriteFn = (this: Socket, chunk: string | Buffer, encoding: BufferEncoding, cb: () => void) => void;
type WritevFn = (this: Socket, chunks: { chunk: string | Buffer }[], cb: () => void) => void;

export interface ServerWrites {
  /** The writes to the server-side socket of the client whose local port is `clientPort`. */
  of(clientPort: number): string[];
  stop(): void;
}

export function recordServerWrites(serverPort: number): ServerWrites {
  const proto = Socket.prototype as unknown as { _write: WriteFn; _writev: WritevFn };
  const { _write: write, _writev: writev } = proto;
  const bySocket = new Map<number, string[]>();
  const record = (socket: Socket, text: string) => {
    if (socket.localPort !== serverPort || socket.remotePort === undefined) return;
    const list = bySocket.get(socket.remotePort) ?? [];
    list.push(text);
    bySocket.set(socket.remotePort, list);
  };
  proto._write = function (chunk, encoding, cb) {
    record(this, Buffer.from(chunk).toString('latin1'));
    return write.call(this, chunk, encoding, cb);
  };
  proto._writev = function (chunks, cb) {
    record(this, chunks.map((c) => Buffer.from(c.chunk).toString('latin1')).join(''));
    return writev.call(this, chunks, cb);
  };
  return {
    of: (clientPort) => bySocket.get(clientPort) ?? [],
    stop: () => {
      proto._write = write;
      proto._writev = writev;
    },
  };
}
