import { Type, type Static } from '@sinclair/typebox'

/** The one box type of the system: integer pixels of the upright image, `[x1, y1, x2, y2]`. */
export const Box = Type.Tuple([Type.Integer(), Type.Integer(), Type.Integer(), Type.Integer()])
export type Box = Static<typeof Box>

export const Face = Type.Object({
  box: Box,
  score: Type.Number({ minimum: 0, maximum: 1 })
}, { additionalProperties: false })
export type Face = Static<typeof Face>

export const ImageSize = Type.Object({
  width: Type.Integer({ minimum: 1 }),
  height: Type.Integer({ minimum: 1 })
}, { additionalProperties: false })
export type ImageSize = Static<typeof ImageSize>
