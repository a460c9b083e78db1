// hundred-k's load-generator child: holds a slice of the Pusher WebSockets (at most ~16,000 per
// process: the file limit), each subscribed to one channel and bound to one of this process's own
// local addresses and an explicit port of the window [portLo, portHi] (hundred-k-checks.mjs says why);
// a port that another program holds is replaced by a spare one from the window's end.
//
// The generator shares two cores with the server, so it speaks WebSocket itself over net.Socket: the
// upgrade request, then server frames split by their headers and nothing more. A text frame with the
// payload's "~T" mark is a bench event, counted per socket; only sampled sockets read the send time
// out of it. Its own frames (subscribe, pongs) are masked with a zero key, which leaves the bytes as
// they are. Controlled by hundred-k.mjs over IPC.
import crypto from 'node:crypto';
import net from 'node:net';
import { Hist } from '../harness/lib/hist.mjs';
import { nowMs } from '../harness/lib/pusher.mjs';

const b = (s) => Buffer.from(s);
const MARK = b('~T');
const TILDE = 0x7e;
const HEAD_END = b('\r\n\r\n');
const PING = b('pusher:ping');
const ESTABLISHED = b('connection_established');
const SUBSCRIBED = b('subscription_succeeded');
const ERROR = b('error');
const [HANDSHAKE, UPGRADED, SUBSCRIBING, SUBSCRIBED_] = [0, 1, 2, 3];

/** A masked (zero key) client frame: text (opcode 1) or pong (10); payloads under 126 bytes. */
function clientFrame(opcode, payload) {
  const p = Buffer.isBuffer(payload) ? payload : b(payload);
  return Buffer.concat([Buffer.from([0x80 | opcode, 0x80 | p.length, 0, 0, 0, 0]), p]);
}
const PONG = clientFrame(1, '{"event":"pusher:pong","data":{}}');

let cfg = null;
let socks = [];
let counts = null; // bench events per socket
let next = 0;
let inFlight = 0;
let spare = []; // per address: the next port not planned for any socket
const subscribeFrames = new Map();
const st = { connected: 0, subscribed: 0, received: 0, errors: 0, closed: 0, portsTaken: 0, lastError: null };
let lat = new Hist();
let firstRecv = 0;
let lastRecv = 0;

function openNext() {
  while (inFlight < cfg.concurrency && next < cfg.count) openOne(next++);
}

function failed(s, why) {
  st.errors++;
  st.lastError ??= why;
  if (s.state < SUBSCRIBING && !s.done) {
    s.done = true;
    inFlight--;
    setImmediate(openNext);
  }
}

