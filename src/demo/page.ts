// The demo page served at GET / in demo mode: live events, a trigger form, a presence chat.
// Its script and stylesheet are src/demo/browser/ (served as /demo/app.js and /demo/style.css).

export interface DemoPageConfig {
  key: string;
  wsPort: number;
  useTLS: boolean;
  /** PUSHI_PATH_PREFIX, for the WebSocket path and the page's own links. */
  pathPrefix: string;
}

/** JSON safe to put inside a <script> element. */
const scriptJson = (v: unknown) => JSON.stringify(v).replace(/</g, '\\u003c');

export function demoPage(c: DemoPageConfig): string {
  const p = c.pathPrefix;
  const config = scriptJson({ key: c.key, wsPort: c.wsPort, useTLS: c.useTLS, pathPrefix: p, base: p });
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Pushi demo</title>
<link rel="stylesheet" href="${p}/demo/style.css">
</head>
<body>
<header>
  <h1>Pushi</h1>
  <span class="sub">realtime messaging, Pusher protocol 7 — demo</span>
  <span class="sub" id="socket"></span>
  <span class="pill" id="state">connecting</span>
</header>
<main>
  <section>
    <h2>Live events</h2>
    <p class="hint">This page is subscribed to <b>demo</b>. Trigger an event here, or from your back end:
      <code>pushi.triggerEvent({ channel: 'demo', event: 'message', data: 'hello world' })</code></p>
    <form id="trigger">
      <label>Channel <input id="t-channel" value="demo" size="10"></label>
      <label>Event <input id="t-event" value="message" size="10"></label>
      <label>Data <textarea id="t-data">hello world</textarea></label>
      <button type="submit">Trigger</button>
    </form>
    <div class="status" id="trigger-status"></div>
    <ul id="events"><li class="empty">No events yet.</li></ul>
  </section>
  <section>
    <h2>Presence chat</h2>
    <p class="hint">Join <b>presence-demo-chat</b> under a name; click someone to talk on your private peer channel.</p>
    <form id="join">
      <label>Your name <input id="name" placeholder="alice" size="12" maxlength="24"></label>
      <button type="submit" id="join-btn">Join</button>
    </form>
    <div class="status" id="chat-status"></div>
    <div class="chat">
      <ul id="members"></ul>
      <div>
        <div id="messages"></div>
        <form id="say">
          <input id="text" placeholder="Say something" style="flex:1">
          <button type="submit" id="say-btn" disabled>Send</button>
        </form>
        <div class="status" id="to"></div>
      </div>
    </div>
  </section>
  <section id="push">
    <h2>Push notifications</h2>
    <p class="hint">Web Push to this browser for every event on <b>demo</b>, also when this page is closed:
      the server keeps the subscription as a target of the channel and sends through your browser's push service.
      From a back end: <code>pushi.addTarget({ channel: 'demo', kind: 'web_push', target: subscription })</code></p>
    <button type="button" id="push-btn">Enable push notifications</button>
    <div class="status" id="push-status"></div>
    <ul id="pushes"></ul>
  </section>
</main>
<footer>Served by this Pushi server in demo mode (PUSHI_DEMO=1). Turn it off in production.</footer>
<script id="pushi-config" type="application/json">${config}</script>
<script src="${p}/pushi.js"></script>
<script src="${p}/demo/app.js"></script>
</body>
</html>
`;
}

/** GET / when demo mode is off. */
export function landingPage(pathPrefix: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Pushi</title></head>
<body style="font:15px system-ui,sans-serif;max-width:640px;margin:40px auto;color:#1d2430">
<h1>Pushi is running</h1>
<p>The demo page is off (PUSHI_DEMO=0). The browser client is at
<a href="${pathPrefix}/pushi.js">${pathPrefix}/pushi.js</a>;
health at <a href="${pathPrefix}/health">${pathPrefix}/health</a>.</p>
</body></html>
`;
}
