/**
 * A tiny XML writer: elements as data, every text and attribute value escaped, characters XML 1.0
 * forbids removed. Enough for MODS and COLLECTION_POLICY without a DOM dependency.
 */
export interface XmlElement {
  name: string;
  attrs?: Record<string, string | undefined>;
  children?: (XmlElement | string)[];
}

export function el(name: string, attrs: Record<string, string | undefined> = {}, ...children: (XmlElement | string | undefined | false)[]): XmlElement {
  return { name, attrs, children: children.filter((c): c is XmlElement | string => c !== undefined && c !== false) };
}

// Control characters other than tab, newline and carriage return are not allowed in XML 1.0.
// eslint-disable-next-line no-control-regex
const INVALID = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g;

export function escapeText(s: string): string {
  return s.replace(INVALID, '').replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export function escapeAttr(s: string): string {
  return escapeText(s).replace(/"/g, '&quot;').replace(/\t/g, '&#9;').replace(/\n/g, '&#10;').replace(/\r/g, '&#13;');
}

function render(e: XmlElement, indent: string): string {
  const attrs = Object.entries(e.attrs ?? {})
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => ` ${k}="${escapeAttr(v as string)}"`)
    .join('');
  const children = e.children ?? [];
  if (children.length === 0) return `${indent}<${e.name}${attrs}/>`;
  if (children.every((c) => typeof c === 'string')) {
    return `${indent}<${e.name}${attrs}>${children.map((c) => escapeText(c as string)).join('')}</${e.name}>`;
  }
  const inner = children
    .map((c) => (typeof c === 'string' ? `${indent}  ${escapeText(c)}` : render(c, `${indent}  `)))
    .join('\n');
  return `${indent}<${e.name}${attrs}>\n${inner}\n${indent}</${e.name}>`;
}

export function toXml(root: XmlElement): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n${render(root, '')}\n`;
}
