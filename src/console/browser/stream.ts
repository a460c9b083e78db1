// Reads an app's live debug stream (Server-Sent Events) with fetch, so the token stays in a header;
// reconnects with back-off.
import { authHeaders } from './api.ts';
import { enc } from './dom.ts';
import { BASE, session } from './state.ts';
import type { StreamEntry } from './types.ts';

export type StreamState = 'connecting' | 'live' | 'reconnecting' | 'unknown app';

/** The `data:` lines of one SSE block, joined; '' for comments (heartbeats). */
function dataOf(block: string): string {
  return block
    .split('\n')
    .filter((l) => l.startsWith('data:'))
    .map((l) => l.slice(5).replace(/^ /, ''))
    .join('\n');
}

/** Opens the stream; returns a function that stops it. */
export function openStream(
  appId: string,
  onEntry: (e: StreamEntry) => void,
  onState: (s: StreamState) => void,
): () => void {
  let stopped = false;
  let ctrl: AbortController | null = null;
  let delay = 1000;
  let timer: ReturnType<typeof setTimeout> | undefined;

  async function read(res: Response): Promise<void> {
    if (res.status === 401) {
      stopped = true;
      session.signOut('The admin token was refused; sign in again.');
      return;
    }
    if (res.status === 404) {
      stopped = true;
      onState('unknown app');
      return;
    }
    if (!res.ok || !res.body) throw new Error('HTTP ' + res.status);
    const reader = res.body.getReader();
    const dec = new TextDecoder();
    let buf = '';
    for (;;) {
      const r = await reader.read();
      if (r.done) throw new Error('stream ended');
      buf += dec.decode(r.value, { stream: true });
      let cut: number;
      while ((cut = buf.indexOf('\n\n')) >= 0) {
        const data = dataOf(buf.slice(0, cut));
        buf = buf.slice(cut + 2);
        if (!data) continue;
        const e = JSON.parse(data) as StreamEntry;
        if (e.type === 'hello') {
          delay = 1000;
          onState('live');
        } else onEntry(e);
      }
    }
  }

  function connect(): void {
    if (stopped) return;
    ctrl = new AbortController();
    onState('connecting');
    const url = BASE + '/console/api/apps/' + enc(appId) + '/stream';
    fetch(url, { headers: authHeaders(false), signal: ctrl.signal, cache: 'no-store' })
      .then(read)
      .catch(() => {
        if (stopped) return;
        onState('reconnecting');
        timer = setTimeout(connect, delay);
        delay = Math.min(delay * 2, 15000);
      });
  }
  connect();
  return () => {
    stopped = true;
    clearTimeout(timer);
    ctrl?.abort();
  };
}
