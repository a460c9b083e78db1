// Feedback: toasts, form status lines, copying to the clipboard, the confirmation dialog.
import { $, h } from './dom.ts';

let toastTimer: ReturnType<typeof setTimeout> | undefined;
export function toast(text: string, bad = false): void {
  const t = $('toast');
  t.textContent = text;
  t.className = 'show' + (bad ? ' bad' : '');
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => (t.className = ''), bad ? 5000 : 2500);
}

export function status(el: HTMLElement, text = '', kind = ''): void {
  el.textContent = text;
  el.className = 'status' + (kind ? ' ' + kind : '');
}

export function copy(text: string, what = 'Text'): void {
  const done = () => toast(what + ' copied');
  if (navigator.clipboard && window.isSecureContext) {
    navigator.clipboard.writeText(text).then(done, () => {
      fallbackCopy(text);
      done();
    });
    return;
  }
  fallbackCopy(text);
  done();
}

// Plain http (not a secure context) has no clipboard API: a selected textarea and execCommand.
function fallbackCopy(text: string): void {
  const t = h('textarea', { value: text, readonly: true });
  t.style.position = 'fixed';
  t.style.opacity = '0';
  document.body.appendChild(t);
  t.select();
  try {
    document.execCommand('copy');
  } catch {
    /* nothing else to try */
  }
  document.body.removeChild(t);
}

/** A confirmation dialog; with typeThis, the button waits until that text is typed. */
export function confirmDialog(title: string, text: string, okLabel = 'Confirm', typeThis = ''): Promise<boolean> {
  return new Promise((resolve) => {
    const d = $<HTMLDialogElement>('confirm');
    const input = $<HTMLInputElement>('confirm-type');
    const ok = $<HTMLButtonElement>('confirm-ok');
    $('confirm-title').textContent = title;
    $('confirm-text').textContent = text;
    ok.textContent = okLabel;
    $('confirm-type-label').hidden = !typeThis;
    input.value = '';
    $('confirm-type-hint').textContent = typeThis ? 'Type "' + typeThis + '" to confirm' : '';
    ok.disabled = Boolean(typeThis);
    input.oninput = () => (ok.disabled = input.value !== typeThis);
    d.onclose = () => resolve(d.returnValue === 'ok');
    d.returnValue = '';
    d.showModal();
    if (typeThis) input.focus();
  });
}
