// The channels one connection joined, with the Map methods the hub uses. Most connections join one
// channel: it is held in two fields, and a Map is made only for a second one (a Map holding one entry
// costs ~190 bytes of heap, and every connection on the box holds one of these).
import type { Subscription } from './connection.ts';

export class JoinedChannels {
  // `firstName` is only filled while `more` is empty, so it is older than every entry of `more`:
  // iterating first, then more, keeps insertion order as a Map does.
  private firstName: string | undefined = undefined;
  private firstSub: Subscription | undefined = undefined;
  private more: Map<string, Subscription> | undefined = undefined;

  get size(): number {
    return (this.firstName === undefined ? 0 : 1) + (this.more === undefined ? 0 : this.more.size);
  }

  has(name: string): boolean {
    return name === this.firstName || (this.more !== undefined && this.more.has(name));
  }

  get(name: string): Subscription | undefined {
    if (name === this.firstName) return this.firstSub;
    return this.more === undefined ? undefined : this.more.get(name);
  }

  set(name: string, sub: Subscription): this {
    if (name === this.firstName) this.firstSub = sub;
    else if (this.firstName === undefined && (this.more === undefined || this.more.size === 0)) {
      this.firstName = name;
      this.firstSub = sub;
    } else (this.more ??= new Map()).set(name, sub);
    return this;
  }

  delete(name: string): boolean {
    if (name === this.firstName) {
      this.firstName = undefined;
      this.firstSub = undefined;
      return true;
    }
    return this.more !== undefined && this.more.delete(name);
  }

  *keys(): IterableIterator<string> {
    for (const [name] of this) yield name;
  }

  *[Symbol.iterator](): IterableIterator<[string, Subscription]> {
    if (this.firstName !== undefined) yield [this.firstName, this.firstSub!];
    if (this.more !== undefined) yield* this.more;
  }
}
