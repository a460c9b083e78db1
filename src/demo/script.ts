// The demo page's browser script (served at /demo/app.js). Plain ES2019, uses the global Pushi
// from /pushi.js; reads its settings from the page's #pushi-config JSON.
export const DEMO_JS = String.raw`(function () {
  'use strict';
  var cfg = JSON.parse(document.getElementById('pushi-config').textContent);
  var $ = function (id) { return document.getElementById(id); };
  var CHAT = 'presence-demo-chat';
  var myName = '';
  var peer = '';
  var chat = null;

  var pushi = new Pushi(cfg.key, {
    host: location.hostname, port: cfg.wsPort, useTLS: cfg.useTLS, pathPrefix: cfg.pathPrefix,
    authEndpoint: cfg.base + '/demo/auth',
    authParams: function () { return { name: myName }; }
  });
  window.pushi = pushi;

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  }
  function time() { return new Date().toLocaleTimeString(); }
  function show(id, text, bad) { var s = $(id); s.textContent = text; s.className = 'status' + (bad ? ' bad' : ''); }

  // Connection state
  pushi.bind('state_change', function (e, d) { var p = $('state'); p.textContent = d.current; p.className = 'pill ' + d.current; });
  pushi.bind('connect', function (e, d) { $('socket').textContent = 'socket ' + d.socketId; });
  pushi.bind('error', function (e, d) { show(d.code === 4301 ? 'chat-status' : 'trigger-status', 'Server: ' + d.message, true); });

  // Live events: every app event except the chat's own
  var log = $('events');
  var seen = {};
  function addEvent(channel, event, data, mid, at) {
    if (mid) { if (seen[mid]) return; seen[mid] = true; }
    var empty = log.querySelector('.empty');
    if (empty) empty.remove();
    var li = el('li');
    li.appendChild(el('span', 'time', at ? new Date(at).toLocaleTimeString() : time()));
    li.appendChild(el('span', 'ch', channel || '-'));
    li.appendChild(el('b', '', event));
    li.appendChild(el('code', '', typeof data === 'string' ? data : JSON.stringify(data)));
    log.insertBefore(li, log.firstChild);
  }
  pushi.bindGlobal(function (event, data, meta) {
    if (meta.channel === CHAT || (meta.channel || '').indexOf('peer-') === 0) return;
    addEvent(meta.channel, event, data, meta.mid, meta.timestamp);
  });
  // Apps that store events send the latest ones on subscribe (newest first): show them too.
  pushi.subscribe('demo').bind('subscribe', function (e, d) {
    (d.events || []).slice().reverse().forEach(function (ev) {
      var data = ev.data;
      try { data = JSON.parse(ev.data); } catch (err) { /* plain text */ }
      addEvent(ev.channel, ev.event, data, ev.mid, ev.timestamp);
    });
  });

  // Trigger form: the server signs it with the demo app's secret (demo mode only)
  $('trigger').addEventListener('submit', function (ev) {
    ev.preventDefault();
    var channel = $('t-channel').value.trim() || 'demo';
    var body = JSON.stringify({ channel: channel, event: $('t-event').value.trim() || 'message', data: $('t-data').value });
    var ch = pushi.subscribe(channel);
    var send = function () {
      fetch(cfg.base + '/demo/trigger', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: body })
        .then(function (r) { return r.json().then(function (j) { return { ok: r.ok, body: j }; }); })
        .then(function (r) { show('trigger-status', r.ok ? 'Triggered on ' + channel : r.body.error, !r.ok); })
        .catch(function (err) { show('trigger-status', String(err), true); });
    };
    if (ch.subscribed) send(); else ch.once('subscribe', send);
  });

  // Presence chat: members of presence-demo-chat; a click on a member opens the peer channel
  function line(cls, who, text) {
    var p = el('div', cls);
    if (who) { p.appendChild(el('b', '', who + ': ')); }
    p.appendChild(document.createTextNode(text));
    $('messages').appendChild(p);
    $('messages').scrollTop = 1e9;
  }
  function renderMembers() {
    var ul = $('members');
    ul.textContent = '';
    var all = el('li', peer ? '' : 'selected', 'Everyone');
    all.onclick = function () { peer = ''; renderMembers(); };
    ul.appendChild(all);
    if (!chat) return;
    chat.members.forEach(function (m) {
      var mine = m.id === myName;
      var li = el('li', mine ? 'me' : (peer === m.id ? 'selected' : ''), m.id + (mine ? ' (you)' : ''));
      if (!mine) li.onclick = function () { peer = m.id; renderMembers(); };
      ul.appendChild(li);
    });
    $('to').textContent = peer ? 'to ' + peer + ' (private, peer channel)' : 'to everyone';
  }
  $('join').addEventListener('submit', function (ev) {
    ev.preventDefault();
    if (chat) { chat.unsubscribe(); chat = null; peer = ''; $('join-btn').textContent = 'Join'; $('say-btn').disabled = true; renderMembers(); line('sys', '', 'You left.'); return; }
    myName = $('name').value.trim();
    if (!/^[A-Za-z0-9_.-]{1,24}$/.test(myName)) { show('chat-status', 'Pick a name of 1-24 letters, digits, _ . -', true); return; }
    show('chat-status', '');
    chat = pushi.subscribe(CHAT);
    chat.bind('subscribe', function () { $('join-btn').textContent = 'Leave'; $('say-btn').disabled = false; renderMembers(); line('sys', '', 'You joined as ' + myName + '.'); });
    chat.bind('subscription_error', function (e, d) { show('chat-status', d.error, true); chat = null; });
    chat.bind('member_added', function (e, m) { renderMembers(); line('sys', '', m.id + ' joined.'); });
    chat.bind('member_removed', function (e, m) { if (peer === m.id) peer = ''; renderMembers(); line('sys', '', m.id + ' left.'); });
    chat.bind('client-chat', function (e, d) { line('', d.from, d.text); });
  });
  pushi.bind('client-peer', function (e, d, meta) { line('private', d.from + ' (private)', d.text); });
  $('say').addEventListener('submit', function (ev) {
    ev.preventDefault();
    var text = $('text').value.trim();
    if (!text || !chat) return;
    var msg = { from: myName, text: text };
    if (peer) { pushi.sendChannel('client-peer', msg, Pushi.peerChannel(CHAT, myName, peer)); line('private', 'you to ' + peer, text); }
    else { chat.send('client-chat', msg); line('', 'you', text); }
    $('text').value = '';
  });
  renderMembers();

  // Push notifications: the service worker /demo/sw.js, registered on the demo channel by the demo server
  function pushShown(d) {
    var li = el('li');
    li.appendChild(el('b', '', d.title + ': '));
    li.appendChild(document.createTextNode(d.body));
    $('pushes').insertBefore(li, $('pushes').firstChild);
  }
  if (navigator.serviceWorker) {
    navigator.serviceWorker.addEventListener('message', function (ev) { if (ev.data && ev.data.pushi === 'push') pushShown(ev.data); });
  }
  $('push-btn').addEventListener('click', function () {
    if (!Pushi.webPush) return;
    show('push-status', 'Subscribing…');
    Pushi.webPush.subscribe({
      serviceWorker: cfg.base + '/demo/sw.js', scope: cfg.base + '/demo/',
      vapidKeyUrl: cfg.base + '/demo/push/vapid_key', register: cfg.base + '/demo/push/register', channel: 'demo'
    }).then(function () {
      show('push-status', 'Push notifications on for channel demo: trigger an event to see one.');
      $('push-btn').disabled = true;
    }, function (err) { show('push-status', String(err && err.message || err), true); });
  });
})();
`;
