/**
 * Draws the mesh as this peer sees it: itself in the middle, every room
 * member (and same-browser tab) on a circle around it, one line per link
 * styled by kind (solid: direct WebRTC, dashed: relayed, dotted: tab).
 */
const SVG = 'http://www.w3.org/2000/svg'
const RADIUS = 90

export interface GraphPeer {
  readonly peer: string
  readonly kind: string | undefined
  readonly member: boolean
}

function node(tag: string, attrs: Record<string, string | number>): SVGElement {
  const element = document.createElementNS(SVG, tag)
  for (const [name, value] of Object.entries(attrs)) element.setAttribute(name, String(value))
  return element
}

function short(peer: string): string {
  return peer.length > 10 ? `…${peer.slice(-6)}` : peer
}

export function drawMeshGraph(svg: SVGSVGElement, self: string, peers: readonly GraphPeer[]): void {
  const children: SVGElement[] = []
  const placed = peers.map((p, i) => {
    const angle = (2 * Math.PI * i) / Math.max(1, peers.length) - Math.PI / 2
    return { ...p, x: RADIUS * Math.cos(angle), y: RADIUS * 0.9 * Math.sin(angle) }
  })
  for (const p of placed) {
    if (p.kind === undefined) continue
    const line = node('line', { x1: 0, y1: 0, x2: p.x, y2: p.y, class: p.kind })
    line.dataset.peer = p.peer
    line.dataset.kind = p.kind
    children.push(line)
  }
  children.push(node('circle', { cx: 0, cy: 0, r: 14, class: 'self' }))
  const me = node('text', { x: 0, y: 26 })
  me.textContent = `${short(self)} (me)`
  children.push(me)
  for (const p of placed) {
    const circle = node('circle', { cx: p.x, cy: p.y, r: 11, class: p.member ? '' : 'offline' })
    circle.dataset.peer = p.peer
    const label = node('text', { x: p.x, y: p.y + 22 })
    label.textContent = short(p.peer)
    children.push(circle, label)
  }
  svg.replaceChildren(...children)
}
