import { describe, expect, it } from 'vitest'
import { InvalidArgumentError, MeshlogError, TimeoutError } from '../core/errors.js'
import { StorageFullError } from '../core/log/log-errors.js'
import { DecodeError } from '../core/wire/decode-error.js'
import { deserializeError, serializeError } from './error-transfer.js'

const classes = new Map<string, new (...args: never[]) => MeshlogError>([
  ['StorageFullError', StorageFullError],
  ['TimeoutError', TimeoutError],
  ['DecodeError', DecodeError],
])

function roundTrip(error: unknown): Error {
  const serialized = serializeError(error)
  if (serialized === undefined) throw new Error('not serializable')
  return deserializeError(structuredClone(serialized), classes)
}

describe('errors cross the worker boundary as the same classes', () => {
  it('keeps class, name, code, message, details and a nested cause', () => {
    const cause = new DOMException(
      'The current transaction exceeded its quota limitations.',
      'QuotaExceededError',
    )
    const original = new StorageFullError('no room', {
      cause,
      details: { channel: 'c', bytes: 10 },
    })
    const back = roundTrip(original)
    expect(back).toBeInstanceOf(StorageFullError)
    expect(back).toBeInstanceOf(MeshlogError)
    expect(back).toMatchObject({
      name: 'StorageFullError',
      code: 'ERR_STORAGE_FULL',
      message: 'no room',
    })
    expect((back as StorageFullError).details).toEqual({ channel: 'c', bytes: 10 })
    expect((back.cause as Error).name).toBe('QuotaExceededError')
    expect((back.cause as Error).message).toMatch(/quota/)
  })

  it("keeps a subclass's own fields, such as DecodeError's failure", () => {
    const back = roundTrip(new DecodeError('truncated', 'short frame', { offset: 3 }))
    expect(back).toBeInstanceOf(DecodeError)
    expect((back as DecodeError).failure).toBe('truncated')
    expect((back as DecodeError).details).toEqual({ failure: 'truncated', offset: 3 })
  })

  it('an unregistered MeshlogError arrives as a MeshlogError with its name and code', () => {
    const back = roundTrip(new InvalidArgumentError('bad', { details: { value: '1' } }))
    expect(back).toBeInstanceOf(MeshlogError)
    expect(back).not.toBeInstanceOf(StorageFullError)
    expect(back).toMatchObject({ name: 'InvalidArgumentError', code: 'ERR_INVALID_ARGUMENT' })
  })

  it('plain errors stay plain errors; non-errors are not serialized', () => {
    const back = roundTrip(new TypeError('nope'))
    expect(back).toBeInstanceOf(Error)
    expect(back).not.toBeInstanceOf(MeshlogError)
    expect(back.name).toBe('TypeError')
    expect(serializeError('a string')).toBeUndefined()
  })
})
