/**
 * Runs re-packed under another author table: several joined into one
 * (`concatRuns`), or one trimmed to the authors it uses (`trimAuthors`).
 * Bytes are copied once; an entry whose author index changes gets its
 * index varint rewritten and the rest of its bytes copied as they are.
 */
import { equals } from 'uint8arrays/equals'
import { EntryRun } from './entry-run.js'
import type { PeerId } from './ids.js'
import { varintLength, writeVarint } from './run-bytes.js'

/** One run of `runs` in order (each must continue the one before); throws RangeError otherwise. */
export function concatRuns(runs: readonly EntryRun[]): EntryRun {
  const first = runs[0]
  if (first === undefined) throw new RangeError('concat needs at least one run')
  if (runs.length === 1) return first
  const table = new Map<PeerId, number>()
  const remaps: (Int32Array | undefined)[] = []
  let size = 0
  let count = 0
  for (const [r, run] of runs.entries()) {
    if (r > 0) {
      const before = runs[r - 1] as EntryRun
      if (run.channel !== first.channel || run.firstSeq !== before.nextSeq)
        throw new RangeError('runs to concat must be dense and of one channel')
      if (!equals(run.prevHash, before.lastHash)) throw new RangeError('runs to concat must chain')
    }
    let identity = true
    const remap = new Int32Array(run.authors.length)
    for (const [i, author] of run.authors.entries()) {
      let index = table.get(author)
      if (index === undefined) {
        index = table.size
        table.set(author, index)
      }
      remap[i] = index
      if (index !== i) identity = false
    }
    remaps.push(identity ? undefined : remap)
    size += run.startAt(run.count) - run.startAt(0)
    if (!identity) {
      for (let i = 0; i < run.count; i++) {
        const { authorIndex } = run.fieldsAt(i)
        size += varintLength(remap[authorIndex] as number) - varintLength(authorIndex)
      }
    }
    count += run.count
  }
  const data = new Uint8Array(size)
  const starts = new Uint32Array(count + 1)
  let offset = 0
  let at = 0
  let payloadBytes = 0
  let signedCount = 0
  let proofBytes = 0
  for (const [r, run] of runs.entries()) {
    const remap = remaps[r]
    const base = run.startAt(0)
    if (remap === undefined) {
      const end = run.startAt(run.count)
      data.set(run.data.subarray(base, end), offset)
      for (let i = 0; i < run.count; i++) starts[at++] = offset + run.startAt(i) - base
      offset += end - base
    } else {
      for (let i = 0; i < run.count; i++) {
        starts[at++] = offset
        offset = repackEntry(run, i, remap, data, offset)
      }
    }
    payloadBytes += run.payloadBytes
    signedCount += run.signedCount
    proofBytes += run.proofBytes
  }
  starts[count] = offset
  return EntryRun.assemble(
    {
      channel: first.channel,
      firstSeq: first.firstSeq,
      prevHash: first.prevHash,
      authors: [...table.keys()],
    },
    data,
    starts,
    payloadBytes,
    signedCount,
    proofBytes,
  )
}

/**
 * The same entries with an author table of only the authors they use (a
 * slice keeps its whole run's table): `run` itself when it uses them all.
 */
export function trimAuthors(run: EntryRun): EntryRun {
  if (run.authors.length <= 1 && run.count > 0) return run
  const used = new Uint8Array(run.authors.length)
  for (let i = 0; i < run.count; i++) used[run.fieldsAt(i).authorIndex] = 1
  if (used.every((u) => u === 1)) return run
  const table = run.authors.filter((_, i) => used[i] === 1)
  const remap = new Int32Array(run.authors.length).fill(-1)
  for (const [i, author] of table.entries()) remap[run.authors.indexOf(author)] = i
  let size = 0
  for (let i = 0; i < run.count; i++) {
    const { authorIndex } = run.fieldsAt(i)
    size +=
      run.startAt(i + 1) -
      run.startAt(i) -
      varintLength(authorIndex) +
      varintLength(remap[authorIndex] as number)
  }
  const data = new Uint8Array(size)
  const starts = new Uint32Array(run.count + 1)
  let offset = 0
  for (let i = 0; i < run.count; i++) {
    starts[i] = offset
    offset = repackEntry(run, i, remap, data, offset)
  }
  starts[run.count] = offset
  return EntryRun.assemble(
    { channel: run.channel, firstSeq: run.firstSeq, prevHash: run.prevHash, authors: table },
    data,
    starts,
    run.payloadBytes,
    run.signedCount,
    run.proofBytes,
  )
}

/** Writes entry i of `run` at `offset` with its author index mapped by `remap`; returns the end. */
function repackEntry(
  run: EntryRun,
  i: number,
  remap: Int32Array,
  data: Uint8Array,
  offset: number,
): number {
  const { authorIndex } = run.fieldsAt(i)
  const end = writeVarint(data, offset, remap[authorIndex] as number)
  const rest = run.data.subarray(run.startAt(i) + varintLength(authorIndex), run.startAt(i + 1))
  data.set(rest, end)
  return end + rest.byteLength
}
