// The console's HTML shell (src/console/browser/ renders the views into it) and the page shown when the
// console is off. The shell holds no secrets: the token is asked for and kept in the browser.
const attr = (s: string) => s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');

export function consolePage(pathPrefix: string): string {
  const p = attr(pathPrefix);
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="pushi-base" content="${p}">
<meta name="robots" content="noindex">
<title>Pushi console</title>
<link rel="stylesheet" href="${p}/console/console.css">
<script src="${p}/console/console.js" defer></script>
</head>
<body>
<div id="login" class="login-wrap" hidden>
  <form id="login-form" class="card login">
    <h1>Pushi <span>console</span></h1>
    <p class="hint">Sign in with this server's admin token (<code>PUSHI_ADMIN_TOKEN</code>).
      It is kept in this tab only.</p>
    <label>Admin token
      <input id="token" type="password" autocomplete="current-password" required autofocus></label>
    <button type="submit" id="login-btn">Sign in</button>
    <div class="status" id="login-status" role="alert"></div>
  </form>
</div>
<div id="shell" hidden>
  <header class="top">
    <a class="brand" href="#/apps">Pushi <span>console</span></a>
    <nav id="tabs" aria-label="Sections">
      <a href="#/apps" data-tab="apps">Apps</a>
      <a href="#/live" data-tab="live">Live</a>
      <a href="#/overview" data-tab="overview">Overview</a>
    </nav>
    <label class="app-pick"><span>App</span><select id="app-select" aria-label="App"></select></label>
    <button id="logout" class="ghost" type="button">Sign out</button>
  </header>
  <main id="view"></main>
</div>
<div id="toast" role="status" aria-live="polite"></div>
<dialog id="confirm">
  <form method="dialog" id="confirm-form">
    <h3 id="confirm-title"></h3>
    <p id="confirm-text"></p>
    <label id="confirm-type-label" hidden>
      <span id="confirm-type-hint"></span><input id="confirm-type" autocomplete="off"></label>
    <div class="row end">
      <button value="cancel" class="secondary" type="submit" formnovalidate>Cancel</button>
      <button value="ok" id="confirm-ok" class="danger" type="submit">Confirm</button>
    </div>
  </form>
</dialog>
</body>
</html>`;
}

export function offPage(): string {
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Pushi console is off</title>
<style>
body{font:15px/1.5 system-ui,sans-serif;max-width:560px;margin:12vh auto;padding:0 20px;color:#1d2430}
code,pre{background:#f0f2f5;border-radius:4px;padding:2px 5px}pre{padding:10px;overflow:auto}
</style></head>
<body>
<h1>The Pushi console is off</h1>
<p>The console manages apps and shows live traffic, so it needs the admin token. Start the server with one:</p>
<pre>PUSHI_ADMIN_TOKEN=$(openssl rand -hex 24) pushi serve</pre>
<p>then open <code>/console</code> again and sign in with that token.</p>
</body>
</html>`;
}
