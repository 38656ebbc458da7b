/** Native modal dialogs (focus kept inside, Esc closes): a confirmation, and a secret shown once and then forgotten. */
import type { ComponentChildren, VNode } from 'preact';
import { html } from 'htm/preact';
import { useEffect, useRef, useState } from 'preact/hooks';

function useModal(open: boolean, onClose: () => void) {
  const ref = useRef<HTMLDialogElement>(null);
  const closeRef = useRef(onClose);
  closeRef.current = onClose;
  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    if (open && !dialog.open) dialog.showModal();
    if (!open && dialog.open) dialog.close();
  }, [open]);
  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    const closed = () => closeRef.current();
    dialog.addEventListener('close', closed);
    return () => dialog.removeEventListener('close', closed);
  }, []);
  return ref;
}

export function ConfirmDialog({
  open,
  title,
  children,
  confirmLabel,
  onConfirm,
  onCancel,
}: {
  open: boolean;
  title: string;
  children: ComponentChildren;
  confirmLabel: string;
  onConfirm: () => void;
  onCancel: () => void;
}): VNode {
  const ref = useModal(open, onCancel);
  return html`<dialog ref=${ref} aria-labelledby="confirm-title" class="dialog">
    <h2 id="confirm-title">${title}</h2>
    <div>${children}</div>
    <div class="actions">
      <button type="button" class="primary" onClick=${onConfirm}>${confirmLabel}</button>
      <button type="button" onClick=${onCancel}>Cancel</button>
    </div>
  </dialog>`;
}

/**
 * The secret from a creation or a rotation, shown once. It lives only in the caller's state while this is open; closing
 * drops it, and the console never writes it to storage, the URL or a log.
 */
export function SecretDialog({ secret, title, note, onClose }: { secret: string | null; title: string; note: string; onClose: () => void }): VNode {
  const ref = useModal(secret !== null, onClose);
  const [copied, setCopied] = useState(false);
  useEffect(() => setCopied(false), [secret]);
  const copy = async () => {
    if (!secret) return;
    try {
      await navigator.clipboard.writeText(secret);
      setCopied(true);
    } catch {
      setCopied(false);
    }
  };
  return html`<dialog ref=${ref} aria-labelledby="secret-title" aria-describedby="secret-note" class="dialog">
    <h2 id="secret-title">${title}</h2>
    <p id="secret-note">${note}</p>
    ${
      secret !== null
        ? html`<div class="field">
            <label for="secret-value">Secret</label>
            <input
              id="secret-value"
              class="mono"
              readonly
              value=${secret}
              autocomplete="off"
              spellcheck=${false}
              onFocus=${(e: FocusEvent) => (e.currentTarget as HTMLInputElement).select()}
            />
          </div>`
        : null
    }
    <div class="actions">
      <button type="button" onClick=${() => void copy()}>${copied ? 'Copied' : 'Copy'}</button>
      <button type="button" class="primary" onClick=${onClose}>I have stored it</button>
    </div>
  </dialog>`;
}
