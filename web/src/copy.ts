/**
 * Copy buttons. The Clipboard API needs a secure context (https or
 * localhost); on a plain-http address the older execCommand path is used.
 */
import { h } from './dom.js';

async function copyText(text: string): Promise<void> {
  if (navigator.clipboard && window.isSecureContext) {
    await navigator.clipboard.writeText(text);
    return;
  }
  const area = h('textarea', { class: 'copy-buffer', readonly: '' }, text);
  document.body.append(area);
  area.select();
  try {
    if (!document.execCommand('copy')) throw new Error('copy refused');
  } finally {
    area.remove();
  }
}

/** A button copying what `text()` returns when clicked, saying "Copied" for a moment. */
export function copyButton(text: () => string, label = 'Copy'): HTMLButtonElement {
  const button = h('button', { type: 'button', class: 'copy', title: label, 'aria-label': label }, 'Copy');
  button.addEventListener('click', () => {
    copyText(text()).then(
      () => flash(button, 'Copied'),
      () => flash(button, 'Copy failed'),
    );
  });
  return button;
}

function flash(button: HTMLButtonElement, label: string) {
  button.textContent = label;
  button.dataset.copied = String(label === 'Copied');
  setTimeout(() => {
    button.textContent = 'Copy';
    delete button.dataset.copied;
  }, 1500);
}
