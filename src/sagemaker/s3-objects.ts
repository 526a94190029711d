// The few S3 operations blindml needs, over @aws-sdk/client-s3, with bounded downloads and S3's
// error names folded into three kinds. Browser-safe: bodies are read as web streams.
import { GetObjectCommand, HeadObjectCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import type { S3Client } from "@aws-sdk/client-s3";
import type { S3Location } from "./s3-uri.js";
import { formatS3Uri } from "./s3-uri.js";

export type S3ErrorKind = "not-found" | "access-denied" | "other";

/** An object is larger than the caller accepts (found before or while downloading it). */
export class ObjectTooLargeError extends Error {
  readonly uri: string;
  readonly sizeBytes: number;
  readonly limitBytes: number;

  constructor(uri: string, sizeBytes: number, limitBytes: number) {
    super(`${uri} is ${sizeBytes} bytes or more, over the limit of ${limitBytes} bytes.`);
    this.name = "ObjectTooLargeError";
    this.uri = uri;
    this.sizeBytes = sizeBytes;
    this.limitBytes = limitBytes;
  }
}

interface SdkErrorShape {
  name?: string;
  Code?: string;
  $metadata?: { httpStatusCode?: number };
}

const NOT_FOUND_NAMES = new Set(["NoSuchKey", "NotFound", "NoSuchBucket"]);
const DENIED_NAMES = new Set(["AccessDenied", "Forbidden", "InvalidAccessKeyId", "SignatureDoesNotMatch", "AccessDeniedException", "ExpiredToken"]);

/** Folds the SDK's error names (which differ between GET and HEAD) into what callers act on. */
export function s3ErrorKind(error: unknown): S3ErrorKind {
  const e = (error ?? {}) as SdkErrorShape;
  const name = e.name ?? e.Code ?? "";
  const status = e.$metadata?.httpStatusCode;
  if (NOT_FOUND_NAMES.has(name) || status === 404) return "not-found";
  if (DENIED_NAMES.has(name) || status === 403) return "access-denied";
  return "other";
}

/** The SDK's name for an S3 error ("NoSuchBucket", …), for messages. */
export function s3ErrorName(error: unknown): string {
  const e = (error ?? {}) as SdkErrorShape;
  return e.name ?? e.Code ?? "Error";
}

export interface ObjectInfo {
  readonly size: number;
  readonly etag?: string;
}

/** Size and ETag of an object, or undefined when it does not exist. */
export async function headObject(s3: S3Client, at: S3Location): Promise<ObjectInfo | undefined> {
  try {
    const head = await s3.send(new HeadObjectCommand({ Bucket: at.bucket, Key: at.key }));
    return { size: head.ContentLength ?? 0, etag: head.ETag };
  } catch (e) {
    if (s3ErrorKind(e) === "not-found") return undefined;
    throw e;
  }
}

/**
 * Downloads an object, refusing it before reading the body when its length is over `maxBytes`,
 * and again while reading if the stream turns out longer than announced.
 */
export async function getObjectBytes(s3: S3Client, at: S3Location, maxBytes = Number.POSITIVE_INFINITY): Promise<Uint8Array> {
  const response = await s3.send(new GetObjectCommand({ Bucket: at.bucket, Key: at.key }));
  const body = response.Body;
  if (!body) return new Uint8Array(0);
  const stream = body.transformToWebStream();
  const announced = response.ContentLength;
  if (announced !== undefined && announced > maxBytes) {
    await stream.cancel().catch(() => undefined); // frees the connection without reading the body
    throw new ObjectTooLargeError(formatS3Uri(at), announced, maxBytes);
  }
  return readBounded(stream, maxBytes, formatS3Uri(at), announced);
}

async function readBounded(stream: ReadableStream<Uint8Array>, maxBytes: number, uri: string, expected?: number): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let total = 0;
  const reader = stream.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.length;
    if (total > maxBytes) {
      await reader.cancel().catch(() => undefined);
      throw new ObjectTooLargeError(uri, total, maxBytes);
    }
    chunks.push(value);
  }
  return concat(chunks, expected === total ? expected : total);
}

function concat(chunks: Uint8Array[], total: number): Uint8Array {
  if (chunks.length === 1 && chunks[0]!.length === total) return chunks[0]!;
  const out = new Uint8Array(total);
  let offset = 0;
  for (const c of chunks) {
    out.set(c, offset);
    offset += c.length;
  }
  return out;
}

export async function putObjectBytes(s3: S3Client, at: S3Location, bytes: Uint8Array, contentType = "application/octet-stream"): Promise<void> {
  await s3.send(new PutObjectCommand({ Bucket: at.bucket, Key: at.key, Body: bytes, ContentType: contentType, ContentLength: bytes.length }));
}
