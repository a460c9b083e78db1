// The live debug stream of one app as Server-Sent Events. The console reads it with fetch (so the
// admin token travels in the Authorization header, not the URL). A slow reader is not buffered
// without bound: past HIGH_WATER entries are dropped and counted, and the count is sent once the
// socket drains. Heartbeat comments keep proxies from closing an idle stream.
import type { RequestContext, Reply } from '../api/router.ts';
import type { ConsoleEntry, ConsoleFeed } from './feed.ts';

const HIGH_WATER = 256 * 1024;
const HEARTBEAT_MS = 15_000;

export function streamEntries(
  ctx: RequestContext,
  feed: ConsoleFeed,
  app: { id: string; key: string },
): Promise<Reply> {
  const { res, req } = ctx;
  res.writeHead(200, {
    'Content-Type': 'text/event-stream; charset=utf-8',
    'Cache-Control': 'no-store',
    'X-Accel-Buffering': 'no', // nginx: pass events through as they come
    'Access-Control-Allow-Origin': '*',
  });
  req.socket.setNoDelay(true);
  let dropped = 0;
  const write = (e: ConsoleEntry | { type: string; t: number; count?: number }) =>
    res.write(`data: ${JSON.stringify(e)}\n\n`);
  write({ type: 'hello', t: Date.now() });
  const off = feed.listen(app, (e) => {
    if (res.writableLength > HIGH_WATER) {
      dropped++;
      return;
    }
    if (dropped) {
      write({ type: 'dropped', t: Date.now(), count: dropped });
      dropped = 0;
    }
    write(e);
  });
  const heartbeat = setInterval(() => {
    if (dropped && res.writableLength <= HIGH_WATER) {
      write({ type: 'dropped', t: Date.now(), count: dropped });
      dropped = 0;
    } else res.write(': ping\n\n');
  }, HEARTBEAT_MS);
  heartbeat.unref();
  return new Promise((resolve) => {
    res.once('close', () => {
      off();
      clearInterval(heartbeat);
      resolve({ status: 200, streamed: true });
    });
  });
}
