// Walks a folder tree lazily: one directory handle open at a time, files yielded as they are read,
// so a tree of any size costs the memory of the folders still to visit, not of its files.
import { opendir, stat } from 'node:fs/promises'
import { join, relative, resolve } from 'node:path'
import { toPortable } from './paths.js'

export interface WalkedFile {
  /** Absolute path. */
  path: string
  /** Relative to the root, `/`-separated. */
  relative: string
}

export interface WalkOptions {
  /** Folders not to enter (absolute), such as an output folder inside the input folder. */
  exclude?: readonly string[]
  /** A folder below the root that cannot be read: told here and skipped (the root's errors throw). */
  onError?: (path: string, err: NodeJS.ErrnoException) => void
}

/**
 * Every regular file under `root`, depth first. Symbolic links to files are followed; links to
 * folders are not (no cycles). Files vanishing during the walk are simply not yielded.
 */
export async function * walkFiles (root: string, { exclude = [], onError }: WalkOptions = {}): AsyncGenerator<WalkedFile> {
  const base = resolve(root)
  const skip = new Set(exclude.map((p) => resolve(p)))
  const stack: string[] = [base]
  while (stack.length > 0) {
    const dir = stack.pop()!
    let handle
    try {
      handle = await opendir(dir)
    } catch (err) {
      // A folder removed meanwhile is fine, an unreadable one is reported; an unreadable root throws.
      if (dir === base) throw err
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') onError?.(dir, err as NodeJS.ErrnoException)
      continue
    }
    const subdirs: string[] = []
    for await (const entry of handle) {
      const path = join(dir, entry.name)
      if (entry.isDirectory()) {
        if (!skip.has(path)) subdirs.push(path)
      } else if (entry.isFile()) {
        yield { path, relative: toPortable(relative(base, path)) }
      } else if (entry.isSymbolicLink()) {
        const target = await stat(path).catch(() => undefined)
        if (target?.isFile() === true) yield { path, relative: toPortable(relative(base, path)) }
      }
    }
    // Reverse, so the first subfolder read is the first visited.
    for (let i = subdirs.length - 1; i >= 0; i--) stack.push(subdirs[i]!)
  }
}
