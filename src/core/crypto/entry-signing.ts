/**
 * Signed entries: each entry may carry its author's Ed25519 signature, so a
 * replica can tell the author's write from one a relaying peer made up.
 *
 * What is signed is what the author knows when it writes — the channel, its
 * own id, its authorSeq and the payload — and not `seq` or `prevHash`: an
 * offline author does not know where the leader will place its write, and
 * the leader keeps the author's signature when it assigns them. The hash
 * chain binds seq and prevHash; the signature binds the write to its author.
 *
 * The signed message is a domain tag followed by BLAKE3 of the signing
 * preimage (v1, integers big-endian):
 *   u8 version=1 | u16 len, channel utf8 | u16 len, author utf8
 *   | u64 authorSeq | u32 len, payload
 * Hashing first keeps the signature's own hashing (SHA-512, twice) off
 * large payloads, and the tag keeps these signatures from ever passing for
 * a libp2p handshake or an admin command signed by the same key.
 *
 * A writer's consecutive writes are signed as groups (signed-groups.ts):
 * one signature over a Merkle root of their digests, and a proof on each
 * write. A write alone in its group keeps the v1 message above.
 *
 * Signers and verifiers work in batches and answer asynchronously: the
 * fastest Ed25519 in browsers is WebCrypto's, which is async per call but
 * runs many calls in parallel (see README, "Signed entries").
 */
import { equals } from 'uint8arrays/equals'
import { describeValue, InvalidArgumentError } from '../errors.js'
import type { EntryDraft } from '../log/entry.js'
import { HASH_BYTES, SIGNATURE_BYTES } from '../log/entry.js'
import type { EntryHasher } from '../log/entry-hasher.js'
import type { ChannelId, PeerId } from '../log/ids.js'
import { ForgedEntryError } from '../log/log-errors.js'
import type { Regroup } from '../log/run-wire.js'
import {
  buildGroup,
  groupSiblings,
  groupSigningMessage,
  MAX_GROUP_SIZE,
  readProof,
  rootOf,
  wholeGroupRoot,
} from './signed-groups.js'

export const ENTRY_SIGNATURE_DOMAIN: Uint8Array = new TextEncoder().encode('meshlog/entry/v1\n')
const SIGNING_PREIMAGE_VERSION = 1
/** Writes a signer covers with one signature unless told otherwise. */
export const DEFAULT_GROUP_SIZE = 32

/** Signs as one author; `sign` answers with one 64-byte signature per message, in order. */
export interface EntrySigner {
  readonly author: PeerId
  /** Consecutive writes one signature covers when this signer signs drafts (default DEFAULT_GROUP_SIZE). */
  readonly groupSize?: number
  sign(messages: readonly Uint8Array[]): Promise<Uint8Array[]>
}

export interface SignedMessage {
  readonly author: PeerId
  readonly message: Uint8Array
  readonly signature: Uint8Array
}

/**
 * Checks signatures against their authors' keys. An author whose key
 * cannot be known from its id answers false, like a wrong signature.
 */
export interface SignatureVerifier {
  verify(items: readonly SignedMessage[]): Promise<boolean[]>
}

/** How a peer treats signatures on what it receives. */
export interface EntrySignaturePolicy {
  readonly verifier: SignatureVerifier
  /** Unsigned entries are forgeries too (every author of the mesh signs). */
  readonly required: boolean
}

/** The fields a signature covers: an entry or a draft of one. */
export interface SignedFields {
  readonly author: PeerId
  readonly authorSeq: number
  readonly payload: Uint8Array
  readonly signature?: Uint8Array
  readonly groupProof?: Uint8Array
}

const textEncoder = new TextEncoder()
// Ids are at most 200/128 UTF-16 units, 3 UTF-8 bytes each.
const header = new Uint8Array(1 + 2 + 600 + 2 + 384 + 8 + 4)
const headerView = new DataView(header.buffer)
// The header's channel and author part, as last written (a batch is mostly one of each).
let headerChannel: string | undefined
let headerAuthor: string | undefined
let headerIdsEnd = 0

