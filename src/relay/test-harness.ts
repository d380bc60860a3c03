/**
 * Real libp2p nodes for the Node tests: a relay on a free loopback port and
 * edge peers that can reach each other directly (WebSockets) or through it.
 * Everything started here is stopped by `stopAll()`.
 */
import type { Connection, Stream } from '@libp2p/interface'
import { createEdgeNode, type EdgeNodeOptions, type MeshNode } from '../net/edge-node.js'
import { MESHLOG_PROTOCOL } from '../net/meshlog-protocol.js'
import { Relay, type RelayOptions } from './relay-node.js'

export class TestNet {
  readonly #stops: (() => Promise<void>)[] = []

  async relay(options: RelayOptions = {}): Promise<Relay> {
    const relay = await Relay.create({ port: 0, ...options })
    await relay.start()
    this.#stops.push(() => relay.stop())
    return relay
  }

  async node(options: EdgeNodeOptions = {}): Promise<MeshNode> {
    const node = await createEdgeNode(options)
    await node.start()
    this.#stops.push(async () => {
      await node.stop()
    })
    return node
  }

  /** Two nodes, `b` listening on WebSockets and `a` connected to it. */
  async directPair(): Promise<{ a: MeshNode; b: MeshNode; connection: Connection }> {
    const b = await this.node({ listen: ['/ip4/127.0.0.1/tcp/0/ws'], reachableViaRelay: false })
    const a = await this.node({ reachableViaRelay: false })
    const address = b.getMultiaddrs()[0]
    if (address === undefined) throw new Error('listener has no address')
    const connection = await a.dial(address, { signal: AbortSignal.timeout(10_000) })
    return { a, b, connection }
  }

  /**
   * Opens a raw `/meshlog/1.0.0` stream on `connection` (from `a`) to `b` and
   * returns both ends, for tests that drive the link's bytes themselves.
   */
  async rawStreams(
    b: MeshNode,
    connection: Connection,
  ): Promise<{ outbound: Stream; inbound: Stream; inboundConnection: Connection }> {
    let resolveInbound: (value: { stream: Stream; connection: Connection }) => void = () => {}
    const inbound = new Promise<{ stream: Stream; connection: Connection }>((resolve) => {
      resolveInbound = resolve
    })
    await b.handle(
      MESHLOG_PROTOCOL,
      (stream, conn) => resolveInbound({ stream, connection: conn }),
      {
        runOnLimitedConnection: true,
        force: true,
      },
    )
    const outbound = await connection.newStream(MESHLOG_PROTOCOL, {
      signal: AbortSignal.timeout(10_000),
      runOnLimitedConnection: true,
    })
    const other = await inbound
    return { outbound, inbound: other.stream, inboundConnection: other.connection }
  }

  /** Stops `stop` with everything else, in reverse order of registration. */
  track(stop: () => Promise<void>): void {
    this.#stops.push(stop)
  }

  async stopAll(): Promise<void> {
    const stops = this.#stops.splice(0).reverse()
    for (const stop of stops) await stop()
  }
}
