// The compressed evaluation keys last downloaded, by S3 URI and ETag, bounded in bytes (LRU).
// ModelServer keeps the expanded keys by content hash but needs the bytes to compute that hash;
// with this cache a repeated key URI whose ETag has not changed costs one HEAD, no download.

export class KeyBytesCache {
  private readonly entries = new Map<string, Uint8Array>(); // insertion order = LRU order
  private bytes = 0;

  constructor(private readonly maxBytes: number) {}

  get(uri: string, etag: string | undefined): Uint8Array | undefined {
    if (!etag) return undefined; // no version tag: cannot know the object is unchanged
    const id = cacheId(uri, etag);
    const hit = this.entries.get(id);
    if (hit) {
      this.entries.delete(id);
      this.entries.set(id, hit);
    }
    return hit;
  }

  set(uri: string, etag: string | undefined, value: Uint8Array): void {
    if (!etag || value.length > this.maxBytes) return;
    const id = cacheId(uri, etag);
    this.delete(id);
    this.entries.set(id, value);
    this.bytes += value.length;
    while (this.bytes > this.maxBytes) {
      const oldest = this.entries.keys().next().value as string;
      this.delete(oldest);
    }
  }

  private delete(id: string): void {
    const old = this.entries.get(id);
    if (!old) return;
    this.entries.delete(id);
    this.bytes -= old.length;
  }
}

function cacheId(uri: string, etag: string): string {
  return `${etag}\u0000${uri}`;
}
