// The Overview tab: polls the app's overview every two seconds (not while the tab is hidden):
// number tiles with charts of the last minutes, the busiest and largest channels, presence
// channels with their members, and the stored-events lookup.
import { api, fail } from './api.ts';
import { add, clear, enc, fmtNum, fmtTime, h } from './dom.ts';
import { drawChart } from './chart.ts';
import { appById } from './picker.ts';
import { storedCard } from './stored.ts';
import type { Overview } from './types.ts';

const POLL_MS = 2000;

function tile(id: string, label: string, color: string) {
  const num = h('div', { class: 'num', id: 'n-' + id, text: '–' });
  const note = h('div', { class: 'note', id: 'note-' + id });
  const canvas = h('canvas', { id: 'c-' + id, 'aria-label': label + ' over the last minutes', role: 'img' });
  return {
    el: h('section', { class: 'card tile' }, h('div', { class: 'label', text: label }), num, note, canvas),
    set(text: string, small: string, values: (number | null)[], noteText = '') {
      add(clear(num), [text, small ? h('small', { text: ' ' + small }) : null]);
      note.textContent = noteText || ' ';
      drawChart(canvas, values, color);
    },
  };
}

type Column = [title: string, cls?: string];
function table(head: Column[], rows: (string | number)[][], empty: string): HTMLElement {
  if (!rows.length) return h('div', { class: 'empty', text: empty });
  return h(
    'table',
    {},
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        head.map(([title, cls]) => h('th', { class: cls, text: title })),
      ),
    ),
    h(
      'tbody',
      {},
      rows.map((r) =>
        h(
          'tr',
          {},
          r.map((v, i) => h('td', { class: head[i][1], text: v })),
        ),
      ),
    ),
  );
}

const mean = (a: number[]) => (a.length ? a.reduce((x, y) => x + y, 0) / a.length : 0);
const numbers = (a: (number | null)[]) => a.filter((v): v is number => v !== null);

export function overviewView(view: HTMLElement, appId: string): () => void {
  const app = appById(appId) ?? { id: appId, name: appId };
  const tiles = {
    conn: tile('connections', 'Connections', '#3a6df0'),
    chan: tile('channels', 'Channels', '#1d9a55'),
    msg: tile('messages', 'Messages / s', '#7a4fd1'),
    lat: tile('latency', 'Delivery latency', '#b7791f'),
  };
  const busiest = h('div', { id: 'busiest' });
  const largest = h('div', { id: 'largest' });
  const presence = h('div', { id: 'presence' });
  const updated = h('span', { class: 'hint', id: 'updated' });
  const chartsHint =
    'Charts: the last five minutes, one point a second, on this node. Delivery latency is the time from an API ' +
    'trigger to its message being written to the subscribers (storing it included).';
  const card = (title: string, hint: string, body: HTMLElement) =>
    h(
      'section',
      { class: 'card' },
      h('h3', { text: title }),
      hint ? h('p', { class: 'hint', text: hint }) : null,
      body,
    );
  add(view, [
    h(
      'div',
      { class: 'page-head' },
      h('h2', { text: 'Overview: ' + app.name }),
      h('span', { class: 'spacer' }),
      updated,
    ),
    h('div', { class: 'tiles' }, tiles.conn.el, tiles.chan.el, tiles.msg.el, tiles.lat.el),
    h('p', { class: 'hint', text: chartsHint }),
    h(
      'div',
      { class: 'grid2' },
      card('Busiest channels', 'Events published in the last minute.', busiest),
      card('Largest channels', 'By subscribers right now.', largest),
    ),
    card('Presence channels', '', presence),
    storedCard(appId),
  ]);

  let timer: ReturnType<typeof setTimeout> | undefined;
  let alive = true;
  let last: Overview | null = null;
  function render(o: Overview): void {
    const s = o.series;
    const subs = o.subscriptions + (o.subscriptions === 1 ? ' subscription' : ' subscriptions');
    tiles.conn.set(String(o.connections), '', s.connections, 'this node');
    tiles.chan.set(String(o.channels), subs, s.channels, o.presence_channels ? o.presence_channels + ' presence' : '');
    const published = fmtNum(mean(s.events.slice(-5))) + ' published/s';
    tiles.msg.set(fmtNum(mean(s.messages.slice(-5))), 'delivered', s.messages, published);
    const lat = numbers(s.latencyAvg);
    const maxLat = Math.max(0, ...numbers(s.latencyMax.slice(-60)));
    const latNote = maxLat ? 'peak ' + fmtNum(maxLat) + ' ms, last minute' : '';
    if (lat.length) tiles.lat.set(fmtNum(lat[lat.length - 1]), 'ms', s.latencyAvg, latNote);
    else tiles.lat.set('–', 'no triggers yet', s.latencyAvg, latNote);
    const busy = o.busiest.map((b) => [b.channel, b.events, b.subscribers]);
    clear(busiest).appendChild(
      table([['Channel'], ['Events', 'n'], ['Subscribers', 'n']], busy, 'No events in the last minute.'),
    );
    const large = o.largest.map((c) => [c.channel, c.subscribers, c.user_count ?? '']);
    clear(largest).appendChild(
      table([['Channel'], ['Subscribers', 'n'], ['Members', 'n']], large, 'No occupied channels.'),
    );
    clear(presence);
    if (!o.presence.length)
      presence.appendChild(h('div', { class: 'empty', text: 'No presence channels are occupied.' }));
    for (const p of o.presence) presence.appendChild(presenceChannel(p));
    updated.textContent = 'updated ' + fmtTime(o.at);
    last = o;
  }
  async function poll(): Promise<void> {
    if (!alive) return;
    if (document.hidden) {
      timer = setTimeout(poll, POLL_MS);
      return;
    }
    try {
      render(await api<Overview>('GET', '/console/api/apps/' + enc(appId) + '/overview'));
      if (alive) timer = setTimeout(poll, POLL_MS);
    } catch (e) {
      const message = (e as Error).message;
      if (/^Unknown app/.test(message)) return void (updated.textContent = message); // gone: stop asking
      fail(e);
      if (alive) timer = setTimeout(poll, POLL_MS * 3);
    }
  }
  const redraw = () => last && render(last);
  window.addEventListener('resize', redraw);
  void poll();
  return () => {
    alive = false;
    clearTimeout(timer);
    window.removeEventListener('resize', redraw);
  };
}

function presenceChannel(p: Overview['presence'][number]): HTMLElement {
  const members = p.members.map((m) => {
    const info = m.info === undefined || m.info === null ? '' : JSON.stringify(m.info);
    const shown = info && info !== '{}' ? h('span', { class: 'info', text: info }) : null;
    return h('span', { class: 'member', 'data-user': m.id, title: info }, h('span', { text: m.id }), shown);
  });
  const count = '  ' + p.user_count + (p.user_count === 1 ? ' member' : ' members');
  return h(
    'div',
    { class: 'presence-ch', 'data-channel': p.channel },
    h('div', {}, h('b', { text: p.channel }), h('span', { class: 'hint', text: count })),
    h('div', { class: 'members' }, members),
  );
}
