// ABI of the negacyclic FFT (fft.ts) and its reference (fft_reference.ts). Pointers are byte
// offsets into the engine's memory; polynomials are N u64 (8N bytes), transforms 8N bytes of f64.
export {
  fftPlan,
  fftForwardTorus,
  fftForwardI64,
  fftBackwardAddTorus,
  fftBackwardRoundI64,
  fourierMulAdd,
  fourierMul,
  negacyclicMulFft,
  negacyclicMulExactBinary,
  negacyclicMulSchoolbook,
  f64ToTorusWrapping,
  f64PairsToTorusWrapping,
} from "./fft";
export { fourierSlot, fftReferenceForward, fftReferenceBackward } from "./fft_reference";
