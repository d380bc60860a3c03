/**
 * The wire form of a run, as a SyncResponse carries it: the run's entry
 * bytes (entry-run.ts) with every entry's hash left out. A receiver
 * computes each hash anyway to verify it, and at 100-byte payloads the
 * hashes were a quarter of the bytes sent. The run's first prevHash and
 * its last hash travel beside it (frame-codec.ts).
 *
 * A signed group the run holds whole (core/crypto/signed-groups.ts) goes
 * without its proofs, and with its signature once: the receiver computes
 * every member's signing digest anyway to verify the group, and from those
 * it rebuilds the proofs it stores (`regroup`). Signed 100-byte writes in
 * groups of 32 would otherwise send ~3 bytes of signature and proof per
 * byte of payload. A group cut by the run's edges goes as stored.
 */
import {
  GROUP_PROOF_HEAD_BYTES,
  groupProofByteLength,
  groupProofDepthAt,
  HASH_BYTES,
  SIGNATURE_BYTES,
} from './entry.js'
import { EntryRun, type RunHeader } from './entry-run.js'
import {
  MAX_ELIDED_WRITES_PER_RUN,
  RUN_FLAG_ELIDED,
  RUN_FLAG_GROUPED,
  RUN_FLAG_SIGNED,
  type RunFault,
  readEntryHead,
} from './run-bytes.js'

/** The hash of entry `seq` of a run being read off the wire, from its fields and the hash before it. */
export type WireEntryHash = (
  seq: number,
  authorIndex: number,
  authorSeq: number,
  payload: Uint8Array,
  prevHash: Uint8Array,
) => Uint8Array

/** One write of a group read whole off the wire. */
export interface GroupMember {
  readonly authorIndex: number
  readonly authorSeq: number
  readonly payload: Uint8Array
}

/**
 * Rebuilds the proofs of a whole group (what signed-groups builds): hands
 * `sibling` each member's sibling hashes, by member and level (deepest
 * first), and returns the message the group's signature covers.
 */
export type Regroup = (
  members: readonly GroupMember[],
  sibling: (member: number, level: number, hash: Uint8Array) => void,
) => Uint8Array

/** The signed messages of the groups a run read off the wire had rebuilt, by first entry. */
const rebuilt = new WeakMap<EntryRun, ReadonlyMap<number, Uint8Array>>()

/**
 * For a run `readWire` made: the message each group sent whole signs, by
 * the index of its first entry. Those groups' proofs were built here from
 * their writes, so a verifier needs only check the signature on it.
 */
export function rebuiltGroups(run: EntryRun): ReadonlyMap<number, Uint8Array> | undefined {
  return rebuilt.get(run)
}

const AS_STORED = 0
const ELIDED_HEAD = 1
const ELIDED_MEMBER = 2

interface WirePlan {
  readonly byteLength: number
  /** Bytes of signatures and proofs (and depth bytes) left out. */
  readonly elidedBytes: number
  /** Per entry: AS_STORED, ELIDED_HEAD or ELIDED_MEMBER; undefined when all go as stored. */
  readonly marks: Uint8Array | undefined
}

const plans = new WeakMap<EntryRun, WirePlan>()

function sameSignature(data: Uint8Array, a: number, b: number): boolean {
  for (let i = 0; i < SIGNATURE_BYTES; i++) if (data[a + i] !== data[b + i]) return false
  return true
}

/**
 * The size of the whole group starting at entry `i`, or 0: entry i is the
 * first of a group whose members all follow it in the run, in order, by
 * one author under one signature.
 */
function wholeGroupAt(run: EntryRun, i: number): number {
  const { data } = run
  const head = run.fieldsAt(i)
  if ((head.flags & RUN_FLAG_GROUPED) === 0) return 0
  const headSignature = head.payloadEnd + HASH_BYTES
  const headProof = headSignature + SIGNATURE_BYTES
  const size = (data[headProof + 1] as number) + 1
  if (data[headProof] !== 0 || i + size > run.count) return 0
  const author = head.authorIndex
  for (let j = 1; j < size; j++) {
    const member = run.fieldsAt(i + j)
    if ((member.flags & RUN_FLAG_GROUPED) === 0 || member.authorIndex !== author) return 0
    const signature = member.payloadEnd + HASH_BYTES
    const proof = signature + SIGNATURE_BYTES
    if (data[proof] !== j || (data[proof + 1] as number) + 1 !== size) return 0
    if (!sameSignature(data, signature, headSignature)) return 0
  }
  return size
}

