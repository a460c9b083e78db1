// The console's state in this tab: the admin token (sessionStorage, this tab only), the apps, the
// server's facts, the chosen app, and the current view's cleanup.
import type { AppView, ServerInfo } from './types.ts';

export const BASE = document.querySelector('meta[name="pushi-base"]')?.getAttribute('content') ?? '';
export const TOKEN_KEY = 'pushi.console.token';
export const APP_KEY = 'pushi.console.app';

export const S = {
  token: sessionStorage.getItem(TOKEN_KEY) ?? '',
  apps: [] as AppView[],
  info: null as ServerInfo | null,
  /** The app the Live and Overview tabs show; '' until one is known. */
  app: sessionStorage.getItem(APP_KEY) ?? '',
  cleanup: null as (() => void) | null,
};

/** Set by main.ts: what a refused token does (back to the sign-in form with the message). */
export const session = { signOut: (message: string): void => void message };
