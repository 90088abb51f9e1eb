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

/**
 * Let the browser save `text` as a file named `name` (it came through a request, not a link;
 * an octet stream, so that the browser adds no extension to a name like `Dockerfile`).
 */
export function downloadText(name: string, text: string): void {
  const url = URL.createObjectURL(
    new Blob([text], { type: 'application/octet-stream' })
  );
  const link = element('a', '');
  link.href = url;
  link.download = name;
  document.body.appendChild(link);
  link.click();
  link.remove();
  // The browser reads the blob when the download starts; free it after that.
  setTimeout(() => URL.revokeObjectURL(url), 60000);
}
