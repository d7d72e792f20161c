// The whole submit flow against the real Kafka and MinIO, with a stand-in for the stages
// (helpers/stage-double.ts) that answers the tasks each test asks it to.
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { uploadKey, type TaskSubmittedV1 } from '@faceblur/contracts'
import { loadState, stateKey } from '../src/state-file.js'
import { runSubmit, SubmitError } from '../src/submit.js'
import { args, DETECTION, JPEG, SENT, sorted, tree, WAIT } from './helpers/folder.js'
import { caughtUp, closeStageDouble, deps, eventsFor, finished, instrumented, plan, readersOk, store, submittedSeen } from './helpers/stage-double.js'

t.teardown(closeStageDouble)

// Every --wait run ends by leaving its consumer group, which with the real client takes up to its
// 5 s long poll: the tests run side by side (each with its own task ids and folders) to keep the
// file short.
t.jobs = 8

t.test('without --wait: uploads and produces each image once, keyed by its task id', async (t) => {
  const { root, input } = await tree()
  t.teardown(() => rm(root, { recursive: true, force: true }))
  const run = plan({ answer: false })
  const s = await runSubmit(args({ dir: input }), deps(run))
  t.equal(s.found, 6, 'six image names')
  t.equal(s.ignored, 1, 'notes.txt')
  t.equal(s.submitted, 4)
  t.equal(s.unfinished, 4)
  t.same(s.failures.map((f) => `${f.path} ${f.code}`).sort(), ['empty.png FB_ERR_UPLOAD_EMPTY', 'fake.jpg FB_ERR_IMAGE_UNSUPPORTED'])
  t.equal(run.ids.length, 4, 'a task id for each image sent, none for the two refused')

  const state = await loadState(join(input, '.faceblur-state.jsonl'))
  t.equal(state.entries.size, 4, 'the state file is in the input folder without --out')
  t.ok([...state.entries.values()].every((e) => e.status === 'SUBMITTED'))
  t.same(sorted([...state.entries.values()].map((e) => e.task_id)), sorted(run.ids), 'the state file holds this run\'s task ids')
  const produced = await eventsFor(run.ids)
  t.same(produced, { submitted: 4, status: 0 }, 'one submitted event per task and no status: producers write `submitted` only')
  for (const rel of SENT) {
    const id = state.entries.get(stateKey('detect', rel))?.task_id ?? ''
    const seen = submittedSeen.get(id) ?? []
    t.equal(seen.length, 1, `${rel}: one submitted event`)
    t.equal(seen[0]?.key, id, `${rel}: keyed by its task id`)
    const e = JSON.parse(seen[0]?.value?.toString() ?? '{}') as TaskSubmittedV1
    t.equal(e.task_id, id)
    t.equal(e.kind, 'detect')
    t.same(e.source, { bucket: store.bucket, key: uploadKey(id), content_type: rel.endsWith('.png') ? 'image/png' : 'image/jpeg', bytes: (await stat(join(input, rel))).size })
    t.notOk('options' in e)
    t.same(await store.get(uploadKey(id)), await readFile(join(input, rel)), `${rel}: its bytes are in MinIO at uploads/{task_id}`)
  }

  // Again: nothing is submitted twice; the four tasks are still in the pipeline.
  const second = plan()
  const again = await runSubmit(args({ dir: input }), deps(second))
  t.equal(again.submitted, 0)
  t.equal(again.followed, 4)
  t.equal(again.unfinished, 4)
  t.equal(second.ids.length, 0, 'no task id taken')
  t.same(await eventsFor(run.ids), produced, 'nothing produced again for the four tasks')
  await readersOk(t)
})

