// One app's page: name and status, credentials (secret shown on demand, rotation), options,
// notification settings, connection snippets, and deleting it.
import { api, fail } from './api.ts';
import { add, clear, enc, h } from './dom.ts';
import { notifyCard } from './notify-options.ts';
import { optionsCard } from './options.ts';
import { loadApps } from './picker.ts';
import { snippetsCard } from './snippets.ts';
import type { AppView, OptionsView } from './types.ts';
import { confirmDialog, copy, status, toast } from './ui.ts';

const HIDDEN = '••••••••••••';

export function appDetail(view: HTMLElement, id: string): () => void {
  add(view, h('div', { class: 'empty', text: 'Loading…' }));
  let alive = true;
  api<AppView>('GET', '/console/api/apps/' + enc(id)).then(
    (app) => alive && renderApp(clear(view), app),
    (e: Error) => {
      if (!alive) return;
      clear(view);
      add(view, h('div', { class: 'card empty' }, e.message + ' ', h('a', { href: '#/apps', text: 'Back to apps' })));
    },
  );
  return () => (alive = false);
}

function renderApp(view: HTMLElement, app: AppView): void {
  const path = '/console/api/apps/' + enc(app.id);
  const rerender = (after: AppView) => renderApp(clear(view), after);
  async function patch(body: Record<string, unknown>, done: string): Promise<void> {
    const after = await api<AppView>('PATCH', path, body);
    toast(done);
    await loadApps();
    rerender(after);
  }
  const saveOptions = (options: Partial<OptionsView>, done: string) => patch({ options }, done);

  const nameIn = h('input', { id: 'app-name', value: app.name, maxlength: 100, required: true });
  const nameSt = h('div', { class: 'status' });
  const toggle = async () => {
    const next = !app.enabled;
    const why = 'Its open connections are closed and new ones are refused until you enable it again.';
    const ok = next || (await confirmDialog('Disable ' + app.name + '?', why, 'Disable'));
    if (ok) await patch({ enabled: next }, next ? 'App enabled' : 'App disabled');
  };
  const enabledBtn = h('button', {
    type: 'button',
    class: 'secondary',
    id: 'toggle-enabled',
    text: app.enabled ? 'Disable app' : 'Enable app',
    onclick: () => toggle().catch(fail),
  });
  const rename = (ev: Event) => {
    ev.preventDefault();
    patch({ name: nameIn.value.trim() }, 'Renamed').catch((e: Error) => status(nameSt, e.message, 'bad'));
  };
  const pill = h('span', { class: 'pill ' + (app.enabled ? 'ok' : 'bad'), text: app.enabled ? 'enabled' : 'disabled' });
  const links = h(
    'span',
    { class: 'links' },
    h('a', { href: '#/live/' + enc(app.id), text: 'Live' }),
    h('a', { href: '#/overview/' + enc(app.id), text: 'Overview' }),
  );
  add(view, [
    h(
      'div',
      { class: 'page-head' },
      h('a', { href: '#/apps', text: '← Apps' }),
      h('h2', { id: 'app-title', text: app.name }),
      pill,
      links,
    ),
    h(
      'div',
      { class: 'grid2' },
      h(
        'section',
        { class: 'card' },
        h('h3', { text: 'Name and status' }),
        h(
          'form',
          { class: 'row', id: 'rename', onsubmit: rename },
          h('label', { class: 'grow' }, 'Name', nameIn),
          h('button', { type: 'submit', text: 'Rename' }),
          enabledBtn,
        ),
        nameSt,
      ),
      credentialsCard(app, path, rerender),
    ),
    optionsCard(app, (options) => saveOptions(options, 'Options saved')),
    notifyCard(app, (options) => saveOptions(options, 'Notification settings saved')),
    snippetsCard(app),
    deleteCard(app, path),
  ]);
}

function credentialsCard(app: AppView, path: string, rerender: (a: AppView) => void): HTMLElement {
  const secret = h('code', { id: 'secret', text: HIDDEN });
  const showBtn = h('button', { type: 'button', class: 'small secondary', text: 'Show' });
  let shown = false;
  showBtn.addEventListener('click', () => {
    shown = !shown;
    secret.textContent = shown ? app.secret : HIDDEN;
    showBtn.textContent = shown ? 'Hide' : 'Show';
  });
  const copyBtn = h('button', {
    type: 'button',
    class: 'small secondary',
    text: 'Copy',
    onclick: () => copy(app.secret, 'Secret'),
  });
  const rotate = async () => {
    const why = 'The old secret stops working at once: back ends and auth endpoints must get the new one.';
    if (!(await confirmDialog('Rotate the secret of ' + app.name + '?', why, 'Rotate'))) return;
    const after = await api<AppView>('POST', path + '/rotate_secret');
    toast('New secret issued');
    rerender(after);
  };
  return h(
    'section',
    { class: 'card' },
    h('h3', { text: 'Credentials' }),
    h(
      'dl',
      { class: 'kv' },
      [h('dt', { text: 'app_id' }), h('dd', {}, credRow(app.id, 'App id'))],
      [h('dt', { text: 'key' }), h('dd', {}, credRow(app.key, 'Key'))],
      [h('dt', { text: 'secret' }), h('dd', {}, h('span', { class: 'cred' }, secret, showBtn, copyBtn))],
    ),
    h(
      'div',
      { class: 'row' },
      h('button', {
        type: 'button',
        class: 'secondary',
        id: 'rotate',
        text: 'Rotate secret',
        onclick: () => rotate().catch(fail),
      }),
    ),
  );
}

function credRow(value: string, what: string): HTMLElement {
  return h(
    'span',
    { class: 'cred' },
    h('code', { text: value }),
    h('button', { type: 'button', class: 'small secondary', text: 'Copy', onclick: () => copy(value, what) }),
  );
}

function deleteCard(app: AppView, path: string): HTMLElement {
  const remove = async () => {
    if (!(await confirmDialog('Delete ' + app.name + '?', 'This cannot be undone.', 'Delete app', app.name))) return;
    await api('DELETE', path);
    toast('App ' + app.name + ' deleted');
    await loadApps();
    location.hash = '#/apps';
  };
  const what =
    'Closes its connections and deletes everything stored for it: subscriptions, stored events, queued webhooks.';
  return h(
    'section',
    { class: 'card danger-zone' },
    h('h3', { text: 'Delete app' }),
    h('p', { class: 'hint', text: what + ' There is no undo.' }),
    h('button', {
      type: 'button',
      class: 'danger',
      id: 'delete-app',
      text: 'Delete ' + app.name,
      onclick: () => remove().catch(fail),
    }),
  );
}
