#!/usr/bin/env python3
"""Kura vs nginx benchmark orchestrator (standard library only).

Started by bench/run, which installs nginx/wrk (or clamd for ONLY=scan),
builds kura and exports NGINX_BIN / KURA_BIN / CLAMD_BIN. Every round starts each server on a fresh data folder
(this disk is slow to create files where thousands were just deleted, so
folders are never reused and are only removed at the end, in the background).
Servers alternate order every round. Medians are printed side by side.

ONLY=scan measures virus scanning instead (see scan_main): a big upload to kura
with scanning disabled, the same with scanning required against a private
clamd, and clamd INSTREAM alone, on fresh random bytes each round.

ONLY=transfer measures kura alone (see transfer.py): a tus upload in 8 MiB
chunks against a single PUT of the same bytes, and a streamed ZIP download of
1,000 files with kura's peak RSS.
"""

import http.client
import json
import os
import re
import signal
import socket
import statistics
import struct
import subprocess
import sys
import tempfile
import time
import urllib.parse
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

HERE = Path(__file__).resolve().parent
HOST = "127.0.0.1"
ROUNDS = int(os.environ.get("ROUNDS", "5"))
DURATION = int(os.environ.get("DURATION", "10"))
BIG_MB = int(os.environ.get("BIG_MB", "1024"))
ONLY = os.environ.get("ONLY", "")
KEEP_WORK = os.environ.get("KEEP_WORK") == "1"  # keep logs/data for debugging
NGINX_BIN = os.environ.get("NGINX_BIN", "nginx")
KURA_BIN = os.environ.get("KURA_BIN", "")
CLAMD_BIN = os.environ.get("CLAMD_BIN", "clamd")
SERVERS = [s for s in ("kura", "nginx") if ONLY in ("", s)]

SMALL_BODY = b"k" * 4096
DL_FILES = 100       # files cycled through by the small-download test
LIST_FILES = 10_000  # entries in the listed folder
LIST_REPEATS = 5     # timed listings per round (after one warm-up)
PASSWORD = "bench-password-123"

# key, label, target kind ("ratio": kura/nginx >= value; "max": kura < value), value.
# MB = 10**6 bytes; the kura-only metrics come last.
METRICS = [
    ("upload", f"{BIG_MB} MiB upload, MB/s", "ratio", 0.9),
    ("download", f"{BIG_MB} MiB download, MB/s", "ratio", 0.9),
    ("small_up", "4 KiB uploads/s, 16 conns", "ratio", 0.5),
    ("small_down", "4 KiB downloads/s, 64 conns", "ratio", 0.4),
    ("list10k", "list 10k-entry folder, ms", "max", 100.0),
    ("rss", "peak RSS during upload, MiB", "max", 100.0),
]


class BenchError(Exception):
    pass


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def free_port():
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def run(cmd, **kw):
    """Run a command, raising BenchError with its stderr if it fails."""
    p = subprocess.run(cmd, capture_output=True, text=True, **kw)
    if p.returncode != 0:
        raise BenchError(f"{' '.join(map(str, cmd))} exited {p.returncode}:\n{p.stderr.strip()}")
    return p


def tail(path, n=30):
    try:
        return "\n".join(Path(path).read_text(errors="replace").splitlines()[-n:])
    except OSError:
        return "(no log)"