function writeHeaderIds(channel: ChannelId, author: PeerId): number {
  if (channel === headerChannel && author === headerAuthor) return headerIdsEnd
  let offset = 0
  header[offset++] = SIGNING_PREIMAGE_VERSION
  for (const id of [channel, author]) {
    const { written = 0 } = textEncoder.encodeInto(id, header.subarray(offset + 2))
    headerView.setUint16(offset, written)
    offset += 2 + written
  }
  headerChannel = channel
  headerAuthor = author
  headerIdsEnd = offset
  return offset
}

/** BLAKE3 of one write's v1 signing preimage: a group's leaf, and what a lone write signs. */
export function entrySigningDigest(
  hasher: EntryHasher,
  channel: ChannelId,
  fields: SignedFields,
): Uint8Array {
  let offset = writeHeaderIds(channel, fields.author)
  headerView.setUint32(offset, Math.floor(fields.authorSeq / 0x1_0000_0000))
  headerView.setUint32(offset + 4, fields.authorSeq >>> 0)
  headerView.setUint32(offset + 8, fields.payload.byteLength)
  offset += 12
  return hasher.digest(header.subarray(0, offset), fields.payload)
}

/** The bytes an author signs for one write to `channel`, signed alone. */
export function entrySigningMessage(
  hasher: EntryHasher,
  channel: ChannelId,
  fields: SignedFields,
): Uint8Array {
  return loneMessage(entrySigningDigest(hasher, channel, fields))
}

function loneMessage(digest: Uint8Array): Uint8Array {
  const message = new Uint8Array(ENTRY_SIGNATURE_DOMAIN.byteLength + HASH_BYTES)
  message.set(ENTRY_SIGNATURE_DOMAIN)
  message.set(digest, ENTRY_SIGNATURE_DOMAIN.byteLength)
  return message
}

/**
 * The message `item`'s signature covers: the v1 message of a write signed
 * alone, the group's message for one carrying a group proof (undefined
 * when that proof is malformed). What a verifier outside meshlog checks.
 */
export function signedMessageOf(
  hasher: EntryHasher,
  channel: ChannelId,
  item: SignedFields,
): Uint8Array | undefined {
  return messageOfLeaf(hasher, entrySigningDigest(hasher, channel, item), item.groupProof)
}

/** The message a write with this leaf signs: alone, or through `groupProof` (undefined if malformed). */
function messageOfLeaf(
  hasher: EntryHasher,
  leaf: Uint8Array,
  groupProof: Uint8Array | undefined,
): Uint8Array | undefined {
  if (groupProof === undefined) return loneMessage(leaf)
  const place = readProof(groupProof)
  const root = place === undefined ? undefined : rootOf(hasher, leaf, groupProof)
  return place === undefined || root === undefined
    ? undefined
    : groupSigningMessage(place.size, root)
}

/**
 * What the frame decoder hands `readWire` for `channel`'s run with these
 * authors: a whole group's proofs rebuilt from its writes, and the message
 * its signature covers.
 */
export function groupRebuilder(
  hasher: EntryHasher,
  channel: ChannelId,
  authors: readonly PeerId[],
): Regroup {
  return (members, sibling) => {
    const leaves = members.map((m) =>
      entrySigningDigest(hasher, channel, {
        author: authors[m.authorIndex] as PeerId,
        authorSeq: m.authorSeq,
        payload: m.payload,
      }),
    )
    return groupSigningMessage(members.length, groupSiblings(hasher, leaves, sibling))
  }
}

export interface SignOptions {
  /** Most writes one signature covers (1 signs each alone; default the signer's, else DEFAULT_GROUP_SIZE). */
  readonly groupSize?: number
}

