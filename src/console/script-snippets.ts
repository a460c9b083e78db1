// Console: copy-paste snippets filled with an app's credentials and this server's address (the
// host the console was opened on, the ports and TLS the server reports).
export const SNIPPETS_JS = String.raw`
  function q(s) { return "'" + String(s).replace(/\\/g, '\\\\').replace(/'/g, "\\'") + "'"; }

  function snippets(app) {
    var i = S.info || {}, host = location.hostname, prefix = i.path_prefix || '';
    var wsPort = i.ws_port, httpPort = i.http_port, wsTls = !!i.ws_tls, httpTls = !!i.http_tls;
    var httpUrl = (httpTls ? 'https://' : 'http://') + host + ':' + httpPort + prefix;
    var pusherOpts = [
      '  wsHost: ' + q(host) + ',',
      '  wsPort: ' + wsPort + ',',
      '  wssPort: ' + wsPort + ',',
      prefix ? '  wsPath: ' + q(prefix) + ',' : null,
      '  forceTLS: ' + wsTls + ',',
      "  enabledTransports: ['ws', 'wss'],",
      "  cluster: '',"
    ].filter(Boolean);
    var trigger = "await pusher.trigger('my-channel', 'my-event', { message: 'hello' });";
    return [
      ['pusher-js', [
        "import Pusher from 'pusher-js';",
        '',
        'const pusher = new Pusher(' + q(app.key) + ', {'
      ].concat(pusherOpts, [
        '});',
        "pusher.subscribe('my-channel').bind('my-event', (data) => console.log(data));"
      ])],
      ['Pushi client', [
        '<script src="' + httpUrl + '/pushi.js"></' + 'script>',
        '<script>',
        '  const pushi = new Pushi(' + q(app.key) + ', { host: ' + q(host) + ', port: ' + wsPort + ', useTLS: ' + wsTls + (prefix ? ', pathPrefix: ' + q(prefix) : '') + ' });',
        "  pushi.subscribe('my-channel').bind('my-event', (event, data) => console.log(data));",
        '</' + 'script>'
      ]],
      ['Laravel Echo', [
        "import Echo from 'laravel-echo';",
        "import Pusher from 'pusher-js';",
        '',
        'window.Pusher = Pusher;',
        'window.Echo = new Echo({',
        "  broadcaster: 'pusher',",
        '  key: ' + q(app.key) + ','
      ].concat(pusherOpts, [
        '});',
        "window.Echo.channel('my-channel').listen('.my-event', (data) => console.log(data));"
      ])],
      ['Laravel .env', [
        'BROADCAST_CONNECTION=pusher',
        'PUSHER_APP_ID=' + app.id,
        'PUSHER_APP_KEY=' + app.key,
        'PUSHER_APP_SECRET=' + app.secret,
        'PUSHER_HOST=' + host,
        'PUSHER_PORT=' + httpPort,
        'PUSHER_SCHEME=' + (httpTls ? 'https' : 'http'),
        'PUSHER_APP_CLUSTER=mt1'
      ]],
      ['Node: pusher', [
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
        trigger
      ]],
      ['Node: Pushi SDK', [
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
        "await pushi.triggerEvent({ channel: 'my-channel', event: 'my-event', data: { message: 'hello' } });"
      ]]
    ];
  }

  function snippetsCard(app) {
    var list = snippets(app), tabs = h('div', { class: 'tabs', role: 'tablist' }), body = h('div', { class: 'snippet' });
    var pre = h('pre', { id: 'snippet-code' }), btn = h('button', { type: 'button', class: 'small secondary', text: 'Copy' });
    add(body, [pre, btn]);
    var current = 0;
    function show(n) {
      current = n;
      pre.textContent = list[n][1].join('\n');
      Array.prototype.forEach.call(tabs.children, function (b, k) { b.classList.toggle('active', k === n); b.setAttribute('aria-selected', String(k === n)); });
    }
    list.forEach(function (s, n) { tabs.appendChild(h('button', { type: 'button', role: 'tab', text: s[0], onclick: function () { show(n); } })); });
    btn.addEventListener('click', function () { copy(pre.textContent, list[current][0] + ' snippet'); });
    show(0);
    return h('section', { class: 'card', id: 'snippets' }, h('h3', { text: 'Connect' }),
      h('p', { class: 'hint', text: 'Copy-paste code for this app. The host is the one this console was opened on; change it if clients reach the server by another name.' }),
      tabs, body);
  }
`;
