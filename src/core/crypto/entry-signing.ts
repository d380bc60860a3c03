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
 * Signers and verifiers work in batches and answer asynchronously: the
 * fastest Ed25519 in browsers is WebCrypto's, which is async per call but
 * runs many calls in parallel (see README, "Signed entries").
 */
import { describeValue, InvalidArgumentError } from '../errors.js'
import type { EntryDraft } from '../log/entry.js'
import { SIGNATURE_BYTES } from '../log/entry.js'
import type { EntryHasher } from '../log/entry-hasher.js'
import type { ChannelId, PeerId } from '../log/ids.js'
import { ForgedEntryError } from '../log/log-errors.js'

export const ENTRY_SIGNATURE_DOMAIN: Uint8Array = new TextEncoder().encode('meshlog/entry/v1\n')
const SIGNING_PREIMAGE_VERSION = 1

/** Signs as one author; `sign` answers with one 64-byte signature per message, in order. */
export interface EntrySigner {
  readonly author: PeerId
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
}

const textEncoder = new TextEncoder()
// Ids are at most 200/128 UTF-16 units, 3 UTF-8 bytes each.
const header = new Uint8Array(1 + 2 + 600 + 2 + 384 + 8 + 4)
const headerView = new DataView(header.buffer)

/** The bytes an author signs for one write to `channel`. */
export function entrySigningMessage(
  hasher: EntryHasher,
  channel: ChannelId,
  fields: SignedFields,
): Uint8Array {
  let offset = 0
  header[offset++] = SIGNING_PREIMAGE_VERSION
  for (const id of [channel, fields.author]) {
    const { written = 0 } = textEncoder.encodeInto(id, header.subarray(offset + 2))
    headerView.setUint16(offset, written)
    offset += 2 + written
  }
  headerView.setUint32(offset, Math.floor(fields.authorSeq / 0x1_0000_0000))
  headerView.setUint32(offset + 4, fields.authorSeq >>> 0)
  headerView.setUint32(offset + 8, fields.payload.byteLength)
  offset += 12
  const digest = hasher.digest(header.subarray(0, offset), fields.payload)
  const message = new Uint8Array(ENTRY_SIGNATURE_DOMAIN.byteLength + digest.byteLength)
  message.set(ENTRY_SIGNATURE_DOMAIN)
  message.set(digest, ENTRY_SIGNATURE_DOMAIN.byteLength)
  return message
}

/**
 * The local author's drafts, signed once where the payload becomes a
 * draft; the signature then travels with the draft to whoever commits it.
 */
export async function signDrafts(
  signer: EntrySigner,
  hasher: EntryHasher,
  channel: ChannelId,
  drafts: readonly EntryDraft[],
): Promise<EntryDraft[]> {
  for (const draft of drafts) {
    if (draft.author !== signer.author) {
      throw new InvalidArgumentError("a signer signs only its own author's drafts", {
        details: { channel, author: draft.author, signer: signer.author, reason: 'not-author' },
      })
    }
  }
  const messages = drafts.map((draft) => entrySigningMessage(hasher, channel, draft))
  const signatures = await signer.sign(messages)
  return drafts.map((draft, index) => ({ ...draft, signature: signatures[index] as Uint8Array }))
}

export type ForgeryReason = 'missing-signature' | 'malformed-signature' | 'bad-signature'

export interface Forgery {
  readonly index: number
  readonly reason: ForgeryReason
}

/** The first of `items` whose signature does not hold under `policy`, if any. */
export async function findForgery(
  policy: EntrySignaturePolicy,
  hasher: EntryHasher,
  channel: ChannelId,
  items: readonly SignedFields[],
): Promise<Forgery | undefined> {
  const checks: SignedMessage[] = []
  const indexes: number[] = []
  for (const [index, item] of items.entries()) {
    const { signature } = item
    if (signature === undefined) {
      if (policy.required) return { index, reason: 'missing-signature' }
      continue
    }
    if (signature.byteLength !== SIGNATURE_BYTES) return { index, reason: 'malformed-signature' }
    checks.push({
      author: item.author,
      message: entrySigningMessage(hasher, channel, item),
      signature,
    })
    indexes.push(index)
  }
  if (checks.length === 0) return undefined
  const verdicts = await policy.verifier.verify(checks)
  const bad = verdicts.findIndex((ok) => !ok)
  return bad === -1 ? undefined : { index: indexes[bad] as number, reason: 'bad-signature' }
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
): Promise<void> {
  const forgery = await findForgery(policy, hasher, channel, items)
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
