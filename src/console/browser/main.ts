// The web console's script (served at /console/console.js): sign-in, hash routing between the
// views (#/apps, #/apps/{id}, #/live/{id}, #/overview/{id}) and the app picker.
import { api, UNAUTHORIZED } from './api.ts';
import { appDetail } from './app-detail.ts';
import { appsList } from './apps-list.ts';
import { $, clear, enc } from './dom.ts';
import { liveView } from './live.ts';
import { overviewView } from './overview.ts';
import { loadApps, selectApp } from './picker.ts';
import { S, session, TOKEN_KEY } from './state.ts';
import type { ServerInfo } from './types.ts';
import { status, toast } from './ui.ts';

/** A view renders into `view` and may return what stops it (timers, streams). */
type View = (view: HTMLElement, id: string) => (() => void) | void;
const VIEWS: Record<string, View> = { live: liveView, overview: overviewView };

function showLogin(message = ''): void {
  $('shell').hidden = true;
  $('login').hidden = false;
  status($('login-status'), message, message ? 'bad' : '');
  $('token').focus();
}

function signOut(message: string): void {
  S.cleanup?.();
  S.cleanup = null;
  S.token = '';
  sessionStorage.removeItem(TOKEN_KEY);
  showLogin(message);
}
session.signOut = signOut;

async function start(): Promise<void> {
  if (!S.token) return showLogin();
  try {
    S.info = await api<ServerInfo>('GET', '/console/api/info');
    sessionStorage.setItem(TOKEN_KEY, S.token);
    await loadApps();
    $('login').hidden = true;
    $('shell').hidden = false;
    $<HTMLInputElement>('token').value = '';
    route();
  } catch (e) {
    if ((e as Error).message !== UNAUTHORIZED) showLogin((e as Error).message);
  }
}

function currentRoute(): { tab: string; id: string } {
  const parts = location.hash.replace(/^#\/?/, '').split('/');
  return { tab: parts[0] || 'apps', id: decoded(parts[1] ?? '') };
}

/** A hash part decoded; '' when malformed (the list is shown then). */
function decoded(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    return '';
  }
}

function route(): void {
  if (!S.token || $('shell').hidden) return;
  S.cleanup?.();
  S.cleanup = null;
  const r = currentRoute();
  if (r.tab !== 'apps' && !VIEWS[r.tab]) r.tab = 'apps';
  if (r.tab !== 'apps') {
    r.id ||= S.app;
    if (!r.id) {
      location.hash = '#/apps';
      toast('Create an app first');
      return;
    }
  }
  if (r.id) selectApp(r.id);
  for (const a of document.querySelectorAll('#tabs a'))
    a.classList.toggle('active', a.getAttribute('data-tab') === r.tab);
  const view = clear($('view'));
  window.scrollTo(0, 0);
  const render: View = r.tab === 'apps' ? (r.id ? appDetail : appsList) : VIEWS[r.tab];
  S.cleanup = render(view, r.id) || null;
}

$('login-form').addEventListener('submit', (ev) => {
  ev.preventDefault();
  S.token = $<HTMLInputElement>('token').value.trim();
  status($('login-status'), 'Signing in…');
  void start();
});
$('logout').addEventListener('click', () => {
  signOut('');
  location.hash = '#/apps';
});
$<HTMLSelectElement>('app-select').addEventListener('change', (ev) => {
  const id = (ev.target as HTMLSelectElement).value;
  const tab = currentRoute().tab;
  selectApp(id);
  location.hash = '#/' + tab + '/' + enc(id);
});
window.addEventListener('hashchange', route);
void start();