/**
 * The local author's drafts, signed once where the payload becomes a
 * draft; the signature then travels with the draft to whoever commits it.
 * Consecutive drafts are signed in groups of up to `groupSize`.
 */
export async function signDrafts(
  signer: EntrySigner,
  hasher: EntryHasher,
  channel: ChannelId,
  drafts: readonly EntryDraft[],
  options: SignOptions = {},
): Promise<EntryDraft[]> {
  const groupSize = options.groupSize ?? signer.groupSize ?? DEFAULT_GROUP_SIZE
  if (!Number.isSafeInteger(groupSize) || groupSize < 1 || groupSize > MAX_GROUP_SIZE) {
    throw new InvalidArgumentError(`groupSize must be an integer from 1 to ${MAX_GROUP_SIZE}`, {
      details: { channel, groupSize: describeValue(groupSize) },
    })
  }
  for (const draft of drafts) {
    if (draft.author !== signer.author) {
      throw new InvalidArgumentError("a signer signs only its own author's drafts", {
        details: { channel, author: draft.author, signer: signer.author, reason: 'not-author' },
      })
    }
  }
  const messages: Uint8Array[] = []
  const proofs: (Uint8Array | undefined)[] = []
  for (let start = 0; start < drafts.length; start += groupSize) {
    const members = drafts.slice(start, start + groupSize)
    const leaves = members.map((draft) => entrySigningDigest(hasher, channel, draft))
    if (leaves.length === 1) {
      messages.push(loneMessage(leaves[0] as Uint8Array))
      proofs.push(undefined)
      continue
    }
    const group = buildGroup(hasher, leaves)
    messages.push(groupSigningMessage(leaves.length, group.root))
    proofs.push(...group.proofs)
  }
  const signatures = await signer.sign(messages)
  return drafts.map((draft, index) => {
    const { author, authorSeq, payload } = draft
    const signature = signatures[Math.floor(index / groupSize)] as Uint8Array
    const groupProof = proofs[index]
    return groupProof === undefined
      ? { author, authorSeq, payload, signature }
      : { author, authorSeq, payload, signature, groupProof }
  })
}

export type ForgeryReason =
  | 'missing-signature'
  | 'malformed-signature'
  | 'malformed-proof'
  | 'bad-signature'

export interface Forgery {
  /** The first item found forged. */
  readonly index: number
  /** The item after the last one the failed check stood for (a whole group fails as one). */
  readonly end: number
  readonly reason: ForgeryReason
}

/**
 * Items [start, start + size) when they are a whole group in order, each
 * carrying the proof the group's leaves give it: then one message stands
 * for all of them and the tree is built once (size - 1 hashes) instead of
 * a root per member. Undefined otherwise (each member is then checked alone).
 */
function wholeGroupMessage(
  hasher: EntryHasher,
  items: readonly SignedFields[],
  leaves: { at(index: number): Uint8Array },
  start: number,
  size: number,
): Uint8Array | undefined {
  if (start + size > items.length) return undefined
  const first = items[start] as SignedFields
  for (let i = 0; i < size; i++) {
    const item = items[start + i] as SignedFields
    const place = item.groupProof === undefined ? undefined : readProof(item.groupProof)
    if (place === undefined || place.index !== i || place.size !== size) return undefined
    if (item.author !== first.author || item.signature === undefined) return undefined
    if (!equals(item.signature, first.signature as Uint8Array)) return undefined
  }
  const proofs = items.slice(start, start + size).map((item) => item.groupProof as Uint8Array)
  // readProof checked each length against its index and size already.
  const group = Array.from({ length: size }, (_, i) => leaves.at(start + i))
  const root = wholeGroupRoot(hasher, group, proofs)
  return root === undefined ? undefined : groupSigningMessage(size, root)
}

/**
 * The first of `items` whose signature does not hold under `policy`, if
 * any. `known` gives, by the index of its first item, the message of a
 * whole group whose proofs this peer built itself from the writes (a run
 * read off the wire: run-wire.ts `rebuiltGroups`); only its signature is
 * left to check.
 */
