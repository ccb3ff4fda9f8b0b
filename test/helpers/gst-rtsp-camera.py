#!/usr/bin/python3
"""A test IP camera: GStreamer's gst-rtsp-server (an RTSP server independent of Estuary) serving
a live test pattern as H.264 + AAC at /h264aac and H.264 + PCMA at /h264pcma, optionally behind
Digest auth (user `cam`, password `secret`). Usage: gst-rtsp-camera.py PORT [--digest]
Prints `ready <port>` once listening; runs until killed."""
import sys
import gi
gi.require_version('Gst', '1.0')
gi.require_version('GstRtsp', '1.0')
gi.require_version('GstRtspServer', '1.0')
from gi.repository import Gst, GstRtsp, GstRtspServer, GLib

Gst.init(None)
port = sys.argv[1]
digest = '--digest' in sys.argv

VIDEO = ('videotestsrc is-live=true pattern=ball ! video/x-raw,width=320,height=240,framerate=25/1 ! '
         'x264enc tune=zerolatency speed-preset=ultrafast key-int-max=25 bitrate=500 ! video/x-h264,profile=baseline ! '
         'rtph264pay name=pay0 pt=96 config-interval=1')
AUDIO_AAC = 'audiotestsrc is-live=true wave=sine freq=440 ! audio/x-raw,rate=44100,channels=1 ! avenc_aac ! rtpmp4gpay name=pay1 pt=97'
AUDIO_PCMA = 'audiotestsrc is-live=true wave=sine freq=440 ! audio/x-raw,rate=8000,channels=1 ! alawenc ! rtppcmapay name=pay1 pt=8'

server = GstRtspServer.RTSPServer()
server.set_address('127.0.0.1')
server.set_service(port)
mounts = server.get_mount_points()
for path, audio in (('/h264aac', AUDIO_AAC), ('/h264pcma', AUDIO_PCMA)):
    factory = GstRtspServer.RTSPMediaFactory()
    factory.set_launch(f'( {VIDEO} {audio} )')
    factory.set_shared(True)
    if digest:
        permissions = GstRtspServer.RTSPPermissions()
        permissions.add_permission_for_role('user', 'media.factory.access', True)
        permissions.add_permission_for_role('user', 'media.factory.construct', True)
        factory.set_permissions(permissions)
    mounts.add_factory(path, factory)

if digest:
    auth = GstRtspServer.RTSPAuth()
    auth.set_supported_methods(GstRtsp.RTSPAuthMethod.DIGEST)
    token = GstRtspServer.RTSPToken()
    token.set_string(GstRtspServer.RTSP_TOKEN_MEDIA_FACTORY_ROLE, 'user')
    auth.add_digest('cam', 'secret', token)
    server.set_auth(auth)

if server.attach(None) == 0:
    print('attach failed', flush=True)
    sys.exit(1)
print(f'ready {port}', flush=True)
GLib.MainLoop().run()