t.test('--wait --out: follows every task and mirrors the results; a re-run skips them all', async (t) => {
  const { root, input, out } = await tree()
  t.teardown(() => rm(root, { recursive: true, force: true }))
  const run = plan({ answer: true, failIf: 'broken' })
  const s = await runSubmit(args({ dir: input, ...WAIT, out }), deps(run))
  t.equal(s.submitted, 4)
  t.equal(s.succeeded, 3)
  t.equal(s.failed, 3, 'broken.jpg in the pipeline, empty.png and fake.jpg before it')
  t.equal(s.unfinished, 0)
  t.equal(s.stopped, undefined)
  const state = await loadState(join(out, '.faceblur-state.jsonl'))
  const brokenId = state.entries.get(stateKey('detect', 'x/y/broken.jpg'))?.task_id
  t.ok(brokenId !== undefined && run.ids.includes(brokenId), 'broken.jpg went through the pipeline under one of this run\'s ids')
  t.same(s.failures.find((f) => f.path === 'x/y/broken.jpg'), { path: 'x/y/broken.jpg', task_id: brokenId, code: 'FB_ERR_IMAGE_UNDECODABLE', message: 'truncated' })
  for (const rel of ['a.jpg', 'x/b.png', 'x/y/c.jpeg']) {
    t.same(JSON.parse(await readFile(join(out, `${rel}.json`), 'utf8')), DETECTION, rel)
    t.equal(state.entries.get(stateKey('detect', rel))?.status, 'SUCCESS', `${rel} recorded as done`)
  }
  await t.rejects(stat(join(out, 'x/y/broken.jpg.json')), { code: 'ENOENT' })
  t.equal(state.entries.get(stateKey('detect', 'x/y/broken.jpg'))?.status, 'FAILURE')
  t.equal(state.entries.get(stateKey('detect', 'x/y/broken.jpg'))?.error?.code, 'FB_ERR_IMAGE_UNDECODABLE')
  const produced = await eventsFor(run.ids)
  t.same(produced, { submitted: 4, status: 12 }, 'per task: submitted once by the CLI; PENDING, STARTED and the end by the stage')

  // The same command again.
  const second = plan({ answer: true })
  const again = await runSubmit(args({ dir: input, ...WAIT, out }), deps(second))
  t.equal(again.submitted, 0)
  t.equal(again.skipped, 4)
  t.equal(again.skippedFailed, 1)
  t.equal(again.unfinished, 0)
  t.equal(second.ids.length, 0, 'no task id taken')
  t.same(await eventsFor(run.ids), produced, 'nothing produced')
  t.ok(again.failures.some((f) => f.path === 'x/y/broken.jpg' && f.task_id === brokenId && f.earlier === true), 'the earlier failure is still reported')

  const retried = plan({ answer: true }) // this time the stage decodes it
  const retry = await runSubmit(args({ dir: input, ...WAIT, out, retryFailed: true }), deps(retried))
  t.equal(retry.submitted, 1, '--retry-failed submits the failed one again')
  t.equal(retry.succeeded, 1)
  t.equal(retry.unfinished, 0)
  t.equal(retried.ids.length, 1)
  t.not(retried.ids[0], brokenId, 'under a new task id')
  t.same(JSON.parse(await readFile(join(out, 'x/y/broken.jpg.json'), 'utf8')), DETECTION)

  // A changed file is submitted again (no --wait: its upload is what matters here).
  await writeFile(join(input, 'a.jpg'), Buffer.concat([JPEG, Buffer.from('changed')]))
  const changedRun = plan()
  const changed = await runSubmit(args({ dir: input, out }), deps(changedRun))
  t.equal(changed.submitted, 1)
  t.equal(changed.skipped, 3)
  t.equal(changedRun.ids.length, 1)
  t.same(await store.get(uploadKey(changedRun.ids[0] ?? '')), Buffer.concat([JPEG, Buffer.from('changed')]), 'the new bytes were uploaded')
  t.equal((await loadState(join(out, '.faceblur-state.jsonl'))).entries.get(stateKey('detect', 'a.jpg'))?.task_id, changedRun.ids[0])
  await readersOk(t)
})

t.test('blur: options travel in the event, blurred images land under the same names', async (t) => {
  const { root, input } = await tree()
  const out = join(input, 'blurred') // inside the input folder: never walked
  t.teardown(() => rm(root, { recursive: true, force: true }))
  const run = plan({ answer: true })
  const s = await runSubmit(args({ dir: input, kind: 'blur', ...WAIT, out, blur: { mode: 'pixelate', padding: 0.1 } }), deps(run))
  t.equal(s.submitted, 4)
  t.equal(s.succeeded, 4)
  t.equal(s.unfinished, 0)
  t.equal(run.ids.length, 4)
  await caughtUp()
  for (const id of run.ids) {
    const e = JSON.parse(submittedSeen.get(id)?.[0]?.value?.toString() ?? '{}') as TaskSubmittedV1
    t.equal(e.kind, 'blur')
    t.same(e.options, { blur: { mode: 'pixelate', padding: 0.1 } }, 'the blur options are in the event')
  }
  for (const rel of SENT) {
    // The result the stage put in MinIO, fetched from there by the CLI.
    t.same(await readFile(join(out, rel)), Buffer.concat([Buffer.from('blurred:'), await readFile(join(input, rel))]), rel)
  }
  const second = plan({ answer: true })
  const again = await runSubmit(args({ dir: input, kind: 'blur', ...WAIT, out }), deps(second))
  t.equal(again.found, 6, 'the output folder inside the input is not walked')
  t.equal(again.skipped, 4)
  t.equal(second.ids.length, 0)
  const detectRun = plan({ answer: true })
  const detect = await runSubmit(args({ dir: input, kind: 'detect', ...WAIT, out }), deps(detectRun))
  t.equal(detect.submitted, 4, 'the state is per kind')
  t.equal(detect.succeeded, 4)
  t.equal(detect.unfinished, 0)
  t.same(JSON.parse(await readFile(join(out, 'x/b.png.json'), 'utf8')), DETECTION)
  await readersOk(t)
})

