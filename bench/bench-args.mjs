// A bench's command-line flags, parsed strictly: an unknown flag or a bad
// number stops the bench with its usage before any browser starts (a typo
// must not run a 10-minute default), and `--help` prints the usage.
import { parseArgs } from 'node:util'

/**
 * `flags` maps each flag's name (without `--`) to `{ type, help, default,
 * value, choices }`; `type` is 'count' (a positive integer), 'number'
 * (positive), 'string' (`value` names it in the usage, `choices` lists what
 * it may be) or 'boolean'. Returns the values by flag name; a flag not
 * given is its default (maybe undefined).
 */
export function benchArgs(bench, about, flags) {
  const usage = () =>
    [
      `usage: npm run ${bench} -- [flags]`,
      about,
      '',
      ...Object.entries(flags).map(([name, flag]) => {
        const value =
          flag.type === 'boolean' ? '' : ` ${flag.choices?.join('|') ?? flag.value ?? 'N'}`
        const fallback = flag.default === undefined ? '' : `; default ${flag.default}`
        return [`  --${name}${value}`.padEnd(22), flag.help, fallback].join('')
      }),
      ['  --help'.padEnd(22), 'this text'].join(''),
    ].join('\n')
  const fail = (message) => {
    console.error(`${bench}: ${message}\n\n${usage()}`)
    process.exit(2)
  }
  const options = { help: { type: 'boolean' } }
  for (const [name, flag] of Object.entries(flags))
    options[name] = { type: flag.type === 'boolean' ? 'boolean' : 'string' }
  let parsed
  try {
    parsed = parseArgs({ options, strict: true, allowPositionals: false }).values
  } catch (error) {
    fail(error.message)
  }
  if (parsed.help) {
    console.log(usage())
    process.exit(0)
  }
  const values = {}
  for (const [name, flag] of Object.entries(flags)) {
    const raw = parsed[name]
    if (flag.type === 'boolean') values[name] = raw === true
    else if (raw === undefined) values[name] = flag.default
    else if (flag.type === 'string') {
      if (flag.choices !== undefined && !flag.choices.includes(raw))
        fail(`--${name} must be one of ${flag.choices.join(', ')}, not ${JSON.stringify(raw)}`)
      values[name] = raw
    } else {
      const value = Number(raw)
      const whole = flag.type === 'count'
      if (!(Number.isFinite(value) && value > 0 && (!whole || Number.isInteger(value))))
        fail(
          `--${name} must be a positive ${whole ? 'integer' : 'number'}, not ${JSON.stringify(raw)}`,
        )
      values[name] = value
    }
  }
  return values
}

/**
 * Calls `stop` once on SIGINT or SIGTERM, then exits: a bench stopped from
 * outside leaves no relay or server behind (Playwright closes its browsers).
 */
export function stopOnSignal(stop) {
  let stopping = false
  for (const signal of ['SIGINT', 'SIGTERM']) {
    process.on(signal, () => {
      if (stopping) return
      stopping = true
      Promise.resolve()
        .then(stop)
        .catch((error) => console.error(error))
        .finally(() => process.exit(signal === 'SIGINT' ? 130 : 143))
    })
  }
}
