import { fc, test } from '@fast-check/vitest'
import { expect } from 'vitest'
import { SendLedger } from '../src/send-ledger.js'

/**
 * A model of a connection's outbound stream: sends of random sizes; the transport confirms whole batches of them
 * (bytesSent), one batch may be under way, the rest waits in the queue (droppedBytes when the connection ends).
 * The ledger must name exactly the waiting sends as unsent and the sends of the batch under way as unconfirmed.
 */
test.prop([
  fc.array(fc.integer({ min: 0, max: 5_000 }), { maxLength: 300 }),
  fc.array(fc.nat(), { maxLength: 40 }),
  fc.nat(),
  fc.nat(),
])(
  'names the waiting sends unsent and those under way unconfirmed, for any sizes and batches',
  (sizes, batchCuts, inFlightCut, checkpoints) => {
    const ledger = new SendLedger()
    const sends = sizes.filter((size) => size > 0) // an empty send carries nothing
    // Sends are confirmed in batches of whole sends, in order: confirmed = sends[0, confirmedCount).
    const cuts = [...new Set(batchCuts.map((cut) => cut % (sends.length + 1)))].sort((a, b) => a - b)
    const confirmedCount = cuts.at(-1) ?? 0
    const inFlightCount =
      confirmedCount + (sends.length === confirmedCount ? 0 : inFlightCut % (sends.length - confirmedCount + 1))
    const ends: number[] = []
    let end = 0
    for (const size of sends) {
      end += size
      ends.push(end)
    }
    const confirmedAt = (count: number) => (count === 0 ? 0 : (ends[count - 1] as number))
    // Record every send; confirmations advance as in a session (bytesSent grows batch by batch, between sends).
    let cut = 0
    for (let index = 0; index < sizes.length; index += 1) {
      const sendIndex = sizes.slice(0, index).filter((size) => size > 0).length
      while (cut < cuts.length && (cuts[cut] as number) <= sendIndex - (checkpoints % 3)) cut += 1
      const written = confirmedAt(Math.min(cut === 0 ? 0 : (cuts[cut - 1] as number), sendIndex))
      ledger.record(sizes[index] as number, written)
    }
    const written = confirmedAt(confirmedCount)
    const dropped = end - confirmedAt(inFlightCount)
    const report = ledger.report(written, dropped)
    expect(ledger.acceptedBytes).toBe(end)
    expect(report.unsent).toEqual({ messages: sends.length - inFlightCount, bytes: dropped })
    expect(report.unconfirmed).toEqual({
      messages: inFlightCount - confirmedCount,
      bytes: confirmedAt(inFlightCount) - written,
    })
  },
)