export async function findForgery(
  policy: EntrySignaturePolicy,
  hasher: EntryHasher,
  channel: ChannelId,
  items: readonly SignedFields[],
  known?: ReadonlyMap<number, Uint8Array>,
): Promise<Forgery | undefined> {
  // Each item's leaf, computed once when first needed (a whole group reuses them).
  const leafCache: (Uint8Array | undefined)[] = new Array(items.length)
  const leaves = {
    at(i: number): Uint8Array {
      let leaf = leafCache[i]
      if (leaf === undefined) {
        leaf = entrySigningDigest(hasher, channel, items[i] as SignedFields)
        leafCache[i] = leaf
      }
      return leaf
    },
  }
  const checks: SignedMessage[] = []
  // For each check, the first item it stands for and the item after its last.
  const indexes: number[] = []
  const ends: number[] = []
  for (let index = 0; index < items.length; index++) {
    const item = items[index] as SignedFields
    const { signature, groupProof } = item
    if (signature === undefined) {
      if (groupProof !== undefined) return { index, end: index + 1, reason: 'malformed-signature' }
      if (policy.required) return { index, end: index + 1, reason: 'missing-signature' }
      continue
    }
    if (signature.byteLength !== SIGNATURE_BYTES)
      return { index, end: index + 1, reason: 'malformed-signature' }
    // A whole group from here on: one check stands for all its writes.
    const place = groupProof === undefined ? undefined : readProof(groupProof)
    const whole =
      place?.index === 0
        ? (known?.get(index) ?? wholeGroupMessage(hasher, items, leaves, index, place.size))
        : undefined
    if (whole !== undefined && place !== undefined) {
      checks.push({ author: item.author, message: whole, signature })
      indexes.push(index)
      ends.push(index + place.size)
      index += place.size - 1
      continue
    }
    const alone = messageOfLeaf(hasher, leaves.at(index), groupProof)
    if (alone === undefined) return { index, end: index + 1, reason: 'malformed-proof' }
    checks.push({ author: item.author, message: alone, signature })
    indexes.push(index)
    ends.push(index + 1)
  }
  if (checks.length === 0) return undefined
  const verdicts = await policy.verifier.verify(checks)
  const bad = verdicts.findIndex((ok) => !ok)
  if (bad === -1) return undefined
  return { index: indexes[bad] as number, end: ends[bad] as number, reason: 'bad-signature' }
}

function forgedError(channel: ChannelId, item: SignedFields, forgery: Forgery): ForgedEntryError {
  return new ForgedEntryError(
    `the write (${item.author}, ${item.authorSeq}) is not signed by its author: ${forgery.reason}`,
    {
      details: {
        channel,
        author: item.author,
        authorSeq: item.authorSeq,
        reason: forgery.reason,
        signature: describeValue(item.signature),
        ...('seq' in item ? { seq: item.seq } : {}),
      },
    },
  )
}

/** Throws ForgedEntryError for the first entry (or draft) not signed by its author. */
export async function checkSignatures(
  policy: EntrySignaturePolicy,
  hasher: EntryHasher,
  channel: ChannelId,
  items: readonly SignedFields[],
  known?: ReadonlyMap<number, Uint8Array>,
): Promise<void> {
  const forgery = await findForgery(policy, hasher, channel, items, known)
  if (forgery !== undefined)
    throw forgedError(channel, items[forgery.index] as SignedFields, forgery)
}

/**
 * For a leader about to commit a draft another peer proposed: throws
 * ForgedEntryError unless the draft carries its author's signature (or is
 * unsigned where signatures are not required).
 */
export function verifyDraft(
  policy: EntrySignaturePolicy,
  hasher: EntryHasher,
  channel: ChannelId,
  draft: EntryDraft,
): Promise<void> {
  return checkSignatures(policy, hasher, channel, [draft])
}
