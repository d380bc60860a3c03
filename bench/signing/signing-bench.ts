/**
 * `npm run bench:signing`, the measuring side: per-entry cost of signing
 * and verifying 100-byte entries, for each Ed25519 implementation meshlog
 * could use. Runs as it is in Node (loaded by run.mjs through Vite) and in
 * a module Web Worker of each browser — where meshlog's runtime runs.
 *
 * Each figure is µs per entry for the whole per-entry work the runtime
 * does: build the signing message (BLAKE3 of the preimage) and sign it, or
 * build it and verify the signature against the author's peer id. Batched
 * figures run a batch of entries at once (the way signDrafts and
 * checkSignatures call WebCrypto); serial ones await one entry at a time.
 * Ours run twice: each entry signed alone (group size 1), and the default,
 * up to 32 consecutive entries under one signature (signed-groups.ts) —
 * per entry that is a 32nd of a signature or verification, plus the
 * Merkle tree and its proof.
 */
import { generateKeyPair } from '@libp2p/crypto/keys'
import type { PrivateKey } from '@libp2p/interface'
import { peerIdOfEd25519Key } from '../../src/core/crypto/ed25519-peer-id.js'
import {
  DEFAULT_GROUP_SIZE,
  type EntrySignaturePolicy,
  type EntrySigner,
  entrySigningMessage,
  findForgery,
  signDrafts,
} from '../../src/core/crypto/entry-signing.js'
import { NobleEd25519Signer, NobleEd25519Verifier } from '../../src/core/crypto/noble-ed25519.js'
import {
  WebCryptoEd25519Signer,
  WebCryptoEd25519Verifier,
  webCryptoEd25519Supported,
} from '../../src/core/crypto/webcrypto-ed25519.js'
import type { EntryDraft } from '../../src/core/log/entry.js'
import { type EntryHasher, loadEntryHasher } from '../../src/core/log/entry-hasher.js'
import { channelId } from '../../src/core/log/ids.js'
import { seededBytes } from '../../src/core/log/test-entries.js'

const CHANNEL = channelId('bench/signing')
const PAYLOAD_BYTES = 100
const BATCH_DEFAULT = 256
let BATCH = BATCH_DEFAULT

export interface Figure {
  readonly signUs: number
  readonly verifyUs: number
}

export interface SigningBenchResult {
  readonly runtime: string
  readonly entries: number
  readonly payloadBytes: number
  readonly batch: number
  readonly hasher: string
  /** Building the signed message alone (BLAKE3 of the preimage), µs per entry. */
  readonly messageUs: number
  readonly implementations: Readonly<Record<string, Figure | { readonly error: string }>>
}

function perEntryUs(ms: number, n: number): number {
  return Number(((ms * 1000) / n).toFixed(2))
}

async function timed(run: () => Promise<void>): Promise<number> {
  const started = performance.now()
  await run()
  return performance.now() - started
}

function draftsOf(author: EntryDraft['author'], count: number): EntryDraft[] {
  return Array.from({ length: count }, (_, i) => ({
    author,
    authorSeq: i,
    payload: seededBytes(i + 1, PAYLOAD_BYTES),
  }))
}

/** Our batched path: signDrafts / findForgery in batches of BATCH, in groups of `groupSize`. */
async function measureOurs(
  hasher: EntryHasher,
  signer: EntrySigner,
  policy: EntrySignaturePolicy,
  count: number,
  groupSize: number,
): Promise<Figure> {
  const drafts = draftsOf(signer.author, count)
  let signed: EntryDraft[] = []
  // Warm up (JIT, key import, author cache), unmeasured.
  await findForgery(
    policy,
    hasher,
    CHANNEL,
    await signDrafts(signer, hasher, CHANNEL, drafts.slice(0, 16), { groupSize }),
  )
  const signMs = await timed(async () => {
    for (let i = 0; i < count; i += BATCH) {
      const batch = drafts.slice(i, i + BATCH)
      signed = signed.concat(await signDrafts(signer, hasher, CHANNEL, batch, { groupSize }))
    }
  })
  const verifyMs = await timed(async () => {
    for (let i = 0; i < count; i += BATCH) {
      const forgery = await findForgery(policy, hasher, CHANNEL, signed.slice(i, i + BATCH))
      if (forgery !== undefined) throw new Error(`bench entry ${i + forgery.index} did not verify`)
    }
  })
  return { signUs: perEntryUs(signMs, count), verifyUs: perEntryUs(verifyMs, count) }
}

