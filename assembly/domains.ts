// Domain separation for ChaCha20 streams. A stream is (32-byte seed, 96-bit nonce); the first
// nonce word says what the stream is for, the other two index the object within its kind, so no
// two objects ever read the same keystream. Public mask streams are re-created by anyone holding
// the seed (that is how compressed ciphertexts and keys are expanded); secret streams are seeded
// from the host's cryptographic randomness and never leave the client.
//
//   nonce = (domain, index_low, index_high)

/**
 * Masks of LWE ciphertexts: index_low = position in the ciphertext list, index_high = 0 for the
 * big key, 1 for small-key encryptions (encryptSmall, tests and diagnostics).
 */
export const DOMAIN_LWE_MASK: u32 = 1;
/** Masks of the bootstrapping key: index_low = which GGSW (small-key coefficient). */
export const DOMAIN_BSK_MASK: u32 = 2;
/** Masks of the keyswitching key: one stream for all rows, in row order. */
export const DOMAIN_KSK_MASK: u32 = 3;
/** Masks of GLWE ciphertexts: index_low = the ciphertext's stream index (abi_glwe.ts). */
export const DOMAIN_GLWE_MASK: u32 = 4;
/** Secret key coefficients (client). */
export const DOMAIN_SECRET_KEY: u32 = 0x100;
/** Secret noise and fresh seeds (client). */
export const DOMAIN_SECRET_NOISE: u32 = 0x101;
