// The Live tab: an app's debug stream as it happens, filtered by channel, event and kind; paused
// (holding what arrives meanwhile); and a form triggering test events.
import { api } from './api.ts';
import { add, clear, enc, fmtTime, h } from './dom.ts';
import { appById } from './picker.ts';
import { openStream, type StreamState } from './stream.ts';
import type { StreamEntry } from './types.ts';
import { status } from './ui.ts';

const KEEP = 500;
const HOLD = 2000;
/** Entry type → [label, badge style, filter group]. */
const KINDS: Record<string, [string, string, string]> = {
  connected: ['connection', 'conn', 'connections'],
  disconnected: ['disconnected', 'disc', 'connections'],
  rejected: ['rejected', 'fail', 'connections'],
  subscribed: ['subscribed', 'sub', 'subscriptions'],
  unsubscribed: ['unsubscribed', 'sub', 'subscriptions'],
  occupied: ['occupied', 'sub', 'subscriptions'],
  vacated: ['vacated', 'sub', 'subscriptions'],
  member_added: ['member joined', 'member', 'presence'],
  member_removed: ['member left', 'member', 'presence'],
  api_event: ['api event', 'event', 'events'],
  client_event: ['client event', 'client', 'events'],
  cache_miss: ['cache miss', 'sub', 'events'],
  webhook_sent: ['webhook sent', 'hook', 'webhooks'],
  webhook_failed: ['webhook failed', 'fail', 'webhooks'],
  webhook_gave_up: ['webhook gave up', 'fail', 'webhooks'],
  dropped: ['dropped', 'fail', 'all'],
};
const GROUPS = ['all', 'events', 'connections', 'subscriptions', 'presence', 'webhooks'];
const kindOf = (e: StreamEntry) => KINDS[e.type] ?? [e.type, '', 'all'];

/** Short JSON stays on one line; longer JSON is indented; anything else as it is. */
function pretty(s: string): string {
  let v: unknown;
  try {
    v = JSON.parse(s);
  } catch {
    return s;
  }
  if (typeof v !== 'object' || v === null) return s;
  const flat = JSON.stringify(v);
  return flat.length <= 90 ? flat : JSON.stringify(v, null, 2);
}

function row(e: StreamEntry): HTMLElement {
  const [label, badge] = kindOf(e);
  const what = h('div', { class: 'what' });
  const chans = e.channels && e.channels.length > 1 ? e.channels.join(', ') : e.channel;
  if (chans) add(what, h('span', { class: 'ch', text: chans }));
  if (e.event) add(what, [chans ? '  ' : '', h('span', { class: 'ev', text: e.event })]);
  const meta: string[] = [];
  if (e.socket_id) meta.push('socket ' + e.socket_id);
  if (e.user_id) meta.push('user ' + e.user_id);
  if (e.detail) meta.push(e.detail);
  if (e.type === 'dropped') meta.push(e.count + ' entries dropped: the stream could not keep up');
  if (meta.length) add(what, [chans || e.event ? ' ' : '', h('span', { class: 'meta', text: meta.join(' · ') })]);
  if (e.data !== undefined) add(what, h('pre', { text: pretty(e.data) + (e.truncated ? '\n… (cut)' : '') }));
  if (e.info !== undefined && e.info !== null) add(what, h('pre', { text: pretty(JSON.stringify(e.info)) }));
  const time = h('span', { class: 'time', text: fmtTime(e.t) });
  return h('li', { 'data-type': e.type }, time, h('span', { class: 'badge k-' + badge, text: label }), what);
}

