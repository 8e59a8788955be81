// Differential-test driver (our own code): reads JSON lines of simulation requests on stdin
// and prints one line per request with iam-simulate's overall result. iam-simulate
// (@cloud-copilot/iam-simulate, AGPL-3.0) is installed at test time next to this script and
// only ever run as this separate process; none of its code or tests is part of iamd.
import { runSimulation } from '@cloud-copilot/iam-simulate'
import { createInterface } from 'node:readline'

const rl = createInterface({ input: process.stdin, crlfDelay: Infinity })
for await (const line of rl) {
  if (!line.trim()) continue
  try {
    const r = await runSimulation(JSON.parse(line), {})
    if (r.resultType === 'error') {
      console.log(JSON.stringify({ error: JSON.stringify(r.errors ?? r).slice(0, 300) }))
    } else {
      console.log(JSON.stringify({ result: r.overallResult }))
    }
  } catch (e) {
    console.log(JSON.stringify({ error: String(e).slice(0, 300) }))
  }
}
