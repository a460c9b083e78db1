// The Pushi client in Node: a private channel, a presence channel and the peer channels it brings,
// signed by examples/auth-server.mjs. Run one per user: `node examples/node-client.mjs bob`.
import WebSocket from 'ws'; // browsers and Node 22 have a global WebSocket; Node 20 needs the ws package
import { Pushi } from 'pushi/client';

const { PUSHI_APP_KEY = 'APP_KEY', PUSHI_HOST = '127.0.0.1', PUSHI_WS_PORT = '9090' } = process.env;
const AUTH_URL = process.env.AUTH_URL ?? 'http://127.0.0.1:3000/pushi/auth';
const user = process.argv[2] ?? 'alice';

const pushi = new Pushi(PUSHI_APP_KEY, {
  host: PUSHI_HOST,
  port: Number(PUSHI_WS_PORT),
  WebSocket,
  authEndpoint: AUTH_URL, // absolute in Node; a page may use a path such as '/pushi/auth'
  authHeaders: { Authorization: `Bearer ${user}-token` }, // your login session, as the auth endpoint knows it
});
pushi.bind('error', (event, error) => console.log('error', error.message));

pushi.subscribe('private-orders').bind('created', (event, data) => console.log('order', JSON.stringify(data)));

const chat = pushi.subscribe('presence-chat');
chat.bind('subscribe', () => console.log('members', [...chat.members.keys()].join(',')));
chat.bind('member_added', (event, member) => {
  console.log('joined', member.id, member.info.name);
  // The server joined the two of us to a peer channel: only we two get what is sent there.
  pushi.sendChannel('client-hello', { from: user }, Pushi.peerChannel('presence-chat', user, member.id));
});
// Peer channels are joined by the server, not subscribed by name: bind on the Pushi object.
pushi.bind('client-hello', (event, data, meta) => console.log('peer', meta.channel, data.from));

// #region recovery
// After a reconnect every channel resumes from the last event it delivered: missed events arrive
// first, in order; when the server no longer has them, reload what the channel shows.
pushi.bind('recovered', (event, { channel }) => console.log('recovered', channel));
pushi.bind('recovery_failed', (event, { channel }) => console.log('recovery_failed', channel));
// #endregion
