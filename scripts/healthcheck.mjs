#!/usr/bin/env node
// The container's HEALTHCHECK: GET /health on the API listener from inside the container (the slim
// image has no curl). TLS follows the server's rule: APP_SSL, or SERVER_SSL on a shared port.
// The certificate is not verified: this only asks the local process whether it is up.
import { request as http } from 'node:http';
import { request as https } from 'node:https';

const env = process.env;
const on = (name) => /^(1|true|yes|on)$/i.test((env[name] ?? '').trim());
const port = Number(env.APP_PORT || 8080);
const shared =
  (env.APP_HOST || '127.0.0.1') === (env.SERVER_HOST || '127.0.0.1') && port === Number(env.SERVER_PORT || 9090);
const tls = shared ? on('SERVER_SSL') : on('APP_SSL');
const send = tls ? https : http;

const req = send({ host: '127.0.0.1', port, path: '/health', timeout: 4000, rejectUnauthorized: false }, (res) => {
  res.resume();
  process.exit(res.statusCode === 200 ? 0 : 1);
});
req.on('timeout', () => req.destroy(new Error('timed out')));
req.on('error', (err) => {
  process.stderr.write(`health check failed: ${err.message}\n`);
  process.exit(1);
});
req.end();
