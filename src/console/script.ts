// The console's browser script (served at /console/console.js): plain ES2019, no framework.
// This part: sign-in, the API helper, hash routing, the app picker, toasts and dialogs; the views
// are in script-apps.ts, script-live.ts and script-overview.ts (one scope, concatenated here).
// Everything from clients (channel names, data, user info) is put in the page as text, never HTML.
import { APPS_JS } from './script-apps.ts';
import { LIVE_JS } from './script-live.ts';
import { OVERVIEW_JS } from './script-overview.ts';

const CORE_JS = String.raw`
  var BASE = document.querySelector('meta[name="pushi-base"]').getAttribute('content') || '';
  var TOKEN_KEY = 'pushi.console.token';
  var APP_KEY = 'pushi.console.app';
  var S = { token: sessionStorage.getItem(TOKEN_KEY) || '', apps: [], info: null, app: sessionStorage.getItem(APP_KEY) || '', cleanup: null };

  function $(id) { return document.getElementById(id); }
  function enc(s) { return encodeURIComponent(s); }
  /** h('div', {class: 'x', text: 'y', onclick: fn}, children...): text always as text. */
  function h(tag, attrs) {
    var e = document.createElement(tag);
    if (attrs) Object.keys(attrs).forEach(function (k) {
      var v = attrs[k];
      if (v === undefined || v === null || v === false) return;
      if (k === 'class') e.className = v;
      else if (k === 'text') e.textContent = String(v);
      else if (k === 'value') e.value = v;
      else if (k === 'checked') e.checked = !!v;
      else if (k.slice(0, 2) === 'on') e.addEventListener(k.slice(2), v);
      else e.setAttribute(k, v === true ? '' : String(v));
    });
    for (var i = 2; i < arguments.length; i++) add(e, arguments[i]);
    return e;
  }
  function add(parent, c) {
    if (c === null || c === undefined || c === false) return;
    if (Array.isArray(c)) c.forEach(function (x) { add(parent, x); });
    else parent.appendChild(typeof c === 'object' ? c : document.createTextNode(String(c)));
  }
  function clear(e) { while (e.firstChild) e.removeChild(e.firstChild); return e; }
  function fmtTime(t) { var d = new Date(t); return d.toLocaleTimeString([], { hour12: false }); }
  function fmtDate(t) { return new Date(t).toLocaleString([], { hour12: false }); }
  /** Time only for today, date and time before. */
  function fmtWhen(t) { return new Date(t).toDateString() === new Date().toDateString() ? fmtTime(t) : fmtDate(t); }
  function fmtNum(n) { return n >= 100 ? String(Math.round(n)) : n >= 1 ? n.toFixed(1).replace(/\.0$/, '') : String(Math.round(n * 100) / 100); }

  var toastTimer;
  function toast(text, bad) {
    var t = $('toast');
    t.textContent = text;
    t.className = 'show' + (bad ? ' bad' : '');
    clearTimeout(toastTimer);
    toastTimer = setTimeout(function () { t.className = ''; }, bad ? 5000 : 2500);
  }
  function status(el, text, kind) { el.textContent = text || ''; el.className = 'status' + (kind ? ' ' + kind : ''); }

  function authHeaders(json) {
    var hd = { Authorization: 'Bearer ' + S.token };
    if (json) hd['Content-Type'] = 'application/json';
    return hd;
  }
  /** Calls the server; rejects with the server's error message. A refused token signs out. */
  function api(method, path, body) {
    return fetch(BASE + path, { method: method, headers: authHeaders(body !== undefined), body: body === undefined ? undefined : JSON.stringify(body), cache: 'no-store' })
      .then(function (res) {
        if (res.status === 401) { signOut('The admin token was refused; sign in again.'); throw new Error('unauthorized'); }
        return res.json().catch(function () { return {}; }).then(function (json) {
          if (!res.ok) throw new Error(json.error || ('HTTP ' + res.status));
          return json;
        });
      });
  }
  function fail(e) { if (e && e.message !== 'unauthorized') toast(e.message || String(e), true); }

  function copy(text, what) {
    var done = function () { toast((what || 'Text') + ' copied'); };
    if (navigator.clipboard && window.isSecureContext) return navigator.clipboard.writeText(text).then(done, function () { fallbackCopy(text); done(); });
    fallbackCopy(text); done();
  }
  function fallbackCopy(text) {
    var t = h('textarea', { value: text, readonly: true });
    t.style.position = 'fixed'; t.style.opacity = '0';
    document.body.appendChild(t); t.select();
    try { document.execCommand('copy'); } catch (e) { /* nothing else to try */ }
    document.body.removeChild(t);
  }

  /** A confirmation dialog; with typeThis, the button waits until that text is typed. */
  function confirmDialog(title, text, okLabel, typeThis) {
    return new Promise(function (resolve) {
      var d = $('confirm'), input = $('confirm-type'), ok = $('confirm-ok');
      $('confirm-title').textContent = title;
      $('confirm-text').textContent = text;
      ok.textContent = okLabel || 'Confirm';
      $('confirm-type-label').hidden = !typeThis;
      input.value = '';
      $('confirm-type-hint').textContent = typeThis ? 'Type "' + typeThis + '" to confirm' : '';
      ok.disabled = !!typeThis;
      input.oninput = function () { ok.disabled = input.value !== typeThis; };
      d.onclose = function () { resolve(d.returnValue === 'ok'); };
      d.returnValue = '';
      d.showModal();
      if (typeThis) input.focus();
    });
  }

  // Sign-in
  function showLogin(message) {
    $('shell').hidden = true;
    $('login').hidden = false;
    status($('login-status'), message || '', message ? 'bad' : '');
    $('token').focus();
  }
  function signOut(message) {
    if (S.cleanup) { S.cleanup(); S.cleanup = null; }
    S.token = '';
    sessionStorage.removeItem(TOKEN_KEY);
    showLogin(message);
  }
  $('login-form').addEventListener('submit', function (ev) {
    ev.preventDefault();
    S.token = $('token').value.trim();
    status($('login-status'), 'Signing in…');
    start();
  });
  $('logout').addEventListener('click', function () { signOut(''); location.hash = '#/apps'; });

  function start() {
    if (!S.token) return showLogin();
    api('GET', '/console/api/info').then(function (info) {
      S.info = info;
      sessionStorage.setItem(TOKEN_KEY, S.token);
      return loadApps();
    }).then(function () {
      $('login').hidden = true;
      $('shell').hidden = false;
      $('token').value = '';
      route();
    }).catch(function (e) { if (e.message !== 'unauthorized') showLogin(e.message); });
  }

  // Apps in the picker
  function loadApps() {
    return api('GET', '/apps').then(function (r) {
      S.apps = r.apps.sort(function (a, b) { return a.name.localeCompare(b.name); });
      if (!S.apps.some(function (a) { return a.id === S.app; })) S.app = S.apps.length ? S.apps[0].id : '';
      fillPicker();
    });
  }
  function fillPicker() {
    var sel = clear($('app-select'));
    var names = {};
    S.apps.forEach(function (a) { names[a.name] = (names[a.name] || 0) + 1; });
    S.apps.forEach(function (a) { sel.appendChild(h('option', { value: a.id, title: a.id, text: a.name + (names[a.name] > 1 ? ' (' + a.id + ')' : '') })); });
    if (!S.apps.length) sel.appendChild(h('option', { value: '', text: 'no apps yet' }));
    sel.value = S.app;
    setTabLinks();
  }
  function selectApp(id) {
    S.app = id;
    sessionStorage.setItem(APP_KEY, id);
    $('app-select').value = id;
    setTabLinks();
    // Made elsewhere (CLI, API) since the list was read: read it again.
    if (!appById(id)) loadApps().catch(fail);
  }
  function setTabLinks() {
    var q = S.app ? '/' + enc(S.app) : '';
    document.querySelector('#tabs a[data-tab=live]').setAttribute('href', '#/live' + q);
    document.querySelector('#tabs a[data-tab=overview]').setAttribute('href', '#/overview' + q);
  }
  function appById(id) { return S.apps.filter(function (a) { return a.id === id; })[0]; }
  $('app-select').addEventListener('change', function () {
    var id = this.value, tab = currentRoute().tab;
    selectApp(id);
    location.hash = '#/' + (tab === 'apps' ? 'apps' : tab) + '/' + enc(id);
  });

  // Routing: #/apps, #/apps/{id}, #/live/{id}, #/overview/{id}
  function currentRoute() {
    var parts = location.hash.replace(/^#\/?/, '').split('/');
    var id = '';
    try { id = parts[1] ? decodeURIComponent(parts[1]) : ''; } catch (e) { id = ''; }
    return { tab: parts[0] || 'apps', id: id };
  }
  function route() {
    if (!S.token || $('shell').hidden) return;
    if (S.cleanup) { S.cleanup(); S.cleanup = null; }
    var r = currentRoute();
    var views = { apps: r.id ? appDetail : appsList, live: liveView, overview: overviewView };
    if (!views[r.tab]) r.tab = 'apps';
    if (r.tab !== 'apps') {
      if (!r.id) r.id = S.app;
      if (!r.id) { location.hash = '#/apps'; toast('Create an app first'); return; }
    }
    if (r.id) selectApp(r.id);
    Array.prototype.forEach.call(document.querySelectorAll('#tabs a'), function (a) { a.classList.toggle('active', a.getAttribute('data-tab') === r.tab); });
    var view = clear($('view'));
    window.scrollTo(0, 0);
    S.cleanup = (r.tab === 'apps' && !r.id ? appsList(view) : views[r.tab](view, r.id)) || null;
  }
  window.addEventListener('hashchange', route);
`;

/** The whole script: core first, then the views, in one function scope. */
export const CONSOLE_JS = `(function () {\n  'use strict';${CORE_JS}${APPS_JS}${LIVE_JS}${OVERVIEW_JS}\n  start();\n})();\n`;
