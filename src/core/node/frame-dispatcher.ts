/**
 * The replication runtime's dispatcher over a FrameSink: encode, hand over,
 * and reject when the sink refuses, so the runtime counts the failure and
 * refunds the bandwidth it had reserved for the frame.
 */
import { MeshlogError } from '../errors.js'
import type { PeerId } from '../log/ids.js'
import type { ReplicationDispatcher } from '../replication/dispatcher.js'
import { encodeFrame, type WireFrame } from '../wire/frame-codec.js'
import type { FrameSink, SinkResult } from './frame-sink.js'

/** The transport had no room or no link for a frame. */
export class SendRefusedError extends MeshlogError {
  override readonly name = 'SendRefusedError'
  override readonly code = 'ERR_SEND_REFUSED'
}

export function frameDispatcher(sink: FrameSink): ReplicationDispatcher {
  const send = (target: PeerId, frame: WireFrame): Promise<void> => {
    let result: SinkResult
    try {
      result = sink.send(target, encodeFrame(frame))
    } catch (error) {
      return Promise.reject(error)
    }
    if (result === 'queued') return Promise.resolve()
    return Promise.reject(
      new SendRefusedError(`could not send ${frame.kind} to ${target}: ${result}`, {
        details: { target, kind: frame.kind, reason: result },
      }),
    )
  }
  return {
    sendHeartbeat: (target, message) => send(target, { kind: 'heartbeat', message }),
    sendSyncRequest: (target, message) => send(target, { kind: 'sync-request', message }),
    sendSyncResponse: (target, message) => send(target, { kind: 'sync-response', message }),
    sendSyncNack: (target, message) => send(target, { kind: 'sync-nack', message }),
    sendPropose: (target, message) => send(target, { kind: 'propose', message }),
    sendLeaderHandoff: (target, message) => send(target, { kind: 'leader-handoff', message }),
  }
}
