"""Run ONNX models in ONNX Runtime *Java* from Python (there is no onnxruntime for Python here).

The work is done by ``tools/OrtRun.java`` (a single-file Java program) started once per Python process in
``--serve`` mode; tensors travel as raw little-endian files in a temporary directory, requests and responses as one
JSON line each.

API::

    from decap_tools import ort
    out = ort.run("model.onnx", {"input_ids": np.zeros((1, 77), np.int64)})   # -> {"text_embeds": ndarray, ...}
    sess = ort.Session("model.onnx"); sess.run(feeds, outputs=["logits"])    # same, bound to one model
    ort.describe("model.onnx")  # -> {"inputs": {name: {"dtype", "shape"}}, "outputs": {...}}

Arrays are passed as they are: float32, float64, int64, int32, bool and uint8 are supported; zero-size arrays too.
The ONNX Runtime jar is found from ``$DECAP_ORT_JAR`` or the local Maven repository
(``~/.m2/repository/com/microsoft/onnxruntime/onnxruntime/1.24.1/``); if missing, fetch it with
``./mvnw -q dependency:copy -Dartifact=com.microsoft.onnxruntime:onnxruntime:1.24.1 -DoutputDirectory=DIR`` and
set ``DECAP_ORT_JAR``.
"""
from __future__ import annotations

import atexit
import json
import os
import shutil
import subprocess
import tempfile
import threading
from pathlib import Path
from typing import Dict, Iterable, Optional

import numpy as np

ORT_VERSION = "1.24.1"
_TOOLS_DIR = Path(__file__).resolve().parent.parent
ORT_RUN_SOURCE = _TOOLS_DIR / "OrtRun.java"

_DTYPES = {
    "float32": np.dtype("<f4"),
    "float64": np.dtype("<f8"),
    "int64": np.dtype("<i8"),
    "int32": np.dtype("<i4"),
    "bool": np.dtype("bool"),
    "uint8": np.dtype("uint8"),
    "int8": np.dtype("int8"),
}


class OrtError(RuntimeError):
    """ONNX Runtime (or the OrtRun bridge) refused or failed a request."""


def ort_jar() -> Path:
    """Locates the ONNX Runtime Java jar."""
    env = os.environ.get("DECAP_ORT_JAR")
    if env:
        p = Path(env)
        if not p.is_file():
            raise OrtError(f"DECAP_ORT_JAR={env} is not a file")
        return p
    p = (Path.home() / ".m2/repository/com/microsoft/onnxruntime/onnxruntime" / ORT_VERSION
         / f"onnxruntime-{ORT_VERSION}.jar")
    if p.is_file():
        return p
    raise OrtError(
        f"onnxruntime-{ORT_VERSION}.jar not found at {p}; fetch it with `./mvnw -q dependency:copy "
        f"-Dartifact=com.microsoft.onnxruntime:onnxruntime:{ORT_VERSION} -DoutputDirectory=DIR` "
        "and set DECAP_ORT_JAR=DIR/onnxruntime-" + ORT_VERSION + ".jar")


def _dtype_name(a: np.ndarray) -> str:
    for name, dt in _DTYPES.items():
        if a.dtype == dt or (a.dtype.kind == dt.kind and a.dtype.itemsize == dt.itemsize):
            return name
    raise OrtError(f"unsupported array dtype {a.dtype}; use float32, float64, int64, int32, bool or uint8")


