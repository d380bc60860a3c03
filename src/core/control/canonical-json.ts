/**
 * One byte sequence per value, so a signer and a verifier (and a hash chain
 * replayed later) agree: object keys sorted, no whitespace, absent optional
 * fields omitted. Only JSON-shaped data is accepted; anything else throws
 * rather than encoding ambiguously.
 */
import { describeValue, InvalidArgumentError } from '../errors.js'

const textEncoder = new TextEncoder()

export function canonicalJson(value: unknown): string {
  if (value === null) return 'null'
  switch (typeof value) {
    case 'boolean':
      return value ? 'true' : 'false'
    case 'string':
      return JSON.stringify(value)
    case 'number':
      if (!Number.isFinite(value)) break
      return JSON.stringify(value)
    case 'object': {
      if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`
      const proto = Object.getPrototypeOf(value)
      if (proto !== Object.prototype && proto !== null) break
      const record = value as Record<string, unknown>
      const fields = Object.keys(record)
        .filter((key) => record[key] !== undefined)
        .sort()
        .map((key) => `${JSON.stringify(key)}:${canonicalJson(record[key])}`)
      return `{${fields.join(',')}}`
    }
  }
  throw new InvalidArgumentError('value has no canonical JSON form', {
    details: { value: describeValue(value) },
  })
}

export function canonicalJsonBytes(value: unknown): Uint8Array {
  return textEncoder.encode(canonicalJson(value))
}
