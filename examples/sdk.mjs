// The Pushi server SDK: trigger a stored event, follow a channel for a user, read the history.
import { Pushi } from 'pushi/sdk';

// Credentials from PUSHI_APP_ID, PUSHI_APP_KEY and PUSHI_APP_SECRET (`npm start` prints them), the
// HTTP API from PUSHI_HOST and PUSHI_PORT (default 127.0.0.1:8080); or pass { appId, appKey, ... }.
const pushi = new Pushi();

// alice follows news even while offline: what is stored there reaches her personal-alice channel.
await pushi.subscribe({ userId: 'alice', event: 'news' });

// persist: true stores the event before it goes out; live subscribers get its mid and timestamp.
await pushi.triggerEvent({ channel: 'news', event: 'hello', data: { text: 'hi' }, persist: true });

const { events } = await pushi.latest('news', { skip: 0, count: 5 }); // newest first
for (const e of events) console.log('stored', e.mid, e.event, e.data);

const news = await pushi.channel('news', 'subscription_count');
console.log('news subscribers', news.subscription_count ?? 0);
