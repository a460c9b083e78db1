// Console views: the app list and one app (rename, enable, options, webhooks, secret, delete),
// through the public admin API (/apps). Snippets are in script-snippets.ts.
import { SNIPPETS_JS } from './script-snippets.ts';

export const APPS_JS =
  String.raw`
  var WEBHOOK_EVENTS = ['channel_occupied', 'channel_vacated', 'member_added', 'member_removed', 'client_event', 'cache_miss', 'subscription_count'];
  var OPTION_GROUPS = [
    ['Client events', [['clientEvents', 'Allow client- events on private and presence channels'], ['maxClientEventsPerSecond', 'Client events per connection per second']]],
    ['Limits', [['maxConnections', 'Open connections (0 = unlimited)'], ['maxEventBytes', 'Event data, bytes'], ['maxChannelsPerTrigger', 'Channels per trigger'],
      ['maxBatchEvents', 'Events per batch trigger'], ['maxApiRequestsPerSecond', 'API requests per second (0 = unlimited)'],
      ['maxPresenceMembers', 'Members per presence channel'], ['maxPresenceUserInfoBytes', 'user_info per member, bytes']]],
    ['Persistence defaults', [['persist', 'Store triggered events (a trigger may say otherwise)'], ['historyCount', 'Stored events sent on subscribe'],
      ['maxStoredEventsPerChannel', 'Stored events kept per channel'], ['maxStoredEventAge', 'Oldest stored event kept, seconds (0 = no limit)']]],
    ['Channels and users', [['subscriptionCount', 'Send subscription_count to subscribers'], ['cacheTtl', 'Cache channels remember, seconds'],
      ['userAuthentication', 'Close connections that do not sign in'], ['userAuthenticationTimeout', 'Sign-in deadline, seconds'],
      ['allowedOrigins', 'Allowed origins, one per line (empty = any)']]],
    ['Webhook delivery', [['webhookBatchMs', 'Batch window, ms'], ['webhookRetryMs', 'First retry after, ms'], ['webhookRetryForMs', 'Keep retrying for, ms'], ['webhookTimeoutMs', 'Timeout per attempt, ms']]]
  ];

  function appsList(view) {
    var name = h('input', { id: 'new-app-name', placeholder: 'my-app', maxlength: 100, required: true, 'aria-label': 'New app name' });
    var st = h('div', { class: 'status' });
    var form = h('form', { class: 'row', id: 'create-app', onsubmit: function (ev) {
      ev.preventDefault();
      var n = name.value.trim();
      if (!n) return;
      status(st, 'Creating…');
      api('POST', '/apps', { name: n }).then(function (app) {
        toast('App ' + app.name + ' created');
        return loadApps().then(function () { location.hash = '#/apps/' + enc(app.id); });
      }).catch(function (e) { status(st, e.message, 'bad'); });
    } }, h('label', { class: 'grow' }, 'Name', name), h('button', { type: 'submit', text: 'Create app' }));
    var list = h('div', { class: 'app-list', id: 'app-list' });
    add(view, [
      h('div', { class: 'page-head' }, h('h2', { text: 'Apps' }), h('span', { class: 'sub', text: S.apps.length + ' on this server' })),
      h('section', { class: 'card' }, h('h3', { text: 'New app' }), h('p', { class: 'hint', text: 'Gets a fresh id, key and secret; every option starts at its default.' }), form, st),
      list
    ]);
    function render() {
      clear(list);
      if (!S.apps.length) list.appendChild(h('div', { class: 'card empty', text: 'No apps yet: create one above.' }));
      S.apps.forEach(function (a) {
        list.appendChild(h('section', { class: 'card app-card', 'data-app': a.id },
          h('div', { class: 'name' }, h('a', { href: '#/apps/' + enc(a.id), text: a.name }), h('span', { class: 'pill ' + (a.enabled ? 'ok' : 'bad'), text: a.enabled ? 'enabled' : 'disabled' })),
          h('dl', { class: 'kv' }, h('dt', { text: 'id' }), h('dd', { text: a.id }), h('dt', { text: 'key' }), h('dd', { text: a.key }), h('dt', { text: 'created' }), h('dd', { text: fmtDate(a.created_at) })),
          h('div', { class: 'row' },
            h('a', { href: '#/apps/' + enc(a.id), text: 'Settings' }), ' · ',
            h('a', { href: '#/live/' + enc(a.id), text: 'Live' }), ' · ',
            h('a', { href: '#/overview/' + enc(a.id), text: 'Overview' }))));
      });
    }
    render();
    loadApps().then(render).catch(fail);
  }

  function appDetail(view, id) {
    add(view, h('div', { class: 'empty', text: 'Loading…' }));
    var alive = true;
    api('GET', '/apps/' + enc(id)).then(function (app) { if (alive) renderApp(clear(view), app); }).catch(function (e) {
      if (!alive) return;
      clear(view);
      add(view, h('div', { class: 'card empty' }, e.message + ' ', h('a', { href: '#/apps', text: 'Back to apps' })));
    });
    return function () { alive = false; };
  }

  function renderApp(view, app) {
    var nameIn = h('input', { id: 'app-name', value: app.name, maxlength: 100, required: true });
    var nameSt = h('div', { class: 'status' });
    var enabledBtn = h('button', { type: 'button', class: 'secondary', id: 'toggle-enabled', text: app.enabled ? 'Disable app' : 'Enable app', onclick: function () {
      var next = !app.enabled;
      var go = next ? Promise.resolve(true) : confirmDialog('Disable ' + app.name + '?', 'Its open connections are closed and new ones are refused until you enable it again.', 'Disable');
      go.then(function (ok) { if (ok) return patch({ enabled: next }, next ? 'App enabled' : 'App disabled'); }).catch(fail);
    } });
    function patch(body, done) {
      return api('PATCH', '/apps/' + enc(app.id), body).then(function (after) {
        toast(done);
        return loadApps().then(function () { renderApp(clear(view), after); });
      });
    }
    var secret = h('code', { id: 'secret', text: '••••••••••••' });
    var shown = false;
    add(view, [
      h('div', { class: 'page-head' },
        h('a', { href: '#/apps', text: '← Apps' }),
        h('h2', { id: 'app-title', text: app.name }),
        h('span', { class: 'pill ' + (app.enabled ? 'ok' : 'bad'), text: app.enabled ? 'enabled' : 'disabled' }),
        h('span', { class: 'links' }, h('a', { href: '#/live/' + enc(app.id), text: 'Live' }), h('a', { href: '#/overview/' + enc(app.id), text: 'Overview' }))),
      h('div', { class: 'grid2' },
        h('section', { class: 'card' }, h('h3', { text: 'Name and status' }),
          h('form', { class: 'row', id: 'rename', onsubmit: function (ev) {
            ev.preventDefault();
            patch({ name: nameIn.value.trim() }, 'Renamed').catch(function (e) { status(nameSt, e.message, 'bad'); });
          } }, h('label', { class: 'grow' }, 'Name', nameIn), h('button', { type: 'submit', text: 'Rename' }), enabledBtn), nameSt),
        h('section', { class: 'card' }, h('h3', { text: 'Credentials' }),
          h('dl', { class: 'kv' },
            h('dt', { text: 'app_id' }), h('dd', {}, credRow(app.id, 'App id')),
            h('dt', { text: 'key' }), h('dd', {}, credRow(app.key, 'Key')),
            h('dt', { text: 'secret' }), h('dd', {}, h('span', { class: 'cred' }, secret,
              h('button', { type: 'button', class: 'small secondary', text: 'Show', onclick: function () {
                shown = !shown; secret.textContent = shown ? app.secret : '••••••••••••'; this.textContent = shown ? 'Hide' : 'Show';
              } }),
              h('button', { type: 'button', class: 'small secondary', text: 'Copy', onclick: function () { copy(app.secret, 'Secret'); } })))),
          h('div', { class: 'row' },
            h('button', { type: 'button', class: 'secondary', id: 'rotate', text: 'Rotate secret', onclick: function () {
              confirmDialog('Rotate the secret of ' + app.name + '?', 'The old secret stops working at once: back ends and auth endpoints must get the new one.', 'Rotate').then(function (ok) {
                if (!ok) return;
                return api('POST', '/apps/' + enc(app.id) + '/rotate_secret').then(function (after) { toast('New secret issued'); renderApp(clear(view), after); });
              }).catch(fail);
            } })))),
      optionsCard(app, function (options) { return patch({ options: options }, 'Options saved'); }),
      snippetsCard(app),
      h('section', { class: 'card danger-zone' }, h('h3', { text: 'Delete app' }),
        h('p', { class: 'hint', text: 'Closes its connections and deletes everything stored for it: subscriptions, stored events, queued webhooks. There is no undo.' }),
        h('button', { type: 'button', class: 'danger', id: 'delete-app', text: 'Delete ' + app.name, onclick: function () {
          confirmDialog('Delete ' + app.name + '?', 'This cannot be undone.', 'Delete app', app.name).then(function (ok) {
            if (!ok) return;
            return api('DELETE', '/apps/' + enc(app.id)).then(function () {
              toast('App ' + app.name + ' deleted');
              return loadApps().then(function () { location.hash = '#/apps'; });
            });
          }).catch(fail);
        } }))
    ]);
  }

  function credRow(value, what) {
    return h('span', { class: 'cred' }, h('code', { text: value }), h('button', { type: 'button', class: 'small secondary', text: 'Copy', onclick: function () { copy(value, what); } }));
  }

  function optionsCard(app, save) {
    var o = app.options, inputs = {};
    var st = h('div', { class: 'status' });
    var form = h('form', { id: 'options', onsubmit: function (ev) {
      ev.preventDefault();
      var out = {};
      Object.keys(inputs).forEach(function (k) {
        var el = inputs[k], cur = o[k];
        if (typeof cur === 'boolean') out[k] = el.checked;
        else if (typeof cur === 'number') out[k] = Number(el.value);
        else if (Array.isArray(cur)) out[k] = el.value.split('\n').map(function (s) { return s.trim(); }).filter(Boolean);
      });
      out.webhooks = hooks.map(function (w) { return w.read(); });
      status(st, 'Saving…');
      save(out).catch(function (e) { status(st, e.message, 'bad'); });
    } });
    OPTION_GROUPS.forEach(function (g) {
      var grid = h('div', { class: 'opts' });
      g[1].forEach(function (f) {
        var k = f[0], v = o[k];
        if (v === undefined) return;
        var el;
        if (typeof v === 'boolean') { el = h('input', { type: 'checkbox', name: k, checked: v }); grid.appendChild(h('label', { class: 'check' }, el, f[1])); }
        else if (Array.isArray(v)) { el = h('textarea', { name: k, value: v.join('\n'), placeholder: 'https://example.com' }); grid.appendChild(h('label', {}, f[1], el)); }
        else { el = h('input', { type: 'number', name: k, value: v, min: 0, step: 1, required: true }); grid.appendChild(h('label', {}, f[1], el)); }
        inputs[k] = el;
      });
      form.appendChild(h('fieldset', {}, h('legend', { text: g[0] }), grid));
    });
    var hooks = [], hookList = h('div', { id: 'webhooks' });
    function addHook(w) {
      var url = h('input', { type: 'url', value: w.url || '', placeholder: 'https://example.com/pushi-webhook', required: true });
      var prefix = h('input', { value: w.channelPrefix || '', placeholder: 'any channel' });
      var boxes = WEBHOOK_EVENTS.map(function (e) { return h('input', { type: 'checkbox', value: e, checked: (w.events || []).indexOf(e) >= 0 }); });
      var row = h('div', { class: 'webhook' }, h('label', {}, 'URL', url), h('label', {}, 'Channel prefix', prefix),
        h('button', { type: 'button', class: 'small ghost', text: 'Remove', onclick: function () { hookList.removeChild(row); hooks.splice(hooks.indexOf(item), 1); } }),
        h('div', { class: 'events' }, boxes.map(function (b) { return h('label', { class: 'check' }, b, b.value); })));
      var item = { read: function () {
        var out = { url: url.value.trim(), events: boxes.filter(function (b) { return b.checked; }).map(function (b) { return b.value; }) };
        if (prefix.value.trim()) out.channelPrefix = prefix.value.trim();
        return out;
      } };
      hooks.push(item);
      hookList.appendChild(row);
    }
    (o.webhooks || []).forEach(addHook);
    form.appendChild(h('fieldset', {}, h('legend', { text: 'Webhooks' }),
      h('p', { class: 'hint', text: 'Pusher-format POSTs, signed with the app secret, of the event types you tick.' }), hookList,
      h('button', { type: 'button', class: 'small secondary', id: 'add-webhook', text: '+ Add webhook', onclick: function () { addHook({ events: ['channel_occupied', 'channel_vacated'] }); } })));
    form.appendChild(h('div', { class: 'row end' }, st, h('span', { class: 'spacer' }), h('button', { type: 'submit', text: 'Save options' })));
    return h('section', { class: 'card' }, h('h3', { text: 'Options' }), form);
  }
` + SNIPPETS_JS;
