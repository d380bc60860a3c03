/**
 * `meshlog-relay`: runs the relay until SIGINT/SIGTERM. Logs JSON lines on
 * stdout; the first `relay-listening` line carries the multiaddr to give
 * pages (`multiaddr`). Exit codes: 0 after a clean stop, 1 when the relay
 * could not start or a second signal cut the stop short, 2 for bad flags.
 */
import { type CliOptions, parseCli, USAGE } from './cli-options.js'
import { jsonLineLog } from './json-log.js'
import { Relay } from './relay-node.js'

export async function main(argv: readonly string[]): Promise<void> {
  let options: CliOptions | 'help'
  try {
    options = parseCli(argv)
  } catch (err) {
    console.error(`meshlog-relay: ${err instanceof Error ? err.message : String(err)}\n\n${USAGE}`)
    process.exitCode = 2
    return
  }
  if (options === 'help') {
    process.stdout.write(USAGE)
    return
  }
  const log = jsonLineLog(undefined, options.logLevel)
  // Signal handlers go in before the relay starts: a signal during startup stops it once it is up.
  let relay: Relay | undefined
  let stopRequested = false
  let signals = 0
  const stop = (): void => {
    if (relay === undefined) return
    relay.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        log('error', 'relay-stop-failed', { error: err })
        process.exit(1)
      },
    )
  }
  const onSignal = (signal: NodeJS.Signals): void => {
    signals++
    if (signals > 1) {
      log('warn', 'relay-killed', { signal })
      process.exit(1)
    }
    log('info', 'relay-signal', { signal })
    stopRequested = true
    stop()
  }
  process.on('SIGINT', onSignal)
  process.on('SIGTERM', onSignal)
  try {
    const created = await Relay.create({
      host: options.host,
      port: options.port,
      ...(options.keyFile === undefined ? {} : { keyFile: options.keyFile }),
      limits: options.limits,
      log,
    })
    await created.start()
    relay = created
  } catch (err) {
    log('error', 'relay-failed', { error: err })
    process.exit(1)
  }
  if (stopRequested) stop()
}

await main(process.argv.slice(2))
