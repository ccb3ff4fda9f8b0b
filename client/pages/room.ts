/**
 * The room page (`/room/<roomId>?name=<display name>[&token=<jwt>]`): asks for a name when
 * absent, publishes camera and microphone, and shows one tile per participant. Tiles carry
 * `data-peer-id` and the classes `tile`, `local`/`remote`, `camera-off` for tests and styling.
 */
import { layerHeights, RoomClient, spatialLayerForTile, type Consumer, type Producer } from '../sdk/index.js';

/** The camera's height: what the page captures, and the top layer a remote tile chooses among. */
const CAMERA_HEIGHT = 360;
const CAMERA_CONSTRAINTS: MediaTrackConstraints = { width: { ideal: (CAMERA_HEIGHT * 16) / 9 }, height: { ideal: CAMERA_HEIGHT }, frameRate: { ideal: 30 } };

function element<T extends HTMLElement>(id: string): T {
  const el = document.getElementById(id);
  if (!el) throw new Error(`room.html lacks #${id}`);
  return el as T;
}

const grid = element<HTMLElement>('grid');
const statusEl = element<HTMLElement>('status');
const controls = element<HTMLElement>('controls');
const notice = element<HTMLElement>('notice');
const micButton = element<HTMLButtonElement>('toggle-mic');
const cameraButton = element<HTMLButtonElement>('toggle-camera');

/** One participant's tile: a video element playing a stream of that peer's tracks. */
class Tile {
  readonly root = document.createElement('div');
  readonly video = document.createElement('video');
  readonly stream = new MediaStream();
  private readonly micBadge = document.createElement('span');

  constructor(peerId: string, name: string, local: boolean) {
    this.root.className = `tile ${local ? 'local' : 'remote'}`;
    this.root.dataset.peerId = peerId;
    this.video.autoplay = true;
    this.video.playsInline = true;
    this.video.muted = local;
    this.video.srcObject = this.stream;
    const label = document.createElement('span');
    label.className = 'tile-name';
    label.textContent = local ? `${name} (you)` : name;
    const badges = document.createElement('span');
    badges.className = 'tile-badges';
    this.micBadge.className = 'badge mic-muted';
    this.micBadge.textContent = 'mic off';
    this.micBadge.hidden = true;
    badges.append(this.micBadge);
    this.root.append(this.video, label, badges);
    grid.append(this.root);
  }

  /**
   * Tracks arrive one by one (audio may come before video). The element gets a new stream each
   * time rather than a track added to the one it plays: Chromium can leave an element that was
   * already loading an audio-only stream without the video added to it (no frame, time 0).
   */
  addTrack(track: MediaStreamTrack): void {
    this.stream.addTrack(track);
    this.video.srcObject = new MediaStream(this.stream.getTracks());
    this.play();
  }

  removeTrack(track: MediaStreamTrack): void {
    this.stream.removeTrack(track);
    this.video.srcObject = new MediaStream(this.stream.getTracks());
    if (this.stream.getTracks().length > 0) this.play();
  }

  setMuted(source: 'mic' | 'camera', muted: boolean): void {
    if (source === 'mic') this.micBadge.hidden = !muted;
    else this.root.classList.toggle('camera-off', muted);
  }

  remove(): void {
    this.video.srcObject = null;
    this.root.remove();
  }

  /** Plays with sound; where the browser's autoplay policy refuses, plays muted and offers a button. */
  private play(): void {
    this.video.play().catch(() => {
      this.video.muted = true;
      void this.video.play().catch(() => undefined);
      offerSound();
    });
  }
}

const tiles = new Map<string, Tile>();

function offerSound(): void {
  if (document.getElementById('enable-sound')) return;
  const button = document.createElement('button');
  button.id = 'enable-sound';
  button.className = 'control primary';
  button.textContent = 'Enable sound';
  button.onclick = () => {
    for (const [id, tile] of tiles) if (id !== 'local') tile.video.muted = false;
    button.remove();
  };
  controls.prepend(button);
}

function setStatus(state: string, text: string): void {
  statusEl.dataset.state = state;
  statusEl.textContent = text;
}

function showNotice(text: string): void {
  grid.hidden = true;
  controls.hidden = true;
  notice.hidden = false;
  notice.textContent = text;
  const again = document.createElement('a');
  again.href = location.href;
  again.textContent = ' Join again';
  notice.append(again);
}

/**
 * A remote video asks for the simulcast layer that fits its tile's height (mediasoup sends at
 * most that, less when bandwidth is short), again whenever the tile is resized.
 */
function fitToTile(consumer: Consumer, tile: Tile): void {
  let layer = -1;
  const apply = (): void => {
    if (consumer.closed) return;
    const wanted = spatialLayerForTile(tile.root.clientHeight, layerHeights(CAMERA_HEIGHT), window.devicePixelRatio);
    if (wanted === layer) return;
    layer = wanted;
    void consumer.setPreferredLayers(wanted).catch(() => undefined);
  };
  const sized = new ResizeObserver(() => apply());
  sized.observe(tile.root);
  consumer.on('close', () => sized.disconnect());
}

