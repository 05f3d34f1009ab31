#!/usr/bin/env python3
"""Drives Debian's headless Chromium over the DevTools protocol for the dashboard's tests.

Usage: headless_browser.py <chromium> <user-data-dir>
Starts Chromium (its profile in <user-data-dir>), then answers one JSON command per stdin line with
one JSON line on stdout:
  {"cmd": "goto", "url": U}                          -> {"ok": true}
  {"cmd": "wait", "expr": JS, "timeout_ms": N}       -> {"ok": bool, "value": ..., "elapsed_ms": N}
      (evaluates JS every 25 ms until it is truthy or N ms pass)
  {"cmd": "eval", "expr": JS}                        -> {"ok": true, "value": ...}
  {"cmd": "screenshot", "path": P}                   -> {"ok": true}
  {"cmd": "quit"}                                    -> Chromium stopped, exit
Chromium is stopped when stdin closes too, so a test that dies leaves no browser behind.
Only the standard library and python3-websocket.
"""
import base64
import json
import os
import signal
import subprocess
import sys
import time
import urllib.request

import websocket


def reply(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def main():
    chromium, profile = sys.argv[1], sys.argv[2]
    browser = subprocess.Popen(
        [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
         "--no-first-run", "--no-default-browser-check", "--disable-extensions",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--window-size=1280,900", "--remote-debugging-port=0", "--user-data-dir=" + profile, "about:blank"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        run(browser, profile)
    finally:
        try:
            os.killpg(browser.pid, signal.SIGTERM)
            browser.wait(timeout=5)
        except Exception:
            try:
                os.killpg(browser.pid, signal.SIGKILL)
            except Exception:
                pass


def run(browser, profile):
    port_file = os.path.join(profile, "DevToolsActivePort")
    deadline = time.time() + 30
    while not os.path.exists(port_file) or os.path.getsize(port_file) == 0:
        if time.time() > deadline or browser.poll() is not None:
            reply({"ok": False, "error": "chromium did not open its DevTools port"})
            return
        time.sleep(0.05)
    port = open(port_file).read().split()[0]
    targets = []
    while not [t for t in targets if t.get("type") == "page"]:
        if time.time() > deadline:
            reply({"ok": False, "error": "chromium has no page target"})
            return
        targets = json.load(urllib.request.urlopen("http://127.0.0.1:%s/json/list" % port, timeout=5))
    page = [t for t in targets if t.get("type") == "page"][0]
    ws = websocket.create_connection(page["webSocketDebuggerUrl"], timeout=30, suppress_origin=True)
    ids = iter(range(1, 1 << 30))

    def call(method, **params):
        my = next(ids)
        ws.send(json.dumps({"id": my, "method": method, "params": params}))
        while True:
            msg = json.loads(ws.recv())
            if msg.get("id") == my:
                if "error" in msg:
                    raise RuntimeError("%s: %s" % (method, msg["error"]))
                return msg.get("result", {})

    def evaluate(expr):
        r = call("Runtime.evaluate", expression=expr, returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in r:
            return None, r["exceptionDetails"].get("exception", {}).get("description", "exception")
        return r.get("result", {}).get("value"), None

    call("Page.enable")
    call("Runtime.enable")
    reply({"ok": True, "ready": True})
    for line in sys.stdin:
        try:
            cmd = json.loads(line)
            what = cmd.get("cmd")
            if what == "quit":
                reply({"ok": True})
                return
            if what == "goto":
                call("Page.navigate", url=cmd["url"])
                reply({"ok": True})
            elif what == "eval":
                value, error = evaluate(cmd["expr"])
                reply({"ok": error is None, "value": value, "error": error})
            elif what == "wait":
                start = time.time()
                limit = cmd.get("timeout_ms", 5000) / 1000.0
                value, error = None, None
                while True:
                    value, error = evaluate(cmd["expr"])
                    if value or time.time() - start > limit:
                        break
                    time.sleep(0.025)
                reply({"ok": bool(value), "value": value, "error": error,
                       "elapsed_ms": int((time.time() - start) * 1000)})
            elif what == "screenshot":
                shot = call("Page.captureScreenshot", format="png")
                with open(cmd["path"], "wb") as f:
                    f.write(base64.b64decode(shot["data"]))
                reply({"ok": True})
            else:
                reply({"ok": False, "error": "unknown command %r" % what})
        except Exception as e:  # Report, keep serving: the test decides what a failure means.
            reply({"ok": False, "error": str(e)})


if __name__ == "__main__":
    main()
