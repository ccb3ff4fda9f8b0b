/**
 * The home page: join a room, how to publish, the live streams. Streams come from
 * `GET /api/v1/streams`, which needs an admin token when auth is configured; the page then says
 * so instead of listing them.
 */

const $ = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T;

interface StreamView {
  path: string;
  origin: string;
  tracks: Array<{ type: string; codec: string; width?: number; height?: number }>;
}

function randomRoomId(): string {
  const words = ['harbor', 'delta', 'tide', 'reef', 'cove', 'inlet', 'bay', 'lagoon'];
  return `${words[Math.floor(Math.random() * words.length)]}-${Math.floor(1000 + Math.random() * 9000)}`;
}

function fillPublishHelp(): void {
  const host = location.hostname || 'localhost';
  const rtmpBase = `rtmp://${host}/live`;
  $('rtmp-base').textContent = rtmpBase;
  $('publish-cmd').textContent = `ffmpeg -re -i input.mp4 -c copy -f flv ${rtmpBase}/demo`;
  const watch = `${location.origin}/watch/live/demo`;
  const link = $<HTMLAnchorElement>('watch-link');
  link.href = watch;
  link.textContent = watch;
  const urls: Array<[string, string]> = [
    ['HLS / LL-HLS', `${location.origin}/hls/live/demo/index.m3u8`],
    ['HTTP-FLV', `http://${host}:8088/live/demo.flv`],
    ['RTMP play', `${rtmpBase}/demo`],
    ['WHEP', `${location.origin}/whep/live/demo`],
  ];
  const list = $('urls');
  for (const [label, url] of urls) {
    const li = document.createElement('li');
    li.textContent = `${label}: ${url}`;
    list.append(li);
  }
}

async function listStreams(): Promise<void> {
  const list = $('streams');
  list.replaceChildren();
  const say = (text: string): void => {
    const li = document.createElement('li');
    li.className = 'muted';
    li.textContent = text;
    list.append(li);
  };
  let res: Response;
  try {
    res = await fetch('/api/v1/streams');
  } catch {
    say('the server did not answer');
    return;
  }
  if (res.status === 401) return say('listing streams needs an admin token (auth is configured)');
  if (!res.ok) return say(`could not list streams (${res.status})`);
  const body = (await res.json()) as { streams?: StreamView[] } | StreamView[];
  const streams = Array.isArray(body) ? body : (body.streams ?? []);
  if (streams.length === 0) return say('no live streams');
  for (const s of streams) {
    const li = document.createElement('li');
    const a = document.createElement('a');
    a.href = `/watch/${s.path}`;
    a.textContent = s.path;
    const video = s.tracks.find((t) => t.type === 'video');
    const codecs = s.tracks.map((t) => t.codec).join(' + ');
    li.append(a, ` — ${s.origin}, ${codecs}${video?.width ? `, ${video.width}x${video.height}` : ''}`);
    list.append(li);
  }
}

function main(): void {
  const roomInput = $<HTMLInputElement>('room-id');
  roomInput.value = randomRoomId();
  $('room-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const name = $<HTMLInputElement>('display-name').value.trim();
    const room = encodeURIComponent(roomInput.value.trim());
    location.href = `/room/${room}${name ? `?name=${encodeURIComponent(name)}` : ''}`;
  });
  fillPublishHelp();
  void listStreams();
  setInterval(() => void listStreams(), 5000);
}

main();
