// s3://bucket/key URIs: the only way objects are named between the client, the SageMaker runtime
// and the inference server. Parsing is strict because a URI arrives from an untrusted request body.

export interface S3Location {
  readonly bucket: string;
  readonly key: string;
}

/** Thrown for anything that is not a well-formed s3://bucket/key URI. */
export class S3UriError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "S3UriError";
  }
}

// S3's bucket naming rules (3–63 characters, lowercase letters, digits, dots and hyphens, starting
// and ending with a letter or digit); anything else cannot name a bucket, so reject it up front.
const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const MAX_KEY_BYTES = 1024;

/** Parses "s3://bucket/key" (the key may contain slashes; it must not be empty). */
export function parseS3Uri(uri: string): S3Location {
  if (typeof uri !== "string" || !uri.startsWith("s3://")) throw new S3UriError(`Not an s3:// URI: ${JSON.stringify(String(uri).slice(0, 200))}.`);
  const rest = uri.slice("s3://".length);
  const slash = rest.indexOf("/");
  if (slash <= 0) throw new S3UriError(`An s3:// URI needs a bucket and a key: ${JSON.stringify(uri.slice(0, 200))}.`);
  const bucket = rest.slice(0, slash);
  const key = rest.slice(slash + 1);
  if (!BUCKET.test(bucket)) throw new S3UriError(`"${bucket.slice(0, 100)}" is not a valid S3 bucket name.`);
  if (key.length === 0) throw new S3UriError(`The s3:// URI ${JSON.stringify(uri.slice(0, 200))} has an empty key.`);
  if (new TextEncoder().encode(key).length > MAX_KEY_BYTES) throw new S3UriError(`The object key is longer than S3's ${MAX_KEY_BYTES} bytes.`);
  return { bucket, key };
}

export function formatS3Uri(location: S3Location): string {
  return `s3://${location.bucket}/${location.key}`;
}

/** Appends path segments to an s3:// prefix, with exactly one slash between the parts. */
export function joinS3Uri(prefix: string, ...parts: string[]): string {
  const trimmed = [prefix.replace(/\/+$/, ""), ...parts.map((p) => p.replace(/^\/+|\/+$/g, ""))];
  return trimmed.filter((p) => p.length > 0).join("/");
}