export function liveView(view: HTMLElement, appId: string): () => void {
  const app = appById(appId) ?? { id: appId, name: appId };
  let entries: StreamEntry[] = [];
  let held: StreamEntry[] = [];
  let paused = false;
  let lastState: StreamState = 'connecting';
  const fChannel = h('input', { id: 'f-channel', placeholder: 'any channel', type: 'search' });
  const fEvent = h('input', { id: 'f-event', placeholder: 'any event', type: 'search' });
  const kindOptions = GROUPS.map((k) => h('option', { value: k, text: k === 'all' ? 'everything' : k }));
  const fKind = h('select', { id: 'f-kind' }, kindOptions);
  const state = h('span', { class: 'pill connecting', id: 'stream-state', text: 'connecting' });
  const pauseBtn = h('button', { type: 'button', class: 'secondary', id: 'pause', text: 'Pause' });
  const list = h('ul', { id: 'stream' });
  const count = h('span', { class: 'hint', id: 'stream-count' });

  function matches(e: StreamEntry): boolean {
    const group = kindOf(e)[2];
    if (fKind.value !== 'all' && group !== fKind.value && group !== 'all') return false;
    const c = fChannel.value.trim().toLowerCase();
    const ev = fEvent.value.trim().toLowerCase();
    const chans = e.channels ?? (e.channel ? [e.channel] : []);
    if (c && !chans.some((x) => x.toLowerCase().includes(c))) return false;
    return !ev || Boolean(e.event?.toLowerCase().includes(ev));
  }
  function renderAll(): void {
    clear(list);
    const shown = entries.filter(matches);
    for (const e of shown.slice(-KEEP).reverse()) list.appendChild(row(e));
    if (!shown.length) {
      const text = entries.length
        ? 'Nothing matches the filter.'
        : 'Waiting for activity… connect a client or trigger an event.';
      list.appendChild(h('li', { class: 'empty', text }));
    }
    counter();
  }
  function counter(): void {
    count.textContent = entries.length + ' received' + (held.length ? ', ' + held.length + ' held while paused' : '');
  }
  function take(e: StreamEntry): void {
    entries.push(e);
    if (entries.length > KEEP) entries.shift();
    if (!matches(e)) return counter();
    if (list.firstElementChild?.classList.contains('empty')) list.removeChild(list.firstElementChild);
    list.insertBefore(row(e), list.firstChild);
    while (list.children.length > KEEP) list.lastElementChild?.remove();
    counter();
  }
  function onEntry(e: StreamEntry): void {
    if (!paused) return take(e);
    if (held.length < HOLD) held.push(e);
    pauseBtn.textContent = 'Resume (' + held.length + ')';
    counter();
  }
  function setState(s: StreamState | 'paused'): void {
    if (s !== 'paused') lastState = s;
    const shown = paused ? 'paused' : s;
    state.textContent = shown;
    state.className = 'pill ' + (shown === 'unknown app' ? 'bad' : shown);
  }
  pauseBtn.addEventListener('click', () => {
    paused = !paused;
    if (!paused) {
      const release = held;
      held = [];
      release.forEach(take);
    }
    pauseBtn.textContent = paused ? 'Resume' : 'Pause';
    setState(paused ? 'paused' : lastState);
    counter();
  });
  for (const i of [fChannel, fEvent]) i.addEventListener('input', renderAll);
  fKind.addEventListener('change', renderAll);
  const clearAll = () => {
    entries = [];
    held = [];
    if (paused) pauseBtn.textContent = 'Resume';
    renderAll();
  };

  const toolbar = h(
    'div',
    { class: 'toolbar' },
    [h('label', {}, 'Channel', fChannel), h('label', {}, 'Event', fEvent), h('label', {}, 'Show', fKind)],
    h('span', { class: 'spacer' }),
    pauseBtn,
    h('button', { type: 'button', class: 'ghost', text: 'Clear', onclick: clearAll }),
  );
  add(view, [
    h(
      'div',
      { class: 'page-head' },
      h('h2', { text: 'Live: ' + app.name }),
      state,
      h('span', { class: 'spacer' }),
      count,
    ),
    h('div', { class: 'live-grid' }, h('section', { class: 'card' }, toolbar, list), triggerCard(appId)),
  ]);
  renderAll();
  return openStream(appId, onEntry, setState);
}

function triggerCard(appId: string): HTMLElement {
  const ch = h('input', { id: 't-channel', value: 'my-channel', required: true });
  const ev = h('input', { id: 't-event', value: 'my-event', required: true });
  const data = h('textarea', { id: 't-data', value: '{"message":"hello"}', rows: 3 });
  const st = h('div', { class: 'status', id: 't-status' });
  const send = (e: Event) => {
    e.preventDefault();
    status(st, 'Sending…');
    const body = { channel: ch.value.trim(), event: ev.value.trim(), data: data.value };
    api('POST', '/console/api/apps/' + enc(appId) + '/trigger', body)
      .then(() => status(st, 'Sent at ' + fmtTime(Date.now()), 'good'))
      .catch((x: Error) => status(st, x.message, 'bad'));
  };
  const form = h(
    'form',
    { id: 'trigger', onsubmit: send },
    h('div', { class: 'pair' }, h('label', {}, 'Channel', ch), h('label', {}, 'Event', ev)),
    h('label', {}, 'Data (JSON or text)', data),
    h('button', { type: 'submit', text: 'Trigger event' }),
    st,
  );
  const hint = 'Published like POST /apps/{id}/events: every subscriber of the channel gets it.';
  return h(
    'section',
    { class: 'card trigger' },
    h('h3', { text: 'Trigger a test event' }),
    h('p', { class: 'hint', text: hint }),
    form,
  );
}
