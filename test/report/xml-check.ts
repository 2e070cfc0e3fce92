/**
 * A tiny well-formedness check for the SVG we write (no XML package in the project): tags balance,
 * attributes are name="value" with no raw '<' or stray '&', text holds no raw '<' or stray '&'.
 * Returns the element names in document order.
 */
export function checkXml(xml: string): string[] {
  const elements: string[] = [];
  const stack: string[] = [];
  const entity = /&(amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);/g;
  const checkText = (text: string, where: string): void => {
    if (text.includes('<')) throw new Error(`raw '<' in ${where}: ${text}`);
    if (text.replace(entity, '').includes('&')) throw new Error(`stray '&' in ${where}: ${text}`);
  };
  let rest = xml.replace(/^<\?xml[^?]*\?>/, '');
  while (rest.length > 0) {
    const open = rest.indexOf('<');
    if (open === -1) {
      checkText(rest, 'text');
      break;
    }
    checkText(rest.slice(0, open), 'text');
    const close = rest.indexOf('>', open);
    if (close === -1) throw new Error('unterminated tag');
    const tag = rest.slice(open + 1, close);
    rest = rest.slice(close + 1);
    if (tag.startsWith('/')) {
      const name = tag.slice(1).trim();
      const top = stack.pop();
      if (top !== name) throw new Error(`</${name}> closes <${top ?? 'nothing'}>`);
      continue;
    }
    const selfClosing = tag.endsWith('/');
    const body = selfClosing ? tag.slice(0, -1) : tag;
    const match = /^([A-Za-z][\w:-]*)((?:\s+[\w:-]+="[^"]*")*)\s*$/.exec(body);
    if (match === null) throw new Error(`malformed tag <${tag}>`);
    const name = match[1] ?? '';
    const attributes = match[2] ?? '';
    for (const [, value] of attributes.matchAll(/="([^"]*)"/g)) checkText(value ?? '', `attribute of <${name}>`);
    const names = [...attributes.matchAll(/\s([\w:-]+)=/g)].map((m) => m[1]);
    if (new Set(names).size !== names.length) throw new Error(`duplicate attribute in <${name}>`);
    elements.push(name);
    if (!selfClosing) stack.push(name);
  }
  if (stack.length > 0) throw new Error(`unclosed <${stack.join('>, <')}>`);
  if (elements[0] !== 'svg') throw new Error('root element is not <svg>');
  return elements;
}
