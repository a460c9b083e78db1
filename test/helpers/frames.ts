// Client-side WebSocket frames built byte by byte, for tests that need shapes a well-behaved client
// library never sends (split, unmasked, invalid UTF-8, fragmented).
import { randomBytes } from 'node:crypto';

export interface FrameShape {
  opcode?: number; // 1 text (default), 2 binary, 0 continuation
  fin?: boolean; // default true
  masked?: boolean; // default true (clients must mask)
}

export function clientFrame(payload: Buffer | string, shape: FrameShape = {}): Buffer {
  const data = typeof payload === 'string' ? Buffer.from(payload) : payload;
  const { opcode = 1, fin = true, masked = true } = shape;
  const len = data.length;
  const ext = len < 126 ? 0 : len < 65536 ? 2 : 8;
  const head = Buffer.alloc(2 + ext + (masked ? 4 : 0));
  head[0] = (fin ? 0x80 : 0) | opcode;
  head[1] = (masked ? 0x80 : 0) | (ext === 0 ? len : ext === 2 ? 126 : 127);
  if (ext === 2) head.writeUInt16BE(len, 2);
  if (ext === 8) head.writeBigUInt64BE(BigInt(len), 2);
  if (!masked) return Buffer.concat([head, data]);
  const mask = randomBytes(4);
  mask.copy(head, 2 + ext);
  const body = Buffer.from(data);
  for (let i = 0; i < body.length; i++) body[i] ^= mask[i & 3];
  return Buffer.concat([head, body]);
}
