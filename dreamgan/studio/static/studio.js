// dreamgan studio: a small hand-written page over the studio's JSON API (see dreamgan/studio/app.py).
"use strict";

const $ = (id) => document.getElementById(id);
const POLL_MS = 200;
const NUMBER_FIELDS = ["octaves", "octave_scale", "steps", "step_size", "jitter", "seed", "max_side", "top_k"];

const state = {
  info: null,
  backbone: null,      // /api/backbones/{name}
  image: null,         // the current photo: {id, width, height, source, url}
  guide: null,         // the guide image, same shape
  job: null,           // the job being watched
  shown: null,         // the finished job in the viewer
  previewVersion: -1,
  latest: {},          // image id -> {classical: job, fast: job}
};

// -- errors -----------------------------------------------------------------------------------
function showError(message) {
  $("error-text").textContent = message;
  $("error").hidden = false;
}
function clearError() { $("error").hidden = true; }

async function api(method, url, body, raw) {
  const options = { method, headers: {} };
  if (raw !== undefined) {
    options.body = raw;
    options.headers["Content-Type"] = "application/octet-stream";
  } else if (body !== undefined) {
    options.body = JSON.stringify(body);
    options.headers["Content-Type"] = "application/json";
  }
  let response;
  try {
    response = await fetch(url, options);
  } catch (e) {
    throw new Error("the studio server is not answering (is `dreamgan serve` still running?)");
  }
  const data = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(data.error || `${response.status} ${response.statusText}`);
  return data;
}

// -- start ------------------------------------------------------------------------------------
async function init() {
  try {
    state.info = await api("GET", "/api/info");
  } catch (e) { showError(e.message); return; }
  const info = state.info;
  $("version").textContent = `v${info.version}`;
  for (const name of info.photos) $("sample").add(new Option(name, name));
  for (const b of info.backbones) {
    const option = new Option(b.available ? b.name : `${b.name} (weights missing)`, b.name);
    option.disabled = !b.available;
    option.title = b.available ? b.description : b.detail;
    $("backbone").add(option);
  }
  $("backbone").value = info.default_backbone;
  for (const field of [...NUMBER_FIELDS, "top_k_mode"]) setLimits(field, info.dream[field]);
  setLimits("refine", info.fast.refine);
  for (const field of ["frames", "zoom", "rotate", "frame_steps"]) setLimits(`zoom_${field}`, info.zoom[field]);
  setDefaults();
  if (info.checkpoint) {
    const c = info.checkpoint;
    $("checkpoint-info").textContent = `generator: ${c.name} (step ${c.step}, ${c.generator || "unet"}, trained at ${c.image_size}px)`;
    $("fast").disabled = false;
  } else {
    $("fast-box").title = "start the studio with --checkpoint RUN to enable fast dreams";
  }
  setLimits("mirror_size", info.mirror.size);
  setLimits("mirror_seed", info.mirror.seed);
  $("mirror_size").value = info.mirror.size.default;
  $("mirror_seed").value = info.mirror.seed.default;
  $("mirror-start").disabled = !info.checkpoint;
  if (!info.checkpoint) $("mirror-box").title = "the mirror dreams with a generator: start the studio with `dreamgan serve`";
  initTextures(info.textures);
  await loadBackbone(info.default_backbone);
  await refreshHistory();
}

// -- textures from noise: one PNG per request, the seed and generator in its metadata --------------
const textures = { url: null, stripUrl: null };

function initTextures(t) {
  for (const [field, spec] of [["texture_width", t.width], ["texture_height", t.height], ["texture_seed", t.seed],
                               ["strip_seed_b", t.seed_b], ["strip_frames", t.frames]]) {
    if (!spec) continue;
    setLimits(field, spec);
    $(field).value = spec.default;
  }
  if (t.error) {
    $("textures-hint").textContent = t.error;
    return;
  }
  $("textures-hint").textContent = `generator: ${t.generator} (step ${t.step}, trained at ${t.size}px)`;
  $("texture_tileable").disabled = !t.tileable;
  $("texture-draw").disabled = false;
  $("strip-draw").disabled = false;
}

