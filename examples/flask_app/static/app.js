// The chat page: an EventSource for everything the assistant does, fetch() for the rest.
"use strict";

const $ = (id) => document.getElementById(id);
const log = $("log"), form = $("composer"), input = $("message");
const sendButton = $("send"), micButton = $("mic"), speak = $("speak"), statusLine = $("status");
const OUTPUT_RATE = 24000; // the session's pcm16 output rate

let source = null;           // the EventSource, or null when the session is closed
let connecting = null;       // a Promise while the EventSource opens
let backend = "";            // "mock" or "openai", from the stream's "ready" event
const bubbles = new Map();   // response_id -> the assistant's message element

function setStatus(text) { statusLine.textContent = text; }

function addMessage(kind, text, before) {
  const el = document.createElement("div");
  el.className = `msg ${kind}`;
  el.textContent = text;
  log.insertBefore(el, before || null);
  el.scrollIntoView({ block: "end" });
  return el;
}

function bubbleFor(responseId) {
  let el = bubbles.get(responseId);
  if (!el) {
    el = addMessage("assistant streaming", "");
    el.dataset.responseId = responseId;
    bubbles.set(responseId, el);
  }
  return el;
}

function enable(on) {
  input.disabled = sendButton.disabled = !on;
  micButton.disabled = !on || !(navigator.mediaDevices && window.AudioWorkletNode);
}

function connect() {
  if (source) return Promise.resolve();
  if (connecting) return connecting;
  setStatus("connecting…");
  connecting = new Promise((resolve, reject) => {
    const es = new EventSource("/api/events");
    const on = (type, fn) => es.addEventListener(type, (e) => fn(JSON.parse(e.data)));
    on("ready", (d) => { source = es; connecting = null; backend = d.backend; setStatus(`connected (${backend})`); enable(true); resolve(); });
    // The Realtime connection behind this page was lost and is being replaced (the
    // client's ReconnectPolicy): messages sent meanwhile are held, then answered.
    on("status", (d) => setStatus(d.state === "connected" ? `connected (${backend})` : "reconnecting to the model…"));
    on("created", (d) => bubbleFor(d.response_id));
    on("delta", (d) => { bubbleFor(d.response_id).textContent += d.text; });
    on("audio", (d) => play(d.pcm16));
    on("done", (d) => {
      const el = bubbleFor(d.response_id);
      el.classList.remove("streaming");
      el.dataset.status = d.status;
      bubbles.delete(d.response_id);
    });
    on("user", (d) => { if (d.text) addMessage("user", `🎤 ${d.text}`, log.querySelector(".streaming")); });
    on("speech", () => stopPlayback());
    on("failure", (d) => addMessage("error", d.message));
    on("closed", (d) => {
      es.close();
      source = null;
      stopMic();
      addMessage("notice", d.reason === "idle"
        ? "The session was closed after a while without activity; your next message starts a new one."
        : `The session was closed (${d.reason}).`);
      setStatus("closed");
    });
    es.onerror = () => {
      // EventSource retries by itself while readyState is CONNECTING; CLOSED is final.
      if (es.readyState === EventSource.CLOSED) {
        if (connecting) { connecting = null; reject(new Error("could not open the event stream")); }
        if (source === es) source = null;
        setStatus("disconnected");
      } else {
        setStatus("reconnecting…");
      }
    };
  });
  return connecting;
}

// -- sending text ---------------------------------------------------------------------

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  const text = input.value.trim();
  if (!text) return;
  if (speak.checked) audioOut(); // a click unlocks audio playback
  try {
    await connect();
  } catch (err) {
    addMessage("error", err.message);
    return;
  }
  input.value = "";
  addMessage("user", text);
  const r = await fetch("/api/message", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ text, speak: speak.checked }),
  });
  if (!r.ok) addMessage("error", (await r.json().catch(() => ({}))).error || `HTTP ${r.status}`);
});

// -- hearing the answer: pcm16 deltas scheduled back to back ------------------------------