class Server:
    """A running server plus how to address files on it."""

    def __init__(self, name, port, proc, log_path, headers, files_prefix, put_query):
        self.name, self.port, self.proc, self.log_path = name, port, proc, log_path
        self.headers = headers            # sent on every request (kura: bearer token)
        self.files_prefix = files_prefix  # URL path under which files live
        self.put_query = put_query        # query string for the big PUT

    def url_path(self, rel):
        return self.files_prefix + urllib.parse.quote(rel, safe="/")

    def url(self, rel):
        return f"http://{HOST}:{self.port}{self.url_path(rel)}"

    def curl_headers(self):
        return [a for k, v in self.headers.items() for a in ("-H", f"{k}: {v}")]

    def request(self, method, path, body=None, conn=None):
        own = conn is None
        conn = conn or http.client.HTTPConnection(HOST, self.port, timeout=120)
        try:
            conn.request(method, path, body=body, headers=self.headers)
            resp = conn.getresponse()
            return resp.status, resp.read()
        finally:
            if own:
                conn.close()

    def mkdir(self, rel):
        if self.name == "nginx":
            return  # create_full_put_path makes folders on PUT
        status, body = self.request("POST", f"/api/v1/folders/{urllib.parse.quote(rel)}?parents=true")
        if not 200 <= status < 300:
            raise BenchError(f"kura: POST folder {rel} -> {status}: {body[:300]!r}")

    def check_alive(self):
        if self.proc.poll() is not None:
            raise BenchError(f"{self.name} exited with {self.proc.returncode}; log tail:\n{tail(self.log_path)}")

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()  # nginx: fast shutdown; kura: graceful
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def wait_ready(srv, path, want_200, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        srv.check_alive()
        try:
            status, _ = srv.request("GET", path)
            if status == 200 or not want_200:
                return
        except OSError:
            pass
        time.sleep(0.1)
    raise BenchError(f"{srv.name} not ready after {timeout}s; log tail:\n{tail(srv.log_path)}")


def nginx_conf(port, d):
    """Private nginx config: everything (pid, logs, temp files, root) under d.

    The body temp folder is on the same filesystem as the root, so a finished
    PUT is a rename, not a copy."""
    v = subprocess.run([NGINX_BIN, "-V"], capture_output=True, text=True).stderr
    temp = "".join(f"    {m}_temp_path {d}/tmp/{m};\n"
                   for m in ("proxy", "fastcgi", "uwsgi", "scgi")
                   if f"--without-http_{m}_module" not in v)
    # Workers run as "nobody" by default when started as root and could not
    # write into our root-owned folder.
    user = "user root root;" if os.geteuid() == 0 else ""
    return f"""{user}
worker_processes 2;
pid {d}/nginx.pid;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    sendfile on;
    tcp_nopush on;
    keepalive_requests 1000000;  # default 1000 would make wrk reconnect; kura has no such limit
    default_type application/octet-stream;
    client_body_temp_path {d}/tmp/body;
{temp}    server {{
        listen {HOST}:{port};
        root {d}/www;
        client_max_body_size 0;
        location / {{
            dav_methods PUT;
            create_full_put_path on;
            dav_access user:rw group:r all:r;
        }}
    }}
}}
"""


def start_nginx(d):
    for sub in ("www", "tmp", "logs"):
        (d / sub).mkdir(parents=True)
    port = free_port()
    conf = d / "nginx.conf"
    conf.write_text(nginx_conf(port, d))
    errlog = d / "logs" / "error.log"
    # -e: error log before the config is read (default is /var/log/nginx).
    with open(d / "logs" / "stderr.log", "w") as out:
        proc = subprocess.Popen([NGINX_BIN, "-p", str(d), "-c", str(conf), "-e", str(errlog),
                                 "-g", "daemon off;"], stdout=out, stderr=subprocess.STDOUT)
    srv = Server("nginx", port, proc, errlog, {}, "/", "")
    wait_ready(srv, "/", want_200=False)  # any HTTP answer means it is listening
    return srv


def start_kura(d, scan_env=None):
    """A kura on a fresh data folder with tenant "bench" and a token for alice.
    Scanning is disabled unless scan_env (KURA_SCAN__* variables) says otherwise."""
    data = d / "data"
    d.mkdir(parents=True)
    env = {**os.environ, "KURA_SCAN__MODE": "disabled", **(scan_env or {})}
    dd = ["--data-dir", str(data)]
    run([KURA_BIN, "admin", "tenant", "create", "--code", "bench", "--name", "Bench",
         "--capacity", "1TiB", *dd], env=env)
    run([KURA_BIN, "admin", "user", "create", "--tenant", "bench", "--login", "alice",
         "--role", "admin", *dd], env=env, input=PASSWORD + "\n")
    token = run([KURA_BIN, "admin", "token", "create", "--tenant", "bench", "--login", "alice",
                 *dd], env=env).stdout.strip()
    if not token or any(c.isspace() for c in token):
        raise BenchError(f"kura admin token create printed {token!r}, expected only a token")
    port = free_port()
    log_path = d / "kura.log"
    with open(log_path, "w") as out:
        proc = subprocess.Popen([KURA_BIN, "serve", "--listen", f"{HOST}:{port}", *dd], env=env,
                                stdout=out, stderr=subprocess.STDOUT)
    srv = Server("kura", port, proc, log_path, {"Authorization": f"Bearer {token}"},
                 "/api/v1/files/", "?parents=true")
    wait_ready(srv, "/healthz", want_200=True)
    return srv


def put_many(srv, rels, threads=16):
    """PUT SMALL_BODY to every path, 16 keep-alive connections in parallel."""
    def worker(chunk):
        conn = http.client.HTTPConnection(HOST, srv.port, timeout=120)
        try:
            for rel in chunk:
                try:
                    status, body = srv.request("PUT", srv.url_path(rel), SMALL_BODY, conn)
                except (OSError, http.client.HTTPException):
                    # Setup only, not timed: reconnect once if the server
                    # dropped a keep-alive connection, then give up loudly.
                    conn.close()
                    status, body = srv.request("PUT", srv.url_path(rel), SMALL_BODY, conn)
                if not 200 <= status < 300:
                    raise BenchError(f"{srv.name}: PUT {rel} -> {status}: {body[:300]!r}")
        finally:
            conn.close()
    with ThreadPoolExecutor(threads) as ex:
        list(ex.map(worker, [rels[i::threads] for i in range(threads)]))


def curl(srv, args, what, want=range(200, 300)):
    """Run curl, return (seconds, bytes up, bytes down); fail loudly on a bad status.
    "Expect:" stops curl waiting for "100 Continue" before a big body."""
    resp = srv.log_path.parent / "curl-response.txt"
    out = run(["curl", "-sS", "-H", "Expect:", *srv.curl_headers(), *args,
               "-w", "%{http_code} %{time_total} %{size_upload} %{size_download}"]).stdout.split()
    code, secs, up, down = int(out[0]), float(out[1]), int(float(out[2])), int(float(out[3]))
    if code not in want:
        body = resp.read_text(errors="replace")[:300] if resp.exists() else ""
        raise BenchError(f"{srv.name}: {what} -> HTTP {code} {body}")
    return secs, up, down


def big_upload(srv, big, size):
    """Upload the big file; for kura also measure peak RSS of just this upload."""
    # Flush what earlier steps (or the other server) left dirty, so neither
    # server pays for the other's writeback during its timed upload.
    os.sync()
    if srv.name == "kura":
        # Writing 5 to clear_refs resets VmHWM to the current RSS (Linux >= 4.0).
        Path(f"/proc/{srv.proc.pid}/clear_refs").write_text("5")
    resp = srv.log_path.parent / "curl-response.txt"
    secs, up, _ = curl(srv, ["-T", str(big), "-o", str(resp), srv.url("big.bin") + srv.put_query],
                       "big upload")
    if up != size:
        raise BenchError(f"{srv.name}: uploaded {up} bytes, expected {size}")
    out = {"upload": size / 1e6 / secs}
    if srv.name == "kura":
        status = Path(f"/proc/{srv.proc.pid}/status").read_text()
        out["rss"] = int(re.search(r"VmHWM:\s+(\d+) kB", status).group(1)) / 1024
    return out


def big_download(srv, size):
    secs, _, down = curl(srv, ["-o", "/dev/null", srv.url("big.bin")], "big download", want=[200])
    if down != size:
        raise BenchError(f"{srv.name}: downloaded {down} bytes, expected {size}")
    return size / 1e6 / secs


def wrk(srv, conns, args):
    """Run wrk.lua; return 2xx responses per second. Fail if >1% went wrong."""
    cmd = ["wrk", "-t2", f"-c{conns}", f"-d{DURATION}s", "--timeout", "10s",
           "-s", str(HERE / "wrk.lua"), *srv.curl_headers(), f"http://{HOST}:{srv.port}/", "--", *args]
    out = run(cmd).stdout
    m = re.search(r"^BENCH (.*)$", out, re.M)
    if not m:
        raise BenchError(f"no BENCH line in wrk output:\n{out}")
    r = {k: int(v) for k, v in (kv.split("=") for kv in m.group(1).split())}
    errors = r["bad"] + r["connect"] + r["read"] + r["write"] + r["timeout"]
    if r["ok"] == 0 or errors > 0.01 * (r["ok"] + errors):
        raise BenchError(f"{srv.name}: wrk {args[0]}: {r['ok']} ok, {r['bad']} non-2xx (first status "
                         f"{r['first_bad']}), socket errors connect/read/write/timeout "
                         f"{r['connect']}/{r['read']}/{r['write']}/{r['timeout']}; "
                         f"server log tail:\n{tail(srv.log_path)}")
    if errors:
        log(f"  note: {srv.name} wrk {args[0]}: {errors} errors out of {r['ok'] + errors}")
    return r["ok"] / (r["duration_us"] / 1e6)


def list_10k(srv):
    """Create a folder with 10k files, then time listing it (median ms)."""
    srv.mkdir("list10k")
    put_many(srv, [f"list10k/f{i:05d}" for i in range(LIST_FILES)])
    os.sync()
    path = "/api/v1/folders/list10k?limit=10000"
    conn = http.client.HTTPConnection(HOST, srv.port, timeout=120)
    times = []
    try:
        for i in range(LIST_REPEATS + 1):  # first one is a warm-up
            t0 = time.perf_counter()
            status, body = srv.request("GET", path, conn=conn)
            dt = (time.perf_counter() - t0) * 1000
            if status != 200:
                raise BenchError(f"kura: GET {path} -> {status}: {body[:300]!r}")
            doc = json.loads(body)
            if len(doc.get("items", [])) != LIST_FILES or doc.get("next_cursor") is not None:
                raise BenchError(f"kura: listing has {len(doc.get('items', []))} items, "
                                 f"next_cursor={doc.get('next_cursor')!r}; expected {LIST_FILES}, null")
            if i:
                times.append(dt)
    finally:
        conn.close()
    return statistics.median(times)


def measure(srv, big, size):
    """All measurements for one server in one round. sync before each one so
    write-back of earlier data does not land inside a timed window."""
    res = {}
    os.sync()
    res.update(big_upload(srv, big, size))
    os.sync()
    res["download"] = big_download(srv, size)
    srv.mkdir("small")
    os.sync()
    res["small_up"] = wrk(srv, 16, ["put", srv.url_path("small/")])
    srv.mkdir("dl")
    put_many(srv, [f"dl/{i}" for i in range(DL_FILES)])
    os.sync()
    res["small_down"] = wrk(srv, 64, ["get", srv.url_path("dl/"), str(DL_FILES)])
    if srv.name == "kura":
        res["list10k"] = list_10k(srv)
    srv.check_alive()
    return res


def fmt(v):
    if v is None:
        return "-"
    return f"{v:.0f}" if v >= 1000 else f"{v:.1f}"


def report(results):
    """results[metric][server] -> list of per-round values."""
    med = {k: {s: statistics.median(v) for s, v in d.items() if v} for k, d in results.items()}
    print("\nPer-round values:")
    for key, label, *_ in METRICS:
        for s in SERVERS:
            vals = results[key].get(s)
            if vals:
                print(f"  {label:<30} {s:<6} " + "  ".join(fmt(v) for v in vals))
    print(f"\nMedians over {ROUNDS} round(s):")
    hdr = f"{'metric':<30} {'kura':>9} {'nginx':>9} {'kura/nginx':>10}  {'target':<14} result"
    print(hdr)
    print("-" * len(hdr))
    for key, label, kind, target in METRICS:
        k, n = med[key].get("kura"), med[key].get("nginx")
        if kind == "ratio":
            ratio = k / n if k is not None and n else None
            tgt, ok = f">= {target}x nginx", (None if ratio is None else ratio >= target)
        else:
            ratio, tgt, ok = None, f"< {target:.0f}", (None if k is None else k < target)
        result = "-" if ok is None else ("PASS" if ok else "MISS")
        rs = "-" if ratio is None else f"{ratio:.2f}x"
        print(f"{label:<30} {fmt(k):>9} {fmt(n):>9} {rs:>10}  {tgt:<14} {result}")


# ---------------------------------------------------------------- ONLY=scan

# key, label: the scan scenario's metrics (MB/s unless the label says otherwise).
SCAN_METRICS = [
    ("off", "kura upload, scanning disabled, MB/s"),
    ("on", "kura upload, scanning required, MB/s"),
    ("clamd", "clamd INSTREAM alone, MB/s"),
    ("ratio", "scanned / min(disabled, clamd)"),
    ("kura_rss", "kura peak RSS, scanned upload, MiB"),
    ("clamd_rss", "clamd peak RSS, 1 signature, MiB"),
]
SCAN_TARGET = 0.9
# The 68-byte EICAR test string, as hex so that this file itself is not flagged
# by virus scanners. It becomes the private clamd's only signature (.ndb: body
# match anywhere in a file), so clamd starts without downloadable databases.
EICAR_HEX = ("58354f2150254041505b345c505a58353428505e2937434329377d2445494341522d5354"
             "414e444152442d414e544956495255532d544553542d46494c452124482b482a")
INSTREAM_CHUNK = 1 << 20  # bytes per INSTREAM chunk from the bench's own client


class Clamd:
    """A private clamd: own folder, TCP port, signature file and temp folder.

    Limits: StreamMaxLength and MaxFileSize a little above the test size;
    MaxScanSize at clamd's 4000M ceiling, because embedded objects count again
    (some 1 GiB random files exceed a 1100M MaxScanSize); MaxScanTime as long
    as kura's scan timeout. AlertExceedsMax makes any limit hit a
    "Heuristics.Limits.Exceeded.*" verdict, so a truncated scan fails the bench
    instead of being timed as if it were complete."""

    def __init__(self, d, port, limit_mb):
        self.d, self.port, self.limit_mb = d, port, limit_mb
        self.proc = None
        (d / "db").mkdir(parents=True)
        (d / "tmp").mkdir()
        (d / "db" / "eicar.ndb").write_text(f"Test.EICAR.NDB:0:*:{EICAR_HEX}\n")
        self.conf = d / "clamd.conf"
        self.conf.write_text(f"""Foreground yes
DatabaseDirectory {d}/db
TemporaryDirectory {d}/tmp
TCPAddr {HOST}
TCPSocket {port}
PidFile {d}/clamd.pid
LogFile {d}/clamd.log
LogTime yes
StreamMaxLength {limit_mb}M
MaxFileSize {limit_mb}M
MaxScanSize 4000M
MaxScanTime 600000
AlertExceedsMax yes
MaxThreads 4
""")
        self.log_path = d / "clamd.log"
        self.start()
        self.version = self.command(b"zVERSION\0")

    def start(self):
        """Start clamd and wait until it answers PING (about 0.1 s with one signature)."""
        with open(self.d / "stderr.log", "a") as out:
            self.proc = subprocess.Popen([CLAMD_BIN, "-c", str(self.conf)], stdout=out,
                                         stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while True:
            if self.proc.poll() is not None:
                raise BenchError(f"clamd exited with {self.proc.returncode}; log tail:\n"
                                 f"{tail(self.log_path)}\n{tail(self.d / 'stderr.log')}")
            try:
                if self.command(b"zPING\0") == "PONG":
                    return
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise BenchError(f"clamd did not answer PING within 60 s; log tail:\n{tail(self.log_path)}")
            time.sleep(0.1)

    def restart(self):
        """A new clamd process: its verdict cache (in memory only) starts empty."""
        self.stop()
        self.start()

    def command(self, cmd):
        with socket.create_connection((HOST, self.port), timeout=10) as s:
            s.sendall(cmd)
            return self._reply(s)

    @staticmethod
    def _reply(s):
        reply = b""
        while not reply.endswith(b"\0"):
            got = s.recv(4096)
            if not got:
                break
            reply += got
        return reply.rstrip(b"\0").decode(errors="replace").strip()

    def instream(self, path):
        """Stream a file to clamd (zINSTREAM, then chunks as a 4-byte big-endian
        length and the bytes, then a zero length); return (seconds from connect
        to verdict, verdict)."""
        buf = bytearray(INSTREAM_CHUNK)
        view = memoryview(buf)
        t0 = time.perf_counter()
        with socket.create_connection((HOST, self.port), timeout=900) as s, open(path, "rb", buffering=0) as f:
            s.sendall(b"zINSTREAM\0")
            while n := f.readinto(buf):
                s.sendall(struct.pack(">I", n))
                s.sendall(view[:n])
            s.sendall(b"\0\0\0\0")
            reply = self._reply(s)
        return time.perf_counter() - t0, reply

    def instream_bytes(self, data):
        """The verdict on a few bytes (one chunk)."""
        with socket.create_connection((HOST, self.port), timeout=60) as s:
            s.sendall(b"zINSTREAM\0" + struct.pack(">I", len(data)) + data + b"\0\0\0\0")
            return self._reply(s)

    def peak_mib(self):
        status = Path(f"/proc/{self.proc.pid}/status").read_text()
        return int(re.search(r"VmHWM:\s+(\d+) kB", status).group(1)) / 1024

    def check_alive(self):
        if self.proc.poll() is not None:
            raise BenchError(f"clamd exited with {self.proc.returncode}; log tail:\n{tail(self.log_path)}")

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def fresh_random_file(path, size):
    """size fresh random bytes, flushed to disk before timing."""
    block = 8 << 20
    with open(path, "wb") as f:
        left = size
        while left:
            n = min(block, left)
            f.write(os.urandom(n))
            left -= n
    os.sync()


def find_scan_status(doc):
    """The stored version's scan status in kura's PUT response: its
    "scan_status" (or a version's "scan": {"status": ...})."""
    if not isinstance(doc, dict):
        return None
    if isinstance(doc.get("scan_status"), str):
        return doc["scan_status"]
    scan = doc.get("scan")
    return scan.get("status") if isinstance(scan, dict) else None


def kura_scanned_upload(srv, data, size, name, want_status):
    """PUT data to kura; MB/s and kura's peak RSS during just this upload."""
    Path(f"/proc/{srv.proc.pid}/clear_refs").write_text("5")
    resp = srv.log_path.parent / "curl-response.txt"
    secs, up, _ = curl(srv, ["-T", str(data), "-o", str(resp), srv.url(name) + srv.put_query],
                       f"{size >> 20} MiB upload")
    if up != size:
        raise BenchError(f"kura: uploaded {up} bytes, expected {size}")
    try:
        status = find_scan_status(json.loads(resp.read_text()))
    except ValueError:
        status = None
    if status != want_status:
        raise BenchError(f"kura: upload stored with scan status {status!r}, expected {want_status!r}: "
                         f"{resp.read_text(errors='replace')[:300]}")
    rss = int(re.search(r"VmHWM:\s+(\d+) kB", Path(f"/proc/{srv.proc.pid}/status").read_text()).group(1))
    return size / 1e6 / secs, rss / 1024


def check_eicar_refused(srv):
    """Scanning really is on: kura refuses the EICAR test file (not timed)."""
    status, body = srv.request("PUT", srv.url_path("eicar.com") + srv.put_query, bytes.fromhex(EICAR_HEX))
    if status != 422 or b"virus_detected" not in body:
        raise BenchError(f"kura with scanning: EICAR upload -> {status} {body[:300]!r}, expected 422 virus_detected")


def scan_report(results):
    print("\nPer-round values:")
    for key, label in SCAN_METRICS:
        vals = results.get(key, [])
        print(f"  {label:<38} " + "  ".join(f"{v:.2f}" if key == "ratio" else fmt(v) for v in vals))
    med = {k: statistics.median(v) for k, v in results.items() if v}
    print(f"\nMedians over {ROUNDS} round(s), {BIG_MB} MiB of fresh random data per round:")
    for key, label in SCAN_METRICS:
        v = med.get(key)
        if key == "ratio":
            ok = "PASS" if v is not None and v >= SCAN_TARGET else "MISS"
            print(f"  {label:<38} {v:9.2f}x  target >= {SCAN_TARGET}x  {ok}")
        else:
            print(f"  {label:<38} {fmt(v):>9}")


def scan_main(work):
    """ONLY=scan: per round, in rotating order, (a) kura upload with scanning
    disabled, (b) kura upload with scanning required, (c) clamd INSTREAM alone;
    ratio = b / min(a, c).

    Every round writes new random bytes, and the three measurements of a round
    use the same bytes: clamd's cost per byte of random data is not constant
    (about one random GiB in four holds byte patterns that clamd takes for an
    embedded file and scans a second time, at half the speed), so (b) and (c)
    are only comparable on identical input. clamd caches clean verdicts by
    content hash, in memory: it is restarted before (b) and before (c), so
    neither finds the other's verdict (nor one from an earlier round)."""
    size = BIG_MB << 20
    # StreamMaxLength and MaxFileSize: 1100M for up to 1 GiB, else 1/16 above
    # the test size. clamd cannot scan files over 2 GB.
    limit_mb = max(1100, BIG_MB + BIG_MB // 16)
    if limit_mb > 2047:
        raise BenchError(f"BIG_MB={BIG_MB}: clamd cannot scan files over 2 GB")
    port = int(os.environ.get("CLAMD_PORT") or free_port())
    scan_env = {"KURA_SCAN__MODE": "required", "KURA_SCAN__CLAMD": f"tcp://{HOST}:{port}",
                "KURA_SCAN__STREAM_MAX_LENGTH": f"{limit_mb}M"}
    servers = []
    clamd = None
    results = {key: [] for key, _ in SCAN_METRICS}
    data = work / "random.bin"
    try:
        t0 = time.monotonic()
        clamd = Clamd(work / "clamd", port, limit_mb)
        log(f"bench: clamd {clamd.version} on {HOST}:{port} ready in {time.monotonic() - t0:.1f}s "
            f"(StreamMaxLength/MaxFileSize {limit_mb}M, MaxThreads 4, 1 signature)")
        if clamd.instream_bytes(bytes.fromhex(EICAR_HEX)) != "stream: Test.EICAR.NDB.UNOFFICIAL FOUND":
            raise BenchError("private clamd does not detect EICAR")
        steps = ["off", "on", "clamd"]
        for rnd in range(1, ROUNDS + 1):
            shift = (rnd - 1) % len(steps)
            order = steps[shift:] + steps[:shift]  # each goes first in turn
            log(f"round {rnd}/{ROUNDS}: writing {BIG_MB} MiB of fresh random data")
            fresh_random_file(data, size)
            res = {}
            for step in order:
                log(f"round {rnd}/{ROUNDS}: {step}")
                if step != "off":
                    clamd.restart()
                # Flush what the previous step wrote (its blob, clamd's spool
                # file) so that its write-back does not land in this timing.
                os.sync()
                if step == "clamd":
                    secs, verdict = clamd.instream(data)
                    if verdict != "stream: OK":
                        raise BenchError(f"clamd INSTREAM of random data answered {verdict!r}; "
                                         f"log tail:\n{tail(clamd.log_path)}")
                    res["clamd"] = size / 1e6 / secs
                    res["clamd_rss"] = max(res.get("clamd_rss", 0), clamd.peak_mib())
                else:
                    d = work / f"r{rnd}-kura-{step}"
                    srv = start_kura(d, scan_env if step == "on" else None)
                    servers.append(srv)
                    if step == "on":
                        check_eicar_refused(srv)
                        res["on"], res["kura_rss"] = kura_scanned_upload(srv, data, size, "big.bin", "clean")
                        res["clamd_rss"] = max(res.get("clamd_rss", 0), clamd.peak_mib())
                    else:
                        res["off"], _ = kura_scanned_upload(srv, data, size, "big.bin", "unscanned")
                    srv.check_alive()
                    srv.stop()
                    servers.remove(srv)
                clamd.check_alive()
            data.unlink()
            res["ratio"] = res["on"] / min(res["off"], res["clamd"])
            log("  " + "  ".join(f"{k}={v:.2f}" if k == "ratio" else f"{k}={fmt(v)}"
                                 for k, v in res.items()))
            for k, v in res.items():
                results[k].append(v)
        scan_report(results)
        return 0
    finally:
        for srv in servers:
            srv.stop()
        if clamd:
            clamd.stop()
        data.unlink(missing_ok=True)


def main():
    # Turn SIGTERM/SIGHUP into exceptions so the finally block still cleans up.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    signal.signal(signal.SIGHUP, lambda *_: sys.exit(129))
    base = os.environ.get("BENCH_TMP", "/var/tmp")
    work = Path(tempfile.mkdtemp(prefix="kura-bench-", dir=base))
    servers = []  # running servers, stopped in finally
    results = {key: {} for key, *_ in METRICS}
    try:
        if ONLY == "transfer":
            from transfer import transfer_main
            log(f"bench: transfer scenario rounds={ROUNDS} big={BIG_MB}MiB cpus={os.cpu_count()} "
                f"work={work} kura={KURA_BIN}")
            return transfer_main(work)
        if ONLY == "scan":
            log(f"bench: scan scenario rounds={ROUNDS} big={BIG_MB}MiB cpus={os.cpu_count()} "
                f"work={work} kura={KURA_BIN} clamd={CLAMD_BIN}")
            load = os.getloadavg()[0]
            if load > 0.5 * os.cpu_count():
                log(f"bench: note: machine is busy (load {load:.1f} on {os.cpu_count()} CPUs); "
                    "figures will be noisy")
            return scan_main(work)
        nver = subprocess.run([NGINX_BIN, "-v"], capture_output=True, text=True).stderr.strip() \
            if "nginx" in SERVERS else "-"
        log(f"bench: servers={','.join(SERVERS)} rounds={ROUNDS} wrk={DURATION}s big={BIG_MB}MiB "
            f"cpus={os.cpu_count()} work={work} nginx={nver} kura={KURA_BIN or '-'}")
        load = os.getloadavg()[0]
        if load > 0.5 * os.cpu_count():
            log(f"bench: note: machine is busy (load {load:.1f} on {os.cpu_count()} CPUs); figures will be noisy")
        others = [p for p in Path(base).glob("kura-bench-*") if p != work]
        if others:
            log(f"bench: note: {len(others)} old kura-bench-* folder(s) in {base} (maybe still being "
                "deleted in the background); file creation may be slower until that finishes")
        big = work / "big.bin"
        size = BIG_MB << 20
        with open("/dev/urandom", "rb") as src, open(big, "wb") as dst:
            for _ in range(BIG_MB):
                dst.write(src.read(1 << 20))
        for rnd in range(1, ROUNDS + 1):
            order = SERVERS if rnd % 2 else SERVERS[::-1]  # alternate who goes first
            for name in order:
                d = work / f"r{rnd}-{name}"
                log(f"round {rnd}/{ROUNDS}: {name}")
                srv = start_kura(d) if name == "kura" else start_nginx(d)
                servers.append(srv)
                res = measure(srv, big, size)
                srv.stop()
                servers.remove(srv)
                log("  " + "  ".join(f"{k}={fmt(v)}" for k, v in res.items()))
                for k, v in res.items():
                    results[k].setdefault(name, []).append(v)
        report(results)
        return 0
    except BenchError as e:
        log(f"bench: error: {e}")
        return 1
    except (OSError, http.client.HTTPException) as e:
        log(f"bench: error: {type(e).__name__}: {e}")
        for srv in servers:
            log(f"{srv.name} log tail:\n{tail(srv.log_path)}")
        return 1
    except KeyboardInterrupt:
        log("bench: interrupted")
        return 130
    finally:
        for srv in servers:
            srv.stop()
        if KEEP_WORK:
            log(f"bench: kept {work}")
        else:
            (work / "big.bin").unlink(missing_ok=True)
            # Deleting many small files is slow on this disk; do it detached.
            subprocess.Popen(["rm", "-rf", str(work)], start_new_session=True,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


if __name__ == "__main__":
    sys.exit(main())