async function drawTextureImage(url, body, imgId, linkId, key, filename) {
  clearError();
  let response;
  try {
    response = await fetch(url, { method: "POST", body: JSON.stringify(body), headers: { "Content-Type": "application/json" } });
  } catch (e) {
    showError("the studio server is not answering (is `dreamgan serve` still running?)");
    return null;
  }
  if (!response.ok) {
    const data = await response.json().catch(() => ({}));
    showError(data.error || `${response.status} ${response.statusText}`);
    return null;
  }
  const blob = await response.blob();
  if (textures[key]) URL.revokeObjectURL(textures[key]);
  textures[key] = URL.createObjectURL(blob);
  $("textures").hidden = false;
  $(imgId).src = textures[key];
  $(imgId).hidden = false;
  const link = $(linkId);
  link.href = textures[key];
  link.download = filename;
  link.hidden = false;
  return response;
}

async function drawTexture() {
  const body = { width: numberOrNull("texture_width") ?? 512, height: numberOrNull("texture_height") ?? 512,
                 seed: numberOrNull("texture_seed") ?? 0, tileable: $("texture_tileable").checked };
  $("texture-draw").disabled = true;
  const began = performance.now();
  try {
    const name = `texture-seed${body.seed}${body.tileable ? "-tileable" : ""}.png`;
    const response = await drawTextureImage("/api/textures", body, "texture-img", "texture-download", "url", name);
    if (response) {
      const size = response.headers.get("X-Texture-Size");
      $("texture-info").textContent = `${size} px, seed ${body.seed}${body.tileable ? ", tileable" : ""} · ${Math.round(performance.now() - began)} ms`;
      $("texture-info").dataset.size = size;
    }
  } finally { $("texture-draw").disabled = false; }
}

async function drawStrip() {
  const body = { seed_a: numberOrNull("texture_seed") ?? 0, seed_b: numberOrNull("strip_seed_b") ?? 1, frames: numberOrNull("strip_frames") ?? 8 };
  $("strip-draw").disabled = true;
  try {
    await drawTextureImage("/api/textures/strip", body, "strip-img", "strip-download", "stripUrl",
                           `strip-seed${body.seed_a}-to-${body.seed_b}.png`);
  } finally { $("strip-draw").disabled = false; }
}

// -- the live mirror: camera frames to the generator, newest frame wins ------------------------
const mirror = { running: false, stream: null, id: null, frameUrl: null, size: 299, minGapMs: 34, shown: [], dreamUrl: null };

function cameraMessage(e) {
  if (e.name === "NotAllowedError" || e.name === "SecurityError") return "The camera permission was refused: allow the camera for this page, then start the mirror again.";
  if (e.name === "NotFoundError" || e.name === "OverconstrainedError") return "No camera was found: connect one, then start the mirror again.";
  if (e.name === "NotReadableError") return "The camera is busy in another program: close it there, then start the mirror again.";
  return `The camera could not start (${e.name || "error"}: ${e.message}).`;
}

async function startMirror() {
  clearError();
  if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
    showError("This browser gives the page no camera: open the studio at 127.0.0.1 or localhost (a secure address) in a current browser.");
    return;
  }
  let stream;
  try {
    stream = await navigator.mediaDevices.getUserMedia({ video: true, audio: false });
  } catch (e) { showError(cameraMessage(e)); return; }
  let opened;
  try {
    opened = await api("POST", "/api/mirror", { size: numberOrNull("mirror_size") ?? 299, seed: numberOrNull("mirror_seed") ?? 0 });
  } catch (e) {
    stream.getTracks().forEach((t) => t.stop());
    showError(e.message);
    return;
  }
  Object.assign(mirror, { running: true, stream, id: opened.id, frameUrl: opened.frame, size: opened.size,
                          minGapMs: 1000 / opened.max_fps, shown: [] });
  $("mirror-camera").srcObject = stream;
  $("mirror").hidden = false;
  // a paused video draws nothing onto a canvas; autoplay alone does not start it everywhere
  await $("mirror-camera").play().catch(() => {});
  $("mirror-start").disabled = true;
  $("mirror-stop").disabled = false;
  mirrorLoop();
}

