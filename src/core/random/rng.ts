/**
 * Randomness enters core only through an Rng. `seededRng` (sfc32) makes a
 * simulated run reproducible from its seed; `cryptoRng` is for production.
 */
export interface Rng {
  /** Uniform integer in [0, 2^32). */
  nextU32(): number
  /** Uniform float in [0, 1). */
  nextFloat(): number
  /** Uniform 64-bit unsigned integer. */
  nextU64(): bigint
  /** Uniform integer in [min, max] (inclusive). */
  int(min: number, max: number): number
}

function fromU32(nextU32: () => number): Rng {
  return {
    nextU32,
    nextFloat: () => nextU32() / 0x1_0000_0000,
    nextU64: () => (BigInt(nextU32()) << 32n) | BigInt(nextU32()),
    int(min, max) {
      const span = max - min + 1
      return min + Math.floor((nextU32() / 0x1_0000_0000) * span)
    },
  }
}

/** sfc32 seeded through splitmix32; the same seed gives the same stream everywhere. */
export function seededRng(seed: number): Rng {
  let s = seed >>> 0
  const splitmix = () => {
    s = (s + 0x9e3779b9) >>> 0
    let z = s
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0
    return (z ^ (z >>> 16)) >>> 0
  }
  let a = splitmix()
  let b = splitmix()
  let c = splitmix()
  let d = splitmix()
  return fromU32(() => {
    const t = (((a + b) >>> 0) + d) >>> 0
    d = (d + 1) >>> 0
    a = b ^ (b >>> 9)
    b = (c + (c << 3)) >>> 0
    c = (c << 21) | (c >>> 11)
    c = (c + t) >>> 0
    return t
  })
}

/** Randomness from `crypto.getRandomValues` (browsers, workers, Node 20). */
export function cryptoRng(): Rng {
  const buffer = new Uint32Array(64)
  let index = buffer.length
  return fromU32(() => {
    if (index >= buffer.length) {
      globalThis.crypto.getRandomValues(buffer)
      index = 0
    }
    return buffer[index++] as number
  })
}