function sourceOf(client: RoomClient, peerId: string, producerId: string): 'mic' | 'camera' | null {
  const source = client.peers.get(peerId)?.producers.get(producerId)?.source;
  return source === 'mic' || source === 'camera' ? source : null;
}

function bindToggle(button: HTMLButtonElement, producer: Producer | undefined, labels: [string, string], tile: Tile, source: 'mic' | 'camera'): void {
  if (!producer) {
    button.disabled = true;
    return;
  }
  button.onclick = async () => {
    const mute = !producer.paused;
    button.setAttribute('aria-pressed', String(mute));
    button.textContent = mute ? labels[1] : labels[0];
    tile.setMuted(source, mute);
    await (mute ? producer.pause() : producer.resume());
  };
}

async function start(roomId: string, displayName: string, token: string | undefined): Promise<void> {
  document.title = `${roomId} · Estuary`;
  element<HTMLElement>('room-title').textContent = roomId;
  grid.hidden = false;
  let media: MediaStream | null = null;
  try {
    media = await navigator.mediaDevices.getUserMedia({ audio: true, video: CAMERA_CONSTRAINTS });
  } catch (err) {
    console.warn('no camera/microphone; joining without publishing', err);
  }
  const client = new RoomClient({ roomId, displayName, ...(token ? { token } : {}) });
  const local = new Tile('local', displayName, true);
  tiles.set('local', local);
  for (const track of media?.getVideoTracks() ?? []) local.addTrack(track);

  client.on('connectionstatechange', (state) => setStatus(state, state === 'connected' ? 'connected' : state === 'reconnecting' ? 'reconnecting…' : state));
  client.on('peerJoined', (peer) => {
    if (!tiles.has(peer.id)) tiles.set(peer.id, new Tile(peer.id, peer.displayName, false));
  });
  client.on('peerLeft', (peerId) => {
    tiles.get(peerId)?.remove();
    tiles.delete(peerId);
  });
  client.on('consumer', (consumer: Consumer) => {
    const tile = tiles.get(consumer.peerId);
    if (!tile) return;
    tile.addTrack(consumer.track);
    if (consumer.source === 'mic' || consumer.source === 'camera') tile.setMuted(consumer.source, consumer.producerPaused);
    consumer.on('close', () => tile.removeTrack(consumer.track));
    if (consumer.kind === 'video') fitToTile(consumer, tile);
  });
  const onPause = (paused: boolean) => (e: { peerId: string; producerId: string }) => {
    const source = sourceOf(client, e.peerId, e.producerId);
    if (source) tiles.get(e.peerId)?.setMuted(source, paused);
  };
  client.on('producerPaused', onPause(true));
  client.on('producerResumed', onPause(false));
  client.on('kicked', (reason) => showNotice(`You were removed from the room (${reason}).`));
  // The dominant speaker's tile is highlighted (`speaking`); the local tile stands for this client.
  client.on('activeSpeaker', (peerId) => {
    const id = peerId !== null && peerId === client.peerId ? 'local' : peerId;
    for (const [tileId, tile] of tiles) tile.root.classList.toggle('speaking', tileId === id);
  });
  client.on('error', (err) => console.error('room', err));

  await client.join();
  controls.hidden = false;
  const [audioTrack] = media?.getAudioTracks() ?? [];
  const [videoTrack] = media?.getVideoTracks() ?? [];
  const mic = audioTrack && client.canPublish ? await client.produce(audioTrack, { source: 'mic' }) : undefined;
  const camera = videoTrack && client.canPublish ? await client.produce(videoTrack, { source: 'camera' }) : undefined;
  bindToggle(micButton, mic, ['Mute mic', 'Unmute mic'], local, 'mic');
  bindToggle(cameraButton, camera, ['Stop camera', 'Start camera'], local, 'camera');

  const leave = async (): Promise<void> => {
    await client.leave();
    for (const track of media?.getTracks() ?? []) track.stop();
  };
  element<HTMLButtonElement>('leave').onclick = async () => {
    await leave();
    showNotice('You left the room.');
  };
  // Closing the tab: say goodbye so the others drop this tile at once instead of after the reconnect grace.
  addEventListener('pagehide', () => void leave());
}

function main(): void {
  const match = /^\/room\/([^/]+)\/?$/.exec(location.pathname);
  const roomId = match?.[1] ? decodeURIComponent(match[1]) : '';
  const params = new URLSearchParams(location.search);
  const token = params.get('token') ?? undefined;
  const name = params.get('name')?.trim();
  const run = (displayName: string): void => {
    start(roomId, displayName, token).catch((err: unknown) => {
      setStatus('closed', 'error');
      showNotice(`Could not join: ${err instanceof Error ? err.message : String(err)}.`);
    });
  };
  if (name) return run(name);
  const form = element<HTMLFormElement>('name-form');
  form.hidden = false;
  setStatus('new', 'not joined');
  form.onsubmit = (ev) => {
    ev.preventDefault();
    const value = element<HTMLInputElement>('name-input').value.trim();
    if (!value) return;
    form.hidden = true;
    params.set('name', value);
    history.replaceState(null, '', `${location.pathname}?${params}`);
    run(value);
  };
}

main();
