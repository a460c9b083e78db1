// Triggers an event with the official `pusher` server SDK: Pushi checks its signatures as Pusher does.
import Pusher from 'pusher';

const env = process.env;
const pusher = new Pusher({
  appId: env.PUSHI_APP_ID ?? 'APP_ID',
  key: env.PUSHI_APP_KEY ?? 'APP_KEY',
  secret: env.PUSHI_APP_SECRET ?? 'APP_SECRET',
  host: env.PUSHI_HOST ?? '127.0.0.1',
  port: env.PUSHI_PORT ?? '8080', // the HTTP API (APP_PORT)
  useTLS: false,
});

await pusher.trigger('news', 'hello', { text: 'hi' });
console.log('triggered hello on news');
