"""``odoo-bin telephony-listener``: keeps Odoo in sync with every active PBX.

One thread per active PBX holds a PostgreSQL advisory lock on that PBX for as long as it
listens, so exactly one listener per PBX runs across all Odoo servers; the others wait as
standby and take over within ``STANDBY_POLL_SECONDS`` when it dies (its connection closes
and PostgreSQL releases the lock).
"""

import logging
import queue
import signal
import threading
import time
from datetime import datetime, timezone

from odoo import api, sql_db
from odoo.cli import Command
from odoo.modules.registry import Registry
from odoo.tools import config

from ..pbx.ari import PbxError
from ..pbx.conference import CallRouter
from ..pbx.outage import OUTAGE_CONTEXT, forget_outage_call, is_outage_channel, read_outage_calls
from ..tools.ari_events import event_channel_id

_logger = logging.getLogger(__name__)

LOCK_NAMESPACE = 0x7E1E  # first half of the two-key advisory lock: "telephony"
RESYNC_EVENT = "TelephonyResync"
REPLACED_EVENT = "ApplicationReplaced"  # Asterisk: another websocket took this application
STANDBY_POLL_SECONDS = 2.0
SUPERVISOR_POLL_SECONDS = 5.0
BATCH_SIZE = 500
BATCH_WAIT_SECONDS = 0.05
HEARTBEAT_SECONDS = 2.0
OUTAGE_EVENT = "TelephonyOutageCallsEnded"
OUTAGE_POLL_SECONDS = 5.0


class PbxLock:
    """A session-level advisory lock on one PBX, held on a connection of its own."""

    def __init__(self, dbname, pbx_id):
        self.dbname = dbname
        self.pbx_id = pbx_id
        self._cursor = None

    def try_acquire(self):
        cursor = sql_db.db_connect(self.dbname).cursor()
        cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", (LOCK_NAMESPACE, self.pbx_id))
        acquired = cursor.fetchone()[0]
        # The lock outlives the transaction: commit so the connection does not sit idle in a transaction.
        cursor.commit()
        if acquired:
            self._cursor = cursor
        else:
            cursor.close()
        return acquired

    def is_held(self):
        if not self._cursor:
            return False
        try:
            self._cursor.execute("SELECT 1")
            self._cursor.commit()
        except Exception:  # noqa: BLE001 - a broken connection means the lock is gone
            _logger.warning("PBX %s: lost the database connection that holds the listener lock", self.pbx_id)
            self.release()
            return False
        return True

    def release(self):
        if self._cursor:
            try:
                self._cursor.execute("SELECT pg_advisory_unlock(%s, %s)", (LOCK_NAMESPACE, self.pbx_id))
                self._cursor.commit()
            except Exception:  # noqa: BLE001 - closing the connection releases the lock anyway
                _logger.debug("PBX %s: unlock failed, closing the connection instead", self.pbx_id)
            finally:
                self._cursor.close()
                self._cursor = None


