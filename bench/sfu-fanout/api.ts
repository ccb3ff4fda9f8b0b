/** The control API of each helper process of the SFU fan-out benchmark (see ../sfu-fanout.ts). */

export type MediaKind = 'video' | 'audio';

/** Process-wide resource figures, read inside the process. */
export interface ProcessFigures {
  /** process.cpuUsage(): every thread of the process (JS and the engine's native threads). */
  cpuUserUs: number;
  cpuSystemUs: number;
  /** performance.now() when sampled, for rates. */
  atMs: number;
  rssMb: number;
  fds: number;
  threads: number;
}

export interface SfuSnapshot extends ProcessFigures {
  /** Event-loop delay since the previous snapshot that asked for a reset (ms). */
  eventLoop: { p99Ms: number; maxMs: number; meanMs: number };
  producers: { kind: MediaKind; packetsReceived: number; packetsForwarded: number; packetsDiscarded: number; packetsLost: number; bytesReceived: number }[];
  consumers: { count: number; packetsSent: number; sendFailures: number };
  transports: Record<string, number>;
}

export interface SfuReady {
  pid: number;
  /** The ICE UDP mux port every peer shares. */
  port: number;
  eventLoopResolutionMs: number;
}

export type SfuApi = {
  /** The publisher's offer (video + audio m-lines) → one producer per m-line; Estuary's answer. */
  produce: { params: { sdpOffer: string; mids: { kind: MediaKind; mid: string }[] }; result: { sdpAnswer: string } };
  /** A recv transport for subscriber `id`, consuming the first producer: Estuary's offer. */
  subscribe: { params: { id: string }; result: { sdpOffer: string } };
  /**
   * The subscriber's answer to the last offer. Returns the next offer (one more consumer on the
   * same transport, by renegotiation) or, when every producer is consumed, resumes the consumers
   * and returns no offer.
   */
  answer: { params: { id: string; sdpAnswer: string }; result: { sdpOffer: string | null } };
  snapshot: { params: { resetEventLoop: boolean }; result: SfuSnapshot };
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
  /** Applies an offer for subscriber `id` (creating its peer connection on first use); the answer. */
  answer: { params: { id: string; sdpOffer: string }; result: { sdpAnswer: string } };
  /** The SFU has applied the answer: add the SFU's candidates held back from its offer (trickle ICE). */
  connect: { params: { id: string }; result: null };
  snapshot: { params: Record<string, never>; result: SubscribersSnapshot };
  close: { params: Record<string, never>; result: null };
};