function stopMirror(message) {
  if (!mirror.running) return;
  mirror.running = false;
  if (mirror.stream) mirror.stream.getTracks().forEach((t) => t.stop());
  if (mirror.id) fetch(`/api/mirror/${mirror.id}`, { method: "DELETE" }).catch(() => {});
  mirror.stream = mirror.id = null;
  $("mirror-start").disabled = false;
  $("mirror-stop").disabled = true;
  $("mirror-stats").textContent = "stopped";
  if (message) showError(message);
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function mirrorLoop() {
  const video = $("mirror-camera");
  const canvas = document.createElement("canvas");
  const context = canvas.getContext("2d");
  // this loop serves the mirror it was started for: after Stop (and a new Start) it ends
  const { id, frameUrl } = mirror;
  const live = () => mirror.running && mirror.id === id;
  while (live()) {
    if (!video.videoWidth || video.paused) { await sleep(50); continue; }
    const began = performance.now();
    const scale = Math.min(1, mirror.size / Math.max(video.videoWidth, video.videoHeight));
    canvas.width = Math.max(1, Math.round(video.videoWidth * scale));
    canvas.height = Math.max(1, Math.round(video.videoHeight * scale));
    context.drawImage(video, 0, 0, canvas.width, canvas.height);
    const frame = await new Promise((resolve) => canvas.toBlob(resolve, "image/jpeg", 0.85));
    let response;
    try {
      response = await fetch(frameUrl, { method: "POST", body: frame, headers: { "Content-Type": "image/jpeg" } });
    } catch (e) {
      if (live()) stopMirror("the studio server is not answering (is `dreamgan serve` still running?)");
      return;
    }
    if (!live()) return;
    if (response.status === 204) continue;  // a newer frame overtook this one
    if (!response.ok) {
      const data = await response.json().catch(() => ({}));
      if (response.status === 429) { await sleep(mirror.minGapMs); continue; }
      if (live()) stopMirror(data.error || `${response.status} ${response.statusText}`);
      return;
    }
    const dream = await response.blob();
    if (!live()) return;  // stopped while the dream came in: leave the page as Stop left it
    const old = mirror.dreamUrl;
    mirror.dreamUrl = URL.createObjectURL(dream);
    $("mirror-dream").src = mirror.dreamUrl;
    if (old) URL.revokeObjectURL(old);
    const now = performance.now();
    mirror.shown.push(now);
    while (mirror.shown.length && now - mirror.shown[0] > 2000) mirror.shown.shift();
    const fps = mirror.shown.length > 1 ? (mirror.shown.length - 1) * 1000 / (now - mirror.shown[0]) : 0;
    const latency = now - began;
    const stats = $("mirror-stats");
    stats.dataset.fps = fps.toFixed(2);
    stats.dataset.latency = latency.toFixed(1);
    stats.dataset.frames = String(Number(stats.dataset.frames) + 1);
    stats.textContent = `${fps.toFixed(1)} fps · ${Math.round(latency)} ms a frame (server ${response.headers.get("X-Dream-Ms")} ms) · ${canvas.width}×${canvas.height}`;
    const gap = mirror.minGapMs - (performance.now() - began);
    if (gap > 0) await sleep(gap);
  }
}

function setLimits(field, spec) {
  const input = $(field);
  if (!spec || !input || input.tagName !== "INPUT") return;
  if (spec.minimum !== null && spec.minimum !== undefined) input.min = spec.minimum;
  if (spec.maximum !== null && spec.maximum !== undefined) input.max = spec.maximum;
}

function setDefaults() {
  const d = state.info.dream;
  for (const field of NUMBER_FIELDS) $(field).value = d[field].default ?? "";
  $("top_k_mode").value = d.top_k_mode.default;
  $("channels").value = "";
  $("class_target").value = "";
  $("refine").value = state.info.fast.refine.default;
  for (const field of ["frames", "zoom", "rotate", "frame_steps"]) $(`zoom_${field}`).value = state.info.zoom[field].default;
}

function zoomRequest() {
  const request = dreamRequest();
  request.mode = $("zoom_mode").value;
  for (const field of ["frames", "zoom", "rotate", "frame_steps"]) request[field] = numberOrNull(`zoom_${field}`);
  request.max_side = Math.min(request.max_side ?? 299, 1024);
  for (const key of Object.keys(request)) if (request[key] === null) delete request[key];
  return request;
}

async function loadBackbone(name, selected) {
  try {
    state.backbone = await api("GET", `/api/backbones/${encodeURIComponent(name)}`);
  } catch (e) { showError(e.message); return; }
  const layers = $("layers");
  layers.innerHTML = "";
  const chosen = new Set(selected || state.backbone.default_layers);
  for (const layer of state.backbone.layers) {
    const option = new Option(`${layer.name} · ${layer.channels} ch · ${layer.depth}`, layer.name);
    option.selected = chosen.has(layer.name);
    option.title = layer.hint;
    layers.add(option);
  }
  const classes = $("classes");
  classes.innerHTML = "";
  for (const c of state.backbone.classes) classes.append(new Option(c));
  $("class_target").disabled = state.backbone.classes.length === 0;
  $("class-hint").textContent = state.backbone.classes.length
    ? `${state.backbone.classes.length} classes; a class target dreams that logit instead of the layers`
    : `${name} has no class logits`;
  updateLayerHint();
}

function updateLayerHint() {
  const picked = [...$("layers").selectedOptions].map((o) => o.value);
  const byName = Object.fromEntries(state.backbone.layers.map((l) => [l.name, l]));
  $("layer-hint").textContent = picked.length
    ? picked.map((n) => `${n}: ${byName[n].hint}`).join(" · ")
    : "pick at least one layer. Shallow layers give strokes and textures, middle ones swirls, deep ones eyes and animals.";
}

// -- photos -----------------------------------------------------------------------------------
async function upload(file, target) {
  clearError();
  if (!file) return;
  const limit = state.info.upload.max_bytes;
  if (file.size > limit) {
    showError(`${file.name} is ${(file.size / 2 ** 20).toFixed(1)} MB; the limit is ${(limit / 2 ** 20).toFixed(0)} MB`);
    return;
  }
  try {
    const image = await api("POST", "/api/images", undefined, file);
    target === "guide" ? setGuide(image) : setPhoto(image);
  } catch (e) { showError(e.message); }
}

function setPhoto(image) {
  state.image = image;
  $("photo-info").textContent = `${image.source === "upload" ? "uploaded photo" : image.source}, ${image.width}×${image.height}`;
  state.shown = null;
  showImages(image.url, null);
  $("download").hidden = true;
  $("download-video").hidden = true;
  $("result-info").textContent = "";
  updateCompare();
}

function setGuide(image) {
  state.guide = image;
  $("guide-info").textContent = image ? `guide: ${image.width}×${image.height}` : "no guide";
  $("guide-clear").hidden = !image;
  if (!image) $("guide-file").value = "";
}

async function pickSample(name) {
  clearError();
  if (!name) return;
  try { setPhoto(await api("POST", `/api/photos/${encodeURIComponent(name)}`)); }
  catch (e) { showError(e.message); }
}

// -- viewer -----------------------------------------------------------------------------------
function showImages(photoUrl, dreamUrl) {
  $("empty").hidden = true;
  $("photo-img").hidden = false;
  $("photo-img").src = photoUrl;
  if (dreamUrl) {
    $("dream-img").src = dreamUrl;
    $("dream-img").hidden = false;
  } else {
    $("dream-img").hidden = true;
    $("dream-img").removeAttribute("src");
  }
  applySlider();
}

function applySlider() {
  const value = Number($("slider").value);
  const mode = document.querySelector("input[name=mode]:checked").value;
  const dream = $("dream-img");
  $("slider-value").textContent = `${value}%`;
  if (mode === "opacity") {
    dream.style.opacity = value / 100;
    dream.style.clipPath = "none";
    $("split-line").hidden = true;
  } else {
    dream.style.opacity = 1;
    dream.style.clipPath = `inset(0 ${100 - value}% 0 0)`;  // the dream left of the line, the photo right
    $("split-line").style.left = `${value}%`;
    $("split-line").hidden = dream.hidden;
  }
}

// -- jobs -------------------------------------------------------------------------------------
function numberOrNull(field) {
  const text = $(field).value.trim();
  return text === "" ? null : Number(text);
}

function dreamRequest() {
  const request = {
    image: state.image ? state.image.id : null,
    backbone: $("backbone").value,
    layers: [...$("layers").selectedOptions].map((o) => o.value),
    top_k_mode: $("top_k_mode").value,
    guide: state.guide ? state.guide.id : null,
    class_target: $("class_target").value.trim() || null,
  };
  for (const field of NUMBER_FIELDS) request[field] = numberOrNull(field);
  const channels = $("channels").value.trim();
  // Anything that is not a number is sent as typed: the server says what is wrong with it.
  request.channels = channels ? channels.split(",").map((c) => (/^\s*\d+\s*$/.test(c) ? Number(c) : c.trim())) : null;
  for (const key of Object.keys(request)) if (request[key] === null) delete request[key];
  return request;
}

async function startJob(url, request) {
  clearError();
  if (!state.image) { showError("pick a photo first: upload one or choose a sample"); return; }
  try {
    const job = await api("POST", url, request);
    watch(job);
  } catch (e) { showError(e.message); }
}

function watch(job) {
  state.job = job;
  state.previewVersion = -1;
  $("cancel").disabled = false;
  showProgress(job);
  setTimeout(poll, POLL_MS);
}

async function poll() {
  const watched = state.job;
  if (!watched) return;
  let job;
  try { job = await api("GET", `/api/jobs/${watched.id}`); }
  catch (e) { showError(e.message); state.job = null; $("cancel").disabled = true; return; }
  if (state.job !== watched) return;  // another job took over meanwhile
  showProgress(job);
  if (job.state === "running" && job.preview_version !== state.previewVersion && job.preview_version > 0) {
    state.previewVersion = job.preview_version;
    showImages(state.image.url, `/api/jobs/${job.id}/preview.png?v=${job.preview_version}`);
  }
  if (job.state === "queued" || job.state === "running") { setTimeout(poll, POLL_MS); return; }
  state.job = null;
  $("cancel").disabled = true;
  if (job.state === "done") showResult(job);
  if (job.state === "failed") showError(`dream failed: ${job.error}`);
  await refreshHistory();
}

function showProgress(job) {
  const s = job.status || {};
  $("bar").value = job.fraction;
  let text;
  if (job.state === "queued") text = `queued: position ${job.position} in line`;
  else if (job.state === "running") {
    text = job.kind === "fast" ? "fast dream: generator pass…"
      : job.kind === "zoom" ? `zoom: frame ${s.frame}/${s.frames}`
      : `octave ${s.octave}/${s.octaves} · step ${s.step}/${s.steps}`;
    if (job.eta_s !== null) text += ` · ETA ${job.eta_s.toFixed(1)} s`;
  } else if (job.state === "done") text = `done in ${job.result.seconds.toFixed(2)} s`;
  else text = job.state;
  $("progress-text").textContent = text;
}

function showResult(job) {
  state.shown = job;
  if (!state.job) {  // nothing running: the progress line describes the dream on show
    $("bar").value = 1;
    $("progress-text").textContent = `done in ${job.result.seconds.toFixed(2)} s`;
  }
  showImages(job.result.photo, job.result.dream);
  const download = $("download");
  download.href = `${job.result.dream}?download=1`;
  download.setAttribute("download", `dream-${job.id}.png`);
  download.hidden = false;
  const video = $("download-video");
  video.hidden = !job.result.video;
  if (job.result.video) {
    video.href = `${job.result.video}?download=1`;
    video.setAttribute("download", `zoom-${job.id}.mp4`);
  }
  $("result-info").textContent = `${job.kind} dream #${job.id}, ${job.result.width}×${job.result.height}, ${job.result.seconds.toFixed(2)} s`;
  const per = (state.latest[job.params.image] ||= {});
  if (job.kind !== "zoom") per[job.kind] = job;
  updateCompare();
  for (const item of document.querySelectorAll(".history-item")) item.classList.toggle("selected", item.dataset.id === job.id);
}

function updateCompare() {
  const per = state.image ? state.latest[state.image.id] : null;
  const both = per && per.classical && per.fast;
  $("compare").hidden = !both;
  if (!both) return;
  $("compare-classical").src = per.classical.result.dream;
  $("compare-fast").src = per.fast.result.dream;
  const tc = per.classical.result.seconds, tf = per.fast.result.seconds;
  $("compare-classical-text").textContent = `classical #${per.classical.id}: ${tc.toFixed(2)} s`;
  $("compare-fast-text").textContent = `fast #${per.fast.id}: ${tf.toFixed(3)} s (${(tc / Math.max(tf, 1e-6)).toFixed(0)}× faster)`;
}

async function cancel() {
  if (!state.job) return;
  try { showProgress(await api("POST", `/api/jobs/${state.job.id}/cancel`)); }
  catch (e) { showError(e.message); }
}

// -- history ----------------------------------------------------------------------------------
async function refreshHistory() {
  let jobs;
  try { jobs = await api("GET", "/api/jobs"); } catch (e) { return; }
  const strip = $("history");
  strip.innerHTML = "";
  for (const job of jobs.filter((j) => j.state === "done").reverse()) {
    const item = document.createElement("div");
    item.className = "history-item";
    item.dataset.id = job.id;
    item.title = JSON.stringify(job.params);
    const img = document.createElement("img");
    img.src = job.result.dream;
    img.alt = `dream ${job.id}`;
    const p = job.params;
    const label = document.createElement("div");
    label.textContent = job.kind === "fast"
      ? `#${job.id} fast${p.refine ? ` +${p.refine}` : ""} · ${job.result.seconds.toFixed(2)} s`
      : job.kind === "zoom" ? `#${job.id} zoom ${p.frames} frames ×${p.zoom} · ${job.result.seconds.toFixed(1)} s`
      : `#${job.id} ${p.class_target ? "class " + p.class_target : p.layers.join("+")} · ${p.octaves}×${p.steps} · ${job.result.seconds.toFixed(1)} s`;
    item.append(img, label);
    item.addEventListener("click", () => restore(job));
    if (state.shown && state.shown.id === job.id) item.classList.add("selected");
    strip.append(item);
  }
}

async function restore(job) {
  clearError();
  const p = job.params;
  if (job.kind === "classical" || job.kind === "zoom") {
    $("backbone").value = p.backbone;
    await loadBackbone(p.backbone, p.layers);
    for (const field of NUMBER_FIELDS) $(field).value = p[field] ?? "";
    $("top_k_mode").value = p.top_k_mode;
    $("channels").value = p.channels ? p.channels.join(",") : "";
    $("class_target").value = p.class_target || "";
    if (job.kind === "zoom") {
      for (const field of ["frames", "zoom", "rotate", "frame_steps"]) $(`zoom_${field}`).value = p[field];
      $("zoom_mode").value = p.mode;
    }
  } else {
    $("refine").value = p.refine;
    $("max_side").value = p.max_side;
  }
  try {  // the photo it was made from, if the server still has it
    const image = await api("GET", `/api/images/${p.image}.json`);
    state.image = image;
    $("photo-info").textContent = `${image.source === "upload" ? "uploaded photo" : image.source}, ${image.width}×${image.height}`;
  } catch (e) { /* forgotten: the job's own photo still shows */ }
  showResult(job);
}

// -- wiring -----------------------------------------------------------------------------------
$("file").addEventListener("change", (e) => upload(e.target.files[0]));
$("guide-file").addEventListener("change", (e) => upload(e.target.files[0], "guide"));
$("guide-clear").addEventListener("click", () => setGuide(null));
$("sample").addEventListener("change", (e) => pickSample(e.target.value));
$("backbone").addEventListener("change", (e) => loadBackbone(e.target.value));
$("layers").addEventListener("change", updateLayerHint);
$("dream").addEventListener("click", () => startJob("/api/dreams", dreamRequest()));
$("fast").addEventListener("click", () => startJob("/api/fast", {
  image: state.image ? state.image.id : null, refine: numberOrNull("refine") ?? 0, max_side: numberOrNull("max_side") ?? 512,
  seed: numberOrNull("fast_seed") ?? 0,
}));
$("zoom").addEventListener("click", () => startJob("/api/zoom", zoomRequest()));
$("cancel").addEventListener("click", cancel);
$("slider").addEventListener("input", applySlider);
for (const radio of document.querySelectorAll("input[name=mode]")) {
  radio.addEventListener("change", () => { $("slider").value = radio.value === "split" ? 50 : 100; applySlider(); });
}
$("error-close").addEventListener("click", clearError);
$("texture-draw").addEventListener("click", drawTexture);
$("strip-draw").addEventListener("click", drawStrip);
$("mirror-start").addEventListener("click", startMirror);
$("mirror-stop").addEventListener("click", () => stopMirror());
window.addEventListener("pagehide", () => stopMirror());
const drop = $("drop");
drop.addEventListener("dragover", (e) => { e.preventDefault(); drop.classList.add("over"); });
drop.addEventListener("dragleave", () => drop.classList.remove("over"));
drop.addEventListener("drop", (e) => {
  e.preventDefault();
  drop.classList.remove("over");
  if (e.dataTransfer.files.length) upload(e.dataTransfer.files[0]);
});
init();
