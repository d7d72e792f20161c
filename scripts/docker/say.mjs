/** The Docker scripts' progress lines. */
export const say = (msg) => process.stdout.write(`[docker] ${msg}\n`)
