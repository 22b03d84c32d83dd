"""ONLY=transfer (see bench.py): resumable and bulk transfers of kura alone.

Per round, on a fresh kura:
  - a BIG_MB single PUT (curl) and the same bytes as a tus upload in
    TUS_CHUNK_MB chunks (one POST, then PATCHes on one keep-alive connection,
    timed until the last PATCH has committed the file); MB/s of both and the
    tus/PUT ratio;
  - a ZIP download (POST /api/v1/zip, then GET with curl) of a folder of
    ZIP_FILES files of ZIP_FILE_KB KiB each: MB/s of the archive, and kura's
    peak RSS (VmHWM) during the download.
"""

import base64
import html
import http.client
import json
import os
import re
import statistics
import time
import urllib.parse
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import bench
from bench import HOST, BenchError, curl, log, start_kura

TUS_CHUNK_MB = int(os.environ.get("TUS_CHUNK_MB", "8"))
ZIP_FILES = int(os.environ.get("ZIP_FILES", "1000"))
ZIP_FILE_KB = int(os.environ.get("ZIP_FILE_KB", "256"))
PAGE_FILES = int(os.environ.get("PAGE_FILES", "10000"))
PAGE_REPEATS = 5

METRICS = [
    ("put", "{big} MiB single PUT, MB/s"),
    ("tus", "{big} MiB tus, {chunk} MiB chunks, MB/s"),
    ("ratio", "tus / PUT"),
    ("tus_send", "  tus PATCHes but the last, MB/s"),
    ("tus_commit", "  tus last PATCH (commit), s"),
    ("zip", "ZIP of {n} x {kb} KiB files, MB/s"),
    ("zip_rss_base", "kura RSS before the ZIP, MiB"),
    ("zip_rss", "kura peak RSS during ZIP, MiB"),
    ("page_ttfb", "{pages}-entry folder page, first byte, ms"),
    ("page_load", "{pages}-entry folder page, full load, ms"),
    ("page_all", "  all {pages} entries (page + more), ms"),
]


def b64(s):
    return base64.b64encode(s.encode()).decode()


def vm_mib(pid, field="VmHWM"):
    status = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(field + r":\s+(\d+) kB", status).group(1)) / 1024


def reset_hwm(pid):
    # Writing 5 to clear_refs resets VmHWM to the current RSS (Linux >= 4.0).
    Path(f"/proc/{pid}/clear_refs").write_text("5")


def tus_upload(srv, big, size, name):
    """POST + PATCHes of TUS_CHUNK_MB on one connection; returns (seconds in
    all, seconds of the last PATCH, which commits the file)."""
    chunk = TUS_CHUNK_MB << 20
    conn = http.client.HTTPConnection(HOST, srv.port, timeout=600)
    base = {**srv.headers, "Tus-Resumable": "1.0.0"}
    try:
        t0 = time.perf_counter()
        conn.request("POST", "/api/v1/uploads", headers={
            **base, "Upload-Length": str(size), "Upload-Metadata": f"filename {b64(name)}"})
        r = conn.getresponse()
        body = r.read()
        if r.status != 201:
            raise BenchError(f"kura: tus POST -> {r.status}: {body[:300]!r}")
        loc = r.getheader("Location")
        offset = 0
        last = 0.0
        with open(big, "rb") as f:
            while offset < size:
                data = f.read(chunk)
                t1 = time.perf_counter()
                conn.request("PATCH", loc, body=data, headers={
                    **base, "Upload-Offset": str(offset),
                    "Content-Type": "application/offset+octet-stream"})
                r = conn.getresponse()
                body = r.read()
                if r.status != 204:
                    raise BenchError(f"kura: tus PATCH at {offset} -> {r.status}: {body[:300]!r}")
                offset = int(r.getheader("Upload-Offset"))
                last = time.perf_counter() - t1
        secs = time.perf_counter() - t0
    finally:
        conn.close()
    status, body = srv.request("GET", f"/api/v1/files/{urllib.parse.quote(name)}?meta=true")
    if status != 200 or json.loads(body).get("size") != size:
        raise BenchError(f"kura: tus result {name}: {status} {body[:300]!r}")
    return secs, last


