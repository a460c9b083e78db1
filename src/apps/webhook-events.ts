// The webhook event types (Pusher's, plus cache_miss and subscription_count). No imports: the
// console's browser code lists the same names from here.
export const WEBHOOK_EVENTS = [
  'channel_occupied',
  'channel_vacated',
  'member_added',
  'member_removed',
  'client_event',
  'cache_miss',
  'subscription_count',
] as const;
export type WebhookEventName = (typeof WEBHOOK_EVENTS)[number];
