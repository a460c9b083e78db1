// The server's own view of its memory after a full garbage collection, through the inspector
// (`node --inspect=127.0.0.1:PORT`): heap and Buffer bytes that are live, not whatever garbage the
// last burst left, which is all that RSS or the /metrics heap gauges can tell.
import http from 'node:http';
import WebSocket from 'ws';

function getJson(port, path) {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path }, (res) => {
        let body = '';
        res.on('data', (c) => (body += c));
        res.on('end', () => {
          try {
            resolve(JSON.parse(body));
          } catch (e) {
            reject(e);
          }
        });
      })
      .on('error', reject);
  });
}

/** The node flag that opens the inspector on `port` (loopback only). */
export const inspectFlag = (port) => `--inspect=127.0.0.1:${port}`;

/** Collects garbage in the server, then returns its process.memoryUsage() (bytes). */
export async function liveMemory(port) {
  const [target] = await getJson(port, '/json/list');
  const ws = new WebSocket(target.webSocketDebuggerUrl, { perMessageDeflate: false });
  await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
  let id = 0;
  const call = (method, params = {}) =>
    new Promise((resolve, reject) => {
      const mine = ++id;
      const onMessage = (data) => {
        const m = JSON.parse(data.toString());
        if (m.id !== mine) return;
        ws.off('message', onMessage);
        if (m.error) reject(new Error(`${method}: ${m.error.message}`));
        else resolve(m.result);
      };
      ws.on('message', onMessage);
      ws.send(JSON.stringify({ id: mine, method, params }));
    });
  try {
    // Twice: the first pass can leave objects whose finalizers free more on the second.
    await call('HeapProfiler.collectGarbage');
    await call('HeapProfiler.collectGarbage');
    const r = await call('Runtime.evaluate', {
      expression: 'JSON.stringify(process.memoryUsage())',
      returnByValue: true,
    });
    return JSON.parse(r.result.value);
  } finally {
    ws.close();
  }
}
