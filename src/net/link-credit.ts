/**
 * Credit-based flow control for a link, both halves, without I/O.
 *
 * Each side grants the other a window of frame bytes up front and grants
 * more as its reader consumes frames. A frame costs `byteLength + 1` (so
 * empty frames are not free). The sender may send when its credit is at
 * least `min(cost, window)`: a frame larger than the whole window goes
 * alone, once everything before it was consumed. The receiver checks the
 * same rule against what it granted, so a peer that ignores it is caught.
 */

/** The receiving half: what we granted, what arrived, what is owed back. */
export class ReceiveCredit {
  readonly window: number
  #granted = 0
  #received = 0
  #pending = 0

  constructor(window: number) {
    this.window = window
  }

  /** The first grant: the whole window. */
  initialGrant(): number {
    this.#granted += this.window
    return this.window
  }

  /** Accounts for an arriving frame; false if the peer sent past its credit. */
  accept(cost: number): boolean {
    if (this.#received + Math.min(cost, this.window) > this.#granted) return false
    this.#received += cost
    return true
  }

  /** The reader took a frame: its cost is owed back to the sender. */
  consumed(cost: number): void {
    this.#pending += cost
  }

  /** Owed credit is worth a message right away (a quarter window). */
  get shouldGrantNow(): boolean {
    return this.#pending >= this.window / 4
  }

  get pending(): number {
    return this.#pending
  }

  /** Takes everything owed, to send as one CREDIT. */
  takePending(): number {
    const bytes = this.#pending
    this.#pending = 0
    this.#granted += bytes
    return bytes
  }
}

/** The sending half: the peer's window (from its first grant) and our credit. */
export class SendCredit {
  #peerWindow: number | undefined
  #credit = 0

  /** False if the peer granted more than its own window allows. */
  grant(bytes: number): boolean {
    if (this.#peerWindow === undefined) {
      this.#peerWindow = bytes
      this.#credit = bytes
      return true
    }
    this.#credit += bytes
    return this.#credit <= this.#peerWindow
  }

  /** Known once the peer's first grant arrived. */
  get peerWindow(): number | undefined {
    return this.#peerWindow
  }

  canSend(cost: number): boolean {
    return this.#peerWindow !== undefined && this.#credit >= Math.min(cost, this.#peerWindow)
  }

  spend(cost: number): void {
    this.#credit -= cost
  }
}
