/** Estuary's browser SDK for rooms (also runs in Node with an injected RTCPeerConnection). */
export { RoomClient, type RoomClientOptions, type RemotePeer, type ConnectionState } from './RoomClient.js';
export { Producer } from './Producer.js';
export { Consumer } from './Consumer.js';
export { SendTransport } from './SendTransport.js';
export { RecvTransport } from './RecvTransport.js';
export { SignalingChannel, SignalingError, REQUEST_TIMEOUT_MS } from './SignalingChannel.js';
export { ICE_RESTART_AFTER_MS } from './ice-recovery.js';
export { CAMERA_SIMULCAST_ENCODINGS, layerHeights, spatialLayerForTile } from './layers.js';
