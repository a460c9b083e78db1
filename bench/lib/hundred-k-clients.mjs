// hundred-k's load-generator child: holds a slice of the Pusher WebSockets (raw `ws`, at most ~16,000
// per process: the file limit), each subscribed to one channel and bound to one of this process's own
// local addresses and an explicit port of the window [portLo, portHi] (hundred-k-checks.mjs says why);
// a port that another program holds is replaced by a spare one from the window's end. Kept cheap, since it shares two cores with the server: a bench event is recognised by the
// "~T" mark of the payload in the frame's bytes and counted per socket; only sampled sockets read the
// send time out of it. Controlled by hundred-k.mjs over IPC.
import WebSocket from 'ws';
import { Hist } from '../harness/lib/hist.mjs';
import { nowMs } from '../harness/lib/pusher.mjs';

const MARK = Buffer.from('~T');
const TILDE = 0x7e;
const PING = Buffer.from('pusher:ping');
const SUBSCRIBED = Buffer.from('subscription_succeeded');
const ESTABLISHED = Buffer.from('connection_established');

let cfg = null;
let socks = [];
let counts = null; // bench events per socket
let next = 0;
let inFlight = 0;
let spare = []; // per address: the next port not planned for any socket
const st = { connected: 0, subscribed: 0, received: 0, errors: 0, closed: 0, portsTaken: 0, lastError: null };
let lat = new Hist();
let firstRecv = 0;
let lastRecv = 0;

function openNext() {
  while (inFlight < cfg.concurrency && next < cfg.count) openOne(next++);
}

function failed(k, why) {
  st.errors++;
  st.lastError ??= why;
  if (socks[k].state === 0) {
    socks[k].state = -1;
    inFlight--;
    setImmediate(openNext);
  }
}

function openOne(k, port) {
  const gi = cfg.first + k;
  const nAddr = cfg.localAddrs.length;
  const channel = `${cfg.prefix}${gi % cfg.channels}`;
  const sampled = gi % cfg.sampleEvery === 0;
  const s = { ws: null, state: 0 };
  socks[k] = s;
  inFlight++;
  const ws = new WebSocket(cfg.url, {
    perMessageDeflate: false,
    skipUTF8Validation: true,
    handshakeTimeout: 120_000,
    localAddress: cfg.localAddrs[k % nAddr],
    localPort: port ?? cfg.portLo + Math.floor(k / nAddr),
  });
  s.ws = ws;
  ws.on('message', (data) => {
    if (s.state === 2) {
      const i = data.indexOf(MARK);
      if (i >= 0) {
        counts[k]++;
        st.received++;
        const t = nowMs();
        if (!firstRecv) firstRecv = t;
        lastRecv = t;
        if (sampled) {
          let j = i + 2;
          while (j < data.length && data[j] !== TILDE) j++;
          lat.add(t - parseFloat(data.toString('latin1', i + 2, j)));
        }
        return;
      }
      if (data.indexOf(PING) >= 0) ws.send('{"event":"pusher:pong","data":{}}');
      else if (data.indexOf('error') >= 0) failed(k, data.toString().slice(0, 200));
      return;
    }
    if (s.state === 0 && data.indexOf(ESTABLISHED) >= 0) {
      s.state = 1;
      st.connected++;
      inFlight--;
      ws.send(`{"event":"pusher:subscribe","data":{"channel":"${channel}"}}`);
      setImmediate(openNext);
    } else if (s.state === 1 && data.indexOf(SUBSCRIBED) >= 0) {
      s.state = 2;
      st.subscribed++;
    } else if (data.indexOf('error') >= 0) failed(k, data.toString().slice(0, 200));
  });
  ws.on('error', (e) => {
    if (e?.code === 'EADDRINUSE' && s.state === 0 && spare[k % nAddr] <= cfg.portHi) {
      s.state = -2; // retried: its close event is not a failure
      inFlight--;
      st.portsTaken++;
      return openOne(k, spare[k % nAddr]++);
    }
    failed(k, String(e?.message));
  });
  ws.on('close', () => {
    st.closed++;
    if (s.state === 0) failed(k, 'closed before connection_established');
    else if (s.state === -2) st.closed--;
  });
}

/** Subscribed sockets by bench events received, { [count]: sockets }: the parent checks them against the events sent. */
function countsHistogram() {
  const h = {};
  for (let k = 0; k < next; k++) if (socks[k].state === 2) h[counts[k]] = (h[counts[k]] ?? 0) + 1;
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
    for (const s of socks) s?.ws?.terminate();
    process.send({ type: 'close' });
  }
});
process.on('disconnect', () => process.exit(0));
