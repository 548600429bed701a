/**
 * A small, strict parser of the Prometheus text exposition format (version 0.0.4), written for the tests so that
 * they check what a Prometheus server would read, not what prom-client thinks it wrote. Any line it does not
 * understand, a sample before its family's `# TYPE`, a sample name that does not belong to its family, or the same
 * series twice is an error.
 */

export type MetricType = 'counter' | 'gauge' | 'histogram' | 'summary' | 'untyped'

export interface MetricSample {
  /** The sample's own name (`x_bucket`, `x_sum`, `x_count` for a histogram family `x`). */
  readonly name: string
  readonly labels: Readonly<Record<string, string>>
  readonly value: number
}

export interface MetricFamily {
  readonly name: string
  readonly type: MetricType
  readonly help: string
  readonly samples: MetricSample[]
}

const namePattern = '[a-zA-Z_:][a-zA-Z0-9_:]*'
const helpLine = new RegExp(`^# HELP (${namePattern}) (.*)$`)
const typeLine = new RegExp(`^# TYPE (${namePattern}) (counter|gauge|histogram|summary|untyped)$`)
const sampleLine = new RegExp(`^(${namePattern})(\\{.*\\})? (\\S+)( -?\\d+)?$`)
const labelPattern = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"(,|$)/y

function parseValue(text: string, line: string): number {
  if (text === '+Inf') return Number.POSITIVE_INFINITY
  if (text === '-Inf') return Number.NEGATIVE_INFINITY
  if (text === 'NaN') return Number.NaN
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(text)) throw new Error(`bad value in: ${line}`)
  return Number(text)
}

function parseLabels(text: string | undefined, line: string): Record<string, string> {
  const labels: Record<string, string> = {}
  if (text === undefined) return labels
  const body = text.slice(1, -1)
  labelPattern.lastIndex = 0
  while (labelPattern.lastIndex < body.length) {
    const start = labelPattern.lastIndex
    const match = labelPattern.exec(body)
    if (match === null || match.index !== start) throw new Error(`bad labels in: ${line}`)
    const [, name, raw] = match as unknown as [string, string, string]
    if (name in labels) throw new Error(`label ${name} twice in: ${line}`)
    labels[name] = raw.replace(/\\(.)/g, (_, escaped: string) => {
      if (escaped === 'n') return '\n'
      if (escaped === '\\' || escaped === '"') return escaped
      throw new Error(`bad escape \\${escaped} in: ${line}`)
    })
  }
  return labels
}

function belongs(sample: string, family: MetricFamily): boolean {
  if (family.type === 'histogram')
    return [`${family.name}_bucket`, `${family.name}_sum`, `${family.name}_count`].includes(sample)
  if (family.type === 'summary') return [family.name, `${family.name}_sum`, `${family.name}_count`].includes(sample)
  return sample === family.name
}

/** Parse an exposition; returns the families by name. */
export function parseExposition(text: string): Map<string, MetricFamily> {
  const families = new Map<string, MetricFamily>()
  const helps = new Map<string, string>()
  const series = new Set<string>()
  let current: MetricFamily | undefined
  if (!text.endsWith('\n')) throw new Error('the exposition does not end with a line feed')
  for (const line of text.slice(0, -1).split('\n')) {
    if (line === '') continue
    const help = helpLine.exec(line)
    if (help !== null) {
      helps.set(help[1] as string, help[2] as string)
      continue
    }
    const type = typeLine.exec(line)
    if (type !== null) {
      const name = type[1] as string
      if (families.has(name)) throw new Error(`# TYPE ${name} twice`)
      current = { name, type: type[2] as MetricType, help: helps.get(name) ?? '', samples: [] }
      families.set(name, current)
      continue
    }
    if (line.startsWith('#')) throw new Error(`unknown comment line: ${line}`)
    const sample = sampleLine.exec(line)
    if (sample === null) throw new Error(`not a sample line: ${line}`)
    const name = sample[1] as string
    if (current === undefined || !belongs(name, current)) throw new Error(`sample ${name} outside its family: ${line}`)
    const labels = parseLabels(sample[2], line)
    const key = `${name}${JSON.stringify(Object.entries(labels).sort())}`
    if (series.has(key)) throw new Error(`series twice: ${line}`)
    series.add(key)
    current.samples.push({ name, labels, value: parseValue(sample[3] as string, line) })
  }
  return families
}

/** The family `name`; throws when it is missing or not of `type`. */
export function metricFamily(families: Map<string, MetricFamily>, name: string, type: MetricType): MetricFamily {
  const found = families.get(name)
  if (found === undefined) throw new Error(`no metric ${name}`)
  if (found.type !== type) throw new Error(`${name} is a ${found.type}, not a ${type}`)
  return found
}

/** The value of the one sample of `family` named `sample` (default: the family's name) with exactly `labels`. */
export function sampleValue(
  found: MetricFamily,
  labels: Record<string, string> = {},
  sample = found.name,
): number | undefined {
  const wanted = JSON.stringify(Object.entries(labels).sort())
  const match = found.samples.find(
    (candidate) => candidate.name === sample && JSON.stringify(Object.entries(candidate.labels).sort()) === wanted,
  )
  return match?.value
}
