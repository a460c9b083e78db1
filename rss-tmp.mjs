const rss = () => (process.memoryUsage().rss / 1048576).toFixed(1);
const step = process.argv[2];
console.log('bare', rss());
if (step >= 1) { await import('ws'); console.log('ws', rss()); }
if (step >= 2) { await import('./dist/server.js'); console.log('server module', rss()); }
if (step >= 3) { const { loadConfig } = await import('./dist/config/config.js'); const { createServer } = await import('./dist/server.js');
  process.env.PUSHI_DB = '/tmp/rss-tmp.db'; process.env.SERVER_PORT = '19911'; process.env.APP_PORT = '19912';
  const s = await createServer(loadConfig()); await new Promise((r) => setTimeout(r, 3000)); console.log('started', rss(), JSON.stringify(Object.fromEntries(Object.entries(process.memoryUsage()).map(([k, v]) => [k, (v / 1048576).toFixed(1)])))); await s.close(); }
process.exit(0);
