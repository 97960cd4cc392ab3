"""How fast the browser phone is on a real Asterisk, against Odoo placing the call for a desk phone.

Needs the demo running on a real Asterisk with browser phones on (README, "The browser as the phone") and sipp:

    TELEPHONY_DEMO_DB=telephony_real TELEPHONY_ARI_URL=http://127.0.0.1:8088 \\
        TELEPHONY_SIP_WS_URL=ws://127.0.0.1:8088/ws ./scripts/demo
    python3 bench/softphone_latency.py --odoo http://127.0.0.1:8069 --db telephony_real --ari http://127.0.0.1:8088

It drives headless Chromium (fake microphone) as admin (extension 100, switched to the browser phone) and as demo
(extension 101, a desk phone played by sipp), and follows the PBX's channels on an ARI application of its own
(subscribed to everything, so the addon's listener keeps its events). All clocks are this machine's.

- Call -> INVITE: from the click on Call to Asterisk creating the caller's channel. Browser: the browser's INVITE.
  Odoo's way (desk phone): the RPC, Odoo's originate and Asterisk creating the desk phone's channel.
- INVITE -> ringing on screen: an outside caller (sipp on the trunk) dials 100; from Asterisk creating the browser's
  channel (its INVITE to the browser) to the popup on screen. Odoo's way: from the trunk's channel to the caller card
  the listener pushes over the bus (the same call, the same page).
"""

import argparse
import json
import statistics
import subprocess
import threading
import time
from datetime import datetime
from pathlib import Path

import requests
import websocket
from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

HERE = Path(__file__).resolve().parent
UAS = HERE.parent / "tests" / "asterisk" / "uas_answer.xml"
UAC = HERE.parent / "tests" / "asterisk" / "uac_call.xml"


class ChannelClock:
    """When Asterisk created each channel, by name prefix, from an ARI application subscribed to everything."""

    def __init__(self, ari, user, password):
        self.created = []
        self.lock = threading.Lock()
        url = (
            ari.replace("http", "ws", 1) + f"/ari/events?app=bench-latency&subscribeAll=true&api_key={user}:{password}"
        )
        self.socket = websocket.create_connection(url, timeout=5)
        self.socket.settimeout(None)  # quiet minutes while the browsers sign in are no end
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self):
        while True:
            try:
                event = json.loads(self.socket.recv())
            except Exception:  # the socket closed: the benchmark is over
                return
            if event.get("type") == "ChannelCreated":
                stamp = datetime.strptime(event["timestamp"], "%Y-%m-%dT%H:%M:%S.%f%z").timestamp()
                with self.lock:
                    self.created.append((event["channel"]["name"], stamp))

    def first_after(self, prefix, since, timeout=10):
        deadline = time.time() + timeout
        while time.time() < deadline:
            with self.lock:
                for name, stamp in self.created:
                    if name.startswith(prefix) and stamp >= since - 0.05:
                        return stamp
            time.sleep(0.01)
        raise RuntimeError(f"no channel {prefix}* created within {timeout}s")


def browser(profile):
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--disable-background-networking",
        "--use-fake-ui-for-media-stream",
        "--use-fake-device-for-media-stream",
        f"--user-data-dir={profile}",
        "--window-size=1400,900",
    ):
        options.add_argument(flag)
    return webdriver.Chrome(options=options, service=webdriver.ChromeService(executable_path="/usr/bin/chromedriver"))


def sign_in(driver, odoo, db, login, password):
    session = requests.Session()
    session.post(
        f"{odoo}/web/session/authenticate",
        json={"jsonrpc": "2.0", "params": {"db": db, "login": login, "password": password}},
        timeout=30,
    ).raise_for_status()
    driver.get(f"{odoo}/web/webclient/version_info")
    driver.add_cookie({"name": "session_id", "value": session.cookies["session_id"], "path": "/"})
    driver.get(f"{odoo}/odoo")
    WebDriverWait(driver, 90).until(lambda d: d.find_elements(By.CSS_SELECTOR, ".o-telephony-VoipSystray"))
    return session


def rpc(session, odoo, model, method, args):
    payload = {"jsonrpc": "2.0", "params": {"model": model, "method": method, "args": args, "kwargs": {}}}
    return session.post(f"{odoo}/web/dataset/call_kw", json=payload, timeout=30).json()["result"]


def texts(driver, selector):
    return driver.execute_script(f"return [...document.querySelectorAll({selector!r})].map(e => e.innerText)")


def open_panel(driver):
    if not driver.find_elements(By.CSS_SELECTOR, ".o-telephony-Voip"):
        driver.find_element(By.CSS_SELECTOR, ".o-telephony-VoipSystray").click()
        WebDriverWait(driver, 10).until(lambda d: d.find_elements(By.CSS_SELECTOR, ".o-telephony-Number"))


def click_call(driver, number):
    """Type ``number``, click Call; returns the click's time on this machine's clock (epoch seconds)."""
    open_panel(driver)
    box = driver.find_element(By.CSS_SELECTOR, ".o-telephony-Number")
    box.clear()
    box.send_keys(number)
    WebDriverWait(driver, 10).until(lambda d: d.find_element(By.CSS_SELECTOR, ".o-telephony-Call").is_enabled())
    return driver.execute_script(
        "const button = document.querySelector('.o-telephony-Call'); const at = Date.now(); button.click();"
        " return at / 1000;"
    )


