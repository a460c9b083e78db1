// Which nodes are alive: each refreshes a heartbeat key with a TTL; a node that stops (SIGKILL,
// power loss, partition) lets it expire and a live node reaps its share of the cluster state: it
// walks the dead node's index and writes zero in its name for every entry (the scripts publish
// member_removed and the counts). The reap lock only saves work: writing an absolute zero twice
// changes nothing, so two reapers could never double-count.
import type { Logger } from 'pino';
import type { Names } from './bus.ts';
import type { RedisLink } from './redis-link.ts';
import type { Scripts } from './scripts.ts';

/** A node missing its heartbeat this long is dead; its members go within TTL + REAP_INTERVAL. */
export const NODE_TTL_MS = 10_000;
export const HEARTBEAT_MS = 2_000;
export const REAP_INTERVAL_MS = 2_000;
const REAP_SLICE = 200;

export interface LivenessContext {
  names: Names;
  link: RedisLink;
  scripts: Scripts;
  logger: Logger;
  /** Registered and connected: may reap. */
  online(): boolean;
  /** Our heartbeat was gone: we may have been reaped, write everything again. */
  lostRegistration(): void;
  /** Writes zero in the dead node's name for one field of its index (bus.ts). */
  undo(node: string, field: string): Promise<void>;
}

export class Liveness {
  private timers: NodeJS.Timeout[] = [];
  private reaping = false;

  constructor(private readonly ctx: LivenessContext) {}

  start(): void {
    const beat = setInterval(() => void this.heartbeat(), HEARTBEAT_MS);
    // Jitter so nodes started together do not all race for the lock at the same instant.
    const reap = setInterval(() => void this.reapDead(), REAP_INTERVAL_MS + Math.floor(Math.random() * 500));
    beat.unref();
    reap.unref();
    this.timers.push(beat, reap);
  }

  stop(): void {
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
  }

  /** Writes the heartbeat and registers the node (resync's first step). */
  async register(): Promise<Record<string, string>> {
    const { names, link } = this.ctx;
    const res = await link.cmd
      .multi()
      .set(names.heartbeat(), String(Date.now()), 'PX', NODE_TTL_MS)
      .sadd(names.nodes, names.node)
      .hgetall(names.nodeHash())
      .exec();
    const err = res?.find(([e]) => e)?.[0];
    if (!res || err) throw err ?? new Error('registration aborted');
    return res[2][1] as Record<string, string>;
  }

  private async heartbeat(): Promise<void> {
    const { names, link } = this.ctx;
    if (!link.up) return;
    // A socket that stopped answering (half-open) would never close by itself: force a reconnect.
    const ok = await withTimeout(link.sub.ping(), HEARTBEAT_MS * 1.5);
    if (!ok) link.reconnect('sub');
    if (!this.ctx.online()) return;
    const res = await withTimeout(
      link.cmd.set(names.heartbeat(), String(Date.now()), 'PX', NODE_TTL_MS, 'XX'),
      HEARTBEAT_MS * 1.5,
    );
    if (res === undefined) link.reconnect('cmd');
    else if (res === null) {
      this.ctx.logger.warn({ node: names.node }, 'redis: our heartbeat had expired; registering this node again');
      this.ctx.lostRegistration();
    }
  }

  private async reapDead(): Promise<void> {
    const { names, link } = this.ctx;
    if (this.reaping || !this.ctx.online()) return;
    this.reaping = true;
    try {
      const got = await link.cmd.set(names.reapLock, names.node, 'PX', NODE_TTL_MS, 'NX');
      if (got !== 'OK') return;
      try {
        const nodes = (await link.cmd.smembers(names.nodes)).filter((n) => n !== names.node);
        const alive = await Promise.all(nodes.map((n) => link.cmd.exists(names.heartbeat(n))));
        for (let i = 0; i < nodes.length; i++) {
          if (alive[i]) continue;
          this.ctx.logger.warn(
            { node: nodes[i] },
            'redis: a node stopped heartbeating; removing its connections and members',
          );
          await this.reap(nodes[i]);
        }
      } finally {
        await this.ctx.scripts.unlock(names.reapLock, names.node);
      }
    } catch (err) {
      this.ctx.logger.debug({ err: (err as Error).message }, 'reaper pass failed');
    } finally {
      this.reaping = false;
    }
  }

  /** Removes a node's share (also used by a node leaving gracefully, on itself). */
  async reap(node: string): Promise<void> {
    const { names, link } = this.ctx;
    const index = names.nodeHash(node);
    let cursor = '0';
    do {
      // Checked per slice: a node that comes back writes its entries again itself.
      if (node !== names.node && (await link.cmd.exists(names.heartbeat(node)))) return;
      const [next, flat] = await link.cmd.hscan(index, cursor, 'COUNT', REAP_SLICE);
      const fields = flat.filter((_, i) => i % 2 === 0);
      await Promise.all(fields.map((f) => this.ctx.undo(node, f)));
      if (fields.length) await link.cmd.hdel(index, ...fields);
      cursor = next;
    } while (cursor !== '0');
    await link.cmd.del(index);
    await link.cmd.srem(names.nodes, node);
  }
}

/** The promise's value, undefined on timeout, null-ish errors folded into undefined. */
async function withTimeout<T>(p: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([p, new Promise<undefined>((r) => (timer = setTimeout(() => r(undefined), ms)))]);
  } catch {
    return undefined;
  } finally {
    clearTimeout(timer);
  }
}
