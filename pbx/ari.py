"""A thin client of Asterisk's REST Interface (ARI): REST calls with requests, events with websocket-client.

Everything here is synchronous, as Odoo workers are: every REST call has a connect and a read
timeout, and the event stream runs in a thread of its own that reconnects by itself.
Failures are raised as :class:`PbxError` subclasses whose message is a sentence a user can act on.
"""

import json
import logging
import random
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import quote, urlencode, urlsplit, urlunsplit

import requests
import websocket

_logger = logging.getLogger(__name__)

TALK_DETECT = "TALK_DETECT(set)"
ORIGINATE_WORKERS = 8
RECORDING_FORMAT = "wav"  # Asterisk's "wav": 8 kHz, 16-bit signed, mono PCM
CANCEL_TIMEOUT_SECONDS = 2.0  # cancelling a call the PBX was slow to place: try, but do not hold the user long


def _lt(message):
    """Marks ``message`` for Odoo's translation export (``_lt`` is one of its keywords): pbx/ never imports
    Odoo, so the message stays English here and Odoo translates it where a user reads it (``PbxError.template``)."""
    return message


class PbxError(Exception):
    """The PBX could not do what was asked; the message says why, for a person to read.

    ``template`` is the English message, marked for translation, with ``%(name)s`` placeholders that ``params``
    fill: ``str(error)`` is the English text (logs), Odoo shows ``env._(error.template, **error.params)``."""

    def __init__(self, template, **params):
        self.template = template
        self.params = params
        super().__init__(template % params if params else template)


class PbxUnreachable(PbxError):
    pass


class PbxTimeout(PbxError):
    pass


class PbxOriginateTimeout(PbxTimeout):
    """The PBX did not answer a request to place a call in time: ``cancelled`` tells whether the channel
    (whose id we chose) was hung up since, or may still ring somebody."""

    def __init__(self, template, channel_id, cancelled, **params):
        super().__init__(template, **params)
        self.channel_id = channel_id
        self.cancelled = cancelled


class PbxAuthError(PbxError):
    pass


class AriDisabled(PbxError):
    pass


class PbxNotFound(PbxError):
    pass


class PbxConflict(PbxError):
    pass


class PbxRequestError(PbxError):
    """The PBX refused the request itself (HTTP 400, 422, 5xx)."""


class PbxForbidden(PbxRequestError):
    """The PBX may not do this (HTTP 403 with its reason): a read-only object, no writable store."""


