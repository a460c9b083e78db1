// The console's stylesheet (served at /console/console.css): plain CSS, phone width up.
export const CONSOLE_CSS = `
:root { --bg:#f5f6f8; --card:#fff; --ink:#1c2330; --muted:#687182; --line:#e2e5ea; --soft:#eef1f5;
  --accent:#3a6df0; --accent-soft:#e8eefe; --ok:#1d9a55; --ok-soft:#e2f5ea; --bad:#d3413f; --bad-soft:#fbe8e7;
  --warn:#b7791f; --warn-soft:#fdf3e1; --violet:#7a4fd1; --violet-soft:#f0eafc; --mono: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
* { box-sizing:border-box; }
[hidden] { display:none !important; }
html { -webkit-text-size-adjust:100%; }
body { margin:0; font:14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; background:var(--bg); color:var(--ink); }
a { color:var(--accent); text-decoration:none; }
a:hover { text-decoration:underline; }
code, pre, .mono { font-family:var(--mono); font-size:12.5px; }
h2 { font-size:18px; margin:0; }
h3 { font-size:15px; margin:0 0 10px; }
.hint { color:var(--muted); font-size:13px; margin:0 0 10px; }
.status { font-size:13px; min-height:18px; color:var(--muted); margin-top:6px; }
.status:empty { min-height:0; margin:0; }
.status.bad { color:var(--bad); }
.status.good { color:var(--ok); }

/* Controls */
label { display:flex; flex-direction:column; gap:3px; font-size:12px; color:var(--muted); }
label > input:not([type=checkbox]), label > select, label > textarea { width:100%; }
label.check { flex-direction:row; align-items:center; gap:8px; font-size:13px; color:var(--ink); }
input, select, textarea { font:inherit; font-size:14px; color:var(--ink); background:#fff; border:1px solid #d5d9e0; border-radius:7px; padding:7px 9px; min-width:0; }
input[type=checkbox] { width:16px; height:16px; padding:0; accent-color:var(--accent); }
input:focus, select:focus, textarea:focus { outline:2px solid var(--accent-soft); border-color:var(--accent); }
textarea { resize:vertical; min-height:64px; font-family:var(--mono); font-size:12.5px; }
button { font:inherit; font-weight:500; padding:7px 14px; border:1px solid transparent; border-radius:7px; background:var(--accent); color:#fff; cursor:pointer; white-space:nowrap; }
button:hover { filter:brightness(1.06); }
button:disabled { opacity:.5; cursor:default; }
button.secondary { background:var(--soft); color:var(--ink); border-color:var(--line); }
button.ghost { background:transparent; color:var(--muted); border-color:var(--line); }
button.danger { background:var(--bad); }
button.small { padding:4px 10px; font-size:12.5px; }
.row { display:flex; flex-wrap:wrap; gap:8px; align-items:flex-end; }
.row.end { justify-content:flex-end; }
.row > label.grow, .grow { flex:1 1 180px; }
.spacer { flex:1; }

/* Login */
.login-wrap { min-height:100vh; display:flex; align-items:center; justify-content:center; padding:20px; }
.login { width:100%; max-width:380px; display:flex; flex-direction:column; gap:12px; }
.login h1 { margin:0; font-size:22px; }
.login h1 span, .brand span { color:var(--muted); font-weight:400; }

/* Shell */
header.top { position:sticky; top:0; z-index:5; display:flex; align-items:center; gap:18px; padding:10px 24px; background:var(--card); border-bottom:1px solid var(--line); }
.brand { font-weight:700; font-size:17px; color:var(--ink); }
.brand:hover { text-decoration:none; }
#tabs { display:flex; gap:4px; }
#tabs a { padding:6px 12px; border-radius:7px; color:var(--muted); font-weight:500; }
#tabs a:hover { background:var(--soft); text-decoration:none; }
#tabs a.active { background:var(--accent-soft); color:var(--accent); }
.app-pick { flex-direction:row; align-items:center; gap:8px; margin-left:auto; }
.app-pick select { max-width:220px; }
main { max-width:1200px; margin:0 auto; padding:20px 24px 40px; display:flex; flex-direction:column; gap:16px; }
.card { background:var(--card); border:1px solid var(--line); border-radius:10px; padding:16px 18px; }
.card > h3:first-child { display:flex; align-items:center; gap:8px; }
.page-head { display:flex; flex-wrap:wrap; align-items:center; gap:10px 14px; }
.page-head .sub { color:var(--muted); }
.page-head .links { margin-left:auto; display:flex; gap:14px; }
.grid2 { display:grid; grid-template-columns:minmax(0,1fr) minmax(0,1fr); gap:16px; align-items:start; }
.pill { display:inline-block; padding:1px 9px; border-radius:999px; font-size:12px; font-weight:500; background:var(--soft); color:var(--muted); }
.pill.ok, .pill.live { background:var(--ok-soft); color:var(--ok); }
.pill.bad, .pill.reconnecting { background:var(--bad-soft); color:var(--bad); }
.pill.paused, .pill.connecting { background:var(--warn-soft); color:var(--warn); }
.empty { color:var(--muted); padding:14px 0; text-align:center; font-size:13px; }

/* Apps */
.app-list { display:grid; grid-template-columns:repeat(auto-fill, minmax(260px, 1fr)); gap:12px; }
.app-card { display:flex; flex-direction:column; gap:6px; }
.app-card .name { font-weight:600; font-size:15px; display:flex; align-items:center; gap:8px; }
.kv { display:grid; grid-template-columns:max-content minmax(0,1fr); gap:4px 10px; font-size:13px; align-items:center; margin:0 0 12px; }
.kv dt { color:var(--muted); }
.kv dd { margin:0; font-family:var(--mono); font-size:12.5px; overflow-wrap:anywhere; }
.cred { display:flex; align-items:center; gap:6px; min-width:0; }
.cred code { overflow-wrap:anywhere; }
fieldset { border:1px solid var(--line); border-radius:8px; padding:10px 12px 12px; margin:0 0 12px; min-width:0; }
legend { font-weight:600; font-size:13px; padding:0 4px; }
.opts { display:grid; grid-template-columns:repeat(auto-fill, minmax(220px, 1fr)); gap:10px 14px; }
.webhook { display:grid; grid-template-columns:minmax(0,2fr) minmax(0,1fr) auto; gap:8px; align-items:end; padding:10px 0; border-top:1px dashed var(--line); }
.webhook .events { grid-column:1 / -1; display:flex; flex-wrap:wrap; gap:4px 14px; }
.tabs { display:flex; flex-wrap:wrap; gap:4px; border-bottom:1px solid var(--line); margin-bottom:10px; }
.tabs button { background:none; color:var(--muted); border:0; border-bottom:2px solid transparent; border-radius:0; padding:6px 10px; }
.tabs button.active { color:var(--accent); border-bottom-color:var(--accent); }
.snippet { position:relative; }
.snippet pre { margin:0; background:#111826; color:#e4e9f2; border-radius:8px; padding:14px; overflow:auto; line-height:1.5; }
.snippet button { position:absolute; top:8px; right:8px; }
.danger-zone { border-color:#f1c9c8; }

/* Live */
.live-grid { display:grid; grid-template-columns:minmax(0,1fr) 300px; gap:16px; align-items:start; }
.toolbar { display:flex; flex-wrap:wrap; gap:8px; align-items:flex-end; margin-bottom:10px; }
.toolbar input { width:150px; }
#stream { list-style:none; margin:0; padding:0; max-height:calc(100vh - 250px); min-height:240px; overflow:auto; border-top:1px solid var(--line); }
#stream li { display:grid; grid-template-columns:70px 118px minmax(0,1fr); gap:4px 10px; padding:7px 2px; border-bottom:1px solid var(--line); font-size:13px; }
#stream .time { color:var(--muted); font-variant-numeric:tabular-nums; font-size:12px; padding-top:1px; }
#stream .what { min-width:0; overflow-wrap:anywhere; }
#stream .ch { font-weight:600; }
#stream .ev { color:var(--violet); font-weight:500; }
#stream .meta { color:var(--muted); font-size:12px; }
#stream pre { margin:4px 0 0; white-space:pre-wrap; overflow-wrap:anywhere; background:var(--soft); border-radius:6px; padding:6px 8px; max-height:220px; overflow:auto; }
.badge { display:inline-block; font-size:11px; font-weight:600; letter-spacing:.02em; padding:2px 7px; border-radius:5px; background:var(--soft); color:var(--muted); white-space:nowrap; justify-self:start; align-self:start; }
.badge.k-conn { background:var(--ok-soft); color:var(--ok); }
.badge.k-disc, .badge.k-fail { background:var(--bad-soft); color:var(--bad); }
.badge.k-sub { background:var(--accent-soft); color:var(--accent); }
.badge.k-member { background:var(--violet-soft); color:var(--violet); }
.badge.k-event { background:#111826; color:#fff; }
.badge.k-client { background:#2f3b52; color:#fff; }
.badge.k-hook { background:var(--warn-soft); color:var(--warn); }
.trigger form { display:flex; flex-direction:column; gap:10px; }
.trigger .status { margin-top:0; }
.trigger .pair { display:flex; flex-direction:column; gap:10px; }

/* Overview */
.tiles { display:grid; grid-template-columns:repeat(4, minmax(0,1fr)); gap:12px; }
.tile { padding:14px 16px 10px; }
.tile .label { color:var(--muted); font-size:12.5px; font-weight:500; }
.tile .num { font-size:26px; font-weight:650; font-variant-numeric:tabular-nums; line-height:1.2; margin:2px 0 0; white-space:nowrap; }
.tile .note { color:var(--muted); font-size:12px; white-space:nowrap; overflow:hidden; text-overflow:ellipsis; margin-bottom:6px; }
.tile .num small { font-size:13px; color:var(--muted); font-weight:400; }
.tile canvas { width:100%; height:56px; display:block; }
table { width:100%; border-collapse:collapse; font-size:13px; }
th { text-align:left; color:var(--muted); font-weight:500; font-size:12px; border-bottom:1px solid var(--line); padding:6px 6px; }
td { border-bottom:1px solid var(--line); padding:6px 6px; overflow-wrap:anywhere; }
td.n, th.n { text-align:right; font-variant-numeric:tabular-nums; white-space:nowrap; }
.presence-ch { padding:8px 0; border-bottom:1px solid var(--line); }
.presence-ch:last-child { border-bottom:0; }
.members { display:flex; flex-wrap:wrap; gap:6px; margin-top:6px; }
.member { display:inline-flex; gap:6px; align-items:center; background:var(--violet-soft); color:var(--violet); border-radius:999px; padding:2px 10px; font-size:12.5px; max-width:100%; }
.member .info { color:var(--muted); font-family:var(--mono); font-size:11.5px; overflow:hidden; text-overflow:ellipsis; white-space:nowrap; max-width:220px; }
.stored-results { display:grid; grid-template-columns:minmax(0,2fr) minmax(0,1fr); gap:16px; margin-top:12px; }

/* Dialog and toast */
dialog { border:0; border-radius:12px; padding:20px; width:min(440px, calc(100vw - 32px)); box-shadow:0 20px 60px rgba(20,30,50,.25); }
dialog::backdrop { background:rgba(20,26,38,.45); }
dialog h3 { margin:0 0 8px; font-size:17px; }
dialog form { display:flex; flex-direction:column; gap:12px; }
dialog p { margin:0; color:var(--muted); }
#toast { position:fixed; left:50%; bottom:20px; transform:translateX(-50%); background:#1c2330; color:#fff; padding:9px 16px; border-radius:8px; font-size:13px; opacity:0; pointer-events:none; transition:opacity .2s; z-index:20; max-width:calc(100vw - 32px); }
#toast.show { opacity:1; }
#toast.bad { background:var(--bad); }

@media (max-width: 980px) {
  .tiles { grid-template-columns:repeat(2, minmax(0,1fr)); }
  .live-grid { grid-template-columns:minmax(0,1fr); }
  .live-grid .trigger { order:-1; }
}
@media (max-width: 720px) {
  header.top { flex-wrap:wrap; gap:8px 12px; padding:10px 14px; }
  #tabs { order:3; width:100%; }
  #tabs a { flex:1; text-align:center; }
  .app-pick { margin-left:auto; }
  .app-pick span { display:none; }
  .app-pick select { max-width:140px; padding:5px 7px; }
  #logout { padding:5px 10px; font-size:13px; }
  main { padding:14px 12px 32px; gap:12px; }
  .card { padding:14px; }
  .grid2, .stored-results { grid-template-columns:minmax(0,1fr); }
  .tiles { gap:10px; }
  .tile { padding:12px 12px 8px; }
  .tile .num { font-size:21px; }
  #stream { max-height:none; }
  #stream li { grid-template-columns:56px minmax(0,1fr); }
  #stream li .what { grid-column:1 / -1; }
  .toolbar label { flex:1 1 40%; }
  .toolbar input, .toolbar select { width:100%; }
  .trigger .pair { display:grid; grid-template-columns:minmax(0,1fr) minmax(0,1fr); gap:8px; }
  .trigger textarea { min-height:44px; }
  .trigger .hint { display:none; }
  .webhook { grid-template-columns:minmax(0,1fr); }
  .tabs { flex-wrap:nowrap; overflow-x:auto; scrollbar-width:none; }
  .tabs button { flex:none; }
}
`;
