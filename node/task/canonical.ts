/**
 * Canonical JSON, as in RFC 8785 (JSON Canonicalization Scheme) for the values a task can hold:
 *
 * - objects: members sorted by key, comparing keys as sequences of UTF-16 code units
 *   (JavaScript's default string order); members whose value is `undefined` are left out;
 * - arrays keep their order;
 * - strings: JSON string syntax exactly as ECMAScript `JSON.stringify` writes it (escapes `"`,
 *   `\`, and control characters as `\b \f \n \r \t` or `\u00xx`; everything else literal UTF-8);
 * - numbers: finite only, written as ECMAScript `Number.prototype.toString` does (shortest
 *   round-trip form; `1`, `0.003`, `1e-7`, `1e+21`; `-0` as `0`);
 * - `true`, `false`, `null`;
 * - no whitespace anywhere; the text is encoded as UTF-8 without a byte-order mark.
 */

export class CanonicalJsonError extends Error {
  override name = 'CanonicalJsonError';
}

function write(value: unknown, path: string, out: string[]): void {
  if (value === null) {
    out.push('null');
    return;
  }
  switch (typeof value) {
    case 'boolean':
      out.push(value ? 'true' : 'false');
      return;
    case 'string':
      out.push(JSON.stringify(value));
      return;
    case 'number':
      if (!Number.isFinite(value)) throw new CanonicalJsonError(`${path || 'value'}: ${value} has no JSON form`);
      out.push(Object.is(value, -0) ? '0' : String(value));
      return;
    case 'object': {
      if (Array.isArray(value)) {
        out.push('[');
        value.forEach((item: unknown, index) => {
          if (index > 0) out.push(',');
          write(item, `${path}[${index}]`, out);
        });
        out.push(']');
        return;
      }
      const record = value as Record<string, unknown>;
      const keys = Object.keys(record)
        .filter((key) => record[key] !== undefined)
        .sort();
      out.push('{');
      keys.forEach((key, index) => {
        if (index > 0) out.push(',');
        out.push(JSON.stringify(key), ':');
        write(record[key], path === '' ? key : `${path}.${key}`, out);
      });
      out.push('}');
      return;
    }
    default:
      throw new CanonicalJsonError(`${path || 'value'}: a ${typeof value} has no JSON form`);
  }
}

/** The canonical JSON text of a plain data value (see the module comment). */
export function canonicalJson(value: unknown): string {
  const out: string[] = [];
  write(value, '', out);
  return out.join('');
}

/** The canonical JSON of a value as UTF-8 bytes. */
export function canonicalJsonBytes(value: unknown): Uint8Array {
  return new TextEncoder().encode(canonicalJson(value));
}
