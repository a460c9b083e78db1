// subscription_count webhooks: at most one a second per channel, carrying the latest value.
import type { ClusterObserver } from './adapter.ts';
import { channelKey } from './channel-key.ts';

const COUNT_REPORT_MS = 1000;

export class CountReports {
  private readonly reports = new Map<string, { at: number; value?: number; timer?: NodeJS.Timeout }>();

  constructor(private readonly observer: ClusterObserver) {}

  report(appId: string, channel: string, value: number): void {
    if (!this.observer.subscriptionCount) return;
    const k = channelKey(appId, channel);
    const now = Date.now();
    const r = this.reports.get(k);
    if (!r || now - r.at >= COUNT_REPORT_MS) {
      if (r?.timer) clearTimeout(r.timer);
      this.reports.set(k, { at: now });
      this.observer.subscriptionCount(appId, channel, value);
      return;
    }
    r.value = value;
    r.timer ??= setTimeout(
      () => {
        this.reports.delete(k);
        if (r.value !== undefined) this.report(appId, channel, r.value);
      },
      COUNT_REPORT_MS - (now - r.at),
    ).unref();
  }

  clear(): void {
    for (const r of this.reports.values()) if (r.timer) clearTimeout(r.timer);
    this.reports.clear();
  }
}
