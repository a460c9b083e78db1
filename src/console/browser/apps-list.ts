// The Apps tab: every app as a card, and a form creating one.
import { api, fail } from './api.ts';
import { add, clear, enc, fmtDate, h } from './dom.ts';
import { loadApps } from './picker.ts';
import { S } from './state.ts';
import type { AppView } from './types.ts';
import { status, toast } from './ui.ts';

export function appsList(view: HTMLElement): void {
  const name = h('input', { id: 'new-app-name', placeholder: 'my-app', maxlength: 100, required: true });
  name.setAttribute('aria-label', 'New app name');
  const st = h('div', { class: 'status' });
  const create = async (ev: Event) => {
    ev.preventDefault();
    const n = name.value.trim();
    if (!n) return;
    status(st, 'Creating…');
    try {
      const app = await api<AppView>('POST', '/console/api/apps', { name: n });
      toast('App ' + app.name + ' created');
      await loadApps();
      location.hash = '#/apps/' + enc(app.id);
    } catch (e) {
      status(st, (e as Error).message, 'bad');
    }
  };
  const form = h(
    'form',
    { class: 'row', id: 'create-app', onsubmit: create },
    h('label', { class: 'grow' }, 'Name', name),
    h('button', { type: 'submit', text: 'Create app' }),
  );
  const list = h('div', { class: 'app-list', id: 'app-list' });
  const hint = 'Gets a fresh id, key and secret; every option starts at its default.';
  add(view, [
    h(
      'div',
      { class: 'page-head' },
      h('h2', { text: 'Apps' }),
      h('span', { class: 'sub', text: S.apps.length + ' on this server' }),
    ),
    h('section', { class: 'card' }, h('h3', { text: 'New app' }), h('p', { class: 'hint', text: hint }), form, st),
    list,
  ]);
  const render = () => {
    clear(list);
    if (!S.apps.length) list.appendChild(h('div', { class: 'card empty', text: 'No apps yet: create one above.' }));
    for (const a of S.apps) list.appendChild(appCard(a));
  };
  render();
  loadApps().then(render).catch(fail);
}

function appCard(a: AppView): HTMLElement {
  const id = enc(a.id);
  return h(
    'section',
    { class: 'card app-card', 'data-app': a.id },
    h(
      'div',
      { class: 'name' },
      h('a', { href: '#/apps/' + id, text: a.name }),
      h('span', { class: 'pill ' + (a.enabled ? 'ok' : 'bad'), text: a.enabled ? 'enabled' : 'disabled' }),
    ),
    h(
      'dl',
      { class: 'kv' },
      [h('dt', { text: 'id' }), h('dd', { text: a.id }), h('dt', { text: 'key' }), h('dd', { text: a.key })],
      [h('dt', { text: 'created' }), h('dd', { text: fmtDate(a.created_at) })],
    ),
    h(
      'div',
      { class: 'row' },
      h('a', { href: '#/apps/' + id, text: 'Settings' }),
      ' · ',
      h('a', { href: '#/live/' + id, text: 'Live' }),
      ' · ',
      h('a', { href: '#/overview/' + id, text: 'Overview' }),
    ),
  );
}
