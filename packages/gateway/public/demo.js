// The demo page: upload, follow the task over the WebSocket, show before and after.
const $ = (id) => document.getElementById(id)
const form = $('upload')
const drop = $('drop')
const fileInput = $('file')

drop.addEventListener('dragover', (e) => { e.preventDefault(); drop.classList.add('over') })
drop.addEventListener('dragleave', () => drop.classList.remove('over'))
drop.addEventListener('drop', (e) => {
  e.preventDefault()
  drop.classList.remove('over')
  if (e.dataTransfer.files.length > 0) fileInput.files = e.dataTransfer.files
})
form.addEventListener('change', () => { $('blur-options').disabled = form.kind.value === 'detect' })

const ROUTES = { blur: 'blur_faces', detect: 'detect_faces', video: 'blur_video' }

// The blur modes and shapes, from the API's own description (built from the contracts), first the default.
async function fillBlurOptions () {
  const spec = await (await fetch('/docs/json')).json()
  for (const param of spec.paths['/blur_faces'].post.parameters) {
    const select = form.elements[param.name]
    if (param.in !== 'query' || !(select instanceof HTMLSelectElement)) continue
    const values = param.schema.anyOf.flatMap((choice) => choice.enum)
    select.replaceChildren(...values.map((value) => new Option(value[0].toUpperCase() + value.slice(1), value)))
  }
}
const blurOptions = fillBlurOptions().catch((err) => fail(`Could not read the API's blur options: ${err.message}`))

function say (text) {
  const li = document.createElement('li')
  li.textContent = text
  $('status').append(li)
}
function fail (text) {
  $('error').textContent = text
  $('error').hidden = false
  $('go').disabled = false
}

form.addEventListener('submit', async (e) => {
  e.preventDefault()
  const file = fileInput.files[0]
  if (!file) return fail('Choose an image first.')
  $('error').hidden = true
  $('status').replaceChildren()
  $('results').hidden = true
  $('progress-line').hidden = true
  $('go').disabled = true
  const kind = form.kind.value
  const key = form.key.value.trim()
  const headers = key ? { 'x-api-key': key } : {}
  if (kind !== 'detect') await blurOptions
  const query = kind === 'detect' ? '' : `?mode=${form.mode.value}&shape=${form.shape.value}`
  const body = new FormData()
  body.append('file', file)
  say(`uploading ${file.name} (${Math.round(file.size / 1024)} KiB)`)
  const res = await fetch(`/${ROUTES[kind]}${query}`, { method: 'POST', body, headers })
  const answer = await res.json()
  if (!res.ok) return fail(`${answer.error.code}: ${answer.error.message}`)
  say(`task ${answer.task_id}`)
  follow(answer.task_id, kind, file, key, headers)
})

function follow (taskId, kind, file, key, headers) {
  const scheme = location.protocol === 'https:' ? 'wss' : 'ws'
  const ws = new WebSocket(`${scheme}://${location.host}/ws${key ? `?api_key=${encodeURIComponent(key)}` : ''}`)
  ws.onopen = () => ws.send(JSON.stringify({ subscribe: [taskId] }))
  ws.onerror = () => fail('The live status connection failed.')
  ws.onmessage = async (event) => {
    const m = JSON.parse(event.data)
    if (m.type === 'error') { ws.close(); return fail(`${m.error.code}: ${m.error.message}`) }
    if (m.progress) progress(m.progress)
    // A video's progress repeats STARTED: one line per state and stage, the bar for the frames.
    const line = `${m.status} (${m.stage})`
    if ($('status').lastElementChild?.textContent !== line) say(line)
    if (m.status === 'FAILURE') { ws.close(); return fail(`${m.error.code}: ${m.error.message}`) }
    if (m.status !== 'SUCCESS') return
    ws.close()
    await show(taskId, kind, file, m, headers)
    $('go').disabled = false
  }
}

function progress ({ frames_done: done, frames_total: total }) {
  $('progress-line').hidden = false
  $('progress').max = Math.max(1, total)
  $('progress').value = done
  $('progress-text').textContent = `${done} / ${total}`
}

/** A video: the upload and the result side by side, both playable (the result is fetched by range as it plays). */
async function showVideo (taskId, file, message, headers) {
  for (const id of ['before', 'boxes', 'after']) $(id).hidden = true
  const before = $('before-video')
  before.hidden = false
  before.src = URL.createObjectURL(file)
  const after = $('after-video')
  after.hidden = false
  // A <video> cannot send an API key header: with a key the result is fetched whole first.
  after.src = headers['x-api-key'] ? URL.createObjectURL(await (await fetch(message.result_url, { headers })).blob()) : message.result_url
  progress({ frames_done: message.result.frames, frames_total: message.result.frames })
  const faces = message.result.faces
  $('before-caption').textContent = `Before: ${message.result.frames} frames, ${message.result.duration_s} s`
  $('after-caption').textContent = `After: faces blurred in ${faces.frames_with_faces} frames (at most ${faces.max_in_a_frame} in one)`
  $('after-figure').hidden = false
  const download = $('download')
  download.href = after.src
  download.download = `blurred-${file.name.replace(/\.[^.]*$/, '')}.mp4`
  $('results').hidden = false
}

async function show (taskId, kind, file, message, headers) {
  if (kind === 'video') return await showVideo(taskId, file, message, headers)
  for (const id of ['before', 'boxes', 'after']) $(id).hidden = false
  for (const id of ['before-video', 'after-video']) $(id).hidden = true
  $('after-caption').textContent = 'After'
  const before = $('before')
  before.src = URL.createObjectURL(file)
  await before.decode()
  const svg = $('boxes')
  svg.setAttribute('viewBox', `0 0 ${before.naturalWidth} ${before.naturalHeight}`)
  svg.replaceChildren()
  const download = $('download')
  if (kind === 'detect') {
    const faces = Object.values(message.result)
    for (const { facial_area: [x1, y1, x2, y2] } of faces) {
      const rect = document.createElementNS('http://www.w3.org/2000/svg', 'rect')
      Object.entries({ x: x1, y: y1, width: x2 - x1, height: y2 - y1 }).forEach(([k, v]) => rect.setAttribute(k, v))
      svg.append(rect)
    }
    $('before-caption').textContent = `${faces.length} face${faces.length === 1 ? '' : 's'} found`
    $('after-figure').hidden = true
    download.href = URL.createObjectURL(new Blob([JSON.stringify(message.result, null, 2)], { type: 'application/json' }))
    download.download = `${taskId}.json`
  } else {
    const res = await fetch(message.result_url, { headers })
    const blob = await res.blob()
    const after = $('after')
    after.src = URL.createObjectURL(blob)
    await after.decode()
    $('before-caption').textContent = 'Before'
    $('after-figure').hidden = false
    download.href = after.src
    download.download = `blurred-${file.name}`
  }
  $('results').hidden = false
}
