// Laravel Echo on Pushi: Echo's pusher broadcaster with pusher-js, private channels signed by an auth
// endpoint (Laravel's /broadcasting/auth, or examples/auth-server.mjs here).
import Echo from 'laravel-echo';
import Pusher from 'pusher-js'; // in a browser bundle: window.Pusher = Pusher, or pass it as here
import { recover } from 'pushi/pusher-js';

const { PUSHI_APP_KEY = 'APP_KEY', PUSHI_HOST = '127.0.0.1', PUSHI_WS_PORT = '9090' } = process.env;

const echo = new Echo({
  broadcaster: 'pusher',
  Pusher,
  key: PUSHI_APP_KEY,
  wsHost: PUSHI_HOST,
  wsPort: Number(PUSHI_WS_PORT),
  forceTLS: false,
  enabledTransports: ['ws'],
  cluster: '',
  authEndpoint: process.env.AUTH_URL ?? 'http://127.0.0.1:3000/pushi/auth',
  auth: { headers: { Authorization: 'Bearer alice-token' } },
});

// A leading dot: the event name as triggered, without Laravel's App\Events namespace.
echo.channel('news').listen('.hello', (data) => console.log('news', JSON.stringify(data)));
echo.private('orders').listen('.created', (data) => console.log('order', JSON.stringify(data)));

// #region recovery
// pusher-js resumes each channel after a reconnect too (pushi/pusher-js): missed events first, in
// order, or a signal to reload what the channel shows.
const recovery = recover(echo.connector.pusher);
recovery.bind('recovered', ({ channel }) => console.log('recovered', channel));
recovery.bind('recovery_failed', ({ channel }) => console.log('recovery_failed', channel));
// #endregion
