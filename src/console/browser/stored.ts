// The Overview's lookup of what the store holds for a channel or a user: its stored events and
// who follows it while offline.
import { api } from './api.ts';
import { add, clear, enc, fmtWhen, h } from './dom.ts';
import type { StoredLookup } from './types.ts';
import { status } from './ui.ts';

const clip = (s: string) => (s.length > 300 ? s.slice(0, 300) + '…' : s);
const head = (...names: string[]) =>
  h(
    'thead',
    {},
    h(
      'tr',
      {},
      names.map((n) => h('th', { text: n })),
    ),
  );

function results(r: StoredLookup): HTMLElement {
  const events = r.events.length
    ? h(
        'table',
        {},
        head('Time', 'Channel', 'Event', 'Data'),
        h(
          'tbody',
          {},
          r.events.map((e) =>
            h(
              'tr',
              {},
              [h('td', { text: fmtWhen(e.timestamp) }), h('td', { text: e.channel }), h('td', { text: e.event })],
              h('td', {}, h('code', { text: clip(e.data) })),
            ),
          ),
        ),
      )
    : h('div', { class: 'empty', text: 'No stored events.' });
  const subs = r.subscriptions.length
    ? h(
        'table',
        {},
        head(r.channel ? 'User' : 'Channel', 'Since'),
        h(
          'tbody',
          {},
          r.subscriptions.map((s) =>
            h('tr', {}, h('td', { text: r.channel ? s.user_id : s.channel }), h('td', { text: fmtWhen(s.created_at) })),
          ),
        ),
      )
    : h('div', { class: 'empty', text: 'No offline subscriptions.' });
  return h(
    'div',
    { class: 'stored-results' },
    h('div', {}, h('h3', { text: 'Stored events (newest first)' }), events),
    h('div', {}, h('h3', { text: 'Offline subscriptions' }), subs),
  );
}

export function storedCard(appId: string): HTMLElement {
  const kind = h(
    'select',
    { id: 's-kind' },
    h('option', { value: 'channel', text: 'Channel' }),
    h('option', { value: 'user_id', text: 'User id' }),
  );
  const name = h('input', { id: 's-name', placeholder: 'my-channel', required: true });
  const out = h('div', { id: 'stored' });
  const st = h('div', { class: 'status' });
  kind.addEventListener('change', () => (name.placeholder = kind.value === 'channel' ? 'my-channel' : 'user-42'));
  const lookUp = async (ev: Event) => {
    ev.preventDefault();
    status(st, 'Looking up…');
    const query = kind.value + '=' + enc(name.value.trim()) + '&count=50';
    try {
      const r = await api<StoredLookup>('GET', '/console/api/apps/' + enc(appId) + '/stored?' + query);
      status(st, '');
      add(clear(out), results(r));
    } catch (e) {
      status(st, (e as Error).message, 'bad');
    }
  };
  const form = h(
    'form',
    { class: 'row', id: 'stored-form', onsubmit: lookUp },
    h('label', {}, 'Look up', kind),
    h('label', { class: 'grow' }, 'Name', name),
    h('button', { type: 'submit', text: 'Show' }),
  );
  const hint = 'What the store holds for a channel or a user: its history and who follows it while offline.';
  return h(
    'section',
    { class: 'card' },
    h('h3', { text: 'Stored events and offline subscriptions' }),
    h('p', { class: 'hint', text: hint }),
    form,
    st,
    out,
  );
}
