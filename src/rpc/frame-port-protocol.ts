/**
 * The messages on the dedicated MessagePort between the page (which owns the
 * links) and the worker (which owns the runtimes). Frames travel packed in
 * transferred ArrayBuffers (frame-batch.ts), large ones alone, never through
 * Comlink. A frame handed to a port is the port's: it may transfer it.
 *
 * Flow control is by credit, both ways. Inbound: the page stops pulling from
 * its links once `inboundWindowBytes` are sent and not yet acknowledged by
 * the worker, so a slow worker slows the links (and, through them, the
 * senders). Outbound: the worker refuses frames for a peer once
 * `outboundWindowBytes` for it are unacknowledged by the page, so a slow
 * link makes the runtime's sends fail fast (counted, budget refunded)
 * instead of piling up in memory.
 */
import type { LinkKind } from '../core/transport/link.js'

export type PageToWorker =
  | { readonly t: 'link-up'; readonly peer: string; readonly kind: LinkKind }
  | { readonly t: 'link-down'; readonly peer: string }
  | { readonly t: 'frames'; readonly buffer: ArrayBuffer; readonly bytes: number }
  /** One large frame on its own, its buffer transferred (see TRANSFER_FRAME_BYTES). */
  | { readonly t: 'frame'; readonly peer: string; readonly frame: Uint8Array }
  /** Outbound frames the page has handed to links, per peer. */
  | { readonly t: 'sent'; readonly bytes: readonly (readonly [string, number])[] }

export type WorkerToPage =
  | { readonly t: 'frames'; readonly buffer: ArrayBuffer }
  /** One large frame on its own, its buffer transferred (see TRANSFER_FRAME_BYTES). */
  | { readonly t: 'frame'; readonly peer: string; readonly frame: Uint8Array }
  /** Inbound bytes the worker has taken off the port. */
  | { readonly t: 'received'; readonly bytes: number }
  /** The worker wants this link dropped (e.g. a peer that keeps sending garbage). */
  | { readonly t: 'drop-link'; readonly peer: string }

export const INBOUND_WINDOW_BYTES_DEFAULT = 4 << 20
export const OUTBOUND_WINDOW_BYTES_DEFAULT = 4 << 20
/** A batch is flushed once it holds this many bytes, else at the end of the turn. */
export const BATCH_FLUSH_BYTES = 256 << 10
/**
 * A frame this large that is the whole of its buffer crosses on its own,
 * transferred: copying it into a batch would write every byte once more,
 * into fresh memory. Whatever was batched before it goes first.
 */
export const TRANSFER_FRAME_BYTES = 64 << 10

/** True when `frame` may cross alone by transfer: large, and the whole of its buffer. */
export function transferable(frame: Uint8Array): boolean {
  return (
    frame.byteLength >= TRANSFER_FRAME_BYTES &&
    frame.byteOffset === 0 &&
    frame.byteLength === frame.buffer.byteLength &&
    frame.buffer instanceof ArrayBuffer
  )
}
