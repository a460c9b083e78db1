// The demo page's script (served at /demo/app.js): live events, a trigger form, a presence chat
// with private peer messages, and Web Push. Uses the global Pushi from /pushi.js; reads its
// settings from the page's #pushi-config JSON (src/demo/page.ts).
import type { Pushi as PushiClient } from '../../client/pushi.ts';

declare const Pushi: typeof PushiClient;

interface DemoConfig {
  key: string;
  wsPort: number;
  useTLS: boolean;
  pathPrefix: string;
  base: string;
}
interface StoredEvent {
  channel: string;
  event: string;
  data: string;
  mid?: string;
  timestamp?: number;
}
interface ChatMessage {
  from: string;
  text: string;
}

const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;
const cfg = JSON.parse($('pushi-config').textContent ?? '{}') as DemoConfig;
const CHAT = 'presence-demo-chat';
let myName = '';
let peer = '';
let chat: ReturnType<PushiClient['subscribe']> | null = null;

const pushi = new Pushi(cfg.key, {
  host: location.hostname,
  port: cfg.wsPort,
  useTLS: cfg.useTLS,
  pathPrefix: cfg.pathPrefix,
  authEndpoint: cfg.base + '/demo/auth',
  authParams: () => ({ name: myName }),
});
(window as unknown as { pushi: PushiClient }).pushi = pushi; // for the console of curious visitors

function el(tag: string, cls?: string, text?: string): HTMLElement {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}
function show(id: string, text: string, bad = false): void {
  const s = $(id);
  s.textContent = text;
  s.className = 'status' + (bad ? ' bad' : '');
}

// Connection state
pushi.bind('state_change', (_e, d) => {
  const p = $('state');
  p.textContent = d.current;
  p.className = 'pill ' + d.current;
});
pushi.bind('connect', (_e, d) => ($('socket').textContent = 'socket ' + d.socketId));
pushi.bind('error', (_e, d) => show(d.code === 4301 ? 'chat-status' : 'trigger-status', 'Server: ' + d.message, true));

// Live events: every app event except the chat's own
const log = $('events');
const seen = new Set<string>();
function addEvent(channel: string | undefined, event: string, data: unknown, mid?: string, at?: number): void {
  if (mid) {
    if (seen.has(mid)) return;
    seen.add(mid);
  }
  log.querySelector('.empty')?.remove();
  const li = el('li');
  li.append(
    el('span', 'time', new Date(at ?? Date.now()).toLocaleTimeString()),
    el('span', 'ch', channel || '-'),
    el('b', '', event),
    el('code', '', typeof data === 'string' ? data : JSON.stringify(data)),
  );
  log.insertBefore(li, log.firstChild);
}
pushi.bindGlobal((event, data, meta) => {
  if (meta.channel === CHAT || (meta.channel ?? '').startsWith('peer-')) return;
  addEvent(meta.channel, event, data, meta.mid, meta.timestamp);
});
// Apps that store events send the latest ones on subscribe (newest first): show them too.
pushi.subscribe('demo').bind('subscribe', (_e, d) => {
  const events = ((d as { events?: StoredEvent[] } | undefined)?.events ?? []).slice().reverse();
  for (const ev of events) {
    let data: unknown = ev.data;
    try {
      data = JSON.parse(ev.data);
    } catch {
      /* plain text */
    }
    addEvent(ev.channel, ev.event, data, ev.mid, ev.timestamp);
  }
});

// Trigger form: the server signs it with the demo app's secret (demo mode only)
$('trigger').addEventListener('submit', (ev) => {
  ev.preventDefault();
  const channel = $<HTMLInputElement>('t-channel').value.trim() || 'demo';
  const event = $<HTMLInputElement>('t-event').value.trim() || 'message';
  const body = JSON.stringify({ channel, event, data: $<HTMLTextAreaElement>('t-data').value });
  const ch = pushi.subscribe(channel);
  const send = () => {
    fetch(cfg.base + '/demo/trigger', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body })
      .then(async (r) => ({ ok: r.ok, body: (await r.json()) as { error?: string } }))
      .then((r) => show('trigger-status', r.ok ? 'Triggered on ' + channel : (r.body.error ?? 'failed'), !r.ok))
      .catch((err) => show('trigger-status', String(err), true));
  };
  if (ch.subscribed) send();
  else ch.once('subscribe', send);
});