class AriClient:
    """REST and events of one ARI application on one Asterisk."""

    def __init__(self, base_url, user, password, app="telephony", timeout=5.0, connect_timeout=None):
        self.base_url = base_url.rstrip("/")
        self.user = user
        self.password = password
        self.app = app
        self.timeout = (connect_timeout or min(timeout, 3.0), timeout)
        self.session = requests.Session()
        self.session.auth = (user, password)

    def close(self):
        self.session.close()

    # ------------------------------------------------------------------
    # REST plumbing
    # ------------------------------------------------------------------

    def _url(self, path):
        return f"{self.base_url}/ari/{path}"

    def _request(self, method, path, params=None, body=None, timeout=None):
        response = self._send(method, path, params, body, timeout)
        if not response.content:
            return None
        try:
            return response.json()
        except ValueError as error:
            raise AriDisabled(
                _lt("%(url)s answers HTTP but not as Asterisk's REST Interface: is ARI enabled (ari.conf)?"),
                url=self.base_url,
            ) from error

    def _send(self, method, path, params=None, body=None, timeout=None):
        """One REST call; the response, or the PbxError that says why there is none."""
        url = self._url(path)
        timeout = timeout or self.timeout
        try:
            response = self.session.request(method, url, params=params, json=body, timeout=timeout)
        except requests.exceptions.ConnectTimeout as error:
            raise PbxTimeout(
                _lt("The PBX at %(url)s did not accept the connection in time."), url=self.base_url
            ) from error
        except requests.exceptions.Timeout as error:
            raise PbxTimeout(
                _lt("The PBX at %(url)s did not answer within %(seconds)s seconds (%(request)s)."),
                url=self.base_url,
                seconds=f"{timeout[1]:g}",
                request=f"{method} {path}",
            ) from error
        except requests.exceptions.RequestException as error:
            raise PbxUnreachable(
                _lt("The PBX at %(url)s cannot be reached: %(reason)s."), url=self.base_url, reason=_reason(error)
            ) from error
        if response.status_code >= 400:
            raise self._error_for(response, method, path)
        return response

    def _error_for(self, response, method, path):
        # The PBX's own words (ARI's "message") stay as Asterisk wrote them.
        message = _error_message(response)
        status = response.status_code
        request = f"{method} {path}"
        if status == 403 and message:
            # ARI's own refusals carry a message ("Cannot update sorcery objects of type 'endpoint'"); a
            # forbidden ARI user gets none.
            return PbxForbidden(_lt("The PBX refused %(request)s: %(message)s."), request=request, message=message)
        if status in (401, 403):
            return PbxAuthError(
                _lt("The PBX at %(url)s refused the ARI user %(user)s: wrong user or password (ari.conf)."),
                url=self.base_url,
                user=repr(self.user),
            )
        if status == 404 and message is None:
            return AriDisabled(
                _lt(
                    "%(url)s has no Asterisk REST Interface at /ari (HTTP 404): Asterisk may still be starting; "
                    "otherwise enable it in http.conf and ari.conf."
                ),
                url=self.base_url,
            )
        if status == 404:
            return PbxNotFound(
                _lt("The PBX no longer has it: %(message)s (%(request)s)."), message=message, request=request
            )
        if status == 409:
            return PbxConflict(
                _lt("The PBX refused a conflicting request: %(message)s (%(request)s)."),
                message=message,
                request=request,
            )
        return PbxRequestError(
            _lt("The PBX refused %(request)s (HTTP %(status)s): %(message)s."),
            request=request,
            status=status,
            message=message or response.reason,
        )

    # ------------------------------------------------------------------
    # Asterisk, endpoints
    # ------------------------------------------------------------------

    def asterisk_info(self):
        return self._request("GET", "asterisk/info")

    def list_endpoints(self):
        return self._request("GET", "endpoints")

    # ------------------------------------------------------------------
    # Dynamic configuration (sorcery objects in a writable wizard: astdb, memory, realtime)
    # ------------------------------------------------------------------

    def put_config_object(self, config_class, object_type, object_id, fields):
        """Create or replace one configuration object, e.g. ``res_pjsip``/``endpoint``/``201``.

        ``fields`` is a mapping of attribute to value. The values may be secrets (an auth's password):
        they are sent in the body and never appear in an error this client raises. Asterisk answers 400
        for a field it rejects and 403 for an object it may not write (one of pjsip.conf, or no writable
        sorcery store for the type).
        """
        body = {"fields": [{"attribute": name, "value": str(value)} for name, value in fields.items()]}
        # The answer lists every field, secrets included: it is dropped, not returned.
        self._request("PUT", self._config_path(config_class, object_type, object_id), body=body)

    def get_config_object(self, config_class, object_type, object_id):
        """The object's fields as a mapping, or None when the PBX has no such object."""
        try:
            fields = self._request("GET", self._config_path(config_class, object_type, object_id))
        except PbxNotFound:
            return None
        return {field["attribute"]: field["value"] for field in fields or []}

    def delete_config_object(self, config_class, object_type, object_id):
        """Delete the object; one the PBX does not have is already deleted."""
        try:
            self._request("DELETE", self._config_path(config_class, object_type, object_id))
        except PbxNotFound:
            return False
        return True

    @staticmethod
    def _config_path(config_class, object_type, object_id):
        parts = (config_class, object_type, object_id)
        return "asterisk/config/dynamic/" + "/".join(quote(str(part), safe="") for part in parts)

    def user_event(self, name, variables=None):
        """Send an application user event (ChannelUserevent without a channel) to our own application."""
        params = {"application": self.app}
        return self._request("POST", f"events/user/{quote(name, safe='')}", params, {"variables": variables or {}})

    # ------------------------------------------------------------------
    # Channels
    # ------------------------------------------------------------------

    def originate(self, endpoint, app_args=(), caller_id=None, timeout=30, channel_id=None, variables=None):
        """Call ``endpoint``; once answered, the channel enters our application with ``app_args``."""
        params = {"endpoint": endpoint, "app": self.app, "timeout": int(timeout)}
        if any("," in str(arg) for arg in app_args):
            # Asterisk splits appArgs on commas: one inside an argument would forge the next ones.
            raise PbxRequestError(
                _lt("A call's application arguments may not contain a comma: %(arguments)s"), arguments=list(app_args)
            )
        if app_args:
            params["appArgs"] = ",".join(str(arg) for arg in app_args)
        if caller_id:
            params["callerId"] = caller_id
        if channel_id:
            params["channelId"] = channel_id
        body = {"variables": variables} if variables else None
        try:
            return self._request("POST", "channels", params, body)
        except PbxTimeout as error:
            if not channel_id:
                raise
            # The PBX may still place the call after we gave up: a call nobody knows of is worse than none.
            cancelled = self._cancel(channel_id)
            template = (
                _lt("The PBX at %(url)s did not answer within %(seconds)s seconds; the call was cancelled.")
                if cancelled
                else _lt(
                    "The PBX at %(url)s did not answer within %(seconds)s seconds and could not be told to "
                    "cancel it either: if the call happens after all, it shows in the journal once the PBX reports it."
                )
            )
            raise PbxOriginateTimeout(
                template, channel_id, cancelled, url=self.base_url, seconds=f"{self.timeout[1]:g}"
            ) from error

    def _cancel(self, channel_id):
        """Hang up a channel we asked for and gave up on; whether the PBX confirmed it."""
        short = min(self.timeout[1], CANCEL_TIMEOUT_SECONDS)
        try:
            self._request(
                "DELETE", f"channels/{quote(channel_id, safe='')}", timeout=(min(self.timeout[0], short), short)
            )
        except PbxError as error:
            _logger.warning("Could not cancel channel %s the PBX was slow to place: %s", channel_id, error)
            return False
        return True

    def originate_many(self, originates):
        """Originate several calls at once; returns, in order, each channel or the PbxError it met."""

        def originate_one(spec):
            try:
                return self.originate(**spec)
            except PbxError as error:
                return error

        if len(originates) <= 1:
            return [originate_one(spec) for spec in originates]
        with ThreadPoolExecutor(max_workers=min(ORIGINATE_WORKERS, len(originates))) as pool:
            return list(pool.map(originate_one, originates))

    def list_channels(self):
        return self._request("GET", "channels")

    def get_channel(self, channel_id):
        return self._request("GET", f"channels/{quote(channel_id, safe='')}")

    def answer(self, channel_id):
        self._request("POST", f"channels/{quote(channel_id, safe='')}/answer")

    def hangup(self, channel_id, reason=None):
        params = {"reason": reason} if reason else None
        self._request("DELETE", f"channels/{quote(channel_id, safe='')}", params)

    def hangup_if_present(self, channel_id):
        """Hang up ``channel_id``; a channel already gone is what was wanted, not an error."""
        try:
            self.hangup(channel_id)
        except (PbxNotFound, PbxRequestError) as error:
            _logger.debug("Channel %s was already gone: %s", channel_id, error)
            return False
        return True

    def mute(self, channel_id, direction="in"):
        self._request("POST", f"channels/{quote(channel_id, safe='')}/mute", {"direction": direction})

    def unmute(self, channel_id, direction="in"):
        self._request("DELETE", f"channels/{quote(channel_id, safe='')}/mute", {"direction": direction})

    def hold(self, channel_id):
        """Put this channel on hold: Asterisk indicates HOLD to it, so it is the one that hears music on hold
        (chan_pjsip with ``moh_passthrough=no``), or its phone is told to hold (``moh_passthrough=yes``)."""
        self._request("POST", f"channels/{quote(channel_id, safe='')}/hold")

    def unhold(self, channel_id):
        self._request("DELETE", f"channels/{quote(channel_id, safe='')}/hold")

    def ring(self, channel_id):
        """Have an answered channel hear ringing (Asterisk plays the ring tone in band)."""
        self._request("POST", f"channels/{quote(channel_id, safe='')}/ring")

    def ring_stop(self, channel_id):
        self._request("DELETE", f"channels/{quote(channel_id, safe='')}/ring")

    def send_dtmf(self, channel_id, digits):
        self._request("POST", f"channels/{quote(channel_id, safe='')}/dtmf", {"dtmf": digits})

    def play(self, channel_id, media, playback_id=None):
        params = {"media": media}
        if playback_id:
            params["playbackId"] = playback_id
        return self._request("POST", f"channels/{quote(channel_id, safe='')}/play", params)

    def start_moh(self, channel_id, moh_class=None):
        params = {"mohClass": moh_class} if moh_class else None
        self._request("POST", f"channels/{quote(channel_id, safe='')}/moh", params)

    def stop_moh(self, channel_id):
        self._request("DELETE", f"channels/{quote(channel_id, safe='')}/moh")

    def set_variable(self, channel_id, name, value=""):
        params = {"variable": name, "value": value}
        self._request("POST", f"channels/{quote(channel_id, safe='')}/variable", params)

    def get_variable(self, channel_id, name):
        """The value of a channel variable, or of a dialplan function Asterisk lets ARI read ("" when unset)."""
        params = {"variable": name}
        return self._request("GET", f"channels/{quote(channel_id, safe='')}/variable", params).get("value", "")

    def snoop(self, channel_id, spy="none", whisper="none", app=None, app_args=(), snoop_id=None):
        """Start a snoop channel on ``channel_id``: it enters ``app`` (ours by default) with ``app_args`` and carries
        what the channel hears and says (``spy``) and/or speaks into it (``whisper``): ``none``, ``in``, ``out`` or
        ``both``, seen from the snooped channel (``out`` is what its phone hears). Asterisk names it
        ``Snoop/<channel id>-<n>``; ``snoop_id`` chooses its id."""
        if any("," in str(arg) for arg in app_args):
            raise PbxRequestError(
                _lt("A snoop's application arguments may not contain a comma: %(arguments)s"), arguments=list(app_args)
            )
        params = {"spy": spy, "whisper": whisper, "app": app or self.app}
        if app_args:
            params["appArgs"] = ",".join(str(arg) for arg in app_args)
        if snoop_id:
            params["snoopId"] = snoop_id
        return self._request("POST", f"channels/{quote(channel_id, safe='')}/snoop", params)

    def enable_talk_detection(self, channel_id):
        """Have the PBX send ChannelTalkingStarted / ChannelTalkingFinished for this channel."""
        self.set_variable(channel_id, TALK_DETECT, "")

    # ------------------------------------------------------------------
    # Bridges
    # ------------------------------------------------------------------

    def create_bridge(self, bridge_id=None, name=None):
        """Create a mixing bridge that reports DTMF; with ``bridge_id``, the bridge gets that id."""
        params = {"type": "mixing,dtmf_events"}
        if name:
            params["name"] = name
        path = f"bridges/{quote(bridge_id, safe='')}" if bridge_id else "bridges"
        return self._request("POST", path, params)

    def list_bridges(self):
        return self._request("GET", "bridges")

    def get_bridge(self, bridge_id):
        return self._request("GET", f"bridges/{quote(bridge_id, safe='')}")

    def add_channel(self, bridge_id, channel_id):
        self._request("POST", f"bridges/{quote(bridge_id, safe='')}/addChannel", {"channel": channel_id})

    def remove_channel(self, bridge_id, channel_id):
        self._request("POST", f"bridges/{quote(bridge_id, safe='')}/removeChannel", {"channel": channel_id})

    def play_on_bridge(self, bridge_id, media, playback_id=None):
        params = {"media": media}
        if playback_id:
            params["playbackId"] = playback_id
        return self._request("POST", f"bridges/{quote(bridge_id, safe='')}/play", params)

    def start_bridge_moh(self, bridge_id, moh_class=None):
        params = {"mohClass": moh_class} if moh_class else None
        self._request("POST", f"bridges/{quote(bridge_id, safe='')}/moh", params)

    def stop_bridge_moh(self, bridge_id):
        self._request("DELETE", f"bridges/{quote(bridge_id, safe='')}/moh")

    def destroy_bridge(self, bridge_id):
        self._request("DELETE", f"bridges/{quote(bridge_id, safe='')}")

    def destroy_bridge_if_present(self, bridge_id):
        try:
            self.destroy_bridge(bridge_id)
        except PbxNotFound:
            return False
        return True

    # ------------------------------------------------------------------
    # Recordings
    # ------------------------------------------------------------------

    def record_bridge(self, bridge_id, name, beep=False):
        """Record the bridge's mixed audio as ``name`` (WAV); Asterisk answers the LiveRecording, ``queued``."""
        return self._request("POST", f"bridges/{quote(bridge_id, safe='')}/record", _record_params(name, beep))

    def record_channel(self, channel_id, name, beep=False):
        """Record one channel as ``name`` (WAV). Asterisk refuses a channel in a bridge only afterwards, with a
        RecordingFailed event ("Cannot record channel while in bridge"): record its bridge instead."""
        return self._request("POST", f"channels/{quote(channel_id, safe='')}/record", _record_params(name, beep))

    def get_live_recording(self, name):
        """The LiveRecording ``name``, or None once it is over (or never was)."""
        try:
            return self._request("GET", f"recordings/live/{quote(name, safe='')}")
        except PbxNotFound:
            return None

    def stop_recording(self, name):
        """Stop the live recording ``name``: it is kept as a stored recording. Whether it was still live."""
        try:
            self._request("POST", f"recordings/live/{quote(name, safe='')}/stop")
        except PbxNotFound:
            return False
        return True

    def stored_recording_file(self, name):
        """The bytes of the stored recording ``name`` (a WAV file), checked complete against Content-Length."""
        path = f"recordings/stored/{quote(name, safe='')}/file"
        response = self._send("GET", path)
        expected = response.headers.get("Content-Length")
        if expected is not None and expected.isdigit() and int(expected) != len(response.content):
            raise PbxRequestError(
                _lt("The PBX sent %(received)s of the %(expected)s bytes of recording %(name)s (%(request)s)."),
                received=len(response.content),
                expected=expected,
                name=name,
                request=f"GET {path}",
            )
        return response.content

    def delete_stored_recording(self, name):
        """Delete the stored recording ``name``; one the PBX no longer has is already deleted."""
        try:
            self._request("DELETE", f"recordings/stored/{quote(name, safe='')}")
        except PbxNotFound:
            return False
        return True

    # ------------------------------------------------------------------
    # Events
    # ------------------------------------------------------------------

    def events_url(self):
        scheme, netloc, path, _query, _fragment = urlsplit(self.base_url)
        ws_scheme = "wss" if scheme == "https" else "ws"
        query = urlencode({"app": self.app, "api_key": f"{self.user}:{self.password}"})
        return urlunsplit((ws_scheme, netloc, f"{path}/ari/events", query, ""))

    def start_event_stream(self, on_event, on_connect=None, on_disconnect=None, **options):
        """Start receiving our application's events in a thread; returns the running :class:`EventStream`."""
        stream = EventStream(self, on_event, on_connect=on_connect, on_disconnect=on_disconnect, **options)
        stream.start()
        return stream


