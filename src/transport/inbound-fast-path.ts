// Inbound fast path. Nearly every client message reaches the server as one whole, masked text frame
// in one TCP read. Such a frame is unmasked, checked and handed on here. ws's Receiver is a Writable
// stream and costs a write, a callback and a nextTick for each frame. Every other case (partial or
// several frames, control frames, binary, fragments, bad UTF-8, oversize, a closing socket) goes to
// ws unchanged, so ws still owns the protocol's errors and close codes.
import { isUtf8 } from 'node:buffer';
import type { WebSocket } from 'ws';

/** The ws 8 Receiver fields read here (all set in its constructor). */
interface ReceiverInternals {
  _state: number;
  _bufferedBytes: number;
  _fragmented: number;
  _errored: boolean;
  _maxPayload: number;
  _writableState: { length: number };
  write(chunk: Buffer, encoding?: unknown, cb?: unknown): boolean;
}

const GET_INFO = 0; // ws's receiver state between frames

/**
 * The payload of `chunk` when `chunk` is exactly one final, masked text frame of at most
 * `maxPayload` bytes (0: no limit) holding valid UTF-8: unmasked in place, as ws does. Otherwise
 * undefined, with `chunk` as it came.
 */
export function wholeTextFrame(chunk: Buffer, maxPayload: number): Buffer | undefined {
  if (chunk.length < 6 || chunk[0] !== 0x81) return undefined; // FIN + text, no RSV bits
  let len = chunk[1];
  if (len < 0x80) return undefined; // unmasked: ws refuses it (1002)
  len &= 0x7f;
  let start = 6;
  if (len === 126) {
    len = chunk.readUInt16BE(2); // bytes 2-3 exist (length >= 6); a short chunk fails the length check below
    start = 8;
  } else if (len === 127) return undefined;
  if (chunk.length !== start + len || (maxPayload > 0 && len > maxPayload)) return undefined;
  toggleMask(chunk, start);
  const payload = chunk.subarray(start);
  if (isUtf8(payload)) return payload;
  toggleMask(chunk, start); // masked again: ws reads it and closes 1007
  return undefined;
}

/** XORs the payload with the 4-byte mask just before it (its own inverse). */
function toggleMask(chunk: Buffer, start: number): void {
  const m = start - 4;
  for (let i = start; i < chunk.length; i++) chunk[i] ^= chunk[m + ((i - start) & 3)];
}

let receiverProto: ReceiverInternals | undefined;
let fastProto: object | undefined;
let kWebSocket: symbol | undefined;

/**
 * Routes the socket's whole text frames past ws's Receiver. The receiver gets a prototype whose
 * `write` tries wholeTextFrame first: shared by every socket, no per-socket memory. Leaves ws as it
 * is when its internals are not the ones this was written against.
 */
export function useInboundFastPath(ws: WebSocket): void {
  const receiver = (ws as unknown as { _receiver?: ReceiverInternals })._receiver;
  if (!receiver) return;
  const proto = Object.getPrototypeOf(receiver) as ReceiverInternals;
  if (proto !== receiverProto) {
    if (receiverProto !== undefined) return; // a second Receiver class: leave it alone
    const key = Object.getOwnPropertySymbols(receiver).find((s) => s.description === 'websocket');
    const known =
      key !== undefined &&
      typeof receiver._state === 'number' &&
      typeof receiver._bufferedBytes === 'number' &&
      typeof receiver._fragmented === 'number' &&
      typeof receiver._errored === 'boolean' &&
      typeof receiver._maxPayload === 'number' &&
      typeof receiver._writableState?.length === 'number';
    if (!known) return;
    receiverProto = proto;
    kWebSocket = key;
    fastProto = Object.create(proto, { write: { value: fastWrite, writable: true, configurable: true } });
  }
  Object.setPrototypeOf(receiver, fastProto!);
}

// Parameters spelled out: a rest array would be made for every frame.
function fastWrite(this: ReceiverInternals, chunk: Buffer, encoding?: unknown, cb?: unknown): boolean {
  if (
    this._state === GET_INFO &&
    this._bufferedBytes === 0 &&
    this._fragmented === 0 &&
    !this._errored &&
    this._writableState.length === 0 &&
    Buffer.isBuffer(chunk)
  ) {
    const ws = (this as unknown as Record<symbol, WebSocket>)[kWebSocket!];
    if (ws.readyState === 1) {
      const payload = wholeTextFrame(chunk, this._maxPayload);
      if (payload !== undefined) {
        ws.emit('message', payload, false);
        return true;
      }
    }
  }
  return receiverProto!.write.call(this, chunk, encoding, cb);
}
