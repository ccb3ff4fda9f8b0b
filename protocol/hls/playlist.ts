/**
 * The playlist model shared by the HLS writers and parser (RFC 8216 and
 * draft-pantos-hls-rfc8216bis). Durations are seconds; URIs are written as given.
 */

export interface ByteRange {
  length: number;
  offset?: number;
}

/** EXT-X-MAP (rfc8216bis §4.4.4.5): the initialization section of fMP4 segments. */
export interface HlsMap {
  uri: string;
  byteRange?: ByteRange;
}

/** EXT-X-PART (rfc8216bis §4.4.4.9): a Partial Segment. */
export interface HlsPart {
  uri: string;
  duration: number;
  /** INDEPENDENT=YES: the part starts with an independent frame (a keyframe). */
  independent?: boolean;
  byteRange?: ByteRange;
  gap?: boolean;
}

/** A complete Media Segment: EXTINF + URI and the tags that apply to it (§4.4.4). */
export interface HlsSegment {
  uri: string;
  duration: number;
  title?: string;
  /** EXT-X-DISCONTINUITY before this segment. */
  discontinuity?: boolean;
  /** EXT-X-PROGRAM-DATE-TIME of its first sample. */
  programDateTime?: Date;
  /** A new EXT-X-MAP that applies from this segment on. */
  map?: HlsMap;
  gap?: boolean;
  /** Its Partial Segments, for the latest segments of a Low-Latency playlist. */
  parts?: HlsPart[];
}

/** EXT-X-PRELOAD-HINT (rfc8216bis §4.4.5.3): the next resource the server will publish. */
export interface HlsPreloadHint {
  type: 'PART' | 'MAP';
  uri: string;
  byteRangeStart?: number;
  byteRangeLength?: number;
}

/** EXT-X-SERVER-CONTROL (rfc8216bis §4.4.3.8). */
export interface HlsServerControl {
  canBlockReload?: boolean;
  /** Seconds from the live edge a non-LL client should start (≥ 3 × target duration). */
  holdBack?: number;
  /** Seconds from the live edge an LL client should start (≥ 3 × part target here). */
  partHoldBack?: number;
  /** Delta updates: segments older than this many seconds from the end may be skipped. */
  canSkipUntil?: number;
}

/** EXT-X-RENDITION-REPORT (rfc8216bis §4.4.5.4). */
export interface HlsRenditionReport {
  uri: string;
  lastMsn: number;
  lastPart?: number;
}

/** A Media Playlist (rfc8216bis §4.4.3–§4.4.5). */
export interface MediaPlaylist {
  /** EXT-X-VERSION; computed from the features used when absent. */
  version?: number;
  /** EXT-X-TARGETDURATION in whole seconds. */
  targetDuration: number;
  /** EXT-X-MEDIA-SEQUENCE: the sequence number of segments[0]. */
  mediaSequence: number;
  discontinuitySequence?: number;
  independentSegments?: boolean;
  playlistType?: 'EVENT' | 'VOD';
  map?: HlsMap;
  /** EXT-X-PART-INF PART-TARGET, seconds. */
  partTarget?: number;
  serverControl?: HlsServerControl;
  segments: HlsSegment[];
  /** Parts of the segment still being written (they follow the last complete segment). */
  pendingParts?: HlsPart[];
  preloadHint?: HlsPreloadHint;
  renditionReports?: HlsRenditionReport[];
  endList?: boolean;
  /** EXT-X-SKIP SKIPPED-SEGMENTS, when the playlist is a delta update. */
  skippedSegments?: number;
}

/** One EXT-X-STREAM-INF variant of a Multivariant Playlist (rfc8216bis §4.4.6.2). */
export interface HlsVariant {
  uri: string;
  /** Peak bits per second. */
  bandwidth: number;
  averageBandwidth?: number;
  /** RFC 6381 codec strings, e.g. ['avc1.64001f', 'mp4a.40.2']. */
  codecs: string[];
  resolution?: { width: number; height: number };
  frameRate?: number;
}

export interface MultivariantPlaylist {
  version?: number;
  independentSegments?: boolean;
  variants: HlsVariant[];
}
