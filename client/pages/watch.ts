/**
 * The watch page (`/watch/<stream path>`): plays `/hls/<stream path>/index.m3u8` with hls.js
 * in low-latency mode (LL-HLS parts and blocking reload), or natively where the browser
 * plays HLS itself (Safari) and MSE is missing. Shows connecting / playing / offline (with a
 * retry) and an overlay with the transport, the latency estimate and the bitrate.
 * `?embed=1` hides everything but the video, for an iframe. WebRTC (WHEP) becomes the first
 * choice here later; HLS stays the fallback.
 */
import Hls, { ErrorTypes, Events, type ErrorData, type FragLoadedData } from 'hls.js';

/** Seconds between attempts while the stream is offline (a publisher may come back soon). */
const RETRY_S = 3;
/** Overlay refresh; the latency estimate moves with every part (~250 ms). */
const OVERLAY_INTERVAL_MS = 500;
/** Fragments averaged for the bitrate figure: about two seconds of parts. */
const BITRATE_WINDOW = 8;

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

let hls: Hls | undefined;
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

function startNative(): void {
  transportEl.textContent = 'HLS (native)';
  video.src = playlistUrl;
  video.addEventListener('error', () => offline('not available'), { once: true });
}

function start(): void {
  clearRetry();
  setState('connecting', 'connecting…');
  if (Hls.isSupported()) startHlsJs();
  else if (video.canPlayType('application/vnd.apple.mpegurl')) startNative();
  else setState('error', 'this browser cannot play HLS');
}

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
  const latency = hls?.latency;
  latencyEl.textContent = latency !== undefined && Number.isFinite(latency) && latency > 0 ? `${latency.toFixed(2)} s` : '—';
  video.dataset.latency = latencyEl.textContent;
  const total = fragments.reduce((a, f) => ({ bits: a.bits + f.bits, seconds: a.seconds + f.seconds }), { bits: 0, seconds: 0 });
  bitrateEl.textContent = total.seconds > 0 ? `${Math.round(total.bits / total.seconds / 1000)} kb/s` : '—';
}, OVERLAY_INTERVAL_MS);

start();
