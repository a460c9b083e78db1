// The demo page's stylesheet (served at /demo/style.css).
export const DEMO_CSS = `
:root { --bg:#f6f7f9; --card:#fff; --ink:#1d2430; --muted:#6b7485; --line:#e3e6eb; --accent:#3a6df0; --ok:#1f9d57; --bad:#d64545; }
* { box-sizing: border-box; }
body { margin:0; font:15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; background:var(--bg); color:var(--ink); }
header { display:flex; align-items:center; gap:12px; padding:16px 24px; background:var(--card); border-bottom:1px solid var(--line); }
header h1 { font-size:20px; margin:0; }
header .sub { color:var(--muted); font-size:13px; }
.pill { margin-left:auto; padding:3px 10px; border-radius:999px; font-size:13px; background:#eef0f4; color:var(--muted); }
.pill.connected { background:#e3f6ea; color:var(--ok); }
.pill.failed, .pill.disconnected { background:#fbe7e7; color:var(--bad); }
main { display:grid; grid-template-columns: minmax(0,1.3fr) minmax(0,1fr); gap:20px; padding:20px 24px; max-width:1200px; margin:0 auto; }
@media (max-width: 860px) { main { grid-template-columns: 1fr; } }
section { background:var(--card); border:1px solid var(--line); border-radius:10px; padding:16px 18px; }
section h2 { font-size:16px; margin:0 0 10px; }
.hint { color:var(--muted); font-size:13px; margin:0 0 12px; }
form { display:flex; flex-wrap:wrap; gap:8px; align-items:flex-end; margin-bottom:12px; }
label { display:flex; flex-direction:column; font-size:12px; color:var(--muted); gap:3px; }
input, textarea { font:inherit; padding:6px 8px; border:1px solid var(--line); border-radius:6px; background:#fff; color:var(--ink); }
textarea { min-width:220px; height:34px; resize:vertical; }
button { font:inherit; padding:6px 14px; border:0; border-radius:6px; background:var(--accent); color:#fff; cursor:pointer; }
button.secondary { background:#eef0f4; color:var(--ink); }
button:disabled { opacity:.5; cursor:default; }
ul { list-style:none; margin:0; padding:0; }
#events { max-height:420px; overflow:auto; border-top:1px solid var(--line); }
#events li { padding:8px 2px; border-bottom:1px solid var(--line); display:grid; grid-template-columns: 92px 90px 110px 1fr; gap:8px; font-size:13px; }
#events .time { color:var(--muted); font-variant-numeric: tabular-nums; }
#events .ch { color:var(--accent); }
#events code { white-space:pre-wrap; word-break:break-word; }
#events .empty { display:block; color:var(--muted); }
.chat { display:grid; grid-template-columns: 140px 1fr; gap:12px; }
#members li { padding:4px 8px; border-radius:6px; cursor:pointer; font-size:14px; }
#members li:hover { background:#f0f3fa; }
#members li.selected { background:#e6edff; color:var(--accent); }
#members li.me { cursor:default; color:var(--muted); }
#messages { height:260px; overflow:auto; border:1px solid var(--line); border-radius:6px; padding:8px; font-size:14px; }
#messages .sys { color:var(--muted); font-style:italic; }
#messages .private { color:#7a3fd1; }
#messages b { font-weight:600; }
.status { font-size:13px; min-height:18px; color:var(--muted); }
.status.bad { color:var(--bad); }
#push { grid-column: 1 / -1; }
#pushes li { padding:4px 2px; border-bottom:1px solid var(--line); font-size:13px; }
footer { text-align:center; color:var(--muted); font-size:12px; padding:8px 0 24px; }
`;
