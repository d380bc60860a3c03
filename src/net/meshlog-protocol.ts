/**
 * `/meshlog/1.0.0`: one stream per link, registered with
 * `runOnLimitedConnection: true` on both `handle` and `newStream` so a link
 * can fall back to a relayed circuit when WebRTC fails.
 */
import type { Connection, Libp2p, Stream } from '@libp2p/interface'
import { peerId } from '../core/log/ids.js'
import { type BackoffPolicy, DEFAULT_BACKOFF } from './backoff.js'
import { retry } from './deadline.js'
import { linkKindOf } from './link-kind.js'
import { DialError } from './net-errors.js'
import { StreamLink, type StreamLinkOptions } from './stream-link.js'

export const MESHLOG_PROTOCOL = '/meshlog/1.0.0'

/** Links a peer may open to us on one connection at a time. */
export const MAX_INBOUND_LINK_STREAMS = 4

export function linkFromStream(
  stream: Stream,
  connection: Connection,
  options: StreamLinkOptions = {},
): StreamLink {
  return new StreamLink({
    ...options,
    stream,
    connection,
    remotePeer: peerId(connection.remotePeer.toString()),
    kind: linkKindOf(connection),
  })
}

/**
 * Serves `/meshlog/1.0.0`: every inbound stream becomes a link handed to
 * `onLink`, which owns it from then on. Returns the function that unregisters.
 */
export async function handleLinks(
  node: Pick<Libp2p, 'handle' | 'unhandle'>,
  onLink: (link: StreamLink) => void,
  options: StreamLinkOptions = {},
): Promise<() => Promise<void>> {
  await node.handle(
    MESHLOG_PROTOCOL,
    (stream, connection) => {
      let link: StreamLink
      try {
        link = linkFromStream(stream, connection, options)
      } catch (err) {
        stream.abort(err instanceof Error ? err : new Error(String(err)))
        return
      }
      onLink(link)
    },
    { runOnLimitedConnection: true, maxInboundStreams: MAX_INBOUND_LINK_STREAMS },
  )
  return () => node.unhandle(MESHLOG_PROTOCOL)
}

export interface OpenLinkOptions {
  readonly signal?: AbortSignal
  /** Deadline of each attempt to open the stream. Default 10 s. */
  readonly timeoutMs?: number
  /** Attempts in total. Default 2. */
  readonly attempts?: number
  readonly backoff?: BackoffPolicy
  readonly link?: StreamLinkOptions
}

/** Opens a link on an existing connection, with a deadline per attempt and retries. */
export function openLink(
  connection: Connection,
  options: OpenLinkOptions = {},
): Promise<StreamLink> {
  return retry(
    async (signal) => {
      const stream = await connection.newStream(MESHLOG_PROTOCOL, {
        signal,
        runOnLimitedConnection: true,
      })
      return linkFromStream(stream, connection, options.link)
    },
    {
      what: `open ${MESHLOG_PROTOCOL} to ${connection.remotePeer.toString()}`,
      attempts: options.attempts ?? 2,
      attemptTimeoutMs: options.timeoutMs ?? 10_000,
      backoff: options.backoff ?? DEFAULT_BACKOFF,
      ...(options.signal === undefined ? {} : { signal: options.signal }),
      wrap: (message, cause) => new DialError(message, { cause }),
    },
  )
}