class PbxListener(threading.Thread):
    """Listens to one PBX while it holds that PBX's lock, and stands by otherwise."""

    def __init__(self, registry, pbx_id, stop_event=None, standby_poll=STANDBY_POLL_SECONDS):
        super().__init__(name=f"telephony-listener-pbx-{pbx_id}", daemon=True)
        self.registry = registry
        self.pbx_id = pbx_id
        self.stop_event = stop_event or threading.Event()
        self.standby_poll = standby_poll
        self.events = queue.Queue()
        self._late_starts = []
        self._heard_at = 0.0
        self._resync_pending = threading.Event()
        self._outage_journaled = []
        self._outage_pending = set()  # fallback calls (README: listener outages) up at the last reconnection
        self._outage_checked_at = 0.0
        self.active = threading.Event()
        self.lock = PbxLock(registry.db_name, pbx_id)

    def run(self):
        while not self.stop_event.is_set():
            if not self.lock.try_acquire():
                self.stop_event.wait(self.standby_poll)
                continue
            _logger.info("PBX %s: this process is now its listener", self.pbx_id)
            try:
                self._listen()
            except Exception:
                _logger.exception("PBX %s: listener failed, retrying", self.pbx_id)
                self.stop_event.wait(self.standby_poll)
            finally:
                self.active.clear()
                self.lock.release()

    def stop(self):
        self.stop_event.set()

    def _with_pbx(self, function):
        with self.registry.cursor() as cr:
            env = api.Environment(cr, api.SUPERUSER_ID, {})
            pbx = env["telephony.pbx"].browse(self.pbx_id).exists()
            return function(pbx) if pbx and pbx.active else None

    def _listen(self):
        client = self._with_pbx(lambda pbx: pbx._ari_client())
        if client is None:
            self.stop_event.wait(self.standby_poll)
            return
        reports = []
        router = CallRouter(client, self._route, reports.append, room_for_key=self._room_for_key)
        # Events sent while nobody listened are lost: after every (re)connection, and before its
        # events, the listener reads what the PBX has live now.
        stream = client.start_event_stream(self._queue_event, on_connect=self._on_connect)
        self._heard_at = 0.0
        try:
            while not self.stop_event.is_set() and self.lock.is_held():
                batch = self._next_batch()
                if batch:
                    self._record(client, router, batch, reports)
                # Until the reconnection's resync ran, the last heartbeat is still when the outage began.
                if stream.connected.is_set() and not self._resync_pending.is_set():
                    self._heartbeat()
                    self._watch_outage_calls(client)
        finally:
            stream.stop()
            client.close()

    def _queue_event(self, event):
        # The channels that read the outage records are ours, not calls: neither routed nor journaled.
        if not is_outage_channel(event_channel_id(event)):
            self.events.put(event)

    def _heartbeat(self):
        """Write down, every few seconds, that the listener knows the PBX's calls until now: calls that end
        while nobody listens are closed at the last such moment, HEARTBEAT_SECONDS off at most."""
        if time.monotonic() - self._heard_at >= HEARTBEAT_SECONDS:
            self._with_pbx(lambda pbx: pbx._record_listener_heard())
            self._heard_at = time.monotonic()

    def _watch_outage_calls(self, client):
        """A fallback call still going on at the (re)connection is recorded when it ends: read the records again
        once one of them ended, instead of waiting for the next reconnection."""
        if not self._outage_pending or time.monotonic() - self._outage_checked_at < OUTAGE_POLL_SECONDS:
            return
        self._outage_checked_at = time.monotonic()
        try:
            live = {channel["id"] for channel in client.list_channels()}
        except PbxError as error:
            _logger.warning("PBX %s: could not list channels: %s", self.pbx_id, error)
            return
        if self._outage_pending - live:
            self._outage_pending &= live
            self.events.put({"type": OUTAGE_EVENT})

    def _on_connect(self, client):
        self._resync_pending.set()
        self.events.put({"type": RESYNC_EVENT})
        self.active.set()

    def _record(self, client, router, batch, reports):
        self._outage_journaled = []
        try:
            self._with_pbx(lambda pbx: self._process(pbx, client, router, batch, reports))
        except Exception:
            # Recording is idempotent: a batch whose transaction failed is recorded again, once.
            _logger.exception("PBX %s: recording %d events failed, retrying once", self.pbx_id, len(batch))
            self._with_pbx(lambda pbx: pbx._apply_ari_events(batch + reports))
        else:
            self._forget_outage_calls(client)
        reports.clear()

    def _forget_outage_calls(self, client):
        """Delete the outage records from the PBX once their journal rows are committed, not before."""
        for key in self._outage_journaled:
            try:
                forget_outage_call(client, key)
            except PbxError as error:
                _logger.warning(
                    "PBX %s: could not delete outage record %s (journaled once anyway): %s", self.pbx_id, key, error
                )
        self._outage_journaled = []

    def _process(self, pbx, client, router, batch, reports):
        """Route the batch's new calls, then record the batch, in one transaction."""
        self._env_pbx = pbx
        self._late_starts = []
        for event in batch:
            if event.get("type") == RESYNC_EVENT:
                self._rebuild(pbx, client, router)
            elif event.get("type") == OUTAGE_EVENT:
                self._journal_outage_calls(pbx, client)
            elif event.get("type") == REPLACED_EVENT:
                self._tell_application_taken(pbx, client)
            else:
                router.handle(event)
        pbx._apply_ari_events(self._late_starts + batch + reports)

    def _tell_application_taken(self, pbx, client):
        """Asterisk now sends this application's calls to another websocket (a second database or program
        pointed at the same name) and none to us: say so on the PBX, where managers look, rather than take it
        back and fight over it."""
        _logger.error("PBX %s: another program took the ARI application %r", pbx.id, client.app)
        # Stored for any manager to read later: in the company's language, not the listener's.
        env = pbx.with_context(lang=pbx.company_id.partner_id.lang or pbx.env.lang).env
        pbx._record_connection_error(
            env._(
                "The ARI application %(app)s was taken by another program (a second Odoo database, another "
                "listener or tool): Asterisk sends it the calls and Odoo gets none. Give each database its own "
                "application name, then restart the telephony listener.",
                app=client.app,
            )
        )

    def _route(self, dialled, caller, outbound):
        return self._env_pbx._route_call(dialled, caller, outbound)

    def _room_for_key(self, key):
        conference = self._env_pbx.env["telephony.conference"].sudo().browse(key).exists()
        return conference._router_room() if conference else None

    def _next_batch(self):
        try:
            batch = [self.events.get(timeout=1.0)]
        except queue.Empty:
            return []
        deadline = time.monotonic() + BATCH_WAIT_SECONDS
        while len(batch) < BATCH_SIZE:
            try:
                batch.append(self.events.get(timeout=max(0.0, deadline - time.monotonic())))
            except queue.Empty:
                break
        return batch

    def _rebuild(self, pbx, client, router):
        """Reconcile Odoo and the router with the calls the PBX has live right now."""
        self._resync_pending.clear()
        try:
            channels = [channel for channel in client.list_channels() if not is_outage_channel(channel["id"])]
            bridges = client.list_bridges()
        except PbxError as error:
            _logger.warning("PBX %s: could not read live calls to rebuild state: %s", self.pbx_id, error)
            return
        answered_at = {
            channel_id: datetime.fromtimestamp(stamp, timezone.utc).replace(tzinfo=None, microsecond=0)
            for channel_id, stamp in router.answered_times().items()
        }
        members = pbx._rebuild_live_state(channels, bridges, answered_at)
        bridge_prefix = pbx.env["telephony.conference"]._bridge_prefix()
        self._late_starts += router.reconcile(
            channels, bridges, members, owned_bridge=lambda bridge_id: bridge_id.startswith(bridge_prefix)
        )
        self._outage_pending = {
            channel["id"] for channel in channels if (channel.get("dialplan") or {}).get("context") == OUTAGE_CONTEXT
        }
        self._journal_outage_calls(pbx, client)

    def _journal_outage_calls(self, pbx, client):
        """Journal the calls the PBX sent to its fallback while nobody listened (README: listener outages)."""
        try:
            outage_calls = read_outage_calls(client)
        except PbxError as error:
            _logger.warning("PBX %s: could not read the calls taken while nobody listened: %s", self.pbx_id, error)
            return
        pbx._journal_outage_calls(outage_calls)
        self._outage_journaled += [call.key for call in outage_calls]


