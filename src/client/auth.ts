// Signing private, presence, personal and peer channels: an authorizer function or an auth endpoint.
import type { ChannelAuth, PushiOptions } from './types.ts';

/** The channel kinds the server only lets in with a signature. */
export function needsAuth(channel: string): boolean {
  return /^(private-|presence-|personal-|peer-)/.test(channel);
}

export class AuthError extends Error {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
    this.name = 'AuthError';
  }
}

const resolve = (v: Record<string, string> | (() => Record<string, string>) | undefined) =>
  typeof v === 'function' ? v() : (v ?? {});

/** Asks for a channel signature the way pusher-js does: form-encoded socket_id and channel_name. */
export async function authorize(options: PushiOptions, socketId: string, channelName: string): Promise<ChannelAuth> {
  let answer: unknown;
  if (options.authorizer) {
    answer = await options.authorizer({ socketId, channelName });
  } else {
    if (!options.authEndpoint)
      throw new AuthError(`${channelName} needs a signature: set authEndpoint or authorizer`, 0);
    const body = new URLSearchParams({
      ...resolve(options.authParams),
      socket_id: socketId,
      channel_name: channelName,
    });
    let res: Response;
    try {
      res = await fetch(options.authEndpoint, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded', ...resolve(options.authHeaders) },
        body: body.toString(),
      });
    } catch (err) {
      throw new AuthError(`Auth endpoint ${options.authEndpoint} unreachable: ${(err as Error).message}`, 0);
    }
    const text = await res.text();
    if (!res.ok) throw new AuthError(`Auth endpoint answered ${res.status}: ${text.slice(0, 200)}`, res.status);
    try {
      answer = JSON.parse(text);
    } catch {
      throw new AuthError(`Auth endpoint answered with something that is not JSON: ${text.slice(0, 200)}`, res.status);
    }
  }
  const a = answer as ChannelAuth | undefined;
  if (!a || typeof a.auth !== 'string') throw new AuthError('Auth answer needs an "auth" string', 0);
  if (a.channel_data !== undefined && typeof a.channel_data !== 'string') {
    return { auth: a.auth, channel_data: JSON.stringify(a.channel_data) };
  }
  return a;
}
