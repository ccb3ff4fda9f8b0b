import { Device, types as msc } from 'mediasoup-client';
import { io, type Socket } from 'socket.io-client';
import type { IceServer, PeerInfo, ProducerInfo, ProducerSource, ServerEvents } from '../../protocol/signaling/schemas.js';
import { Consumer } from './Consumer.js';
import { Emitter } from './Emitter.js';
import { Producer } from './Producer.js';
import { RecvTransport } from './RecvTransport.js';
import { SendTransport } from './SendTransport.js';
import { SignalingChannel, SignalingError } from './SignalingChannel.js';

/** How long `join()` waits for the socket to connect. */
const CONNECT_TIMEOUT_MS = 10_000;
/** socket.io reconnection backoff: quick first retry, capped so a resume lands well within the server's grace. */
const RECONNECT_DELAY_MS = 500;
const RECONNECT_DELAY_MAX_MS = 3_000;
/** How long `leave()` waits for the server's ack before closing anyway. */
const LEAVE_TIMEOUT_MS = 2_000;

export interface RoomClientOptions {
  roomId: string;
  displayName: string;
  /** Server origin, e.g. `http://127.0.0.1:8080`; the page's own origin when absent. */
  url?: string;
  /** Room token (JWT) when the server has auth on. */
  token?: string;
  /** Consume every producer in the room as it appears (default true). */
  autoConsume?: boolean;
  /**
   * mediasoup-client's handler; detected from the browser when absent. In Node (bots on
   * @roamhq/wrtc, whose classes are installed as globals) pass `'Chrome111'`.
   */
  handlerName?: msc.BuiltinHandlerName;
  /** Simulcast encodings for camera producers (none: one encoding). */
  cameraEncodings?: msc.RtpEncodingParameters[];
}

/** A remote participant as this client knows it. */
export interface RemotePeer {
  id: string;
  displayName: string;
  producers: Map<string, ProducerInfo>;
}

export type ConnectionState = 'new' | 'connected' | 'reconnecting' | 'closed';

type RoomClientEvents = {
  joined: [{ peerId: string; resumed: boolean }];
  peerJoined: [RemotePeer];
  peerLeft: [string];
  consumer: [Consumer];
  producerPaused: [{ peerId: string; producerId: string }];
  producerResumed: [{ peerId: string; producerId: string }];
  kicked: [string];
  /** The room's dominant speaker (a peer id, possibly this client's own), or null. */
  activeSpeaker: [string | null];
  connectionstatechange: [ConnectionState];
  /** A background step (auto-consume, re-produce after reconnect) failed. */
  error: [Error];
};

/**
 * Joins a room over socket.io and exchanges media with it: one send and one recv transport
 * (an RTCPeerConnection each), local Producers and remote Consumers. After a socket drop it
 * rejoins with `resume` (same peerId), rebuilds both transports, produces its tracks again and
 * consumes everything again.
 */
export class RoomClient extends Emitter<RoomClientEvents> {
  readonly peers = new Map<string, RemotePeer>();
  readonly producers = new Map<Producer, true>();
  readonly consumers = new Map<string, Consumer>();
  private readonly options: RoomClientOptions;
  private device: Device | null = null;
  private socket: Socket | null = null;
  private channel: SignalingChannel | null = null;
  private sendTransport: SendTransport | null = null;
  private recvTransport: RecvTransport | null = null;
  private session: { peerId: string; sessionSecret: string } | null = null;
  private iceServers: IceServer[] = [];
  private canPublishValue = false;
  private canSubscribeValue = false;
  /** Producer ids being consumed (or about to be), so a producer is consumed once. */
  private readonly consuming = new Set<string>();
  private state: ConnectionState = 'new';

  constructor(options: RoomClientOptions) {
    super();
    this.options = options;
  }

  get peerId(): string | null {
    return this.session?.peerId ?? null;
  }

  get connectionState(): ConnectionState {
    return this.state;
  }

  get canPublish(): boolean {
    return this.canPublishValue;
  }

  get canSubscribe(): boolean {
    return this.canSubscribeValue;
  }