class EventStream(threading.Thread):
    """The ARI events websocket, kept open: reconnects with capped exponential backoff and jitter,
    pings while idle, and stops cleanly.

    ``on_connect(client)`` runs after every (re)connection, before the events that follow it: the
    place to resynchronise state with what the PBX has live, since events sent while we were away
    are lost.
    """

    def __init__(
        self,
        client,
        on_event,
        on_connect=None,
        on_disconnect=None,
        keepalive=10.0,
        backoff_base=0.5,
        backoff_cap=30.0,
    ):
        super().__init__(name=f"ari-events-{client.app}", daemon=True)
        self.client = client
        self.on_event = on_event
        self.on_connect = on_connect
        self.on_disconnect = on_disconnect
        self.keepalive = keepalive
        self.backoff_base = backoff_base
        self.backoff_cap = backoff_cap
        self.connected = threading.Event()
        self.connections = 0
        self._stopping = threading.Event()
        self._socket = None
        self._lock = threading.Lock()

    def stop(self, timeout=5.0):
        self._stopping.set()
        with self._lock:
            if self._socket:
                self._socket.abort()
        if self.is_alive() and threading.current_thread() is not self:
            self.join(timeout)

    def wait_connected(self, timeout=None):
        return self.connected.wait(timeout)

    def run(self):
        failures = 0
        while not self._stopping.is_set():
            try:
                self._connect()
                failures = 0
                self._receive()
            except Exception as error:  # noqa: BLE001 - any failure means: reconnect later
                if self._stopping.is_set():
                    break
                failures += 1
                delay = self._backoff(failures)
                _logger.warning("ARI events of %s: %s; reconnecting in %.1f s", self.client.base_url, error, delay)
                self._stopping.wait(delay)
            finally:
                self._disconnect()

    def _backoff(self, failures):
        ceiling = min(self.backoff_cap, self.backoff_base * 2 ** (failures - 1))
        return random.uniform(ceiling / 2, ceiling)

    def _connect(self):
        connect_timeout, _read_timeout = self.client.timeout
        try:
            socket = websocket.create_connection(self.client.events_url(), timeout=connect_timeout)
        except websocket.WebSocketBadStatusException as error:
            # An Asterisk still starting answers 404 with a whole HTML page: one line in the log is enough.
            reason = f" {error.status_message}" if error.status_message else ""
            raise PbxRequestError(
                _lt("the PBX refused the event stream (HTTP %(status)s%(reason)s)"),
                status=error.status_code,
                reason=reason,
            ) from None
        socket.settimeout(self.keepalive)
        with self._lock:
            self._socket = socket
        if self._stopping.is_set():
            raise PbxError("stopping")
        self.connections += 1
        if self.on_connect:
            self.on_connect(self.client)
        self.connected.set()

    def _receive(self):
        last_heard = time.monotonic()
        while not self._stopping.is_set():
            try:
                opcode, frame = self._socket.recv_data_frame(True)
            except websocket.WebSocketTimeoutException:
                if time.monotonic() - last_heard > 3 * self.keepalive:
                    raise PbxTimeout(_lt("the PBX stopped answering keep-alive pings")) from None
                self._socket.ping()
                continue
            last_heard = time.monotonic()
            if opcode == websocket.ABNF.OPCODE_CLOSE:
                raise PbxUnreachable(_lt("the PBX closed the event stream"))
            if opcode == websocket.ABNF.OPCODE_TEXT:
                self._dispatch(frame.data)

    def _dispatch(self, data):
        try:
            event = json.loads(data)
        except ValueError:
            _logger.warning("ARI events: ignored a frame that is not JSON: %.200r", data)
            return
        try:
            self.on_event(event)
        except Exception:
            _logger.exception("ARI events: handling %s failed", event.get("type"))

    def _disconnect(self):
        was_connected = self.connected.is_set()
        self.connected.clear()
        with self._lock:
            socket, self._socket = self._socket, None
        if socket:
            socket.abort()
            socket.close()
        if was_connected and self.on_disconnect:
            self.on_disconnect(self.client)


def _record_params(name, beep):
    # ``format`` is always sent: Asterisk 22.10.1 crashed on a bridge record request without it.
    return {"name": name, "format": RECORDING_FORMAT, "ifExists": "fail", "beep": "true" if beep else "false"}


def _error_message(response):
    try:
        payload = response.json()
    except ValueError:
        return None
    if isinstance(payload, dict):
        return payload.get("message") or payload.get("error") or ""
    return ""


def _reason(error):
    cause = error
    while cause.__cause__ or cause.__context__:
        cause = cause.__cause__ or cause.__context__
    return str(cause) or type(cause).__name__
