// One raw Pusher protocol 7 connection for the recovery scenarios, which read every frame (positions,
// `recovered`, replayed events) rather than only counting marked payloads as the harness does.
import WebSocket from 'ws';

/** A frame, parsed, with its size on the wire and the payload's sequence mark (harness makePayload). */
export function parseEvent(data) {
  const m = JSON.parse(data.toString());
  const seq = typeof m.data === 'string' ? /~S(\d+)~/.exec(m.data) : null;
  return { ...m, bytes: data.length, seq: seq ? Number(seq[1]) : null };
}

/** subscription_succeeded's data: the channel's position and, after `recover`, whether it was served. */
export const subscribedData = (m) => (typeof m.data === 'string' ? JSON.parse(m.data) : (m.data ?? {}));

/**
 * Opens a connection and resolves with { ws, socketId } once `connection_established` arrived.
 * `onFrame(message)` then gets every later frame, parsed; pings are answered here.
 */
export function connect({ host, port, key }, onFrame) {
  return new Promise((resolve, reject) => {
    const url = `ws://${host}:${port}/app/${key}?protocol=7&client=pushi-bench&version=1.0`;
    const ws = new WebSocket(url, { perMessageDeflate: false, handshakeTimeout: 60000 });
    let socketId = null;
    ws.on('message', (data) => {
      const m = parseEvent(data);
      if (socketId === null) {
        if (m.event !== 'pusher:connection_established') return reject(new Error(`first frame: ${data}`));
        socketId = JSON.parse(m.data).socket_id;
        return resolve({ ws, socketId });
      }
      if (m.event === 'pusher:ping') return ws.send('{"event":"pusher:pong","data":{}}');
      onFrame(m);
    });
    ws.on('error', (e) => (socketId === null ? reject(e) : onFrame({ event: 'socket-error', error: String(e) })));
    ws.on('close', (code) => socketId === null && reject(new Error(`closed before connection_established (${code})`)));
  });
}

export function subscribe(ws, channel, recover) {
  ws.send(JSON.stringify({ event: 'pusher:subscribe', data: recover ? { channel, recover } : { channel } }));
}

export function unsubscribe(ws, channel) {
  ws.send(JSON.stringify({ event: 'pusher:unsubscribe', data: { channel } }));
}
