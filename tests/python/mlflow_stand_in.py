"""A stand-in for an MLflow tracking server (no MLflow can be installed here), in Python for the
Python package's tests, as tests/nissa/export/mlflow_receiver.h is for the C++ ones: it serves the
two REST calls Nissa's MLflow exporter makes, on a free loopback port, and keeps what they carry.

    POST /api/2.0/mlflow/runs/create     {experiment_id, run_name, ...} -> {"run": {"info": {run_id, ...}}}
    POST /api/2.0/mlflow/runs/log-batch  {run_id, metrics: [{key, value, timestamp, step}, ...]}

A log-batch to a run it did not create, or whose metric is not exactly {key, value, timestamp,
step} with an integer step, is refused with 400 and kept in `refusals`."""

import http.server
import json
import threading


class MlflowStandIn:
    def __init__(self):
        self._lock = threading.Lock()
        self.runs = {}        # run_id -> run_name
        self.metrics = []     # (run_name, key, value, step), in arrival order
        self.refusals = []
        stand_in = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
                if self.path == "/api/2.0/mlflow/runs/create":
                    self._reply(200, stand_in._create(body))
                elif self.path == "/api/2.0/mlflow/runs/log-batch":
                    refusal = stand_in._log_batch(body)
                    self._reply(400 if refusal else 200,
                                {"error_code": "INVALID_PARAMETER_VALUE", "message": refusal} if refusal else {})
                else:
                    self._reply(404, {"error_code": "ENDPOINT_NOT_FOUND"})

            def _reply(self, status, body):
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = "http://127.0.0.1:%d" % self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def _create(self, body):
        with self._lock:
            run_id = "%032x" % (0x5eed0000 + len(self.runs) + 1)
            self.runs[run_id] = body.get("run_name", "")
        return {"run": {"info": {"run_id": run_id, "run_uuid": run_id, "experiment_id": body.get("experiment_id"),
                                 "run_name": body.get("run_name", ""), "status": "RUNNING",
                                 "lifecycle_stage": "active"}, "data": {"tags": body.get("tags", [])}}}

    def _log_batch(self, body):
        """None when accepted, else why it was refused."""
        with self._lock:
            run = self.runs.get(body.get("run_id"))
            if run is None:
                refusal = "no run %r" % body.get("run_id")
            else:
                refusal = None
                for m in body.get("metrics", []):
                    if set(m) != {"key", "value", "timestamp", "step"} or not isinstance(m["step"], int):
                        refusal = "a metric is not {key, value, timestamp, step}: %r" % (m,)
                        break
            if refusal:
                self.refusals.append(refusal)
                return refusal
            self.metrics.extend((run, m["key"], m["value"], m["step"]) for m in body["metrics"])
            return None

    def logged(self, run_name, key):
        """[(step, value)] logged under `key` in the run named `run_name`, in arrival order."""
        with self._lock:
            return [(step, value) for run, k, value, step in self.metrics if run == run_name and k == key]

    def keys(self, run_name):
        with self._lock:
            return sorted({k for run, k, _, _ in self.metrics if run == run_name})

    def close(self):
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)
