/**
 * The one workaround for a crash inside @roamhq/wrtc (0.10.0, `wrtc.node`) at process exit, for
 * every test file that loads it (directly or through `wrtc-bot.ts` / `room-bot.ts`).
 *
 * What happens: once media has flowed through a wrtc peer connection, letting the process end by
 * itself crashes it (SIGSEGV, sometimes SIGABRT) after the last test, so the runner reports the
 * file as failed even though every test passed. The crash is in Node's environment teardown
 * (`node::FreeEnvironment` → `CleanupQueue::Drain` → `node_napi_env__::DeleteMe` → N-API
 * finalizers): `Napi::ObjectWrap<node_webrtc::RTCRtpReceiver>::FinalizeCallback` →
 * `~RTCRtpReceiver` → `~RefPtr<MediaStreamTrack>` → `napi_reference_unref` on a reference whose
 * object was already finalized. It reproduces with wrtc peers alone (no Estuary code, no
 * node-datachannel: `pc.close()` on both ends, every source, sink and track stopped), so it is
 * wrtc's finalization order, not a leak of ours. `process.exit()` ends the process without
 * `FreeEnvironment`, so the finalizers never run.
 *
 * The fix is therefore to exit explicitly, but only once the event loop has drained on its own
 * (`beforeExit`): a handle that something still holds open keeps the file alive and shows up as
 * a hang, instead of being hidden by a timer. (The other cause of hanging files, node-datachannel
 * tracks that held the loop open after close, is fixed in `test/helpers/ndc.ts`
 * `releaseOnClose()`; no workaround is needed for it.)
 */

/** How long the exit waits after `beforeExit` for the test runner to write its last report. */
const EXIT_FLUSH_MS = 200;

let installed = false;

/** Makes the process exit (with `process.exitCode`) when its event loop drains. Idempotent. */
export function exitWhenDrained(): void {
  if (installed) return;
  installed = true;
  process.once('beforeExit', () => {
    setTimeout(() => process.exit(), EXIT_FLUSH_MS);
  });
}