function openOne(k, port) {
  const gi = cfg.first + k;
  const nAddr = cfg.localAddrs.length;
  const channel = `${cfg.prefix}${gi % cfg.channels}`;
  if (!subscribeFrames.has(channel))
    subscribeFrames.set(channel, clientFrame(1, `{"event":"pusher:subscribe","data":{"channel":"${channel}"}}`));
  const s = { k, sock: null, state: HANDSHAKE, pending: null, sampled: gi % cfg.sampleEvery === 0, done: false };
  s.subscribe = subscribeFrames.get(channel);
  socks[k] = s;
  if (port === undefined) inFlight++;
  const sock = net.connect({
    host: cfg.host,
    port: cfg.port,
    localAddress: cfg.localAddrs[k % nAddr],
    localPort: port ?? cfg.portLo + Math.floor(k / nAddr),
  });
  s.sock = sock;
  sock.setNoDelay(true);
  sock.on('connect', () =>
    sock.write(
      `GET ${cfg.path} HTTP/1.1\r\nHost: ${cfg.host}:${cfg.port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
        `Sec-WebSocket-Key: ${crypto.randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
    ),
  );
  sock.on('data', (chunk) => onData(s, chunk));
  sock.on('error', (e) => {
    if (e?.code === 'EADDRINUSE' && s.state === HANDSHAKE && spare[k % nAddr] <= cfg.portHi) {
      s.done = true; // replaced: this one's close is not a failure
      st.portsTaken++;
      return openOne(k, spare[k % nAddr]++);
    }
    failed(s, String(e?.message));
  });
  sock.on('close', () => {
    if (s.done && s.state === HANDSHAKE) return;
    st.closed++;
    if (s.state < SUBSCRIBING) failed(s, 'closed before subscribing');
  });
}

function onData(s, chunk) {
  let buf = s.pending ? Buffer.concat([s.pending, chunk]) : chunk;
  s.pending = null;
  let off = 0;
  if (s.state === HANDSHAKE) {
    const end = buf.indexOf(HEAD_END);
    if (end < 0) return void (s.pending = buf);
    if (buf.toString('latin1', 9, 12) !== '101') {
      s.sock.destroy();
      return failed(s, buf.toString('latin1', 0, Math.min(end, 200)));
    }
    s.state = UPGRADED;
    off = end + 4;
  }
  while (buf.length - off >= 2) {
    let len = buf[off + 1] & 0x7f;
    let h = 2;
    if (len === 126) {
      if (buf.length - off < 4) break;
      len = buf.readUInt16BE(off + 2);
      h = 4;
    } else if (len === 127) {
      if (buf.length - off < 10) break;
      len = Number(buf.readBigUInt64BE(off + 2));
      h = 10;
    }
    if (buf.length - off < h + len) break;
    onFrame(s, buf[off] & 0x0f, buf, off + h, off + h + len);
    off += h + len;
  }
  if (off < buf.length) s.pending = Buffer.from(buf.subarray(off)); // a copy: the chunk is not kept alive
}

const has = (buf, what, start, end) => {
  const i = buf.indexOf(what, start);
  return i >= 0 && i < end;
};

function onFrame(s, opcode, buf, start, end) {
  if (opcode === 9) return void s.sock.write(clientFrame(10, buf.subarray(start, end)));
  if (opcode === 8) return void s.sock.end();
  if (opcode !== 1) return;
  if (s.state === SUBSCRIBED_) {
    const i = buf.indexOf(MARK, start);
    if (i >= 0 && i < end) {
      counts[s.k]++;
      st.received++;
      const t = nowMs();
      if (!firstRecv) firstRecv = t;
      lastRecv = t;
      if (s.sampled) {
        let j = i + 2;
        while (j < end && buf[j] !== TILDE) j++;
        lat.add(t - parseFloat(buf.toString('latin1', i + 2, j)));
      }
    } else if (has(buf, PING, start, end)) s.sock.write(PONG);
    else if (has(buf, ERROR, start, end)) failed(s, buf.toString('utf8', start, Math.min(end, start + 200)));
  } else if (s.state === UPGRADED && has(buf, ESTABLISHED, start, end)) {
    s.state = SUBSCRIBING;
    st.connected++;
    s.done = true;
    inFlight--;
    s.sock.write(s.subscribe);
    setImmediate(openNext);
  } else if (s.state === SUBSCRIBING && has(buf, SUBSCRIBED, start, end)) {
    s.state = SUBSCRIBED_;
    st.subscribed++;
  } else if (has(buf, ERROR, start, end)) failed(s, buf.toString('utf8', start, Math.min(end, start + 200)));
}

/** Subscribed sockets by bench events received, { [count]: sockets }: the parent checks them against the events sent. */
function countsHistogram() {
  const h = {};
  for (let k = 0; k < next; k++) if (socks[k].state === SUBSCRIBED_) h[counts[k]] = (h[counts[k]] ?? 0) + 1;
  return h;
}

setInterval(() => process.send({ type: 'progress', ...st, attempted: next }), 250).unref();

process.on('message', (m) => {
  if (m.cmd === 'open') {
    cfg = m.cfg;
    socks = new Array(cfg.count);
    counts = new Uint32Array(cfg.count);
    const planned = Math.ceil(cfg.count / cfg.localAddrs.length);
    spare = cfg.localAddrs.map(() => cfg.portLo + planned);
    openNext();
  } else if (m.cmd === 'reset') {
    counts.fill(0);
    st.received = 0;
    firstRecv = lastRecv = 0;
    lat = new Hist();
    process.send({ type: 'reset' });
  } else if (m.cmd === 'stats') {
    const cu = process.cpuUsage();
    process.send({
      type: 'stats',
      ...st,
      firstRecv,
      lastRecv,
      lat: lat.toJSON(),
      perSocket: countsHistogram(),
      cpuMs: (cu.user + cu.system) / 1000,
      rssKb: Math.round(process.memoryUsage().rss / 1024),
    });
  } else if (m.cmd === 'close') {
    for (const s of socks) s?.sock?.destroy();
    process.send({ type: 'close' });
  }
});
process.on('disconnect', () => process.exit(0));
