/** The control API of each helper process of the SFU fan-out benchmark (see ../sfu-fanout.ts). */

export type MediaKind = 'video' | 'audio';

/** Process-wide resource figures, read inside the process. */
export interface ProcessFigures {
  /** process.cpuUsage(): every thread of the process. */
  cpuUserUs: number;
  cpuSystemUs: number;
  /** performance.now() when sampled, for rates. */
  atMs: number;
  rssMb: number;
  fds: number;
  threads: number;
}

/** The WHIP producers' counters (mediasoup `inbound-rtp`): two requests, read in a few ms. */
export interface IngestSnapshot {
  /** performance.now() in the server process after reading them. */
  atMs: number;
  producers: { kind: MediaKind; packetCount: number; byteCount: number; packetsLost: number }[];
  /** The pipe producers on the viewer routers (what pipeToRouter delivered to each worker): packets received, summed. */
  piped: { packetCount: number; packetsLost: number };
}

/** The WHEP side of the server (one getStats() per consumer: hundreds of requests) and the Node process's figures. */
export interface EgressSnapshot {
  /** performance.now() in the server process before and after reading the consumers (rates use their midpoint). */
  startMs: number;
  endMs: number;
  /** Event-loop delay of the Node server process since the previous snapshot that asked for a reset (ms). */
  eventLoop: { p99Ms: number; maxMs: number; meanMs: number };
  rssMb: number;
  fds: number;
  threads: number;
  /** The WHEP consumers (not the pipe consumers): `outbound-rtp` packetCount / byteCount. */
  consumers: { count: number; packetCount: number; byteCount: number };
  /** WHEP viewer transports per worker index (from their router's appData.workerIndex). */
  viewersPerWorker: Record<string, number>;
  /** Routers per worker index, by role: `source` (WHIP), `viewers` (ViewerRouters). */
  routers: { worker: number; role: string }[];
}

export interface ServerReady {
  pid: number;
  /** http://127.0.0.1:<port> */
  url: string;
  /** mediasoup worker pids (`sfu.workerPids()`), in slot order. */
  workerPids: number[];
  /** The WebRtcServer ports (one per worker). */
  mediaPorts: string[];
  eventLoopResolutionMs: number;
}

export type ServerApi = {
  ingest: { params: Record<string, never>; result: IngestSnapshot };
  egress: { params: { resetEventLoop: boolean }; result: EgressSnapshot };
  /** The worker pids now (a dead worker is respawned with another pid). */
  workerPids: { params: Record<string, never>; result: number[] };
  close: { params: Record<string, never>; result: null };
};

export interface PublisherReady {
  pid: number;
  /** UDP ports on 127.0.0.1 where ffmpeg sends the RTP of each kind. */
  rtpPorts: Record<MediaKind, number>;
  /** Where ffmpeg sends its RTCP (`rtcpport=`), so it never lands on a stranger's port + 1. */
  rtcpPorts: Record<MediaKind, number>;
}

export interface PublisherStats {
  state: string;
  tracksOpen: number;
  /** RTP packets from ffmpeg / sent on the tracks, per kind. */
  fromFfmpeg: Record<MediaKind, number>;
  sent: Record<MediaKind, number>;
}

export type PublisherApi = {
  /** Creates the peer connection with a VP8 and an Opus sendonly track; the offer with candidates. */
  offer: { params: Record<string, never>; result: { sdpOffer: string; mids: { kind: MediaKind; mid: string }[] } };
  answer: { params: { sdpAnswer: string }; result: null };
  stats: { params: Record<string, never>; result: PublisherStats };
  close: { params: Record<string, never>; result: null };
};

/** Totals over every subscriber, per kind. */
export interface SubscriberTotals {
  packets: Record<MediaKind, number>;
  bytes: Record<MediaKind, number>;
  /** RFC 3550 A.3: expected (extended highest − first + 1) minus received, summed. */
  lost: Record<MediaKind, number>;
  /** Subscribers that have received at least one packet of each kind. */
  receiving: Record<MediaKind, number>;
  states: Record<string, number>;
}

export interface SubscribersSnapshot extends ProcessFigures {
  totals: SubscriberTotals;
  /** Per subscriber, in creation order: packets of both kinds (for min/max spread). */
  perSubscriber: number[];
}

export type SubscribersApi = {
  /** Creates subscriber `id` and views the stream with WHEP (POST `url`, RFC 9725-style offer/answer); the HTTP status. */
  view: { params: { id: string; url: string }; result: { status: number } };
  /** Views again, under the same id, with every subscriber whose peer connection failed or closed; how many. */
  rejoinFailed: { params: { url: string }; result: { rejoined: number } };
  snapshot: { params: Record<string, never>; result: SubscribersSnapshot };
  close: { params: Record<string, never>; result: null };
};