class _Server:
    """One long-lived ``OrtRun --serve`` JVM; requests are serialised by a lock."""

    def __init__(self) -> None:
        self._dir = Path(tempfile.mkdtemp(prefix="decap-ort-"))
        cmd = ["java", "-Xss4m", "-cp", str(ort_jar()), str(ORT_RUN_SOURCE), "--serve"]
        self._proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                                      encoding="utf-8", bufsize=1)
        self._lock = threading.Lock()
        self._counter = 0
        ready = self._proc.stdout.readline()
        if not ready.strip().startswith('{"ok": true'):
            raise OrtError(f"OrtRun did not start (said {ready!r}); see stderr above")

    def request(self, req: dict) -> dict:
        with self._lock:
            if self._proc.poll() is not None:
                raise OrtError(f"OrtRun exited with status {self._proc.returncode}")
            self._proc.stdin.write(json.dumps(req) + "\n")
            self._proc.stdin.flush()
            line = self._proc.stdout.readline()
        if not line:
            raise OrtError("OrtRun closed its output (crashed?); see stderr above")
        resp = json.loads(line)
        if not resp.get("ok"):
            raise OrtError(resp.get("error", "unknown OrtRun error"))
        return resp

    def new_dir(self) -> Path:
        with self._lock:
            self._counter += 1
            d = self._dir / f"r{self._counter}"
        d.mkdir()
        return d

    def close(self) -> None:
        if self._proc.poll() is None:
            self._proc.stdin.close()
            try:
                self._proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self._proc.kill()
        shutil.rmtree(self._dir, ignore_errors=True)


_server: Optional[_Server] = None
_server_lock = threading.Lock()


def _get_server() -> _Server:
    global _server
    with _server_lock:
        if _server is None:
            _server = _Server()
            atexit.register(shutdown)
        return _server


def shutdown() -> None:
    """Stops the bridge JVM (it is restarted on the next call)."""
    global _server
    with _server_lock:
        if _server is not None:
            _server.close()
            _server = None


def run(model_path, feeds: Dict[str, np.ndarray], outputs: Optional[Iterable[str]] = None, threads: int = 1,
        opt_level: str = "all", with_time: bool = False):
    """Runs ``model_path`` once on ``feeds`` in ONNX Runtime Java; returns ``{output name: ndarray}``.

    ``outputs``: names to fetch (default all). ``threads``: intra-op threads. ``opt_level``: none/basic/extended/all.
    With ``with_time=True`` returns ``(outputs, run_ms)`` where run_ms is the time of ``OrtSession.run`` alone.
    """
    server = _get_server()
    d = server.new_dir()
    try:
        inputs = {}
        for i, (name, arr) in enumerate(feeds.items()):
            a = np.asarray(arr)
            dt = _dtype_name(a)
            f = d / f"in{i}.bin"
            np.ascontiguousarray(a).astype(_DTYPES[dt], copy=False).tofile(f)
            inputs[name] = {"dtype": dt, "shape": [int(s) for s in a.shape], "file": str(f)}
        req = {"model": str(Path(model_path).resolve()), "inputs": inputs, "out_dir": str(d / "out"),
               "threads": int(threads), "opt_level": opt_level}
        if outputs is not None:
            req["outputs"] = list(outputs)
        resp = server.request(req)
        result = {}
        for name, spec in resp["outputs"].items():
            data = np.fromfile(spec["file"], dtype=_DTYPES[spec["dtype"]])
            result[name] = data.reshape([int(s) for s in spec["shape"]])
        return (result, float(resp["run_ms"])) if with_time else result
    finally:
        shutil.rmtree(d, ignore_errors=True)


def describe(model_path) -> dict:
    """The model's inputs and outputs as ONNX Runtime sees them: ``{"inputs": {...}, "outputs": {...}}``."""
    resp = _get_server().request({"describe": str(Path(model_path).resolve())})
    return {"inputs": resp["inputs"], "outputs": resp["outputs"]}


class Session:
    """A model bound to the bridge: ``Session(path).run(feeds)``; the Java session is cached per model."""

    def __init__(self, model_path, threads: int = 1, opt_level: str = "all") -> None:
        self.model_path = Path(model_path).resolve()
        self.threads = threads
        self.opt_level = opt_level

    def run(self, feeds: Dict[str, np.ndarray], outputs: Optional[Iterable[str]] = None, with_time: bool = False):
        return run(self.model_path, feeds, outputs=outputs, threads=self.threads, opt_level=self.opt_level,
                   with_time=with_time)

    def describe(self) -> dict:
        return describe(self.model_path)
