// The replication worker's entry: a WorkerHost (src/worker/) behind Comlink.
// The page spawns it as a module worker (src/client/worker-supervisor.ts).
import { exposeWorkerHost } from '../src/worker/expose-worker-host.js'

exposeWorkerHost()
