"""Recording benchmark: a 5-minute call's recording, from the end the listener journals to the file stored in Odoo.

Run through ``bench/run`` (or ``-c odoo.conf -d DB`` on a database with the addon); prints figures, asserts nothing.
The PBX is the simulator on loopback, holding a 300-second recording as Asterisk 22 writes it (WAV, 8 kHz, 16-bit
mono). Each run journals the recording's end as the listener does (one committed transaction), then runs the fetch
cron as the cron worker does once triggered: download, checks, filestore, commit, delete from the PBX. The cron
worker's own wake-up is not in the figure: the trigger reaches it by PostgreSQL NOTIFY when the listener commits.
"""

import sys
import time
import uuid
from pathlib import Path

import requests

from odoo import api

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.common import open_registry, percentiles_ms  # noqa: E402
from pbx.recording import RECORDING_ENDED_REPORT  # noqa: E402
from pbx.simulator import Simulator  # noqa: E402

CALL_SECONDS = 300
RUNS = 10


def main():
    registry, _options = open_registry(__doc__)
    simulator = Simulator(port=0).start()
    try:
        with registry.cursor() as cr:
            env = api.Environment(cr, api.SUPERUSER_ID, {})
            pbx = env["telephony.pbx"].create(
                {"name": "Recording bench", "ari_url": simulator.url, "ari_password": "telephony", "active": False}
            )
            pbx_id = pbx.id
        timings, sizes = [], []
        for _run in range(RUNS):
            seconds, size = _one_recording(registry, simulator, pbx_id)
            timings.append(seconds)
            sizes.append(size)
    finally:
        simulator.stop()
    p50, p99 = percentiles_ms(timings)
    print(f"Recording of a {CALL_SECONDS // 60}-minute call, end journaled -> stored in Odoo and deleted from the PBX")
    print(f"  {RUNS} runs: p50 {p50:.0f} ms, p99 {p99:.0f} ms")
    print(f"  filestore: {sizes[0]:,} bytes for {CALL_SECONDS} s, {sizes[0] * 3600 // CALL_SECONDS:,} bytes per hour")


def _one_recording(registry, simulator, pbx_id):
    key = f"bench-{uuid.uuid4().hex[:12]}"
    name = f"{key}-rec-{uuid.uuid4().hex[:12]}"
    with registry.cursor() as cr:
        env = api.Environment(cr, api.SUPERUSER_ID, {})
        pbx = env["telephony.pbx"].browse(pbx_id)
        env["telephony.call"].create(
            {"pbx_id": pbx_id, "pbx_unique_id": key, "direction": "inbound", "company_id": pbx.company_id.id}
        )
    requests.post(
        f"{simulator.url}/_sim/recordings",
        params={"name": name, "seconds": CALL_SECONDS},
        auth=("telephony", "telephony"),
        timeout=5,
    ).raise_for_status()
    started = time.monotonic()
    with registry.cursor() as cr:
        env = api.Environment(cr, api.SUPERUSER_ID, {})
        ended = {"type": RECORDING_ENDED_REPORT, "recording": {"name": name}}
        env["telephony.pbx"].browse(pbx_id)._apply_ari_events([ended])
    with registry.cursor() as cr:
        env = api.Environment(cr, api.SUPERUSER_ID, {})
        env["telephony.recording"]._cron_fetch_recordings()
    elapsed = time.monotonic() - started
    with registry.cursor() as cr:
        env = api.Environment(cr, api.SUPERUSER_ID, {})
        recording = env["telephony.recording"].search([("name", "=", name)])
        if recording.state != "stored" or name in simulator.stored_recordings:
            raise SystemExit(f"recording {name} ended {recording.state}: {recording.last_error}")
        return elapsed, recording.file_size


if __name__ == "__main__":
    main()