class TelephonyListener(Command):
    """Run the telephony PBX event listener (one per PBX across all Odoo servers)"""

    name = "telephony-listener"

    def run(self, args):
        config.parse_config(args, setup_logging=True)
        dbnames = [name for name in (config["db_name"] or "").split(",") if name]
        if not dbnames:
            raise SystemExit("telephony-listener needs a database: -d DBNAME")
        stop_event = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop_event.set())
        signal.signal(signal.SIGINT, lambda *_: stop_event.set())
        supervisors = [ListenerSupervisor(Registry(dbname), stop_event) for dbname in dbnames]
        for supervisor in supervisors:
            supervisor.start()
        while not stop_event.is_set():
            stop_event.wait(1.0)
        for supervisor in supervisors:
            supervisor.join(timeout=10)


class ListenerSupervisor(threading.Thread):
    """Starts a listener for each active PBX of a database and stops those that were archived."""

    def __init__(self, registry, stop_event):
        super().__init__(name=f"telephony-supervisor-{registry.db_name}", daemon=True)
        self.registry = registry
        self.stop_event = stop_event
        self.listeners = {}

    def run(self):
        while not self.stop_event.is_set():
            wanted = self._active_pbx_ids()
            for pbx_id in wanted - set(self.listeners):
                listener = PbxListener(self.registry, pbx_id, threading.Event())
                listener.start()
                self.listeners[pbx_id] = listener
            for pbx_id in set(self.listeners) - wanted:
                self.listeners.pop(pbx_id).stop()
            self.stop_event.wait(SUPERVISOR_POLL_SECONDS)
        for listener in self.listeners.values():
            listener.stop()
        for listener in self.listeners.values():
            listener.join(timeout=5)

    def _active_pbx_ids(self):
        with self.registry.cursor() as cr:
            cr.execute("SELECT id FROM telephony_pbx WHERE active")
            return {row[0] for row in cr.fetchall()}