/** @libp2p/crypto's key objects, used the way libp2p uses them: one call per message. */
async function measureLibp2p(
  hasher: EntryHasher,
  key: PrivateKey,
  count: number,
  batched: boolean,
): Promise<Figure> {
  const drafts = draftsOf(peerIdOfEd25519Key(key.publicKey.raw), count)
  const message = (k: number) => entrySigningMessage(hasher, CHANNEL, drafts[k] as EntryDraft)
  const signatures: Uint8Array[] = new Array(count)
  await key.publicKey.verify(message(0), await key.sign(message(0)))
  const sign = async (k: number) => {
    signatures[k] = await key.sign(message(k))
  }
  const verify = async (k: number) => {
    if (!(await key.publicKey.verify(message(k), signatures[k] as Uint8Array)))
      throw new Error(`bench entry ${k} did not verify`)
  }
  const run = async (each: (k: number) => Promise<void>) => {
    for (let i = 0; i < count; i += BATCH) {
      const slice = drafts.slice(i, i + BATCH).map((_, j) => i + j)
      if (batched) await Promise.all(slice.map(each))
      else for (const k of slice) await each(k)
    }
  }
  const signMs = await timed(() => run(sign))
  const verifyMs = await timed(() => run(verify))
  return { signUs: perEntryUs(signMs, count), verifyUs: perEntryUs(verifyMs, count) }
}

async function attempt(run: () => Promise<Figure>): Promise<Figure | { readonly error: string }> {
  try {
    return await run()
  } catch (error) {
    return { error: String(error) }
  }
}

export interface SigningBenchOptions {
  readonly entries?: number
  readonly nobleEntries?: number
  readonly batch?: number
}

export async function runSigningBench(
  runtime: string,
  options: SigningBenchOptions = {},
): Promise<SigningBenchResult> {
  BATCH = options.batch ?? BATCH_DEFAULT
  const entries = options.entries ?? 4096
  // Pure-JS Ed25519 costs milliseconds per signature: fewer entries.
  const nobleEntries = options.nobleEntries ?? 512
  const hasher = await loadEntryHasher()
  const key = await generateKeyPair('Ed25519')
  const seed = key.raw.subarray(0, 32)
  const author = peerIdOfEd25519Key(key.publicKey.raw)
  const drafts = draftsOf(author, entries)
  const messageMs = await timed(async () => {
    for (const d of drafts) entrySigningMessage(hasher, CHANNEL, d)
  })
  const implementations: Record<string, Figure | { readonly error: string }> = {}
  for (const groupSize of [1, DEFAULT_GROUP_SIZE]) {
    const grouping = groupSize === 1 ? 'each alone' : `groups of ${groupSize}`
    implementations[`noble (@noble/curves 2.4.0, sync), ${grouping}`] = await attempt(() =>
      measureOurs(
        hasher,
        new NobleEd25519Signer(author, seed),
        { verifier: new NobleEd25519Verifier(), required: true },
        nobleEntries,
        groupSize,
      ),
    )
    implementations[`webcrypto (batched, keys imported once), ${grouping}`] = await attempt(
      async () => {
        if (!(await webCryptoEd25519Supported())) throw new Error('no Ed25519 in WebCrypto here')
        return measureOurs(
          hasher,
          await WebCryptoEd25519Signer.create(author, seed, key.publicKey.raw),
          { verifier: new WebCryptoEd25519Verifier(), required: true },
          entries,
          groupSize,
        )
      },
    )
  }
  implementations['@libp2p/crypto 5.1.23 key.sign/verify (serial)'] = await attempt(() =>
    measureLibp2p(hasher, key, Math.min(entries, 1024), false),
  )
  implementations['@libp2p/crypto 5.1.23 key.sign/verify (batched)'] = await attempt(() =>
    measureLibp2p(hasher, key, Math.min(entries, 1024), true),
  )
  return {
    runtime,
    entries,
    payloadBytes: PAYLOAD_BYTES,
    batch: BATCH,
    hasher: hasher.implementation,
    messageUs: perEntryUs(messageMs, entries),
    implementations,
  }
}
