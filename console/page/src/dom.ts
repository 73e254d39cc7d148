/**
 * The only way the console builds elements: text goes in as `textContent`, never as markup, so a
 * name such as `<img src=x onerror=...>` shows as those characters and runs nothing.
 */
export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  properties: { className?: string; ariaLabel?: string } = {},
  ...children: (Node | string)[]
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  if (properties.className !== undefined) element.className = properties.className;
  if (properties.ariaLabel !== undefined) element.setAttribute('aria-label', properties.ariaLabel);
  element.append(...children);
  return element;
}

/** The element with `id`, of the type the page's markup gives it. */
export function byId<T extends HTMLElement>(id: string): T {
  const element = document.getElementById(id);
  if (!element) throw new Error(`the page has no #${id}`);
  return element as T;
}

/** A button that runs `action` on click (keyboard included: it is a real button). */
export function button(label: string, action: () => void, options: { ariaLabel?: string; className?: string } = {}): HTMLButtonElement {
  const b = el('button', options, label);
  b.type = 'button';
  b.addEventListener('click', action);
  return b;
}
