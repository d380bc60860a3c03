/**
 * Runs one rotation machine (coordinator or participant): feeds it inputs,
 * carries out its actions (sends through the transport, a timer for its
 * next wake-up) and feeds back how each send went, until the machine
 * commits or aborts; then `onEnd` runs once and later inputs are ignored.
 * The machine decides everything; the driver only moves frames and time.
 */
import type { PeerId } from '../../log/ids.js'
import type { SinkResult } from '../../node/frame-sink.js'
import type { Cancel, Clock } from '../../time/clock.js'
import type { EpochWireFrame } from '../../wire/sync-frame-codec.js'
import {
  type CoordinatorInput,
  type CoordinatorState,
  type Step,
  stepCoordinator,
} from './coordinator-machine.js'
import type { EpochRotationError } from './epoch-errors.js'
import {
  type ParticipantInput,
  type ParticipantState,
  stepParticipant,
} from './participant-machine.js'

export type SendOutcome = SinkResult | { readonly encodeFailed: unknown }

export interface MachineDriverOptions<S, I> {
  readonly clock: Clock
  readonly step: (state: S, input: I) => Step<S>
  readonly send: (to: PeerId, frame: EpochWireFrame) => SendOutcome
  /** The input telling the machine how a send went. */
  readonly sendResult: (to: PeerId, frame: EpochWireFrame, outcome: SendOutcome) => I
  readonly tick: (now: number) => I
  /** Called once, with the error when the machine aborted. */
  readonly onEnd: (state: S, error: EpochRotationError | undefined) => void
}

export class MachineDriver<S, I> {
  #state: S
  readonly #options: MachineDriverOptions<S, I>
  #cancelTimer: Cancel | undefined
  #ended = false

  constructor(initial: S, options: MachineDriverOptions<S, I>) {
    this.#state = initial
    this.#options = options
  }

  get state(): S {
    return this.#state
  }

  get ended(): boolean {
    return this.#ended
  }

  feed(first: I): void {
    const inputs: I[] = [first]
    for (let input = inputs.shift(); input !== undefined; input = inputs.shift()) {
      const step = this.#options.step(this.#state, input)
      this.#state = step.state
      for (const action of step.actions) {
        switch (action.type) {
          case 'send': {
            const outcome = this.#options.send(action.to, action.frame)
            inputs.push(this.#options.sendResult(action.to, action.frame, outcome))
            break
          }
          case 'wake':
            this.#arm(action.at)
            break
          case 'commit':
            this.#end(undefined)
            break
          case 'abort':
            this.#end(action.error)
            break
        }
      }
    }
  }

  #arm(at: number): void {
    if (this.#ended) return
    this.#cancelTimer?.()
    const { clock } = this.#options
    this.#cancelTimer = clock.setTimer(at - clock.now(), () => {
      this.#cancelTimer = undefined
      this.feed(this.#options.tick(clock.now()))
    })
  }

  #end(error: EpochRotationError | undefined): void {
    if (this.#ended) return
    this.#ended = true
    this.#cancelTimer?.()
    this.#cancelTimer = undefined
    this.#options.onEnd(this.#state, error)
  }
}

type DriverWiring<S> = Pick<MachineDriverOptions<S, unknown>, 'clock' | 'send' | 'onEnd'>

export function coordinatorDriver(
  state: CoordinatorState,
  wiring: DriverWiring<CoordinatorState>,
): MachineDriver<CoordinatorState, CoordinatorInput> {
  return new MachineDriver(state, {
    ...wiring,
    step: stepCoordinator,
    sendResult: (to, frame, outcome): CoordinatorInput =>
      outcome === 'queued'
        ? { type: 'sent', to }
        : typeof outcome === 'object'
          ? { type: 'encode-failed', what: frame.kind, cause: outcome.encodeFailed }
          : { type: 'send-failed', to },
    tick: (now) => ({ type: 'tick', now }),
  })
}

export function participantDriver(
  state: ParticipantState,
  wiring: DriverWiring<ParticipantState>,
): MachineDriver<ParticipantState, ParticipantInput> {
  return new MachineDriver(state, {
    ...wiring,
    step: stepParticipant,
    sendResult: (_to, frame, outcome): ParticipantInput =>
      outcome === 'queued'
        ? { type: 'sent' }
        : typeof outcome === 'object'
          ? { type: 'encode-failed', what: frame.kind, cause: outcome.encodeFailed }
          : { type: 'send-failed' },
    tick: (now) => ({ type: 'tick', now }),
  })
}