t.test('tasks submitted without --wait are followed, not resubmitted, by a later --wait', async (t) => {
  const { root, input, out } = await tree()
  t.teardown(() => rm(root, { recursive: true, force: true }))
  const first = plan({ answer: true }) // answered, but nobody follows
  const s = await runSubmit(args({ dir: input, out }), deps(first))
  t.equal(s.submitted, 4)
  t.equal(s.unfinished, 4)
  // Every task is done and its statuses are on the topic before the next run starts.
  await finished(first.ids)
  const produced = await eventsFor(first.ids)
  const later = plan({ answer: true })
  const collected = await runSubmit(args({ dir: input, out, ...WAIT }), deps(later))
  t.equal(collected.submitted, 0)
  t.equal(collected.followed, 4)
  t.equal(collected.succeeded, 4)
  t.equal(collected.unfinished, 0)
  t.equal(later.ids.length, 0)
  t.same(await eventsFor(first.ids), produced, 'nothing produced')
  for (const rel of SENT) t.same(JSON.parse(await readFile(join(out, `${rel}.json`), 'utf8')), DETECTION, rel)
  await readersOk(t)
})

t.test('bounded concurrency; a storage failure stops the run, and the next run resumes', async (t) => {
  const root = await mkdtemp(join(tmpdir(), 'faceblur-cli-'))
  t.teardown(() => rm(root, { recursive: true, force: true }))
  for (let i = 0; i < 60; i++) {
    await mkdir(join(root, `d${i % 3}`), { recursive: true })
    await writeFile(join(root, `d${i % 3}`, `${i}.jpg`), Buffer.concat([JPEG, Buffer.from(String(i))]))
  }
  const counted = instrumented(store)
  const run = plan()
  const s = await runSubmit(args({ dir: root, concurrency: 5 }), deps(run, { store: counted.store }))
  t.equal(s.submitted, 60)
  t.equal(counted.puts, 60, 'every upload went through the real store')
  t.ok(counted.maxConcurrent <= 5 && counted.maxConcurrent > 1, `at most 5 uploads at once (saw ${counted.maxConcurrent})`)
  t.equal((await eventsFor(run.ids)).submitted, 60)

  const root2 = await mkdtemp(join(tmpdir(), 'faceblur-cli-'))
  t.teardown(() => rm(root2, { recursive: true, force: true }))
  for (let i = 0; i < 30; i++) await writeFile(join(root2, `${i}.jpg`), JPEG)
  const failing = instrumented(store, 10)
  const brokenRun = plan()
  const b = await runSubmit(args({ dir: root2, concurrency: 2 }), deps(brokenRun, { store: failing.store }))
  t.match(b.stopped, /object store refused an upload/)
  t.ok(b.submitted < 30 && b.submitted >= 9, `${b.submitted} submitted before it stopped`)
  t.same(b.failures.map((f) => f.code), ['FB_ERR_STORAGE_UNAVAILABLE'])
  t.equal(brokenRun.ids.length, b.submitted + 1, 'an id for each upload tried')
  t.equal((await eventsFor(brokenRun.ids)).submitted, b.submitted, 'an event for each upload that worked, none for the one that failed')
  const resumedRun = plan()
  const resumed = await runSubmit(args({ dir: root2, concurrency: 2 }), deps(resumedRun))
  t.equal(resumed.submitted + resumed.followed, 30)
  t.equal(resumed.followed, b.submitted, 'nothing submitted twice')
  t.equal(resumed.submitted, resumedRun.ids.length)
  t.equal((await eventsFor([...brokenRun.ids, ...resumedRun.ids])).submitted, 30, 'thirty submitted events over both runs')
  await readersOk(t)
})

t.test('an abort stops taking files; --timeout gives up waiting', async (t) => {
  const { root, input, out } = await tree()
  t.teardown(() => rm(root, { recursive: true, force: true }))
  const ac = new AbortController()
  ac.abort()
  const aborted = plan()
  const s = await runSubmit(args({ dir: input }), deps(aborted, { signal: ac.signal }))
  t.equal(s.stopped, 'interrupted')
  t.equal(s.submitted, 0)
  t.equal(aborted.ids.length, 0, 'nothing uploaded or produced')

  const silent = plan({ answer: false }) // the stage reads them and never answers
  const startedAt = Date.now()
  const timed = await runSubmit(args({ dir: input, wait: true, out, timeoutS: 1 }), deps(silent))
  t.match(timed.stopped, /--timeout 1 s/)
  t.equal(timed.submitted, 4)
  t.equal(timed.unfinished, 4)
  t.ok(Date.now() - startedAt >= 1000, 'it waited the second')
  t.same(await eventsFor(silent.ids), { submitted: 4, status: 0 }, 'the tasks really are unanswered')
  await readersOk(t)
})

t.test('refuses a missing folder, or --out equal to the input', async (t) => {
  const root = await mkdtemp(join(tmpdir(), 'faceblur-cli-'))
  t.teardown(() => rm(root, { recursive: true, force: true }))
  await writeFile(join(root, 'a.jpg'), JPEG)
  const run = plan()
  await t.rejects(runSubmit(args({ dir: join(root, 'nope') }), deps(run)), SubmitError)
  await t.rejects(runSubmit(args({ dir: root, out: root, wait: true }), deps(run)), /must not be the input folder/)
  t.equal(run.ids.length, 0, 'nothing uploaded or produced')
  await readersOk(t)
})
