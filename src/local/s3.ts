// A real S3 protocol server on loopback (s3rver, file-backed) for running the whole SageMaker
// flow on one machine, and the S3 client settings that work against it. Node-only.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { S3Client } from "@aws-sdk/client-s3";
import type { S3ClientConfig } from "@aws-sdk/client-s3";

/** s3rver checks SigV4 signatures against this fixed key pair. */
export const LOCAL_S3_CREDENTIALS = { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" } as const;

export interface LocalS3Options {
  /** Where objects are stored; default a fresh temporary directory, removed on close(). */
  directory?: string;
  host?: string;
  /** 0 (the default) picks a free port. */
  port?: number;
  /** Buckets created at start. */
  buckets?: string[];
  /** Web origins whose pages may use the buckets from a browser (a CORS rule on each); none by default. */
  corsOrigins?: readonly string[];
}

export interface LocalS3 {
  /** http://host:port, for the SDK's `endpoint` and AWS_ENDPOINT_URL_S3. */
  readonly endpoint: string;
  readonly directory: string;
  readonly clientConfig: S3ClientConfig;
  client(): S3Client;
  close(): Promise<void>;
}

/**
 * S3 client settings for an S3-compatible server at `endpoint`: path-style addressing (no
 * bucket subdomains on 127.0.0.1), and request checksums only where S3 requires them. Since
 * SDK v3.729 the default is WHEN_SUPPORTED, which sends streamed bodies aws-chunked with a CRC
 * trailer; s3rver does not decode that framing and would store it inside the object.
 */
export function s3ClientConfigFor(endpoint: string, credentials: { accessKeyId: string; secretAccessKey: string } = LOCAL_S3_CREDENTIALS): S3ClientConfig {
  return {
    endpoint,
    region: "us-east-1",
    forcePathStyle: true,
    credentials: { ...credentials }, // a copy: the SDK marks the object it is given ($source)
    requestChecksumCalculation: "WHEN_REQUIRED",
    responseChecksumValidation: "WHEN_REQUIRED",
  };
}

/** A bucket CORS document (S3's XML) letting pages of `origins` put, poll and read objects. */
export function corsConfiguration(origins: readonly string[]): string {
  const escape = (text: string) => text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
  const rule = [
    ...origins.map((origin) => `<AllowedOrigin>${escape(origin)}</AllowedOrigin>`),
    // what the client does: PUT its keys and queries, HEAD to poll, GET the results
    ...["GET", "HEAD", "PUT"].map((method) => `<AllowedMethod>${method}</AllowedMethod>`),
    "<AllowedHeader>*</AllowedHeader>",
    ...["ETag", "Content-Length", "x-amz-request-id", "x-amz-version-id"].map((header) => `<ExposeHeader>${header}</ExposeHeader>`),
    "<MaxAgeSeconds>600</MaxAgeSeconds>",
  ];
  return `<CORSConfiguration><CORSRule>${rule.join("")}</CORSRule></CORSConfiguration>`;
}

export async function startLocalS3(options: LocalS3Options = {}): Promise<LocalS3> {
  const { default: S3rver } = await import("s3rver"); // loaded only by those who run it
  const ownDirectory = options.directory === undefined;
  const directory = options.directory ?? (await mkdtemp(join(tmpdir(), "blindml-s3-")));
  const host = options.host ?? "127.0.0.1";
  const server = new S3rver({
    address: host,
    port: options.port ?? 0,
    directory,
    silent: true,
    configureBuckets: (options.buckets ?? []).map((name) => ({ name, configs: options.corsOrigins?.length ? [corsConfiguration(options.corsOrigins)] : [] })),
  });
  const address = await server.run();
  const endpoint = `http://${host.includes(":") ? `[${host}]` : host}:${address.port}`;
  const clientConfig = s3ClientConfigFor(endpoint);
  return {
    endpoint,
    directory,
    clientConfig,
    client: () => new S3Client(clientConfig),
    close: async () => {
      await server.close();
      if (ownDirectory) await rm(directory, { recursive: true, force: true });
    },
  };
}
