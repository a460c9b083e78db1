// The notification targets role (notify/targets, the notifications API): who hears a channel.

/** Where notifications go: a Web Push subscription, APNs token, e-mail address, webhook URL. */
export interface NotifyTarget {
  appId: string;
  /** The channel it listens on; one on personal-<user> hears every channel the user is subscribed to. */
  channel: string;
  /** web_push | apns | email | webhook */
  kind: string;
  /** Its identity within the kind: the endpoint, device token, address or URL. */
  address: string;
  /** What a sender needs, as registered (for Web Push: endpoint, p256dh, auth). */
  target: Record<string, unknown>;
  createdAt: number; // ms since epoch
}

/** Fields a target must match; omitted ones match anything. */
export interface TargetFilter {
  channel?: string;
  kind?: string;
  address?: string;
}

export interface TargetsReads {
  /** The app's targets matching the filter, ordered by channel, kind, address. */
  list(appId: string, filter: TargetFilter): Promise<NotifyTarget[]>;
  /**
   * Targets on any of `channels`, plus those on personal-<user> for every user subscribed to one of
   * them; `via` is the channel of `channels` that matched (a target may come once per channel).
   */
  forChannels(appId: string, channels: string[]): Promise<Array<NotifyTarget & { via: string }>>;
  /** Whether the app has any target at all (a cheap gate before forChannels). */
  hasAny(appId: string): Promise<boolean>;
}

export interface TargetsWrites {
  /** Adds a target, or refreshes the details of the same (app, channel, kind, address); true if new. */
  add(target: NotifyTarget): Promise<boolean>;
  /** Removes the app's targets matching the filter (at least one field, else TypeError) and returns them. */
  remove(appId: string, filter: TargetFilter): Promise<NotifyTarget[]>;
}

export type TargetsStore = TargetsReads & TargetsWrites;
