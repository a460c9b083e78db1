// Building the page: h() makes elements, and everything from clients (channel names, data, user
// info) goes in as text, never as HTML. Plus the console's number and time formats.

export type Child = Node | string | number | null | undefined | false | Child[];
/** Attributes; `class`, `text`, `value`, `checked` and `on<event>` handlers are set as properties. */
export type Attrs = Record<string, unknown>;

export const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;
export const enc = encodeURIComponent;

/** h('div', {class: 'x', text: 'y', onclick: fn}, ...children) */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs?: Attrs | null,
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs ?? {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') e.className = String(v);
    else if (k === 'text') e.textContent = String(v);
    else if (k === 'value') (e as HTMLInputElement).value = String(v);
    else if (k === 'checked') (e as HTMLInputElement).checked = Boolean(v);
    else if (k.startsWith('on')) e.addEventListener(k.slice(2), v as EventListener);
    else e.setAttribute(k, v === true ? '' : String(v));
  }
  add(e, children);
  return e;
}

export function add(parent: Node, c: Child): void {
  if (c === null || c === undefined || c === false) return;
  if (Array.isArray(c)) for (const x of c) add(parent, x);
  else parent.appendChild(typeof c === 'object' ? c : document.createTextNode(String(c)));
}

export function clear<T extends Node>(e: T): T {
  while (e.firstChild) e.removeChild(e.firstChild);
  return e;
}

export const fmtTime = (t: number) => new Date(t).toLocaleTimeString([], { hour12: false });
export const fmtDate = (t: number) => new Date(t).toLocaleString([], { hour12: false });
/** Time only for today, date and time before. */
export const fmtWhen = (t: number) =>
  new Date(t).toDateString() === new Date().toDateString() ? fmtTime(t) : fmtDate(t);
export function fmtNum(n: number): string {
  if (n >= 100) return String(Math.round(n));
  if (n >= 1) return n.toFixed(1).replace(/\.0$/, '');
  return String(Math.round(n * 100) / 100);
}