def fill_zip_folder(srv):
    """ZIP_FILES files of ZIP_FILE_KB random KiB under zipdir/ (16 connections)."""
    srv.mkdir("zipdir")
    payload = os.urandom(ZIP_FILE_KB << 10)

    def worker(idx):
        conn = http.client.HTTPConnection(HOST, srv.port, timeout=120)
        try:
            for i in idx:
                # Different bytes per file: the first 8 bytes carry its number.
                body = i.to_bytes(8, "little") + payload[8:]
                status, resp = srv.request("PUT", srv.url_path(f"zipdir/f{i:05d}.bin"), body, conn)
                if status not in (200, 201):
                    raise BenchError(f"kura: PUT zipdir/f{i} -> {status}: {resp[:300]!r}")
        finally:
            conn.close()
    with ThreadPoolExecutor(16) as ex:
        list(ex.map(worker, [range(ZIP_FILES)[i::16] for i in range(16)]))


def zip_download(srv):
    """Returns (MB/s, RSS before, peak RSS during, in MiB) of one ZIP download of zipdir."""
    conn = http.client.HTTPConnection(HOST, srv.port, timeout=120)
    try:
        conn.request("POST", "/api/v1/zip", body=json.dumps({"paths": ["/zipdir"]}),
                     headers={**srv.headers, "Content-Type": "application/json"})
        r = conn.getresponse()
        status, body = r.status, r.read()
    finally:
        conn.close()
    if status != 201:
        raise BenchError(f"kura: POST /api/v1/zip -> {status}: {body[:300]!r}")
    url = json.loads(body)["url"]
    os.sync()
    reset_hwm(srv.proc.pid)
    base = vm_mib(srv.proc.pid, "VmRSS")
    secs, _, down = curl(srv, ["-o", "/dev/null", f"http://{HOST}:{srv.port}{url}"], "zip download",
                         want=[200])
    rss = vm_mib(srv.proc.pid)
    least = ZIP_FILES * (ZIP_FILE_KB << 10)
    if down < least:
        raise BenchError(f"kura: ZIP of {down} bytes, expected more than {least}")
    return down / 1e6 / secs, base, rss


def sign_in(srv):
    """A browser session for alice: the session cookie's "name=value"."""
    conn = http.client.HTTPConnection(HOST, srv.port, timeout=60)
    try:
        conn.request("POST", "/api/v1/session", headers={"Content-Type": "application/json"},
                     body=json.dumps({"tenant": "bench", "login": "alice",
                                      "password": bench.PASSWORD}))
        r = conn.getresponse()
        r.read()
        if r.status != 200:
            raise BenchError(f"kura: POST /api/v1/session -> {r.status}")
        cookies = [h.split(";", 1)[0] for k, h in r.getheaders() if k.lower() == "set-cookie"]
    finally:
        conn.close()
    if not cookies:
        raise BenchError("kura: the sign-in set no cookie")
    return "; ".join(cookies)


MORE_RE = re.compile(rb'class="more" hx-get="([^"]+)"')
ROW_RE = re.compile(rb'<div role="row" class="row"')


