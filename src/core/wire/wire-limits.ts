/**
 * Hard limits a decoder enforces before allocating anything, so a hostile
 * peer cannot make a replica allocate more than a frame's own size, plus
 * the 32-byte hash it computes for each entry of a sync response (at most
 * MAX_ENTRIES_PER_FRAME of them, and at least 4 bytes of frame each), plus
 * the signature and proof it rebuilds for each write of a group sent whole
 * (at most 323 bytes each, for at most MAX_ELIDED_WRITES_PER_RUN writes).
 */
import { SYNC_CHUNK_HARD_CEILING_BYTES } from '../replication/messages.js'

/**
 * Current frame format (2: sync responses carry entries without their
 * hashes; 3: writes may be signed in groups, and a sync response sends a
 * whole group without its proofs). A decoder refuses any other.
 */
export const WIRE_VERSION = 3
/** Largest frame accepted: the largest response chunk plus room for headers. */
export const MAX_FRAME_BYTES = SYNC_CHUNK_HARD_CEILING_BYTES + (1 << 20)
/** Largest single entry payload on the wire. */
export const MAX_PAYLOAD_BYTES = 16 << 20
/** Most entries in one frame. */
export const MAX_ENTRIES_PER_FRAME = 1 << 20
/** Most distinct authors in one frame's author table. */
export const MAX_AUTHORS_PER_FRAME = 1 << 16
