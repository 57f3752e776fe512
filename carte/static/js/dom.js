// Small DOM helpers shared by the pages' modules: every text goes in as text, never as HTML.

// el("p", "hint", text), or with properties: el("option", { value: code }, name).
export function el(tag, classNameOrProps, text) {
  const node = document.createElement(tag);
  if (typeof classNameOrProps === "string") node.className = classNameOrProps;
  else if (classNameOrProps) Object.assign(node, classNameOrProps);
  if (text !== undefined && text !== null) node.textContent = text;
  return node;
}

// The page's own wording for a known error code (`error_<code>` in `messages`), else the server's
// message, which already speaks the page's language.
export function errorText(messages, error) {
  const key = `error_${error?.code}`;
  return key in messages ? messages[key] : error?.message || String(error);
}
