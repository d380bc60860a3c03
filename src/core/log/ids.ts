/**
 * Branded identifiers. A `Seq` is a plain number at run time (safe integers
 * reach 2^53, far past any log we will hold) but the type system keeps it
 * apart from byte counts and author sequence numbers.
 */
import { describeValue, InvalidArgumentError } from '../errors.js'

declare const brand: unique symbol
export type Brand<T, B extends string> = T & { readonly [brand]: B }

export type ChannelId = Brand<string, 'ChannelId'>
export type PeerId = Brand<string, 'PeerId'>
export type Seq = Brand<number, 'Seq'>

/** Longest channel id, in UTF-16 code units; ids travel in every frame. */
export const MAX_CHANNEL_ID_LENGTH = 200
/** Longest peer id; libp2p Ed25519 peer ids are 52 characters. */
export const MAX_PEER_ID_LENGTH = 128

// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are exactly what we reject
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f]/

function checkId(kind: string, value: unknown, maxLength: number): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > maxLength) {
    throw new InvalidArgumentError(`${kind} must be a string of 1 to ${maxLength} characters`, {
      details: { kind, value: describeValue(value) },
    })
  }
  if (CONTROL_CHARACTERS.test(value)) {
    throw new InvalidArgumentError(`${kind} must not contain control characters`, {
      details: { kind, value: describeValue(value) },
    })
  }
  return value
}

export function channelId(value: string): ChannelId {
  return checkId('ChannelId', value, MAX_CHANNEL_ID_LENGTH) as ChannelId
}

export function peerId(value: string): PeerId {
  return checkId('PeerId', value, MAX_PEER_ID_LENGTH) as PeerId
}

export function isSeqNumber(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0
}

export function seq(value: number): Seq {
  if (!isSeqNumber(value)) {
    throw new InvalidArgumentError('Seq must be a non-negative safe integer', {
      details: { value: describeValue(value) },
    })
  }
  return value as Seq
}
