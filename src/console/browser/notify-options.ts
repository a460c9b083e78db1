// An app's notification settings (docs/notifications.md): Web Push (VAPID), APNs and e-mail (SMTP).
// Secrets are write-only: the server says only whether each is set; an empty field keeps it,
// a typed value replaces it, and "Remove" clears it.
import { h } from './dom.ts';
import type { AppView, OptionsView } from './types.ts';
import { status } from './ui.ts';

type Kind = 'text' | 'number' | 'check' | 'secret' | 'secret-long';
type Group = [title: string, hint: string, fields: [option: string, kind: Kind, label: string][]];

const GROUPS: Group[] = [
  [
    'Web Push',
    'VAPID keys are base64url P-256 keys; left empty, a pair is made on the first GET /apps/{id}/vapid_key.',
    [
      ['vapidPublicKey', 'text', 'VAPID public key'],
      ['vapidPrivateKey', 'secret', 'VAPID private key'],
      ['vapidSubject', 'text', 'VAPID subject (mailto: or https: URL)'],
      ['webPushTtl', 'number', 'Undelivered pushes kept, seconds'],
    ],
  ],
  [
    'Apple Push (APNs)',
    'Token authentication with the .p8 key from the Apple developer account.',
    [
      ['apnsKey', 'secret-long', 'Signing key (.p8 file, PEM text)'],
      ['apnsKeyId', 'text', 'Key id (10 characters)'],
      ['apnsTeamId', 'text', 'Team id (10 characters)'],
      ['apnsTopic', 'text', 'Topic (the app bundle id)'],
      ['apnsUrl', 'text', "APNs URL (empty = Apple's)"],
      ['apnsSandbox', 'check', "Apple's development environment"],
    ],
  ],
  [
    'E-mail',
    'Left empty, the server-wide SMTP_URL is used.',
    [
      ['smtpUrl', 'secret', 'SMTP URL (smtp:// or smtps://, user:password@ allowed)'],
      ['emailFrom', 'text', 'From address'],
    ],
  ],
];

/** One field: its element in the form, and what it adds to the options saved. */
interface Field {
  el: HTMLElement;
  read(out: Partial<OptionsView>): void;
}

function plainField(key: string, kind: Kind, label: string, value: unknown): Field {
  if (kind === 'check') {
    const box = h('input', { type: 'checkbox', name: key, checked: Boolean(value) });
    return { el: h('label', { class: 'check' }, box, label), read: (out) => (out[key] = box.checked) };
  }
  if (kind === 'number') {
    const input = h('input', { type: 'number', name: key, value: Number(value ?? 0), min: 0, step: 1, required: true });
    return { el: h('label', {}, label, input), read: (out) => (out[key] = Number(input.value)) };
  }
  const input = h('input', { name: key, value: String(value ?? ''), autocomplete: 'off', spellcheck: 'false' });
  return { el: h('label', {}, label, input), read: (out) => (out[key] = input.value.trim()) };
}

function secretField(key: string, kind: Kind, label: string, isSet: boolean): Field {
  const attrs = { name: key, autocomplete: 'new-password', placeholder: isSet ? 'set: type to replace' : 'not set' };
  const input =
    kind === 'secret-long' ? h('textarea', { ...attrs, rows: 3 }) : h('input', { ...attrs, type: 'password' });
  const remove = h('input', { type: 'checkbox', name: 'remove-' + key });
  remove.addEventListener('change', () => (input.disabled = remove.checked));
  const state = h('span', {
    class: 'pill ' + (isSet ? 'ok' : ''),
    'data-secret': key,
    text: isSet ? 'set' : 'not set',
  });
  const el = h(
    'div',
    { class: 'secret-field' },
    h('label', {}, h('span', { class: 'secret-head' }, label, state), input),
    isSet ? h('label', { class: 'check' }, remove, 'Remove') : null,
  );
  const read = (out: Partial<OptionsView>) => {
    if (remove.checked) out[key] = '';
    else if (input.value.trim()) out[key] = input.value.trim(); // an empty field keeps what is stored
  };
  return { el, read };
}

export function notifyCard(app: AppView, save: (options: Partial<OptionsView>) => Promise<void>): HTMLElement {
  const fields: Field[] = [];
  const st = h('div', { class: 'status' });
  const submit = (ev: Event) => {
    ev.preventDefault();
    const out: Partial<OptionsView> = {};
    for (const f of fields) f.read(out);
    status(st, 'Saving…');
    save(out).catch((e: Error) => status(st, e.message, 'bad'));
  };
  const form = h('form', { id: 'notify-options', onsubmit: submit });
  for (const [title, hint, list] of GROUPS) {
    const grid = h('div', { class: 'opts' });
    for (const [key, kind, label] of list) {
      const secret = kind === 'secret' || kind === 'secret-long';
      const f = secret
        ? secretField(key, kind, label, Boolean(app.secrets_set?.[key]))
        : plainField(key, kind, label, app.options[key]);
      fields.push(f);
      grid.appendChild(f.el);
    }
    form.appendChild(h('fieldset', {}, h('legend', { text: title }), h('p', { class: 'hint', text: hint }), grid));
  }
  const submitRow = h(
    'div',
    { class: 'row end' },
    st,
    h('span', { class: 'spacer' }),
    h('button', { type: 'submit', text: 'Save notification settings' }),
  );
  form.appendChild(submitRow);
  const about =
    'Push and e-mail targets of this app (POST /apps/{id}/targets). Secrets are never shown again once saved.';
  return h(
    'section',
    { class: 'card', id: 'notifications' },
    h('h3', { text: 'Notifications' }),
    h('p', { class: 'hint', text: about }),
    form,
  );
}
