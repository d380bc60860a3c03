/**
 * Each channel's author high-water marks (author-marks.ts), kept in memory
 * and in the `author-marks` store. A commit plans its changes first, puts
 * them in its own transaction, and applies them in memory only once the
 * transaction is durable, so a failed commit leaves the marks as they were.
 */
import { AuthorMarks, type MarkChanges } from '../core/log/author-marks.js'
import type { EntryHasher } from '../core/log/entry-hasher.js'
import type { ChannelId, PeerId } from '../core/log/ids.js'
import { decodeSegment } from '../core/log/segment-codec.js'
import { AUTHOR_MARKS_META_KEY, type AuthorMarkRecord, type MeshlogDb } from './idb-schema.js'
import { type LogTx, STRICT } from './idb-transaction.js'

export class IdbAuthorMarks {
  readonly #capacity: number
  #marks = new Map<ChannelId, AuthorMarks>()

  constructor(capacity: number) {
    this.#capacity = capacity
  }

  /** The marks of `channel` (empty for a channel never written). */
  of(channel: ChannelId): AuthorMarks {
    let marks = this.#marks.get(channel)
    if (marks === undefined) {
      marks = new AuthorMarks(this.#capacity)
      this.#marks.set(channel, marks)
    }
    return marks
  }

  /** Takes the marks read at open. */
  load(records: readonly AuthorMarkRecord[]): void {
    this.#marks = new Map()
    for (const mark of records) {
      this.of(mark.channel as ChannelId).load(mark.author as PeerId, mark.authorSeq)
    }
  }

  delete(channel: ChannelId): void {
    this.#marks.delete(channel)
  }

  /** Queues `changes` to the channel's stored marks in `tx`; apply them once `tx` is durable. */
  put(tx: LogTx, channel: ChannelId, changes: MarkChanges, work: Promise<unknown>[]): void {
    const store = tx.objectStore('author-marks')
    for (const author of changes.removed) work.push(store.delete([channel, author]))
    for (const [author, authorSeq] of changes.set)
      work.push(store.put({ channel, author, authorSeq }))
  }

  /** Schema v3: a log written before marks were kept gets them from its segments. */
  async rebuild(db: MeshlogDb, hasher: EntryHasher): Promise<void> {
    const rebuilt = new Map<ChannelId, AuthorMarks>()
    const tx = db.transaction(['segments', 'author-marks', 'meta'], 'readwrite', STRICT)
    let cursor = await tx.objectStore('segments').openCursor()
    while (cursor !== null) {
      const channel = cursor.value.channel as ChannelId
      let marks = rebuilt.get(channel)
      if (marks === undefined) {
        marks = new AuthorMarks(this.#capacity)
        rebuilt.set(channel, marks)
      }
      marks.apply(marks.planAppend(decodeSegment(hasher, cursor.value)))
      cursor = await cursor.continue()
    }
    const store = tx.objectStore('author-marks')
    for (const [channel, marks] of rebuilt) {
      for (const [author, authorSeq] of marks.entries())
        void store.put({ channel, author, authorSeq })
    }
    void tx.objectStore('meta').delete(AUTHOR_MARKS_META_KEY)
    await tx.done
    this.#marks = rebuilt
  }
}
