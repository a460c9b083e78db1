// The apps and the app picker in the header; which app the Live and Overview tabs show.
import { api, fail } from './api.ts';
import { $, clear, enc, h } from './dom.ts';
import { APP_KEY, S } from './state.ts';
import type { AppView } from './types.ts';

export const appById = (id: string): AppView | undefined => S.apps.find((a) => a.id === id);

/**
 * The app to show when none was chosen in this tab: the one with the most connections, else the
 * server's default app, else the first by name.
 */
export function initialApp(apps: AppView[], defaultApp: string | null | undefined): string {
  let busiest: AppView | undefined;
  for (const a of apps) if ((a.connections ?? 0) > (busiest?.connections ?? 0)) busiest = a;
  if (busiest) return busiest.id;
  if (defaultApp && apps.some((a) => a.id === defaultApp)) return defaultApp;
  return apps[0]?.id ?? '';
}

export async function loadApps(): Promise<void> {
  const r = await api<{ apps: AppView[] }>('GET', '/console/api/apps');
  S.apps = r.apps.sort((a, b) => a.name.localeCompare(b.name));
  if (!appById(S.app)) S.app = initialApp(S.apps, S.info?.default_app);
  fillPicker();
}

function fillPicker(): void {
  const sel = clear($<HTMLSelectElement>('app-select'));
  const names = new Map<string, number>();
  for (const a of S.apps) names.set(a.name, (names.get(a.name) ?? 0) + 1);
  for (const a of S.apps) {
    const text = a.name + ((names.get(a.name) ?? 0) > 1 ? ' (' + a.id + ')' : ''); // same names told apart
    sel.appendChild(h('option', { value: a.id, title: a.id, text }));
  }
  if (!S.apps.length) sel.appendChild(h('option', { value: '', text: 'no apps yet' }));
  sel.value = S.app;
  setTabLinks();
}

/** Chosen by the user (the picker, or an app's page): remembered in this tab. */
export function selectApp(id: string): void {
  S.app = id;
  sessionStorage.setItem(APP_KEY, id);
  $<HTMLSelectElement>('app-select').value = id;
  setTabLinks();
  // Made elsewhere (CLI, API) since the list was read: read it again.
  if (!appById(id)) loadApps().catch(fail);
}

function setTabLinks(): void {
  const q = S.app ? '/' + enc(S.app) : '';
  document.querySelector('#tabs a[data-tab=live]')?.setAttribute('href', '#/live' + q);
  document.querySelector('#tabs a[data-tab=overview]')?.setAttribute('href', '#/overview' + q);
}
