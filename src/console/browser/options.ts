// An app's options form: limits, persistence, channels, webhook delivery, and its webhooks.
// Each field's kind (checkbox, number, list) follows the type of the option's current value.
import { WEBHOOK_EVENTS } from '../../apps/webhook-events.ts';
import { h } from './dom.ts';
import type { AppView, OptionsView, WebhookView } from './types.ts';
import { status } from './ui.ts';

type Group = [title: string, fields: [option: string, label: string][]];
const OPTION_GROUPS: Group[] = [
  [
    'Client events',
    [
      ['clientEvents', 'Allow client- events on private and presence channels'],
      ['maxClientEventsPerSecond', 'Client events per connection per second'],
    ],
  ],
  [
    'Limits',
    [
      ['maxConnections', 'Open connections (0 = unlimited)'],
      ['maxEventBytes', 'Event data, bytes'],
      ['maxChannelsPerTrigger', 'Channels per trigger'],
      ['maxBatchEvents', 'Events per batch trigger'],
      ['maxApiRequestsPerSecond', 'API requests per second (0 = unlimited)'],
      ['maxPresenceMembers', 'Members per presence channel'],
      ['maxPresenceUserInfoBytes', 'user_info per member, bytes'],
    ],
  ],
  [
    'Persistence defaults',
    [
      ['persist', 'Store triggered events (a trigger may say otherwise)'],
      ['historyCount', 'Stored events sent on subscribe'],
      ['maxStoredEventsPerChannel', 'Stored events kept per channel'],
      ['maxStoredEventAge', 'Oldest stored event kept, seconds (0 = no limit)'],
    ],
  ],
  [
    'Channels and users',
    [
      ['subscriptionCount', 'Send subscription_count to subscribers'],
      ['cacheTtl', 'Cache channels remember, seconds'],
      ['userAuthentication', 'Close connections that do not sign in'],
      ['userAuthenticationTimeout', 'Sign-in deadline, seconds'],
      ['allowedOrigins', 'Allowed origins, one per line (empty = any)'],
    ],
  ],
  [
    'Webhook delivery',
    [
      ['webhookBatchMs', 'Batch window, ms'],
      ['webhookRetryMs', 'First retry after, ms'],
      ['webhookRetryForMs', 'Keep retrying for, ms'],
      ['webhookTimeoutMs', 'Timeout per attempt, ms'],
    ],
  ],
];

type Field = HTMLInputElement | HTMLTextAreaElement;

/** The field for one option, or undefined for an option this server does not have. */
function field(name: string, value: unknown): Field | undefined {
  if (typeof value === 'boolean') return h('input', { type: 'checkbox', name, checked: value });
  if (Array.isArray(value)) return h('textarea', { name, value: value.join('\n'), placeholder: 'https://example.com' });
  if (typeof value === 'number') return h('input', { type: 'number', name, value, min: 0, step: 1, required: true });
  return undefined;
}

/** The form's value for one option, typed like the option's current value. */
function read(el: Field, current: unknown): unknown {
  if (typeof current === 'boolean') return (el as HTMLInputElement).checked;
  if (typeof current === 'number') return Number(el.value);
  return el.value
    .split('\n')
    .map((s) => s.trim())
    .filter(Boolean);
}

export function optionsCard(app: AppView, save: (options: Partial<OptionsView>) => Promise<void>): HTMLElement {
  const o = app.options;
  const inputs = new Map<string, Field>();
  const st = h('div', { class: 'status' });
  const hooks: { read(): WebhookView }[] = [];
  const submit = (ev: Event) => {
    ev.preventDefault();
    const out: Partial<OptionsView> = {};
    for (const [k, el] of inputs) out[k] = read(el, o[k]);
    out.webhooks = hooks.map((w) => w.read());
    status(st, 'Saving…');
    save(out).catch((e: Error) => status(st, e.message, 'bad'));
  };
  const form = h('form', { id: 'options', onsubmit: submit });
  for (const [title, fields] of OPTION_GROUPS) {
    const grid = h('div', { class: 'opts' });
    for (const [k, label] of fields) {
      const el = field(k, o[k]);
      if (!el) continue;
      grid.appendChild(el.type === 'checkbox' ? h('label', { class: 'check' }, el, label) : h('label', {}, label, el));
      inputs.set(k, el);
    }
    form.appendChild(h('fieldset', {}, h('legend', { text: title }), grid));
  }

  const hookList = h('div', { id: 'webhooks' });
  const addHook = (w: Partial<WebhookView>) => {
    const url = h('input', {
      type: 'url',
      value: w.url ?? '',
      placeholder: 'https://example.com/pushi-webhook',
      required: true,
    });
    const prefix = h('input', { value: w.channelPrefix ?? '', placeholder: 'any channel' });
    const boxes = WEBHOOK_EVENTS.map((e) =>
      h('input', { type: 'checkbox', value: e, checked: (w.events ?? []).includes(e) }),
    );
    const item = {
      read(): WebhookView {
        const out: WebhookView = { url: url.value.trim(), events: boxes.filter((b) => b.checked).map((b) => b.value) };
        if (prefix.value.trim()) out.channelPrefix = prefix.value.trim();
        return out;
      },
    };
    const removeHook = () => {
      hookList.removeChild(row);
      hooks.splice(hooks.indexOf(item), 1);
    };
    const row = h(
      'div',
      { class: 'webhook' },
      h('label', {}, 'URL', url),
      h('label', {}, 'Channel prefix', prefix),
      h('button', { type: 'button', class: 'small ghost', text: 'Remove', onclick: removeHook }),
      h(
        'div',
        { class: 'events' },
        boxes.map((b) => h('label', { class: 'check' }, b, b.value)),
      ),
    );
    hooks.push(item);
    hookList.appendChild(row);
  };
  for (const w of o.webhooks ?? []) addHook(w);
  const addBtn = h('button', {
    type: 'button',
    class: 'small secondary',
    id: 'add-webhook',
    text: '+ Add webhook',
    onclick: () => addHook({ events: ['channel_occupied', 'channel_vacated'] }),
  });
  const about = 'Pusher-format POSTs, signed with the app secret, of the event types you tick.';
  form.appendChild(
    h('fieldset', {}, h('legend', { text: 'Webhooks' }), h('p', { class: 'hint', text: about }), hookList, addBtn),
  );
  form.appendChild(
    h(
      'div',
      { class: 'row end' },
      st,
      h('span', { class: 'spacer' }),
      h('button', { type: 'submit', text: 'Save options' }),
    ),
  );
  return h('section', { class: 'card' }, h('h3', { text: 'Options' }), form);
}