  /** Connects, joins the room, builds the transports and (by default) consumes what is there. */
  async join(): Promise<void> {
    if (this.socket) throw new Error('join() was already called');
    const socket = io(this.options.url ?? '', {
      path: '/socket.io',
      transports: ['websocket'],
      reconnectionDelay: RECONNECT_DELAY_MS,
      reconnectionDelayMax: RECONNECT_DELAY_MAX_MS,
      timeout: CONNECT_TIMEOUT_MS,
    });
    this.socket = socket;
    this.channel = new SignalingChannel(socket);
    this.listen(socket);
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => fail(new Error(`could not connect within ${CONNECT_TIMEOUT_MS} ms`)), CONNECT_TIMEOUT_MS);
      const ok = (): void => {
        clearTimeout(timer);
        socket.off('connect_error', fail);
        resolve();
      };
      function fail(err: Error): void {
        clearTimeout(timer);
        socket.off('connect', ok);
        socket.off('connect_error', fail);
        socket.disconnect();
        reject(err);
      }
      socket.once('connect', ok);
      socket.on('connect_error', fail);
    });
    try {
      await this.enterRoom();
    } catch (err) {
      this.shutdown();
      throw err;
    }
  }

  /** Sends a local track to the room. */
  async produce(track: MediaStreamTrack, options: { source: ProducerSource; paused?: boolean }): Promise<Producer> {
    const transport = this.sendTransport;
    if (!transport) throw new Error(this.canPublishValue ? 'not joined' : 'this client may not publish');
    const paused = options.paused ?? false;
    const handle = await transport.produce(track, options.source, paused, this.encodingsFor(track, options.source));
    const producer = new Producer(handle, track, options.source, paused, () => this.channel);
    this.producers.set(producer, true);
    producer.on('close', () => this.producers.delete(producer));
    return producer;
  }

  /** Consumes one producer of the room (done automatically unless `autoConsume` is false). */
  async consume(producerId: string): Promise<Consumer> {
    const transport = this.recvTransport;
    if (!transport) throw new Error(this.canSubscribeValue ? 'not joined' : 'this client may not subscribe');
    this.consuming.add(producerId);
    try {
      const { data, consumer: handle } = await transport.consume(producerId);
      const source = this.peers.get(data.peerId)?.producers.get(producerId)?.source ?? 'stream';
      const consumer = new Consumer(
        { id: data.consumerId, producerId, peerId: data.peerId, kind: data.kind, source, track: handle.track, producerPaused: data.producerPaused, handle },
        () => this.channel,
      );
      this.consumers.set(consumer.id, consumer);
      consumer.on('close', () => {
        this.consumers.delete(consumer.id);
        this.consuming.delete(producerId);
      });
      await this.channel?.request('resumeConsumer', { consumerId: consumer.id });
      this.emit('consumer', consumer);
      return consumer;
    } catch (err) {
      this.consuming.delete(producerId);
      throw err;
    }
  }

  /** Leaves the room and closes everything. Idempotent. */
  async leave(): Promise<void> {
    if (this.state === 'closed') return;
    const channel = this.channel;
    if (channel && this.session && this.socket?.connected) {
      await Promise.race([channel.request('leave', {}).catch(() => undefined), new Promise((r) => setTimeout(r, LEAVE_TIMEOUT_MS))]);
    }
    this.shutdown();
  }

  private listen(socket: Socket): void {
    const on = <E extends keyof ServerEvents>(event: E, fn: ServerEvents[E]): void => {
      socket.on(event, fn as never);
    };
    on('peerJoined', ({ peer }) => this.addPeer(peer));
    on('peerLeft', ({ peerId }) => this.removePeer(peerId));
    on('newProducer', ({ producer }) => this.addRemoteProducer(producer));
    on('producerClosed', ({ producerId, peerId }) => {
      if (peerId === this.session?.peerId) {
        for (const p of this.producers.keys()) if (p.id === producerId) p.markClosed();
        return;
      }
      this.peers.get(peerId)?.producers.delete(producerId);
      for (const c of this.consumers.values()) if (c.producerId === producerId) c.close();
    });
    on('producerPaused', (e) => this.setProducerPaused(e.peerId, e.producerId, true));
    on('producerResumed', (e) => this.setProducerPaused(e.peerId, e.producerId, false));
    on('consumerClosed', ({ consumerId }) => this.consumers.get(consumerId)?.close());
    on('activeSpeaker', ({ peerId }) => this.emit('activeSpeaker', peerId));
    on('mediaReset', ({ reason }) => {
      if (this.state === 'connected') void this.rebuild(reason);
    });
    on('kicked', ({ reason }) => {
      this.emit('kicked', reason);
      this.shutdown();
    });
    socket.on('disconnect', () => {
      if (this.state === 'connected') this.setState('reconnecting');
    });
    socket.on('connect', () => {
      if (this.state === 'reconnecting') void this.rejoin();
    });
  }

  /** `join` and build the transports; with a session from before, resume it. */
  private async enterRoom(): Promise<void> {
    const channel = this.channel;
    if (!channel) throw new Error('not connected');
    // Peers known before this join (from a session before a reconnect): those missing from the
    // join answer left meanwhile. Peers announced while the join is answered are new, and stay.
    const known = new Set(this.peers.keys());
    const data = await channel.request('join', {
      roomId: this.options.roomId,
      displayName: this.options.displayName,
      ...(this.options.token ? { token: this.options.token } : {}),
      ...(this.session ? { resume: this.session } : {}),
    });
    this.session = { peerId: data.peerId, sessionSecret: data.sessionSecret };
    this.iceServers = data.iceServers;
    this.canPublishValue = data.canPublish;
    this.canSubscribeValue = data.canSubscribe;
    const present = new Set(data.peers.map((p) => p.id));
    for (const id of known) if (!present.has(id)) this.removePeer(id);
    // The room as the answer shows it, at once: notifications that arrive while the Device loads
    // and the transports are built (a producer of a peer in this list) must find their peer.
    for (const peer of data.peers) this.addPeer(peer);
    if (!this.device) {
      const device = new Device(this.options.handlerName ? { handlerName: this.options.handlerName } : {});
      await device.load({ routerRtpCapabilities: data.routerRtpCapabilities as msc.RtpCapabilities });
      this.device = device;
    }
    await this.createTransports();
    this.setState('connected');
    this.emit('joined', { peerId: data.peerId, resumed: data.resumed });
    // Everything recorded so far: the answer's producers and those announced meanwhile.
    this.consumeAll();
  }

  /** After a socket reconnect: old transports are gone server-side; resume and rebuild. */
  private async rejoin(): Promise<void> {
    this.closeTransports();
    try {
      await this.enterRoom();
      await this.reproduce();
      this.consumeAll();
    } catch (err) {
      this.emit('error', err instanceof Error ? err : new Error(String(err)));
    }
  }

  /** The server lost our media (`mediaReset`): same session, new transports, produce and consume again. */
  private async rebuild(reason: string): Promise<void> {
    this.closeTransports();
    try {
      await this.createTransports();
      await this.reproduce();
      this.consumeAll();
    } catch (err) {
      this.emit('error', new Error(`media rebuild after "${reason}" failed: ${err instanceof Error ? err.message : String(err)}`));
    }
  }

  private async reproduce(): Promise<void> {
    for (const producer of [...this.producers.keys()]) {
      if (producer.closed || !this.sendTransport) continue;
      producer.rebind(await this.sendTransport.produce(producer.track, producer.source, producer.paused, this.encodingsFor(producer.track, producer.source)));
    }
  }

  /** Consumes every known remote producer not consumed yet (after transports were rebuilt). */
  private consumeAll(): void {
    for (const peer of this.peers.values()) for (const info of peer.producers.values()) this.addRemoteProducer(info);
  }

  private async createTransports(): Promise<void> {
    const channel = this.channel;
    const device = this.device;
    if (!channel || !device) throw new Error('not connected');
    const iceServers = this.iceServers as RTCIceServer[];
    const recover = (transportId: string): void => void this.restartIce(transportId);
    if (this.canPublishValue) {
      const t = await channel.request('createTransport', { direction: 'send' });
      this.sendTransport = new SendTransport(device.createSendTransport({ id: t.transportId, iceParameters: t.iceParameters, iceCandidates: t.iceCandidates as msc.IceCandidate[], dtlsParameters: t.dtlsParameters as msc.DtlsParameters, iceServers }), channel, recover);
    }
    if (this.canSubscribeValue) {
      const t = await channel.request('createTransport', { direction: 'recv', rtpCapabilities: device.rtpCapabilities as never });
      this.recvTransport = new RecvTransport(device.createRecvTransport({ id: t.transportId, iceParameters: t.iceParameters, iceCandidates: t.iceCandidates as msc.IceCandidate[], dtlsParameters: t.dtlsParameters as msc.DtlsParameters, iceServers }), channel, recover);
    }
  }

  /** ICE restart of one transport (network change or outage): new credentials from the server, applied locally. */
  private async restartIce(transportId: string): Promise<void> {
    const transport = [this.sendTransport, this.recvTransport].find((t) => t?.id === transportId);
    if (!transport || !this.channel || !this.socket?.connected) return;
    try {
      const { iceParameters } = await this.channel.request('restartIce', { transportId });
      await transport.transport.restartIce({ iceParameters });
    } catch (err) {
      this.emit('error', err instanceof Error ? err : new Error(String(err)));
    }
  }

  private encodingsFor(track: MediaStreamTrack, source: ProducerSource): msc.RtpEncodingParameters[] | undefined {
    return track.kind === 'video' && source === 'camera' ? this.options.cameraEncodings : undefined;
  }

  private addPeer(info: PeerInfo): void {
    let peer = this.peers.get(info.id);
    const isNew = !peer;
    if (!peer) {
      peer = { id: info.id, displayName: info.displayName, producers: new Map() };
      this.peers.set(info.id, peer);
    }
    if (isNew) this.emit('peerJoined', peer);
    for (const producer of info.producers) this.addRemoteProducer(producer);
  }

  private removePeer(peerId: string): void {
    if (!this.peers.delete(peerId)) return;
    for (const c of [...this.consumers.values()]) if (c.peerId === peerId) c.close();
    this.emit('peerLeft', peerId);
  }

  private addRemoteProducer(info: ProducerInfo): void {
    const peer = this.peers.get(info.peerId);
    if (!peer) return;
    peer.producers.set(info.id, info);
    // Before the recv transport exists (joining, rebuilding) the producer is only recorded:
    // consumeAll() takes it once the transport is there.
    if (this.options.autoConsume === false || !this.canSubscribeValue || !this.recvTransport || this.consuming.has(info.id)) return;
    this.consume(info.id).catch((err: unknown) => {
      // A producer that closed meanwhile is not a failure worth reporting.
      if (err instanceof SignalingError && err.code === 'not_found') return;
      this.emit('error', err instanceof Error ? err : new Error(String(err)));
    });
  }

  private setProducerPaused(peerId: string, producerId: string, paused: boolean): void {
    const info = this.peers.get(peerId)?.producers.get(producerId);
    if (info) info.paused = paused;
    for (const c of this.consumers.values()) if (c.producerId === producerId) c.setProducerPaused(paused);
    this.emit(paused ? 'producerPaused' : 'producerResumed', { peerId, producerId });
  }

  private closeTransports(): void {
    for (const c of [...this.consumers.values()]) c.close();
    this.consuming.clear();
    this.sendTransport?.close();
    this.recvTransport?.close();
    this.sendTransport = null;
    this.recvTransport = null;
  }

  private setState(state: ConnectionState): void {
    if (state === this.state) return;
    this.state = state;
    this.emit('connectionstatechange', state);
  }

  /** Local end of the session: producers, consumers, transports, socket. */
  private shutdown(): void {
    if (this.state === 'closed') return;
    for (const p of [...this.producers.keys()]) p.markClosed();
    this.closeTransports();
    for (const id of [...this.peers.keys()]) this.removePeer(id);
    this.socket?.removeAllListeners();
    this.socket?.disconnect();
    this.channel = null;
    this.setState('closed');
  }
}