def folder_page(srv):
    """(first byte ms, full load ms, all entries ms) of /ui/files/page10k,
    medians of PAGE_REPEATS after one warm-up."""
    srv.mkdir("page10k")
    bench.put_many(srv, [f"page10k/f{i:05d}.txt" for i in range(PAGE_FILES)])
    os.sync()
    cookie = sign_in(srv)
    conn = http.client.HTTPConnection(HOST, srv.port, timeout=120)
    firsts, loads, alls = [], [], []
    try:
        for i in range(PAGE_REPEATS + 1):
            t0 = time.perf_counter()
            conn.request("GET", "/ui/files/page10k", headers={"Cookie": cookie, "Accept": "text/html"})
            r = conn.getresponse()
            first = r.read(1)
            t1 = time.perf_counter()
            body = first + r.read()
            t2 = time.perf_counter()
            if r.status != 200:
                raise BenchError(f"kura: GET /ui/files/page10k -> {r.status}: {body[:300]!r}")
            rows = len(ROW_RE.findall(body))
            # The "more" fragments, one after the other, as scrolling fetches them.
            more = MORE_RE.search(body)
            seen_urls = set()
            while more:
                url = html.unescape(more.group(1).decode())
                if url in seen_urls or len(seen_urls) > PAGE_FILES:
                    raise BenchError(f"kura: the folder page's fragments do not advance ({url})")
                seen_urls.add(url)
                conn.request("GET", url, headers={"Cookie": cookie, "HX-Request": "true"})
                r = conn.getresponse()
                frag = r.read()
                if r.status != 200:
                    raise BenchError(f"kura: GET {url} -> {r.status}: {frag[:300]!r}")
                rows += len(ROW_RE.findall(frag))
                more = MORE_RE.search(frag)
            t3 = time.perf_counter()
            if rows != PAGE_FILES:
                raise BenchError(f"kura: the page and its fragments hold {rows} rows, expected {PAGE_FILES}")
            if i:
                firsts.append((t1 - t0) * 1000)
                loads.append((t2 - t0) * 1000)
                alls.append((t3 - t0) * 1000)
    finally:
        conn.close()
    return statistics.median(firsts), statistics.median(loads), statistics.median(alls)


def transfer_main(work):
    size = bench.BIG_MB << 20
    big = work / "big.bin"
    with open("/dev/urandom", "rb") as src, open(big, "wb") as dst:
        for _ in range(bench.BIG_MB):
            dst.write(src.read(1 << 20))
    results = {k: [] for k, _ in METRICS}
    servers = []
    try:
        for rnd in range(1, bench.ROUNDS + 1):
            srv = start_kura(work / f"r{rnd}-transfer")
            servers.append(srv)
            res = {}
            steps = ["put", "tus"] if rnd % 2 else ["tus", "put"]
            for step in steps:
                os.sync()
                log(f"round {rnd}/{bench.ROUNDS}: {step}")
                if step == "put":
                    secs, up, _ = curl(srv, ["-T", str(big), "-o", "/dev/null",
                                             srv.url("put.bin") + srv.put_query], "big upload")
                    if up != size:
                        raise BenchError(f"kura: uploaded {up} bytes, expected {size}")
                    res["put"] = size / 1e6 / secs
                else:
                    secs, last = tus_upload(srv, big, size, "tus.bin")
                    res["tus"] = size / 1e6 / secs
                    chunk = TUS_CHUNK_MB << 20
                    res["tus_send"] = (size - min(chunk, size)) / 1e6 / max(secs - last, 1e-9)
                    res["tus_commit"] = last
            res["ratio"] = res["tus"] / res["put"]
            log(f"round {rnd}/{bench.ROUNDS}: zip ({ZIP_FILES} files)")
            fill_zip_folder(srv)
            res["zip"], res["zip_rss_base"], res["zip_rss"] = zip_download(srv)
            log(f"round {rnd}/{bench.ROUNDS}: folder page ({PAGE_FILES} entries)")
            res["page_ttfb"], res["page_load"], res["page_all"] = folder_page(srv)
            srv.check_alive()
            srv.stop()
            servers.remove(srv)
            log("  " + "  ".join(f"{k}={v:.2f}" if k in ("ratio", "tus_commit") else f"{k}={bench.fmt(v)}"
                                 for k, v in res.items()))
            for k, v in res.items():
                results[k].append(v)
        print(f"\nMedians over {bench.ROUNDS} round(s) (kura alone):")
        for key, label in METRICS:
            label = label.format(big=bench.BIG_MB, chunk=TUS_CHUNK_MB, n=ZIP_FILES, kb=ZIP_FILE_KB,
                                 pages=PAGE_FILES)
            v = statistics.median(results[key])
            two = key in ("ratio", "tus_commit")
            shown = f"{v:.2f}" + ("x" if key == "ratio" else "") if two else bench.fmt(v)
            per = "  ".join(f"{x:.2f}" if two else bench.fmt(x) for x in results[key])
            print(f"  {label:<40} {shown:>9}   (rounds: {per})")
        return 0
    finally:
        for srv in servers:
            srv.stop()
        big.unlink(missing_ok=True)