function planOf(run: EntryRun): WirePlan {
  let plan = plans.get(run)
  if (plan !== undefined) return plan
  const fullLength = run.bytes().byteLength - run.count * HASH_BYTES
  let byteLength = fullLength
  let marks: Uint8Array | undefined
  if (run.proofBytes > 0) {
    for (let i = 0; i < run.count; ) {
      const size = wholeGroupAt(run, i)
      if (size === 0) {
        i++
        continue
      }
      marks ??= new Uint8Array(run.count)
      marks[i] = ELIDED_HEAD
      // The head keeps its signature, and trades its depth byte for the size.
      byteLength -= groupProofByteLength(run.fieldsAt(i).depth)
      for (let j = i + 1; j < i + size; j++) {
        marks[j] = ELIDED_MEMBER
        byteLength -= 1 + SIGNATURE_BYTES + groupProofByteLength(run.fieldsAt(j).depth)
      }
      i += size
    }
  }
  plan = { byteLength, elidedBytes: fullLength - byteLength, marks }
  plans.set(run, plan)
  return plan
}

/** The length of `run`'s wire form. */
export function wireByteLength(run: EntryRun): number {
  return planOf(run).byteLength
}

/** Bytes of signatures and group proofs `run`'s wire form carries. */
export function wireSignatureBytes(run: EntryRun): number {
  return run.signedCount * SIGNATURE_BYTES + run.proofBytes - planOf(run).elidedBytes
}

/** Writes `run`'s wire form into `out` at `offset`; returns where it ends. */
export function writeWire(run: EntryRun, out: Uint8Array, offset: number): number {
  const { data } = run
  const { marks } = planOf(run)
  let at = offset
  const copy = (from: number, to: number): void => {
    out.set(data.subarray(from, to), at)
    at += to - from
  }
  for (let i = 0; i < run.count; i++) {
    const { flagsAt, payloadEnd } = run.fieldsAt(i)
    const start = run.startAt(i)
    const mark = marks === undefined ? AS_STORED : marks[i]
    if (mark === AS_STORED) {
      // The entry's hash follows its payload: copy up to it, skip it.
      copy(start, payloadEnd)
      copy(payloadEnd + HASH_BYTES, run.startAt(i + 1))
      continue
    }
    copy(start, flagsAt)
    if (mark === ELIDED_HEAD) {
      out[at++] = RUN_FLAG_SIGNED | RUN_FLAG_ELIDED
      // The stored proof's second byte: the group's size - 1.
      out[at++] = data[payloadEnd + HASH_BYTES + SIGNATURE_BYTES + 1] as number
    } else out[at++] = RUN_FLAG_ELIDED
    // Skip the stored depth byte; the payload length and payload follow as stored.
    copy(flagsAt + 2, payloadEnd)
    if (mark === ELIDED_HEAD)
      copy(payloadEnd + HASH_BYTES, payloadEnd + HASH_BYTES + SIGNATURE_BYTES)
  }
  return at
}

/**
 * The run whose wire form is `wire`: each entry hashed onto the one before
 * by `hashOf` as it is copied in, and each elided group given back its
 * signature and the proofs `regroup` builds (a run with an elided group
 * and no `regroup` is refused). What `EntryRun.parse` refuses goes to
 * `fail`, which must throw.
 */
