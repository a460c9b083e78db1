// One app's recent numbers for the console's overview: a sample per second for the last five
// minutes (fixed-size rings, nothing grows) and events per channel over the last minute.

export const SAMPLE_MS = 1000;
const POINTS = 300;
const BUCKET_MS = 10_000;
const BUCKETS = 6;
/** Distinct channels counted per 10 s bucket; past it new channels are not counted (memory bound). */
const MAX_CHANNELS_PER_BUCKET = 5000;

export interface Series {
  /** Milliseconds between points; the last point was taken at `end`. */
  interval: number;
  end: number;
  connections: number[];
  channels: number[];
  /** Messages written to subscribers per second. */
  messages: number[];
  /** Events published (triggers per channel, client events) per second. */
  events: number[];
  /** Trigger → fan-out time in ms: mean and max of each second (null when nothing was triggered). */
  latencyAvg: (number | null)[];
  latencyMax: (number | null)[];
}

export class AppStats {
  private readonly rings = {
    connections: new Float32Array(POINTS),
    channels: new Float32Array(POINTS),
    messages: new Float32Array(POINTS),
    events: new Float32Array(POINTS),
    latencyAvg: new Float32Array(POINTS),
    latencyMax: new Float32Array(POINTS),
  };
  private head = 0;
  private filled = 0;
  private end = 0;
  private messages = 0;
  private events = 0;
  private latSum = 0;
  private latCount = 0;
  private latMax = 0;
  private readonly buckets: Map<string, number>[] = Array.from({ length: BUCKETS }, () => new Map());
  private bucket = 0;
  private bucketStart = 0;

  delivered(count: number): void {
    this.messages += count;
  }

  published(channel: string, now: number): void {
    this.events++;
    this.rotate(now);
    const b = this.buckets[this.bucket];
    const n = b.get(channel);
    if (n !== undefined) b.set(channel, n + 1);
    else if (b.size < MAX_CHANNELS_PER_BUCKET) b.set(channel, 1);
  }

  latency(ms: number): void {
    this.latSum += ms;
    this.latCount++;
    if (ms > this.latMax) this.latMax = ms;
  }

  /** Closes the current second. */
  sample(now: number, connections: number, channels: number): void {
    const i = this.head;
    const r = this.rings;
    r.connections[i] = connections;
    r.channels[i] = channels;
    // Per second of time actually passed (the timer runs late on a busy machine).
    const seconds = this.end ? Math.max(0.5, (now - this.end) / 1000) : SAMPLE_MS / 1000;
    r.messages[i] = this.messages / seconds;
    r.events[i] = this.events / seconds;
    r.latencyAvg[i] = this.latCount ? this.latSum / this.latCount : NaN;
    r.latencyMax[i] = this.latCount ? this.latMax : NaN;
    this.head = (i + 1) % POINTS;
    this.filled = Math.min(POINTS, this.filled + 1);
    this.end = now;
    this.messages = this.events = this.latSum = this.latCount = this.latMax = 0;
    this.rotate(now);
  }

  /** Nothing happened for as long as the rings remember: the app can be forgotten. */
  get idle(): boolean {
    if (this.messages || this.events || this.latCount) return false;
    const r = this.rings;
    for (let i = 0; i < this.filled; i++) {
      if (r.connections[i] || r.channels[i] || r.messages[i] || r.events[i] || r.latencyMax[i] >= 0) return false;
    }
    return true;
  }

  series(): Series {
    const pick = (ring: Float32Array) => {
      const out: number[] = [];
      for (let k = this.filled; k > 0; k--) out.push(Math.round(ring[(this.head - k + POINTS) % POINTS] * 100) / 100);
      return out;
    };
    const gaps = (ring: Float32Array) => pick(ring).map((v) => (Number.isNaN(v) ? null : v));
    const r = this.rings;
    return {
      interval: SAMPLE_MS,
      end: this.end,
      connections: pick(r.connections),
      channels: pick(r.channels),
      messages: pick(r.messages),
      events: pick(r.events),
      latencyAvg: gaps(r.latencyAvg),
      latencyMax: gaps(r.latencyMax),
    };
  }

  /** Channels by events published over the last minute, most first. */
  busiest(now: number, limit: number): { channel: string; events: number }[] {
    this.rotate(now);
    const totals = new Map<string, number>();
    for (const b of this.buckets) for (const [ch, n] of b) totals.set(ch, (totals.get(ch) ?? 0) + n);
    return [...totals]
      .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
      .slice(0, limit)
      .map(([channel, events]) => ({ channel, events }));
  }

  private rotate(now: number): void {
    if (!this.bucketStart) this.bucketStart = now;
    let steps = Math.floor((now - this.bucketStart) / BUCKET_MS);
    if (steps <= 0) return;
    this.bucketStart += steps * BUCKET_MS;
    for (steps = Math.min(steps, BUCKETS); steps > 0; steps--) {
      this.bucket = (this.bucket + 1) % BUCKETS;
      this.buckets[this.bucket].clear();
    }
  }
}
