// Console: an app's overview. Polls GET /console/api/apps/{id}/overview every two seconds (not
// while the tab is hidden): number tiles with small canvas charts of the last minutes, the busiest
// and largest channels, presence channels with their members, and a stored-events lookup.
export const OVERVIEW_JS = String.raw`
  var POLL_MS = 2000;

  /** A small area chart of the values on a canvas, scaled for the screen's pixel density. */
  function drawChart(canvas, values, color) {
    var dpr = window.devicePixelRatio || 1, w = canvas.clientWidth, hgt = canvas.clientHeight;
    if (!w || !hgt) return;
    if (canvas.width !== Math.round(w * dpr)) { canvas.width = Math.round(w * dpr); canvas.height = Math.round(hgt * dpr); }
    var c = canvas.getContext('2d');
    c.setTransform(dpr, 0, 0, dpr, 0, 0);
    c.clearRect(0, 0, w, hgt);
    c.strokeStyle = '#e2e5ea'; c.lineWidth = 1;
    c.beginPath(); c.moveTo(0, hgt - 0.5); c.lineTo(w, hgt - 0.5); c.stroke();
    if (values.length < 2) return;
    var max = Math.max.apply(null, values.filter(function (v) { return v !== null; }).concat([1])) * 1.15, pad = 3;
    // At least a minute wide, growing to the five minutes kept: new data enters on the right.
    var slots = Math.max(60, values.length), off = slots - values.length, step = w / (slots - 1);
    var y = function (v) { return hgt - 1 - (v / max) * (hgt - 1 - pad); };
    // Runs of values (null = no data that second) each get a line and a light fill; a lone point a dot.
    var runs = [], run = [];
    values.forEach(function (v, i) { if (v === null) { if (run.length) runs.push(run); run = []; } else run.push([(off + i) * step, y(v)]); });
    if (run.length) runs.push(run);
    c.strokeStyle = color; c.fillStyle = color; c.lineWidth = 1.6; c.lineJoin = 'round';
    runs.forEach(function (r) {
      if (r.length === 1) { c.beginPath(); c.arc(r[0][0], r[0][1], 2, 0, Math.PI * 2); c.fill(); return; }
      c.beginPath();
      r.forEach(function (p, i) { if (i) c.lineTo(p[0], p[1]); else c.moveTo(p[0], p[1]); });
      c.stroke();
      c.lineTo(r[r.length - 1][0], hgt); c.lineTo(r[0][0], hgt); c.closePath();
      c.globalAlpha = 0.12; c.fill(); c.globalAlpha = 1;
    });
  }

  function tile(id, label, color) {
    var num = h('div', { class: 'num', id: 'n-' + id, text: '–' }), note = h('div', { class: 'note', id: 'note-' + id });
    var canvas = h('canvas', { id: 'c-' + id, 'aria-label': label + ' over the last minutes', role: 'img' });
    return { el: h('section', { class: 'card tile' }, h('div', { class: 'label', text: label }), num, note, canvas),
      set: function (text, small, values, noteText) {
        clear(num); add(num, [text, small ? h('small', { text: ' ' + small }) : null]);
        note.textContent = noteText || ' ';
        drawChart(canvas, values, color);
      } };
  }

  function overviewView(view, appId) {
    var app = appById(appId) || { id: appId, name: appId };
    var tiles = {
      conn: tile('connections', 'Connections', '#3a6df0'), chan: tile('channels', 'Channels', '#1d9a55'),
      msg: tile('messages', 'Messages / s', '#7a4fd1'), lat: tile('latency', 'Delivery latency', '#b7791f')
    };
    var busiest = h('div', { id: 'busiest' }), largest = h('div', { id: 'largest' }), presence = h('div', { id: 'presence' });
    var updated = h('span', { class: 'hint', id: 'updated' });
    add(view, [
      h('div', { class: 'page-head' }, h('h2', { text: 'Overview: ' + app.name }), h('span', { class: 'spacer' }), updated),
      h('div', { class: 'tiles' }, tiles.conn.el, tiles.chan.el, tiles.msg.el, tiles.lat.el),
      h('p', { class: 'hint', text: 'Charts: the last five minutes, one point a second, on this node. Delivery latency is the time from an API trigger to its message being written to the subscribers (storing it included).' }),
      h('div', { class: 'grid2' },
        h('section', { class: 'card' }, h('h3', { text: 'Busiest channels' }), h('p', { class: 'hint', text: 'Events published in the last minute.' }), busiest),
        h('section', { class: 'card' }, h('h3', { text: 'Largest channels' }), h('p', { class: 'hint', text: 'By subscribers right now.' }), largest)),
      h('section', { class: 'card' }, h('h3', { text: 'Presence channels' }), presence),
      storedCard(appId)
    ]);

    var timer = null, alive = true, last = null;
    function table(head, rows, empty) {
      if (!rows.length) return h('div', { class: 'empty', text: empty });
      return h('table', {}, h('thead', {}, h('tr', {}, head.map(function (c) { return h('th', { class: c[1] || '', text: c[0] }); }))),
        h('tbody', {}, rows.map(function (r) { return h('tr', {}, r.map(function (v, i) { return h('td', { class: head[i][1] || '', text: v }); })); })));
    }
    function render(o) {
      var s = o.series, lastOf = function (a) { return a.length ? a[a.length - 1] : 0; };
      var recent = function (a, n) { var t = a.slice(-n); return t.length ? t.reduce(function (x, y) { return x + y; }, 0) / t.length : 0; };
      tiles.conn.set(String(o.connections), '', s.connections, 'this node');
      tiles.chan.set(String(o.channels), o.subscriptions + (o.subscriptions === 1 ? ' subscription' : ' subscriptions'), s.channels, o.presence_channels ? o.presence_channels + ' presence' : '');
      tiles.msg.set(fmtNum(recent(s.messages, 5)), 'delivered', s.messages, fmtNum(recent(s.events, 5)) + ' published/s');
      var lat = s.latencyAvg.filter(function (v) { return v !== null; });
      var maxLat = Math.max.apply(null, s.latencyMax.slice(-60).filter(function (v) { return v !== null; }).concat([0]));
      tiles.lat.set(lat.length ? fmtNum(lat[lat.length - 1]) : '–', lat.length ? 'ms' : 'no triggers yet', s.latencyAvg, maxLat ? 'peak ' + fmtNum(maxLat) + ' ms, last minute' : '');
      clear(busiest).appendChild(table([['Channel'], ['Events', 'n'], ['Subscribers', 'n']], o.busiest.map(function (b) { return [b.channel, b.events, b.subscribers]; }), 'No events in the last minute.'));
      clear(largest).appendChild(table([['Channel'], ['Subscribers', 'n'], ['Members', 'n']], o.largest.map(function (c) { return [c.channel, c.subscribers, c.user_count === undefined || c.user_count === null ? '' : c.user_count]; }), 'No occupied channels.'));
      clear(presence);
      if (!o.presence.length) presence.appendChild(h('div', { class: 'empty', text: 'No presence channels are occupied.' }));
      o.presence.forEach(function (p) {
        presence.appendChild(h('div', { class: 'presence-ch', 'data-channel': p.channel },
          h('div', {}, h('b', { text: p.channel }), h('span', { class: 'hint', text: '  ' + p.user_count + (p.user_count === 1 ? ' member' : ' members') })),
          h('div', { class: 'members' }, p.members.map(function (m) {
            var info = m.info === undefined || m.info === null ? '' : JSON.stringify(m.info);
            return h('span', { class: 'member', 'data-user': m.id, title: info }, h('span', { text: m.id }), info && info !== '{}' ? h('span', { class: 'info', text: info }) : null);
          }))));
      });
      updated.textContent = 'updated ' + fmtTime(o.at);
      last = o;
    }
    function poll() {
      if (!alive) return;
      if (document.hidden) { timer = setTimeout(poll, POLL_MS); return; }
      api('GET', '/console/api/apps/' + enc(appId) + '/overview').then(render).then(function () { if (alive) timer = setTimeout(poll, POLL_MS); }, function (e) {
        if (/^Unknown app/.test(e.message)) { updated.textContent = e.message; return; } // gone: stop asking
        fail(e);
        if (alive) timer = setTimeout(poll, POLL_MS * 3);
      });
    }
    function redraw() { if (last) render(last); }
    window.addEventListener('resize', redraw);
    poll();
    return function () { alive = false; clearTimeout(timer); window.removeEventListener('resize', redraw); };
  }

  function storedCard(appId) {
    var kind = h('select', { id: 's-kind' }, h('option', { value: 'channel', text: 'Channel' }), h('option', { value: 'user_id', text: 'User id' }));
    var name = h('input', { id: 's-name', placeholder: 'my-channel', required: true });
    var out = h('div', { id: 'stored' });
    var st = h('div', { class: 'status' });
    kind.addEventListener('change', function () { name.placeholder = kind.value === 'channel' ? 'my-channel' : 'user-42'; });
    var form = h('form', { class: 'row', id: 'stored-form', onsubmit: function (ev) {
      ev.preventDefault();
      status(st, 'Looking up…');
      api('GET', '/console/api/apps/' + enc(appId) + '/stored?' + kind.value + '=' + enc(name.value.trim()) + '&count=50').then(function (r) {
        status(st, '');
        clear(out);
        var events = r.events.length ? h('table', {}, h('thead', {}, h('tr', {}, h('th', { text: 'Time' }), h('th', { text: 'Channel' }), h('th', { text: 'Event' }), h('th', { text: 'Data' }))),
          h('tbody', {}, r.events.map(function (e) {
            return h('tr', {}, h('td', { text: fmtWhen(e.timestamp) }), h('td', { text: e.channel }), h('td', { text: e.event }), h('td', {}, h('code', { text: e.data.length > 300 ? e.data.slice(0, 300) + '…' : e.data })));
          }))) : h('div', { class: 'empty', text: 'No stored events.' });
        var subs = r.subscriptions.length ? h('table', {}, h('thead', {}, h('tr', {}, h('th', { text: r.channel ? 'User' : 'Channel' }), h('th', { text: 'Since' }))),
          h('tbody', {}, r.subscriptions.map(function (s) { return h('tr', {}, h('td', { text: r.channel ? s.user_id : s.channel }), h('td', { text: fmtWhen(s.created_at) })); })))
          : h('div', { class: 'empty', text: 'No offline subscriptions.' });
        add(out, h('div', { class: 'stored-results' },
          h('div', {}, h('h3', { text: 'Stored events (newest first)' }), events),
          h('div', {}, h('h3', { text: 'Offline subscriptions' }), subs)));
      }).catch(function (e) { status(st, e.message, 'bad'); });
    } }, h('label', {}, 'Look up', kind), h('label', { class: 'grow' }, 'Name', name), h('button', { type: 'submit', text: 'Show' }));
    return h('section', { class: 'card' }, h('h3', { text: 'Stored events and offline subscriptions' }),
      h('p', { class: 'hint', text: 'What the store holds for a channel or a user: its history and who follows it while offline.' }), form, st, out);
  }
`;
