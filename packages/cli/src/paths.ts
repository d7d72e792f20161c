// Which files are images, what they are, and where their results go. Pure: no I/O.
import { extname, posix, sep } from 'node:path'
import { IMAGE_FORMATS, type TaskKind } from '@faceblur/contracts'

const EXTENSIONS = new Map<string, readonly string[]>(Object.values(IMAGE_FORMATS).map((f) => [f.contentType, f.extensions]))
const BY_EXTENSION = new Map<string, string>(Object.values(IMAGE_FORMATS).flatMap((f) => f.extensions.map((e) => [e, f.contentType] as const)))

/** True for the extensions of the formats the pipeline takes (case does not matter). */
export const isImagePath = (name: string): boolean => BY_EXTENSION.has(extname(name).toLowerCase())

export const contentTypeFromExtension = (name: string): string | undefined => BY_EXTENSION.get(extname(name).toLowerCase())

/** A path relative to the input folder, with `/` whatever the platform: the state file's key. */
export const toPortable = (relative: string): string => relative.split(sep).join(posix.sep)

/**
 * Where a file's result goes, relative to the output folder: the same relative path, so the
 * output mirrors the input tree. A detection is `<name>.json` beside where the image would be
 * (`a/b.jpg` → `a/b.jpg.json`, so `b.jpg` and `b.png` never collide); a blurred image keeps its
 * name unless the blurrer wrote another format than its extension says (then the extension
 * follows the content).
 */
export function outputRelativePath (relative: string, kind: TaskKind, contentType?: string): string {
  if (kind === 'detect') return `${relative}.json`
  const exts = contentType === undefined ? undefined : EXTENSIONS.get(contentType)
  const ext = extname(relative)
  if (exts === undefined || exts.includes(ext.toLowerCase())) return relative
  return `${relative.slice(0, relative.length - ext.length)}${exts[0]!}`
}