let outCtx = null, playHead = 0;
const playing = new Set();

function audioOut() {
  if (!outCtx) outCtx = new AudioContext();
  if (outCtx.state === "suspended") outCtx.resume();
  return outCtx;
}

function play(b64) {
  if (!speak.checked) return;
  const ctx = audioOut();
  const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
  const pcm = new Int16Array(bytes.buffer, 0, bytes.length >> 1);
  if (!pcm.length) return;
  const buffer = ctx.createBuffer(1, pcm.length, OUTPUT_RATE);
  const samples = buffer.getChannelData(0);
  for (let i = 0; i < pcm.length; i++) samples[i] = pcm[i] / 32768;
  const node = ctx.createBufferSource();
  node.buffer = buffer;
  node.connect(ctx.destination);
  playHead = Math.max(playHead, ctx.currentTime + 0.05);
  node.start(playHead);
  playHead += buffer.duration;
  playing.add(node);
  node.onended = () => playing.delete(node);
}

function stopPlayback() {
  for (const node of playing) { try { node.stop(); } catch (e) { /* already stopped */ } }
  playing.clear();
  playHead = 0;
}

// -- speaking: microphone -> 16-bit PCM chunks POSTed one after the other -----------------

let mic = null;                 // { stream, ctx } while the microphone is on
let pending = [], pendingLength = 0;
let uploads = Promise.resolve(); // chained, so that chunks arrive in order

function upload(path, body) {
  uploads = uploads.then(async () => {
    const r = await fetch(path, { method: "POST", headers: { "Content-Type": "application/octet-stream" }, body });
    if (!r.ok) addMessage("error", (await r.json().catch(() => ({}))).error || `HTTP ${r.status}`);
  }).catch((err) => addMessage("error", err.message));
  return uploads;
}

function sendPending(rate) {
  if (!pendingLength) return;
  // Int16Array is little-endian on every platform browsers run on.
  const pcm = new Int16Array(pendingLength);
  let o = 0;
  for (const block of pending) {
    for (let i = 0; i < block.length; i++) {
      const s = Math.max(-1, Math.min(1, block[i]));
      pcm[o++] = s < 0 ? s * 32768 : s * 32767;
    }
  }
  pending = [];
  pendingLength = 0;
  upload(`/api/audio?rate=${rate}`, pcm.buffer);
}

async function startMic() {
  await connect();
  const stream = await navigator.mediaDevices.getUserMedia({
    audio: { channelCount: 1, echoCancellation: true, noiseSuppression: true, autoGainControl: true },
  });
  const ctx = new AudioContext();
  await ctx.audioWorklet.addModule(micButton.dataset.worklet || "/static/pcm-capture.js");
  const node = new AudioWorkletNode(ctx, "pcm-capture", { numberOfOutputs: 0 });
  node.port.onmessage = (e) => {
    pending.push(e.data);
    pendingLength += e.data.length;
    if (pendingLength >= ctx.sampleRate / 10) sendPending(ctx.sampleRate); // ~100 ms
  };
  ctx.createMediaStreamSource(stream).connect(node);
  mic = { stream, ctx };
  micButton.classList.add("on");
  micButton.textContent = "■ Stop";
  setStatus("listening…");
}

function stopMic() {
  if (!mic) return;
  const { stream, ctx } = mic;
  mic = null;
  stream.getTracks().forEach((t) => t.stop());
  sendPending(ctx.sampleRate);
  ctx.close();
  if (source) upload("/api/audio/stop", null);
  micButton.classList.remove("on");
  micButton.textContent = "🎤 Talk";
  setStatus(source ? "connected" : "closed");
}

micButton.addEventListener("click", async () => {
  if (mic) { stopMic(); return; }
  audioOut(); // the click unlocks playback of spoken answers
  try { await startMic(); } catch (err) { addMessage("error", `microphone: ${err.message}`); }
});

connect().catch((err) => { addMessage("error", err.message); enable(true); });
