// ABI of the negacyclic FFT (fft.ts) and of its reference (fft_reference.ts). Pointers are byte
// offsets into the engine's memory; a polynomial is N u64 (8N bytes), a transform 8N bytes of f64
// (N/2 real parts, then N/2 imaginary parts). fftReferenceForward/Backward, fourierSlot and
// f64PairsToTorusWrapping exist for the tests.
export {
  fftPlan,
  fftForwardTorus,
  fftForwardI64,
  fftForwardDigits,
  fftBackwardAddTorus,
  fftBackwardAddTorusCoarse,
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
