/** A new element with its class and, optionally, its text. */
export function element<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  className: string,
  text?: string
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  node.className = className;
  if (text !== undefined) {
    node.textContent = text;
  }
  return node;
}

/** A dialog-styled button (it never submits the dialog's form) that calls `onClick`. */
export function actionButton(
  kind: 'accept' | 'reject' | 'warn',
  text: string,
  onClick: () => void
): HTMLButtonElement {
  const node = element('button', `jp-mod-styled jp-mod-${kind}`, text);
  node.type = 'button';
  node.addEventListener('click', onClick);
  return node;
}
