// An auth endpoint for private, personal, presence and peer channels: plain node:http and the Pushi SDK.
import { createServer } from 'node:http';
import { Pushi } from 'pushi/sdk';

const pushi = new Pushi(); // PUSHI_APP_ID, PUSHI_APP_KEY, PUSHI_APP_SECRET (the secret stays here)

// Stands in for your login sessions: who holds which token.
const logins = new Map([
  ['alice-token', { id: 'alice', name: 'Alice' }],
  ['bob-token', { id: 'bob', name: 'Bob' }],
]);

/** The signature `socketId` needs to join `channel` as `user`, or undefined when the user may not. */
function authorize(user, socketId, channel) {
  if (channel.startsWith('presence-')) {
    // user_info is what the other members see; "peer": true gives this member a peer channel
    // (peer-<base>:<a>&<b>) with every other member, for one-to-one client events.
    return pushi.authorizeChannel(socketId, channel, { user_id: user.id, user_info: { name: user.name }, peer: true });
  }
  if (channel === `personal-${user.id}`) return pushi.authorizeChannel(socketId, channel);
  if (channel.startsWith('private-')) return pushi.authorizeChannel(socketId, channel); // decide who reads what
  return undefined;
}

const server = createServer(async (req, res) => {
  const send = (status, body) =>
    res.writeHead(status, { 'Content-Type': 'application/json' }).end(JSON.stringify(body));
  if (req.method !== 'POST' || req.url !== '/pushi/auth') return send(404, { error: 'Not found' });
  const user = logins.get(req.headers.authorization?.replace(/^Bearer /, '') ?? '');
  if (!user) return send(401, { error: 'Sign in first' });
  let body = '';
  for await (const chunk of req) if ((body += chunk).length > 10_000) return send(413, { error: 'Too large' });
  // pusher-js, Laravel Echo and the Pushi client post socket_id and channel_name form-encoded.
  const form = new URLSearchParams(body);
  const channel = form.get('channel_name') ?? '';
  try {
    const answer = authorize(user, form.get('socket_id') ?? '', channel);
    if (answer) send(200, answer);
    else send(403, { error: `${user.id} may not join ${channel}` });
  } catch (err) {
    send(400, { error: err.message }); // a malformed socket id or channel name
  }
});

server.listen(Number(process.env.PORT ?? 3000), '127.0.0.1', () => {
  console.log(`auth endpoint at http://127.0.0.1:${server.address().port}/pushi/auth`);
});
