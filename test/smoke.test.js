import { test } from "uvu";
import * as assert from "uvu/assert";
import { instantiateEngine } from "blindml/engine";

test("the engine module loads and its heap allocates, zeroes and frees", async () => {
  const wasm = await instantiateEngine();
  const ptr = wasm.allocZeroed(64);
  const view = new Uint8Array(wasm.memory.buffer, ptr, 64);
  assert.ok(view.every((b) => b === 0));
  view.fill(7);
  wasm.wipe(ptr, 64);
  assert.ok(new Uint8Array(wasm.memory.buffer, ptr, 64).every((b) => b === 0));
  wasm.dealloc(ptr);
});

test.run();
