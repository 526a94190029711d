// Heap access for the host. Every engine object (key, ciphertext, scratch) is a plain byte range
// in linear memory, allocated here and released by the host's `free()`; the engine itself holds
// no managed (garbage-collected) objects, so memory use is exactly what the host allocated.

/** Allocates `bytes` bytes, 16-byte aligned (so v128 loads are aligned). Contents are undefined. */
export function alloc(bytes: usize): usize {
  return heap.alloc(bytes);
}

/** Allocates `bytes` zeroed bytes. */
export function allocZeroed(bytes: usize): usize {
  const ptr = heap.alloc(bytes);
  memory.fill(ptr, 0, bytes);
  return ptr;
}

/** Releases a block from `alloc`; secret material is wiped first by the caller (`wipe`). */
export function dealloc(ptr: usize): void {
  heap.free(ptr);
}

/** Overwrites `bytes` bytes with zeros (used before releasing secret keys and noise). */
export function wipe(ptr: usize, bytes: usize): void {
  memory.fill(ptr, 0, bytes);
}
