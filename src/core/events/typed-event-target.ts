/**
 * An EventTarget whose event names and `detail` types are checked:
 * `TypedEventTarget<{ 'leader-changed': { leader: PeerId } }>`. One
 * CustomEvent name per fact.
 */
export class TypedEventTarget<Events extends object> extends EventTarget {
  emit<K extends keyof Events & string>(type: K, detail: Events[K]): boolean {
    return this.dispatchEvent(new CustomEvent(type, { detail }))
  }

  on<K extends keyof Events & string>(
    type: K,
    listener: (event: CustomEvent<Events[K]>) => void,
    options?: AddEventListenerOptions,
  ): () => void {
    const wrapped = listener as EventListener
    this.addEventListener(type, wrapped, options)
    return () => this.removeEventListener(type, wrapped, options)
  }
}
