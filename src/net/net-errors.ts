/**
 * Typed failures of the networking layer. Each keeps a stable `name`/`code`
 * (see `MeshlogError`) so the page and the worker can tell a refused dial from
 * a peer that broke the frame protocol without parsing messages.
 */
import { MeshlogError } from '../core/errors.js'

/** Every dial attempt to a peer or the relay failed before its deadline. */
export class DialError extends MeshlogError {
  override readonly name = 'DialError'
  override readonly code = 'ERR_DIAL_FAILED'
}

/** The remote end sent bytes that are not the `/meshlog/1.0.0` frame protocol. */
export class LinkProtocolError extends MeshlogError {
  override readonly name = 'LinkProtocolError'
  override readonly code = 'ERR_LINK_PROTOCOL'
}

/** A frame is larger than the link accepts. */
export class FrameTooLargeError extends MeshlogError {
  override readonly name = 'FrameTooLargeError'
  override readonly code = 'ERR_FRAME_TOO_LARGE'
}

/** Too many `send()` calls are already waiting on this link. */
export class SendQueueFullError extends MeshlogError {
  override readonly name = 'SendQueueFullError'
  override readonly code = 'ERR_SEND_QUEUE_FULL'
}

/** `frames` was iterated twice; a link has one reader. */
export class FramesAlreadyReadError extends MeshlogError {
  override readonly name = 'FramesAlreadyReadError'
  override readonly code = 'ERR_FRAMES_ALREADY_READ'
}

/** The connection runs over a transport no `LinkKind` describes. */
export class UnsupportedTransportError extends MeshlogError {
  override readonly name = 'UnsupportedTransportError'
  override readonly code = 'ERR_UNSUPPORTED_TRANSPORT'
}

/** The relay's directory refused us, or a directory message was malformed. */
export class DirectoryError extends MeshlogError {
  override readonly name = 'DirectoryError'
  override readonly code = 'ERR_DIRECTORY'
}

/** The page could not read or write its persisted libp2p key. */
export class KeyStoreError extends MeshlogError {
  override readonly name = 'KeyStoreError'
  override readonly code = 'ERR_KEY_STORE'
}
