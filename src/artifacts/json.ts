// JSON with typed arrays: artifacts are JSON documents whose typed arrays (weights, tables,
// transforms) are stored as little-endian base64, tagged with their type. Portable (browser and
// Node), compact before compression, and exact (floats keep every bit).
const TYPES = {
  f64: Float64Array,
  i32: Int32Array,
  u64: BigUint64Array,
} as const;
type Tag = keyof typeof TYPES;

interface Tagged {
  $typed: Tag;
  base64: string;
}

export function stringifyArtifact(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (v instanceof Float64Array) return tag("f64", v);
    if (v instanceof Int32Array) return tag("i32", v);
    if (v instanceof BigUint64Array) return tag("u64", v);
    if (typeof v === "number" && !Number.isFinite(v)) return { $number: String(v) }; // -Infinity, NaN
    return v;
  });
}

export function parseArtifact<T>(text: string): T {
  return JSON.parse(text, (_key, v: unknown) => {
    if (v && typeof v === "object" && "$typed" in v) return untag(v as Tagged);
    if (v && typeof v === "object" && "$number" in v) return Number((v as { $number: string }).$number);
    return v;
  }) as T;
}

function tag(type: Tag, array: Float64Array | Int32Array | BigUint64Array): Tagged {
  return { $typed: type, base64: toBase64(new Uint8Array(array.buffer, array.byteOffset, array.byteLength)) };
}

function untag(t: Tagged): Float64Array | Int32Array | BigUint64Array {
  const Type = TYPES[t.$typed];
  if (!Type) throw new SyntaxError(`Unknown typed-array tag "${t.$typed}".`);
  const bytes = fromBase64(t.base64);
  if (bytes.length % Type.BYTES_PER_ELEMENT !== 0) throw new SyntaxError(`A ${t.$typed} array cannot be ${bytes.length} bytes long.`);
  const copy = new Uint8Array(bytes); // aligned copy
  return new Type(copy.buffer, 0, bytes.length / Type.BYTES_PER_ELEMENT);
}

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

export function toBase64(bytes: Uint8Array): string {
  let out = "";
  for (let i = 0; i < bytes.length; i += 3) {
    const a = bytes[i]!, b = bytes[i + 1] ?? 0, c = bytes[i + 2] ?? 0;
    const n = (a << 16) | (b << 8) | c;
    out += ALPHABET[n >> 18]! + ALPHABET[(n >> 12) & 63]!;
    out += i + 1 < bytes.length ? ALPHABET[(n >> 6) & 63]! : "=";
    out += i + 2 < bytes.length ? ALPHABET[n & 63]! : "=";
  }
  return out;
}

export function fromBase64(text: string): Uint8Array {
  const clean = text.replace(/=+$/, "");
  if (/[^A-Za-z0-9+/]/.test(clean)) throw new SyntaxError("Invalid base64 text.");
  const out = new Uint8Array(Math.floor((clean.length * 3) / 4));
  let bits = 0, value = 0, at = 0;
  for (const ch of clean) {
    value = (value << 6) | ALPHABET.indexOf(ch);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[at++] = (value >> bits) & 0xff;
    }
  }
  return out;
}
