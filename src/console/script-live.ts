// Console: the live debug view of one app. Reads GET /console/api/apps/{id}/stream (Server-Sent
// Events) with fetch so the token stays in a header; filters by channel, event and kind; pauses
// (holding what arrives meanwhile); and triggers test events.
export const LIVE_JS = String.raw`
  var KEEP = 500, HOLD = 2000;
  var KINDS = {
    connected: ['connection', 'conn', 'connections'], disconnected: ['disconnected', 'disc', 'connections'], rejected: ['rejected', 'fail', 'connections'],
    subscribed: ['subscribed', 'sub', 'subscriptions'], unsubscribed: ['unsubscribed', 'sub', 'subscriptions'],
    occupied: ['occupied', 'sub', 'subscriptions'], vacated: ['vacated', 'sub', 'subscriptions'],
    member_added: ['member joined', 'member', 'presence'], member_removed: ['member left', 'member', 'presence'],
    api_event: ['api event', 'event', 'events'], client_event: ['client event', 'client', 'events'], cache_miss: ['cache miss', 'sub', 'events'],
    webhook_sent: ['webhook sent', 'hook', 'webhooks'], webhook_failed: ['webhook failed', 'fail', 'webhooks'], webhook_gave_up: ['webhook gave up', 'fail', 'webhooks'],
    dropped: ['dropped', 'fail', 'all']
  };

  /** Reads the SSE stream; reconnects with back-off. Returns a stop function. */
  function openStream(appId, onEntry, onState) {
    var stopped = false, ctrl = null, delay = 1000, timer = null;
    function connect() {
      if (stopped) return;
      ctrl = new AbortController();
      onState('connecting');
      fetch(BASE + '/console/api/apps/' + enc(appId) + '/stream', { headers: authHeaders(false), signal: ctrl.signal, cache: 'no-store' }).then(function (res) {
        if (res.status === 401) { stopped = true; signOut('The admin token was refused; sign in again.'); return; }
        if (res.status === 404) { stopped = true; onState('unknown app'); return; }
        if (!res.ok || !res.body) throw new Error('HTTP ' + res.status);
        var reader = res.body.getReader(), dec = new TextDecoder(), buf = '';
        function pump() {
          return reader.read().then(function (r) {
            if (r.done) throw new Error('stream ended');
            buf += dec.decode(r.value, { stream: true });
            var cut;
            while ((cut = buf.indexOf('\n\n')) >= 0) {
              var block = buf.slice(0, cut);
              buf = buf.slice(cut + 2);
              var data = block.split('\n').filter(function (l) { return l.indexOf('data:') === 0; }).map(function (l) { return l.slice(5).replace(/^ /, ''); }).join('\n');
              if (!data) continue;
              var e = JSON.parse(data);
              if (e.type === 'hello') { delay = 1000; onState('live'); } else onEntry(e);
            }
            return pump();
          });
        }
        return pump();
      }).catch(function () {
        if (stopped) return;
        onState('reconnecting');
        timer = setTimeout(connect, delay);
        delay = Math.min(delay * 2, 15000);
      });
    }
    connect();
    return function () { stopped = true; clearTimeout(timer); if (ctrl) ctrl.abort(); };
  }

  function liveView(view, appId) {
    var app = appById(appId) || { id: appId, name: appId };
    var entries = [], held = [], paused = false;
    var fChannel = h('input', { id: 'f-channel', placeholder: 'any channel', type: 'search' });
    var fEvent = h('input', { id: 'f-event', placeholder: 'any event', type: 'search' });
    var fKind = h('select', { id: 'f-kind' }, ['all', 'events', 'connections', 'subscriptions', 'presence', 'webhooks'].map(function (k) { return h('option', { value: k, text: k === 'all' ? 'everything' : k }); }));
    var state = h('span', { class: 'pill connecting', id: 'stream-state', text: 'connecting' });
    var pauseBtn = h('button', { type: 'button', class: 'secondary', id: 'pause', text: 'Pause' });
    var list = h('ul', { id: 'stream' });
    var count = h('span', { class: 'hint', id: 'stream-count' });

    function matches(e) {
      var k = KINDS[e.type] || [e.type, '', 'all'];
      if (fKind.value !== 'all' && k[2] !== fKind.value && k[2] !== 'all') return false;
      var c = fChannel.value.trim().toLowerCase(), ev = fEvent.value.trim().toLowerCase();
      if (c) {
        var chans = e.channels || (e.channel ? [e.channel] : []);
        if (!chans.some(function (x) { return x.toLowerCase().indexOf(c) >= 0; })) return false;
      }
      if (ev && (!e.event || e.event.toLowerCase().indexOf(ev) < 0)) return false;
      return true;
    }
    function row(e) {
      var k = KINDS[e.type] || [e.type, ''];
      var what = h('div', { class: 'what' });
      var chans = e.channels && e.channels.length > 1 ? e.channels.join(', ') : e.channel;
      if (chans) add(what, h('span', { class: 'ch', text: chans }));
      if (e.event) add(what, [chans ? '  ' : '', h('span', { class: 'ev', text: e.event })]);
      var meta = [];
      if (e.socket_id) meta.push('socket ' + e.socket_id);
      if (e.user_id) meta.push('user ' + e.user_id);
      if (e.detail) meta.push(e.detail);
      if (e.type === 'dropped') meta.push(e.count + ' entries dropped: the stream could not keep up');
      if (meta.length) add(what, [chans || e.event ? ' ' : '', h('span', { class: 'meta', text: meta.join(' · ') })]);
      if (e.data !== undefined) add(what, h('pre', { text: pretty(e.data) + (e.truncated ? '\n… (cut)' : '') }));
      if (e.info !== undefined && e.info !== null) add(what, h('pre', { text: pretty(JSON.stringify(e.info)) }));
      return h('li', { 'data-type': e.type }, h('span', { class: 'time', text: fmtTime(e.t) }), h('span', { class: 'badge k-' + k[1], text: k[0] }), what);
    }
    function pretty(s) {
      // Short JSON stays on one line; longer JSON is indented.
      try { var v = JSON.parse(s); } catch (x) { return s; }
      if (typeof v !== 'object' || v === null) return s;
      var flat = JSON.stringify(v);
      return flat.length <= 90 ? flat : JSON.stringify(v, null, 2);
    }
    function renderAll() {
      clear(list);
      var shown = entries.filter(matches);
      shown.slice(-KEEP).reverse().forEach(function (e) { list.appendChild(row(e)); });
      if (!shown.length) list.appendChild(h('li', { class: 'empty', text: entries.length ? 'Nothing matches the filter.' : 'Waiting for activity… connect a client or trigger an event.' }));
      counter();
    }
    function counter() { count.textContent = entries.length + ' received' + (held.length ? ', ' + held.length + ' held while paused' : ''); }
    function take(e) {
      entries.push(e);
      if (entries.length > KEEP) entries.shift();
      if (!matches(e)) return counter();
      var first = list.firstChild;
      if (first && first.classList.contains('empty')) list.removeChild(first);
      list.insertBefore(row(e), list.firstChild);
      while (list.children.length > KEEP) list.removeChild(list.lastChild);
      counter();
    }
    function onEntry(e) {
      if (paused) { if (held.length < HOLD) held.push(e); pauseBtn.textContent = 'Resume (' + held.length + ')'; counter(); return; }
      take(e);
    }
    pauseBtn.addEventListener('click', function () {
      paused = !paused;
      if (!paused) { var h2 = held; held = []; h2.forEach(take); }
      pauseBtn.textContent = paused ? 'Resume' : 'Pause';
      setState(paused ? 'paused' : lastState);
      counter();
    });
    var lastState = 'connecting';
    function setState(s) {
      if (s !== 'paused') lastState = s;
      var shown = paused ? 'paused' : s;
      state.textContent = shown; state.className = 'pill ' + (shown === 'unknown app' ? 'bad' : shown);
    }
    [fChannel, fEvent].forEach(function (i) { i.addEventListener('input', renderAll); });
    fKind.addEventListener('change', renderAll);

    add(view, [
      h('div', { class: 'page-head' }, h('h2', { text: 'Live: ' + app.name }), state, h('span', { class: 'spacer' }), count),
      h('div', { class: 'live-grid' },
        h('section', { class: 'card' },
          h('div', { class: 'toolbar' },
            h('label', {}, 'Channel', fChannel), h('label', {}, 'Event', fEvent), h('label', {}, 'Show', fKind),
            h('span', { class: 'spacer' }), pauseBtn,
            h('button', { type: 'button', class: 'ghost', text: 'Clear', onclick: function () { entries = []; held = []; if (paused) pauseBtn.textContent = 'Resume'; renderAll(); } })),
          list),
        triggerCard(appId))
    ]);
    renderAll();
    return openStream(appId, onEntry, setState);
  }

  function triggerCard(appId) {
    var ch = h('input', { id: 't-channel', value: 'my-channel', required: true });
    var ev = h('input', { id: 't-event', value: 'my-event', required: true });
    var data = h('textarea', { id: 't-data', value: '{"message":"hello"}', rows: 3 });
    var st = h('div', { class: 'status', id: 't-status' });
    var form = h('form', { id: 'trigger', onsubmit: function (e) {
      e.preventDefault();
      status(st, 'Sending…');
      api('POST', '/console/api/apps/' + enc(appId) + '/trigger', { channel: ch.value.trim(), event: ev.value.trim(), data: data.value })
        .then(function () { status(st, 'Sent at ' + fmtTime(Date.now()), 'good'); })
        .catch(function (x) { status(st, x.message, 'bad'); });
    } }, h('div', { class: 'pair' }, h('label', {}, 'Channel', ch), h('label', {}, 'Event', ev)), h('label', {}, 'Data (JSON or text)', data), h('button', { type: 'submit', text: 'Trigger event' }), st);
    return h('section', { class: 'card trigger' }, h('h3', { text: 'Trigger a test event' }),
      h('p', { class: 'hint', text: 'Published like POST /apps/{id}/events: every subscriber of the channel gets it.' }), form);
  }
`;
