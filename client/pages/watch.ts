/**
 * The watch page (`/watch/<stream path>`): plays `/hls/<stream path>/index.m3u8` with hls.js
 * in low-latency mode (LL-HLS parts and blocking reload), or natively where the browser
 * plays HLS itself (Safari) and MSE is missing. Shows connecting / playing / offline (with a
 * retry) and an overlay with the transport, the latency estimate and the bitrate.
 * `?embed=1` hides everything but the video, for an iframe.
 *
 * WebRTC first: a browser WHEP client (draft-ietf-wish-whep) with recvonly video + audio
 * transceivers POSTs its offer to `/whep/<stream path>`, applies the answer and DELETEs the
 * session on unload. No decoded frame within WEBRTC_TIMEOUT_MS (or `?mode=hls`) → HLS.
 * `data-transport` on <body> says which one plays (`webrtc` | `hls`), for tests.
 */
import Hls, { ErrorTypes, Events, type ErrorData, type FragLoadedData } from 'hls.js';

/** Seconds between attempts while the stream is offline (a publisher may come back soon). */
const RETRY_S = 3;
/** Overlay refresh; the latency estimate moves with every part (~250 ms). */
const OVERLAY_INTERVAL_MS = 500;
/** Fragments averaged for the bitrate figure: about two seconds of parts. */
const BITRATE_WINDOW = 8;
/** WebRTC must show a decoded frame within this, else the page falls back to HLS (the 5 s). */
const WEBRTC_TIMEOUT_MS = 5_000;

type State = 'connecting' | 'playing' | 'offline' | 'error';

const $ = <T extends HTMLElement>(id: string): T => {
  const el = document.getElementById(id);
  if (!el) throw new Error(`#${id} missing`);
  return el as T;
};

const video = $<HTMLVideoElement>('video');
const statusEl = $('status');
const unmute = $<HTMLButtonElement>('unmute');
const transportEl = $('transport');
const latencyEl = $('latency');
const bitrateEl = $('bitrate');

