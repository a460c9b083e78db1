// Copy-paste snippets filled with an app's credentials and this server's address (the host the
// console was opened on, the ports and TLS the server reports).
import { add, h } from './dom.ts';
import { S } from './state.ts';
import type { AppView } from './types.ts';
import { copy } from './ui.ts';

/** A JavaScript single-quoted string literal. */
const q = (s: unknown) => "'" + String(s).replace(/\\/g, '\\\\').replace(/'/g, "\\'") + "'";
const END_SCRIPT = '</' + 'script>';

export function snippets(app: AppView): [title: string, lines: string[]][] {
  const i = S.info;
  const host = location.hostname;
  const prefix = i?.path_prefix ?? '';
  const wsPort = i?.ws_port;
  const httpPort = i?.http_port;
  const wsTls = Boolean(i?.ws_tls);
  const httpTls = Boolean(i?.http_tls);
  const httpUrl = (httpTls ? 'https://' : 'http://') + host + ':' + httpPort + prefix;
  const pusherOpts = [
    '  wsHost: ' + q(host) + ',',
    '  wsPort: ' + wsPort + ',',
    '  wssPort: ' + wsPort + ',',
    ...(prefix ? ['  wsPath: ' + q(prefix) + ','] : []),
    '  forceTLS: ' + wsTls + ',',
    "  enabledTransports: ['ws', 'wss'],",
    "  cluster: '',",
  ];
  const pathOpt = prefix ? ', pathPrefix: ' + q(prefix) : '';
  const pushiOpts = `{ host: ${q(host)}, port: ${wsPort}, useTLS: ${wsTls}${pathOpt} }`;
  return [
    [
      'pusher-js',
      [
        "import Pusher from 'pusher-js';",
        '',
        'const pusher = new Pusher(' + q(app.key) + ', {',
        ...pusherOpts,
        '});',
        "pusher.subscribe('my-channel').bind('my-event', (data) => console.log(data));",
      ],
    ],
    [
      'Pushi client',
      [
        '<script src="' + httpUrl + '/pushi.js">' + END_SCRIPT,
        '<script>',
        '  const pushi = new Pushi(' + q(app.key) + ', ' + pushiOpts + ');',
        "  pushi.subscribe('my-channel').bind('my-event', (event, data) => console.log(data));",
        END_SCRIPT,
      ],
    ],
    [
      'Laravel Echo',
      [
        "import Echo from 'laravel-echo';",
        "import Pusher from 'pusher-js';",
        '',
        'window.Pusher = Pusher;',
        'window.Echo = new Echo({',
        "  broadcaster: 'pusher',",
        '  key: ' + q(app.key) + ',',
        ...pusherOpts,
        '});',
        "window.Echo.channel('my-channel').listen('.my-event', (data) => console.log(data));",
      ],
    ],
    [
      'Laravel .env',
      [
        'BROADCAST_CONNECTION=pusher',
        'PUSHER_APP_ID=' + app.id,
        'PUSHER_APP_KEY=' + app.key,
        'PUSHER_APP_SECRET=' + app.secret,
        'PUSHER_HOST=' + host,
        'PUSHER_PORT=' + httpPort,
        'PUSHER_SCHEME=' + (httpTls ? 'https' : 'http'),
        'PUSHER_APP_CLUSTER=mt1',
      ],
    ],
    [
      'Node: pusher',
      [
        "import Pusher from 'pusher';",
        '',
        'const pusher = new Pusher({',
        '  appId: ' + q(app.id) + ',',
        '  key: ' + q(app.key) + ',',
        '  secret: ' + q(app.secret) + ',',
        '  host: ' + q(host) + ',',
        '  port: ' + q(httpPort) + ',',
        '  useTLS: ' + httpTls + ',',
        '});',
        "await pusher.trigger('my-channel', 'my-event', { message: 'hello' });",
      ],
    ],
    [
      'Node: Pushi SDK',
      [
        "import { Pushi } from 'pushi/sdk';",
        '',
        'const pushi = new Pushi({',
        '  appId: ' + q(app.id) + ',',
        '  appKey: ' + q(app.key) + ',',
        '  appSecret: ' + q(app.secret) + ',',
        '  host: ' + q(host) + ',',
        '  port: ' + httpPort + ',',
        '  useTLS: ' + httpTls + ',',
        '});',
        "await pushi.triggerEvent({ channel: 'my-channel', event: 'my-event', data: { message: 'hello' } });",
      ],
    ],
  ];
}

export function snippetsCard(app: AppView): HTMLElement {
  const list = snippets(app);
  const tabs = h('div', { class: 'tabs', role: 'tablist' });
  const pre = h('pre', { id: 'snippet-code' });
  const btn = h('button', { type: 'button', class: 'small secondary', text: 'Copy' });
  const body = h('div', { class: 'snippet' });
  add(body, [pre, btn]);
  let current = 0;
  const show = (n: number) => {
    current = n;
    pre.textContent = list[n][1].join('\n');
    Array.from(tabs.children).forEach((b, k) => {
      b.classList.toggle('active', k === n);
      b.setAttribute('aria-selected', String(k === n));
    });
  };
  list.forEach(([title], n) =>
    tabs.appendChild(h('button', { type: 'button', role: 'tab', text: title, onclick: () => show(n) })),
  );
  btn.addEventListener('click', () => copy(pre.textContent ?? '', list[current][0] + ' snippet'));
  show(0);
  const hint =
    'Copy-paste code for this app. The host is the one this console was opened on; ' +
    'change it if clients reach the server by another name.';
  return h(
    'section',
    { class: 'card', id: 'snippets' },
    h('h3', { text: 'Connect' }),
    h('p', { class: 'hint', text: hint }),
    tabs,
    body,
  );
}