def hang_up(driver, ari_session, ari):
    driver.execute_script("document.querySelector('.o-telephony-HangUp')?.click()")
    time.sleep(0.5)
    for channel in ari_session.get(f"{ari}/ari/channels", timeout=5).json():
        ari_session.delete(f"{ari}/ari/channels/{channel['id']}", timeout=5)
    time.sleep(0.7)


def watch(driver, *selectors):
    """Record, in the page, when an element matching each of ``selectors`` first appears."""
    driver.execute_script(
        "window.__seen = {}; const selectors = [...arguments];"
        "new MutationObserver((_, observer) => { for (const selector of selectors) {"
        " if (!window.__seen[selector] && document.querySelector(selector)) {"
        " window.__seen[selector] = Date.now() / 1000; } }"
        " if (Object.keys(window.__seen).length === selectors.length) { observer.disconnect(); } })"
        ".observe(document.body, { childList: true, subtree: true });",
        *selectors,
    )


def seen(driver, selector, timeout=10):
    script = f"return window.__seen[{selector!r}]"
    WebDriverWait(driver, timeout, poll_frequency=0.02).until(lambda d: d.execute_script(script))
    return driver.execute_script(script)


def summary(name, seconds):
    ordered = sorted(seconds)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    print(
        f"{name:<58} median {statistics.median(ordered) * 1000:6.0f} ms   p95 {p95 * 1000:6.0f} ms   (n={len(ordered)})"
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--odoo", default="http://127.0.0.1:8069")
    parser.add_argument("--db", default="telephony_real")
    parser.add_argument("--ari", default="http://127.0.0.1:8088")
    parser.add_argument("--ari-user", default="telephony")
    parser.add_argument("--ari-password", default="telephony")
    parser.add_argument("--calls", type=int, default=20)
    options = parser.parse_args()
    clock = ChannelClock(options.ari, options.ari_user, options.ari_password)
    ari_session = requests.Session()
    ari_session.auth = (options.ari_user, options.ari_password)
    admin_browser, desk_browser = browser("/tmp/bench-softphone-admin"), browser("/tmp/bench-softphone-desk")
    desk_phone = subprocess.Popen(
        ["sipp", "-sf", str(UAS), "-i", "127.0.0.1", "-p", "5101", "-d", "300", "-nostdin", "-rtp_echo"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        admin = sign_in(admin_browser, options.odoo, options.db, "admin", "admin")
        admin_id = rpc(admin, options.odoo, "res.users", "search", [[["login", "=", "admin"]]])[0]
        rpc(admin, options.odoo, "res.users", "write", [[admin_id], {"telephony_phone": "browser"}])
        admin_browser.refresh()
        open_panel(admin_browser)
        WebDriverWait(admin_browser, 60).until(
            lambda d: "Browser phone: ready" in texts(d, ".o-telephony-SoftphoneStatus")
        )
        sign_in(desk_browser, options.odoo, options.db, "demo", "demo")
        browser_invite, desk_invite, popup, card = [], [], [], []
        for _ in range(options.calls):
            clicked = click_call(admin_browser, "999")
            browser_invite.append(clock.first_after("PJSIP/100-", clicked) - clicked)
            hang_up(admin_browser, ari_session, options.ari)
            clicked = click_call(desk_browser, "999")
            desk_invite.append(clock.first_after("PJSIP/101-", clicked) - clicked)
            hang_up(desk_browser, ari_session, options.ari)
        admin_browser.find_element(By.CSS_SELECTOR, ".o_main_navbar").click()
        for _ in range(options.calls):
            watch(admin_browser, ".o-telephony-IncomingCall", ".o-telephony-CallerCard")
            started = time.time()
            caller = subprocess.Popen(
                [
                    "sipp",
                    "-sf",
                    str(UAC),
                    "127.0.0.1:5060",
                    "-i",
                    "127.0.0.1",
                    "-p",
                    "5999",
                    "-m",
                    "1",
                    "-s",
                    "100",
                    "-key",
                    "caller",
                    "+33612345678",
                    "-key",
                    "caller_name",
                    "Bench",
                    "-nostdin",
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            popup.append(seen(admin_browser, ".o-telephony-IncomingCall") - clock.first_after("PJSIP/100-", started))
            # The card comes over the bus once the listener journaled the call; the panel opens on it.
            try:
                card.append(
                    seen(admin_browser, ".o-telephony-CallerCard") - clock.first_after("PJSIP/my-trunk-", started)
                )
            except Exception:
                admin_browser.save_screenshot("/tmp/walk/bench-card.png")
                print(
                    texts(admin_browser, ".o-telephony-IncomingCall, .o_notification_content"),
                    admin_browser.current_url,
                )
                raise
            admin_browser.find_element(By.CSS_SELECTOR, ".o-telephony-Decline").click()
            caller.wait(15)
            hang_up(admin_browser, ari_session, options.ari)
            admin_browser.find_element(By.CSS_SELECTOR, ".o_main_navbar").click()
    finally:
        desk_phone.kill()
        admin_browser.quit()
        desk_browser.quit()
        clock.socket.close()
    print(f"Browser phone latency on Asterisk ({options.ari}), {options.calls} calls each:")
    summary("Call -> INVITE at the PBX, browser phone", browser_invite)
    summary("Call -> desk phone's INVITE, Odoo's originate (desk mode)", desk_invite)
    summary("INVITE to the browser -> popup on screen", popup)
    summary("caller's INVITE -> caller card over Odoo's bus", card)


if __name__ == "__main__":
    main()
