/** The libp2p node both factories return (browser and edge). */
import type { Identify } from '@libp2p/identify'
import type { Libp2p } from '@libp2p/interface'

export type MeshNode = Libp2p<{ identify: Identify }>