const streamPath = decodeURIComponent(location.pathname.replace(/^\/watch\//, '').replace(/\/+$/, ''));
const playlistUrl = `/hls/${streamPath.split('/').map(encodeURIComponent).join('/')}/index.m3u8`;
const params = new URLSearchParams(location.search);
if (params.get('embed') === '1') document.body.classList.add('embed');
$('title').textContent = streamPath;
document.title = `${streamPath} · Estuary`;
video.dataset.src = playlistUrl;

const whepUrl = `/whep/${streamPath.split('/').map(encodeURIComponent).join('/')}`;

let hls: Hls | undefined;
let pc: RTCPeerConnection | undefined;
let whepSession: string | undefined;
let lastStats: { bytes: number; at: number } | undefined;
let retryTimer: number | undefined;
let countdownTimer: number | undefined;
const fragments: { bits: number; seconds: number }[] = [];

function setState(state: State, text: string): void {
  statusEl.dataset.state = state;
  statusEl.textContent = text;
  video.dataset.state = state;
}

function clearRetry(): void {
  window.clearTimeout(retryTimer);
  window.clearInterval(countdownTimer);
  retryTimer = undefined;
  countdownTimer = undefined;
}

/** Stream gone or not started: tear down, show a countdown, try again. */
function offline(reason: string): void {
  stopWebRtc();
  hls?.destroy();
  hls = undefined;
  clearRetry();
  let left = RETRY_S;
  const show = (): void => setState('offline', `stream offline (${reason}) · retrying in ${left} s`);
  show();
  countdownTimer = window.setInterval(() => {
    left = Math.max(0, left - 1);
    show();
  }, 1000);
  retryTimer = window.setTimeout(start, RETRY_S * 1000);
}

function onError(_event: string, data: ErrorData): void {
  if (!data.fatal || !hls) return;
  const status = data.response?.code;
  if (data.type === ErrorTypes.NETWORK_ERROR) {
    offline(status ? `HTTP ${status}` : 'network');
  } else if (data.type === ErrorTypes.MEDIA_ERROR) {
    hls.recoverMediaError();
  } else {
    setState('error', `playback error: ${data.details}`);
    offline(data.details);
  }
}

function startHlsJs(): void {
  document.body.dataset.transport = 'hls';
  const h = new Hls({ lowLatencyMode: true, backBufferLength: 30, manifestLoadingMaxRetry: 0, levelLoadingMaxRetry: 2 });
  hls = h;
  transportEl.textContent = 'LL-HLS (hls.js)';
  h.on(Events.ERROR, onError);
  h.on(Events.FRAG_LOADED, (_e, data: FragLoadedData) => {
    const seconds = data.frag.duration;
    if (seconds > 0) fragments.push({ bits: data.frag.stats.total * 8, seconds });
    if (fragments.length > BITRATE_WINDOW) fragments.shift();
  });
  h.loadSource(playlistUrl);
  h.attachMedia(video);
}

function setTransport(kind: 'webrtc' | 'hls', label: string): void {
  document.body.dataset.transport = kind;
  transportEl.textContent = label;
}

function stopWebRtc(): void {
  pc?.close();
  pc = undefined;
  if (whepSession) void fetch(whepSession, { method: 'DELETE', keepalive: true }).catch(() => undefined);
  whepSession = undefined;
}

/** WHEP: offer recvonly video + audio, POST it, apply the answer; resolves once a frame is decoded. */
async function startWebRtc(): Promise<boolean> {
  setTransport('webrtc', 'WebRTC (WHEP)');
  const peer = new RTCPeerConnection();
  pc = peer;
  video.srcObject = null;
  const live = peer.addTransceiver('video', { direction: 'recvonly' });
  const audio = peer.addTransceiver('audio', { direction: 'recvonly' });
  // A second video track: Estuary sends a running bridged stream's cached GOP on it at once,
  // while the live track waits for the source's next keyframe (up to a GOP); the page shows it
  // until the live track has a frame. Servers without it reject the m-line.
  const catchUp = peer.addTransceiver('video', { direction: 'recvonly' });
  peer.onconnectionstatechange = () => {
    // The publisher went away (the server ends the session) or the network did: start over.
    if (pc === peer && peer.connectionState === 'failed' && document.body.dataset.transport === 'webrtc') offline('WebRTC session ended');
  };
  peer.ontrack = () => {
    if (video.srcObject) return;
    const catchUpOn = catchUp.currentDirection === 'recvonly';
    video.srcObject = new MediaStream([catchUpOn ? catchUp.receiver.track : live.receiver.track, audio.receiver.track]);
    if (catchUpOn) void switchToLive(peer, live.receiver.track, audio.receiver.track);
  };
  await peer.setLocalDescription(await peer.createOffer());
  await new Promise<void>((resolve) => {
    if (peer.iceGatheringState === 'complete') return resolve();
    const timer = window.setTimeout(resolve, 1000); // host candidates come in milliseconds
    peer.addEventListener('icegatheringstatechange', () => {
      if (peer.iceGatheringState === 'complete') {
        window.clearTimeout(timer);
        resolve();
      }
    });
  });
  const res = await fetch(whepUrl, { method: 'POST', body: peer.localDescription?.sdp ?? '', headers: { 'Content-Type': 'application/sdp' } });
  if (res.status !== 201) throw new Error(`WHEP ${res.status}`);
  whepSession = res.headers.get('Location') ?? undefined;
  await peer.setRemoteDescription({ type: 'answer', sdp: await res.text() });
  return new Promise<boolean>((resolve) => {
    const deadline = Date.now() + WEBRTC_TIMEOUT_MS;
    const poll = (): void => {
      if (pc !== peer) return resolve(false);
      if (video.videoWidth > 0 && video.currentTime > 0) return resolve(true);
      if (Date.now() > deadline || peer.connectionState === 'failed') return resolve(false);
      window.setTimeout(poll, 100);
    };
    poll();
  });
}

/**
 * Shows the live track once it has decoded a frame (a hidden element plays it meanwhile): the
 * catch-up track covered the wait for the source's next keyframe. Bounded by WEBRTC_TIMEOUT_MS.
 */
async function switchToLive(peer: RTCPeerConnection, liveTrack: MediaStreamTrack, audioTrack: MediaStreamTrack): Promise<void> {
  const probe = document.createElement('video');
  probe.muted = true;
  probe.playsInline = true;
  probe.srcObject = new MediaStream([liveTrack]);
  void probe.play().catch(() => undefined);
  const deadline = Date.now() + WEBRTC_TIMEOUT_MS;
  while (pc === peer && Date.now() < deadline && !(probe.videoWidth > 0 && probe.currentTime > 0)) {
    await new Promise((r) => window.setTimeout(r, 50));
  }
  probe.srcObject = null;
  if (pc !== peer) return;
  video.srcObject = new MediaStream([liveTrack, audioTrack]);
  document.body.dataset.catchup = 'done';
  void video.play().catch(() => undefined);
}

/** WebRTC latency estimate: jitter buffer delay per emitted frame + RTT/2 (getStats), and bitrate. */
async function webRtcFigures(): Promise<{ latency: number | undefined; bitrate: number | undefined }> {
  if (!pc) return { latency: undefined, bitrate: undefined };
  const report = await pc.getStats();
  let jitter: number | undefined;
  let rtt = 0;
  let bytes = 0;
  report.forEach((s: Record<string, unknown>) => {
    if (s.type === 'inbound-rtp') {
      bytes += Number(s.bytesReceived ?? 0);
      const emitted = Number(s.jitterBufferEmittedCount ?? 0);
      if (s.kind === 'video' && emitted > 0) jitter = Number(s.jitterBufferDelay ?? 0) / emitted;
    }
    if (s.type === 'candidate-pair' && s.nominated === true) rtt = Number(s.currentRoundTripTime ?? 0);
  });
  const now = performance.now();
  const prev = lastStats;
  lastStats = { bytes, at: now };
  const bitrate = prev && now > prev.at ? ((bytes - prev.bytes) * 8) / ((now - prev.at) / 1000) : undefined;
  return { latency: jitter === undefined ? undefined : jitter + rtt / 2, bitrate };
}

function startNative(): void {
  setTransport('hls', 'HLS (native)');
  video.src = playlistUrl;
  video.addEventListener('error', () => offline('not available'), { once: true });
}

function startHls(): void {
  stopWebRtc();
  if (Hls.isSupported()) startHlsJs();
  else if (video.canPlayType('application/vnd.apple.mpegurl')) startNative();
  else setState('error', 'this browser cannot play HLS');
}

function start(): void {
  clearRetry();
  setState('connecting', 'connecting…');
  if (params.get('mode') === 'hls' || typeof RTCPeerConnection === 'undefined') {
    startHls();
    return;
  }
  startWebRtc().then(
    (ok) => {
      if (!ok) startHls();
    },
    () => startHls(),
  );
}

window.addEventListener('pagehide', stopWebRtc);

video.addEventListener('playing', () => setState('playing', 'playing'));
video.addEventListener('waiting', () => {
  if (statusEl.dataset.state === 'playing') setState('connecting', 'buffering…');
});
video.addEventListener('volumechange', () => {
  unmute.hidden = !video.muted;
});
unmute.hidden = false;
unmute.addEventListener('click', () => {
  video.muted = false;
  void video.play();
});

window.setInterval(() => {
  if (document.body.dataset.transport === 'webrtc') {
    void webRtcFigures().then(({ latency, bitrate }) => {
      latencyEl.textContent = latency !== undefined && Number.isFinite(latency) ? `~${latency.toFixed(2)} s (estimate)` : '—';
      video.dataset.latency = latencyEl.textContent;
      bitrateEl.textContent = bitrate !== undefined ? `${Math.round(bitrate / 1000)} kb/s` : '—';
    });
    return;
  }
  const latency = hls?.latency;
  latencyEl.textContent = latency !== undefined && Number.isFinite(latency) && latency > 0 ? `${latency.toFixed(2)} s` : '—';
  video.dataset.latency = latencyEl.textContent;
  const total = fragments.reduce((a, f) => ({ bits: a.bits + f.bits, seconds: a.seconds + f.seconds }), { bits: 0, seconds: 0 });
  bitrateEl.textContent = total.seconds > 0 ? `${Math.round(total.bits / total.seconds / 1000)} kb/s` : '—';
}, OVERLAY_INTERVAL_MS);

start();