// Presence chat: members of presence-demo-chat; a click on a member opens the peer channel
function line(cls: string, who: string, text: string): void {
  const p = el('div', cls);
  if (who) p.appendChild(el('b', '', who + ': '));
  p.appendChild(document.createTextNode(text));
  $('messages').appendChild(p);
  $('messages').scrollTop = 1e9;
}
function renderMembers(): void {
  const ul = $('members');
  ul.textContent = '';
  const all = el('li', peer ? '' : 'selected', 'Everyone');
  all.onclick = () => {
    peer = '';
    renderMembers();
  };
  ul.appendChild(all);
  if (!chat) return;
  chat.members.forEach((m) => {
    const mine = m.id === myName;
    const li = el('li', mine ? 'me' : peer === m.id ? 'selected' : '', m.id + (mine ? ' (you)' : ''));
    if (!mine)
      li.onclick = () => {
        peer = m.id;
        renderMembers();
      };
    ul.appendChild(li);
  });
  $('to').textContent = peer ? 'to ' + peer + ' (private, peer channel)' : 'to everyone';
}
function leave(): void {
  chat?.unsubscribe();
  chat = null;
  peer = '';
  $('join-btn').textContent = 'Join';
  $<HTMLButtonElement>('say-btn').disabled = true;
  renderMembers();
  line('sys', '', 'You left.');
}
$('join').addEventListener('submit', (ev) => {
  ev.preventDefault();
  if (chat) return leave();
  myName = $<HTMLInputElement>('name').value.trim();
  if (!/^[A-Za-z0-9_.-]{1,24}$/.test(myName))
    return show('chat-status', 'Pick a name of 1-24 letters, digits, _ . -', true);
  show('chat-status', '');
  const c = (chat = pushi.subscribe(CHAT));
  c.bind('subscribe', () => {
    $('join-btn').textContent = 'Leave';
    $<HTMLButtonElement>('say-btn').disabled = false;
    renderMembers();
    line('sys', '', 'You joined as ' + myName + '.');
  });
  c.bind('subscription_error', (_e, d) => {
    show('chat-status', d.error, true);
    chat = null;
  });
  c.bind('member_added', (_e, m) => {
    renderMembers();
    line('sys', '', m.id + ' joined.');
  });
  c.bind('member_removed', (_e, m) => {
    if (peer === m.id) peer = '';
    renderMembers();
    line('sys', '', m.id + ' left.');
  });
  c.bind('client-chat', (_e, d) => line('', (d as ChatMessage).from, (d as ChatMessage).text));
});
pushi.bind('client-peer', (_e, d) => line('private', (d as ChatMessage).from + ' (private)', (d as ChatMessage).text));
$('say').addEventListener('submit', (ev) => {
  ev.preventDefault();
  const input = $<HTMLInputElement>('text');
  const text = input.value.trim();
  if (!text || !chat) return;
  const msg: ChatMessage = { from: myName, text };
  if (peer) {
    pushi.sendChannel('client-peer', msg, Pushi.peerChannel(CHAT, myName, peer));
    line('private', 'you to ' + peer, text);
  } else {
    chat.send('client-chat', msg);
    line('', 'you', text);
  }
  input.value = '';
});
renderMembers();

// Push notifications: the service worker /demo/sw.js, registered on the demo channel by the demo server
function pushShown(d: { title: string; body: string }): void {
  const li = el('li');
  li.append(el('b', '', d.title + ': '), document.createTextNode(d.body));
  $('pushes').insertBefore(li, $('pushes').firstChild);
}
navigator.serviceWorker?.addEventListener('message', (ev: MessageEvent) => {
  if (ev.data && ev.data.pushi === 'push') pushShown(ev.data);
});
$('push-btn').addEventListener('click', () => {
  show('push-status', 'Subscribing…');
  Pushi.webPush
    .subscribe({
      serviceWorker: cfg.base + '/demo/sw.js',
      scope: cfg.base + '/demo/',
      vapidKeyUrl: cfg.base + '/demo/push/vapid_key',
      register: cfg.base + '/demo/push/register',
      channel: 'demo',
    })
    .then(
      () => {
        show('push-status', 'Push notifications on for channel demo: trigger an event to see one.');
        $<HTMLButtonElement>('push-btn').disabled = true;
      },
      (err: unknown) => show('push-status', String((err as Error)?.message ?? err), true),
    );
});