export function readWire(
  header: RunHeader,
  wire: Uint8Array,
  count: number,
  hashOf: WireEntryHash,
  regroup: Regroup | undefined,
  fail: RunFault,
): EntryRun {
  if (header.prevHash.byteLength !== HASH_BYTES) fail('truncated', 'prevHash must be 32 bytes', 0)
  const end = wire.byteLength
  const authorCount = header.authors.length
  // The smallest entry is 4 bytes: a guard before allocating for `count`.
  if (count * 4 > end) fail('truncated', `${count} entries cannot fit ${end} bytes`, 0)
  // First pass: check every head and group, and size the run as stored.
  let size = 0
  let at = 0
  let open = 0
  let groupSize = 0
  let groupAuthor = -1
  let elidedWrites = 0
  for (let i = 0; i < count; i++) {
    const head = readEntryHead(wire, at, authorCount, fail, 'wire')
    const entryEnd = head.payloadEnd + head.trailerBytes
    if (entryEnd > end) fail('truncated', 'truncated entry', end)
    size += entryEnd - at + HASH_BYTES
    if (head.elided === 0) {
      if (open > 0) fail('bad-enum', 'an elided group cut short', at)
    } else if (head.elided === 1) {
      if (open > 0) fail('bad-enum', 'an elided group cut short', at)
      groupSize = head.groupSize
      groupAuthor = head.authorIndex
      open = groupSize - 1
      size += groupProofByteLength(groupProofDepthAt(0, groupSize))
    } else {
      if (open === 0) fail('bad-enum', 'an elided write outside its group', at)
      if (head.authorIndex !== groupAuthor) fail('bad-enum', 'an elided group of two authors', at)
      const depth = groupProofDepthAt(groupSize - open, groupSize)
      open--
      size += 1 + SIGNATURE_BYTES + groupProofByteLength(depth)
    }
    if (head.elided !== 0 && ++elidedWrites > MAX_ELIDED_WRITES_PER_RUN)
      fail('over-limit', `more than ${MAX_ELIDED_WRITES_PER_RUN} elided writes`, at)
    at = entryEnd
  }
  if (open > 0) fail('truncated', 'an elided group cut short', end)
  if (at !== end) fail('trailing-bytes', `${end - at} bytes after the last entry`, at)
  if (elidedWrites > 0 && regroup === undefined)
    fail('bad-enum', 'elided group proofs cannot be rebuilt here', 0)
  // Second pass: copy each entry in its stored form, hashing as it goes.
  const data = new Uint8Array(size)
  let out = 0
  let prevHash = header.prevHash
  let members: GroupMember[] = []
  let slots: number[] = []
  let signatureAt = 0
  const messages = new Map<number, Uint8Array>()
  at = 0
  for (let i = 0; i < count; i++) {
    const head = readEntryHead(wire, at, authorCount, fail, 'wire')
    const { authorIndex, authorSeq, elided, flagsAt, payloadEnd, trailerBytes } = head
    const length = payloadEnd - head.payloadStart
    let depth = 0
    if (elided === 0) {
      data.set(wire.subarray(at, payloadEnd), out)
      out += payloadEnd - at
    } else {
      if (elided === 1) {
        groupSize = head.groupSize
        members = []
        slots = []
        signatureAt = payloadEnd
      }
      depth = groupProofDepthAt(members.length, groupSize)
      data.set(wire.subarray(at, flagsAt), out)
      out += flagsAt - at
      data[out++] = RUN_FLAG_SIGNED | RUN_FLAG_GROUPED
      data[out++] = depth
      // Past the flags (and a group's first write's size byte): the payload length and payload.
      const lengthAt = flagsAt + (elided === 1 ? 2 : 1)
      data.set(wire.subarray(lengthAt, payloadEnd), out)
      out += payloadEnd - lengthAt
    }
    const payload = data.subarray(out - length, out)
    prevHash = hashOf(header.firstSeq + i, authorIndex, authorSeq, payload, prevHash)
    data.set(prevHash, out)
    out += HASH_BYTES
    if (elided === 0) {
      data.set(wire.subarray(payloadEnd, payloadEnd + trailerBytes), out)
      out += trailerBytes
    } else {
      slots.push(out)
      out += SIGNATURE_BYTES + groupProofByteLength(depth)
      members.push({ authorIndex, authorSeq, payload })
      if (members.length === groupSize) {
        const signature = wire.subarray(signatureAt, signatureAt + SIGNATURE_BYTES)
        for (const [j, slot] of slots.entries()) {
          data.set(signature, slot)
          data[slot + SIGNATURE_BYTES] = j
          data[slot + SIGNATURE_BYTES + 1] = groupSize - 1
        }
        const proofs = slots.map((slot) => slot + SIGNATURE_BYTES + GROUP_PROOF_HEAD_BYTES)
        const message = (regroup as Regroup)(members, (member, level, hash) => {
          data.set(hash, (proofs[member] as number) + level * HASH_BYTES)
        })
        messages.set(i + 1 - groupSize, message)
      }
    }
    at = payloadEnd + trailerBytes
  }
  // Indexes the entries (a cheap pass over the varints) and checks what is left to check.
  const run = EntryRun.parse(header, data, count, fail)
  if (messages.size > 0) rebuilt.set(run, messages)
  return run
}
