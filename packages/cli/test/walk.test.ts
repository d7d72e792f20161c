import { chmod, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { walkFiles } from '../src/walk.js'

t.test('every file under the root, lazily, outputs excluded, links to folders not followed', async (t) => {
  const root = await mkdtemp(join(tmpdir(), 'faceblur-walk-'))
  t.teardown(() => rm(root, { recursive: true, force: true }))
  for (const d of ['a/b/c', 'a/empty', 'out/x', 'z']) await mkdir(join(root, d), { recursive: true })
  for (const f of ['top.jpg', 'a/one.png', 'a/b/two.jpg', 'a/b/c/three.jpeg', 'a/b/notes.txt', 'out/x/result.jpg', 'z/last.webp']) await writeFile(join(root, f), 'x')
  await symlink(join(root, 'a'), join(root, 'loop'))
  await symlink(join(root, 'top.jpg'), join(root, 'a', 'linked.jpg'))
  await symlink(join(root, 'missing.jpg'), join(root, 'a', 'dangling.jpg'))

  const seen: string[] = []
  for await (const f of walkFiles(root, { exclude: [join(root, 'out')] })) {
    t.equal(f.path, join(root, f.relative))
    seen.push(f.relative)
  }
  t.same(seen.sort(), ['a/b/c/three.jpeg', 'a/b/notes.txt', 'a/b/two.jpg', 'a/linked.jpg', 'a/one.png', 'top.jpg', 'z/last.webp'])
})

t.test('the root must be readable; an unreadable folder below is reported and skipped', async (t) => {
  await t.rejects(async () => { for await (const _ of walkFiles('/nonexistent/faceblur')) void _ }, { code: 'ENOENT' })
  if (process.getuid?.() === 0) { t.comment('skipped the unreadable-folder case: root reads every folder'); return }
  const root = await mkdtemp(join(tmpdir(), 'faceblur-walk-'))
  t.teardown(async () => { await chmod(join(root, 'locked'), 0o755); await rm(root, { recursive: true, force: true }) })
  await mkdir(join(root, 'locked'))
  await writeFile(join(root, 'ok.jpg'), 'x')
  await chmod(join(root, 'locked'), 0)
  const errors: string[] = []
  const seen: string[] = []
  for await (const f of walkFiles(root, { onError: (p, err) => errors.push(`${p} ${err.code}`) })) seen.push(f.relative)
  t.same(seen, ['ok.jpg'])
  t.same(errors, [`${join(root, 'locked')} EACCES`])
})

t.test('10,000 files: the walk holds no list of them', async (t) => {
  const root = await mkdtemp(join(tmpdir(), 'faceblur-walk-'))
  t.teardown(() => rm(root, { recursive: true, force: true }))
  for (let d = 0; d < 20; d++) {
    await mkdir(join(root, `d${d}`))
    await Promise.all(Array.from({ length: 500 }, (_, i) => writeFile(join(root, `d${d}`, `${i}.png`), '')))
  }
  let n = 0
  const first = walkFiles(root)
  const one = await first.next()
  t.equal(one.done, false, 'the first file comes before the tree is read')
  await first.return(undefined)
  for await (const _ of walkFiles(root)) { void _; n++ }
  t.equal(n, 10_000)
})
