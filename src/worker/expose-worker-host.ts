/**
 * Runs a WorkerHost behind Comlink in the current worker scope, with
 * meshlog's typed errors carried across.
 */
import { type Endpoint, expose } from 'comlink'
import { installMeshlogErrorTransfer } from '../rpc/error-registry.js'
import { WorkerHost } from './worker-host.js'

export function exposeWorkerHost(endpoint?: Endpoint): WorkerHost {
  installMeshlogErrorTransfer()
  const host = new WorkerHost()
  expose(host, endpoint)
  return host
}
