import t from 'tap'
import { checkLayout } from '../src/onnx-session.js'

const tensor = (name: string, shape: Array<number | string>) => ({ name, isTensor: true as const, type: 'float32' as const, shape })
const session = (inputs: ReturnType<typeof tensor>[], outputs: ReturnType<typeof tensor>[]) =>
  ({ inputNames: inputs.map((i) => i.name), outputNames: outputs.map((o) => o.name), inputMetadata: inputs, outputMetadata: outputs }) as never

t.test('the usual YOLOv8 export is accepted, with or without landmark channels', async (t) => {
  t.match(checkLayout(session([tensor('images', [1, 3, 640, 640])], [tensor('output0', [1, 5, 8400])])), { input: 'images', output: 'output0', size: 640, dims: [1, 5, 8400] })
  t.match(checkLayout(session([tensor('images', [1, 3, 640, 640])], [tensor('output0', [1, 20, 8400])])), { dims: [1, 20, 8400] }, '4 + 1 + 15 landmarks')
})

t.test('other layouts are refused at start-up with a message that says what the model has', async (t) => {
  const threeHeads = session([tensor('images', [1, 3, 640, 640])], [tensor('a', [1, 80, 80, 80]), tensor('b', [1, 80, 40, 40]), tensor('c', [1, 80, 20, 20])])
  t.throws(() => checkLayout(threeHeads), /unsupported model layout.*expected one input \[1,3,S,S\]/)
  t.throws(() => checkLayout(session([tensor('images', [1, 3, 640, 480])], [tensor('output0', [1, 5, 6300])])), /unsupported model layout/, 'non-square input')
  t.throws(() => checkLayout(session([tensor('images', [1, 3, 640, 640])], [tensor('output0', [1, 4, 8400])])), /unsupported model layout/, 'no score channel')
})
