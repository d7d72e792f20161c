// Reading a stage's health server (FACEBLUR_*_HEALTH_PORT) from a test.

/** A stage's counter from its /metrics, for the input it consumes (`submitted`, `facesDetected`…); throws when absent. */
export async function stageCounter (port: number, name: string, consumes: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text()
  const line = new RegExp(`${name}\\{consumes="${consumes}"\\} (\\d+)`).exec(text)
  if (line === null) throw new Error(`${name} for ${consumes} is not in the metrics`)
  return Number(line[1])
}
