// Notification targets with the server SDK: a channel webhook and an e-mail address registered on
// channels, a message sent straight to a target, and the VAPID key browsers subscribe with.
import { Pushi } from 'pushi/sdk';

const pushi = new Pushi(); // PUSHI_APP_ID, PUSHI_APP_KEY, PUSHI_APP_SECRET, PUSHI_HOST, PUSHI_PORT
const hook = process.env.HOOK_URL ?? 'https://example.com/pushi-hook';

// Every event triggered on news is also POSTed to the hook, signed like app webhooks.
await pushi.addTarget({ channel: 'news', kind: 'webhook', target: hook });
// Signed channels (private-, presence-, personal-, …) need channel_auth: the SDK computes it.
await pushi.addTarget({ channel: 'private-orders', kind: 'email', target: 'ops@example.com' });
console.log('targets on news:', (await pushi.listTargets({ channel: 'news' })).length);

// web_push, apn, push, subject, body and html shape the message per kind of target.
await pushi.triggerEvent({ channel: 'news', event: 'story', data: { title: 'Hello' }, web_push: { title: 'News' } });

// One message to explicit targets, no channel involved: one result per target.
const [result] = await pushi.sendMessage({ data: 'Hi', targets: [{ kind: 'webhook', target: hook }] });
console.log('direct message sent:', result.success);

const { removed } = await pushi.removeTargets({ kind: 'email', address: 'ops@example.com' }); // everywhere
console.log('e-mail targets removed:', removed);
console.log('VAPID public key:', await pushi.vapidPublicKey());
