#!/usr/bin/env python3
"""Search benchmark (issue 5): one tenant with FILES files in a realistic
folder tree and 10 attributes of mixed types, plus two noise tenants of
NOISE files each; then p50/p95 of the issue's queries over HTTP.

Usage:  bench/search.py [--backend sqlite|postgres] [--files 1000000]
        [--noise 100000] [--runs 20] [--warmup 32] [--kura PATH] [--keep]
        [--reuse DIR]
--keep leaves the data (and the PostgreSQL database) in place and prints
where; --reuse DIR runs the queries on such data again, after `kura migrate`
(so it also times the migrations of a new Kura on a full archive).
Env:    KURA_BIN (default $CARGO_TARGET_DIR/release/kura),
        KURA_BENCH_PG (a PostgreSQL server to use, e.g.
        postgres://postgres@127.0.0.1:5432/postgres). Without it the
        PostgreSQL run starts its own server (initdb of the installed
        PostgreSQL, in the work folder, on a free loopback port) with the
        settings the README recommends for large archives (PG_SETTINGS),
        so the figures do not depend on how this machine's server is tuned.

The schema comes from Kura itself (its migrations and its API); the rows are
written straight into the database in large transactions, because going
through the upload API would take hours for a million files. Names are
stored with the same search form Kura computes (NFKC, lower case).
"""

import argparse
import glob
import json
import multiprocessing
import os
import random
import shutil
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import unicodedata
import urllib.request
import uuid

ATTRS = [
    {"key": "project_no", "type": "text", "labels": {"ja": "工事番号", "en": "Project"}},
    {"key": "site", "type": "choice", "labels": {"ja": "現場", "en": "Site"},
     "choices": ["tokyo", "osaka", "nagoya", "fukuoka", "sapporo", "sendai", "hiroshima", "kobe"]},
    {"key": "drawing_type", "type": "choice", "labels": {"ja": "図面種別", "en": "Drawing type"},
     "choices": ["plan", "section", "elevation", "detail", "structure", "equipment"]},
    {"key": "revision", "type": "number", "labels": {"ja": "版", "en": "Revision"}},
    {"key": "approved", "type": "date", "labels": {"ja": "承認日", "en": "Approved"}},
    {"key": "photographer", "type": "text", "labels": {"ja": "撮影者", "en": "Photographer"}},
    {"key": "rights", "type": "multi_choice", "labels": {"ja": "利用範囲", "en": "Rights"},
     "choices": ["web", "print", "tv", "internal", "partner"]},
    {"key": "final", "type": "boolean", "labels": {"ja": "確定", "en": "Final"}},
    {"key": "height_mm", "type": "number", "labels": {"ja": "高さ", "en": "Height"}},
    {"key": "client", "type": "text", "labels": {"ja": "施主", "en": "Client"}},
]

WORDS_JA = ["平面図", "断面図", "立面図", "詳細図", "構造図", "設備図", "配置図", "現場写真",
            "打合せ記録", "見積書", "工程表", "議事録", "竣工写真", "検査報告"]
WORDS_EN = ["plan", "section", "elevation", "detail", "photo", "report", "estimate", "minutes"]
EXTS = [("pdf", "application/pdf"), ("jpg", "image/jpeg"), ("dwg", "application/acad"),
        ("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")]
PEOPLE = ["佐藤", "鈴木", "高橋", "田中", "伊藤", "渡辺", "山本", "中村", "小林", "加藤"]
CLIENTS = ["東京建設", "大阪不動産", "名古屋開発", "福岡ホーム", "札幌物産"]


def fold(s):
    return unicodedata.normalize("NFKC", s).lower()


def key(s):
    return unicodedata.normalize("NFC", unicodedata.normalize("NFC", s).lower())


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# The private server's settings: what the README recommends for a server
# holding archives of millions of files (here on a 24 GiB machine). The
# searches' indexes and the files' rows must fit in shared_buffers: with the
# stock 128 MB every search re-read thousands of pages from the OS cache.
PG_SETTINGS = {
    "shared_buffers": "4GB",
    "effective_cache_size": "12GB",
    "work_mem": "32MB",
    "maintenance_work_mem": "1GB",
    "random_page_cost": "1.1",
    "max_wal_size": "8GB",
    "checkpoint_timeout": "15min",
}


class PrivatePostgres:
    """A PostgreSQL server of the bench's own, in WORK/pg."""

    def __init__(self, work):
        bins = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
        if not bins:
            sys.exit("bench: no initdb under /usr/lib/postgresql (install postgresql, or set KURA_BENCH_PG)")
        self.bin = os.path.dirname(bins[-1])
        self.data = os.path.join(work, "pg")
        self.port = free_port()
        # PostgreSQL refuses to run as root: then it runs as the postgres user.
        self.as_user = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        self.url = "postgres://postgres@127.0.0.1:%d/postgres" % self.port

    def run(self, *cmd):
        subprocess.run(self.as_user + [os.path.join(self.bin, cmd[0])] + list(cmd[1:]),
                       check=True, stdout=subprocess.DEVNULL)

    def start(self):
        if not os.path.isdir(self.data):
            os.chmod(os.path.dirname(self.data), 0o755)
            os.makedirs(self.data, mode=0o700)
            if self.as_user:
                shutil.chown(self.data, "postgres", "postgres")
            self.run("initdb", "-D", self.data, "-U", "postgres", "--auth=trust",
                     "-E", "UTF8", "--locale=C.UTF-8")
        opts = "-p %d -k %s -c listen_addresses=127.0.0.1 %s" % (
            self.port, self.data, " ".join("-c %s=%s" % kv for kv in PG_SETTINGS.items()))
        self.run("pg_ctl", "-D", self.data, "-l", os.path.join(self.data, "log"), "-o", opts, "-w", "start")
        print("PostgreSQL: the bench's own server (%s)" % ", ".join(
            "%s=%s" % kv for kv in PG_SETTINGS.items()), flush=True)

    def stop(self):
        self.run("pg_ctl", "-D", self.data, "-m", "fast", "-w", "stop")


class Kura:
    def __init__(self, binary, data_dir, db_url):
        self.binary, self.data_dir, self.db_url = binary, data_dir, db_url
        self.port = free_port()
        self.proc = None
        cfg = os.path.join(data_dir, "kura.toml")
        with open(cfg, "w") as f:
            f.write('[server]\nlisten = "127.0.0.1:%d"\ndata_dir = "%s"\n' % (self.port, data_dir))
            if db_url:
                f.write('[database]\nurl = "%s"\n' % db_url)
            f.write('[scan]\nmode = "disabled"\n')
        self.cfg = cfg

    def cli(self, *args, stdin=None):
        return subprocess.run([self.binary, "--config", self.cfg, *args], input=stdin,
                              capture_output=True, text=True, check=True).stdout.strip()

    def start(self):
        self.proc = subprocess.Popen([self.binary, "--config", self.cfg, "serve"],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(200):
            try:
                urllib.request.urlopen("http://127.0.0.1:%d/healthz" % self.port, timeout=1)
                return
            except Exception:
                time.sleep(0.05)
        raise SystemExit("kura did not start")

    def stop(self):
        if self.proc:
            self.proc.terminate()
            self.proc.wait(timeout=30)
            self.proc = None

    def rss_kib(self, field="VmHWM"):
        with open("/proc/%d/status" % self.proc.pid) as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
        return 0

    def call(self, token, method, path, body=None):
        req = urllib.request.Request("http://127.0.0.1:%d%s" % (self.port, path), method=method,
                                     data=None if body is None else json.dumps(body).encode(),
                                     headers={"Authorization": "Bearer " + token,
                                              "Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=120) as r:
            return json.loads(r.read() or b"null")


class Sql:
    """The same INSERTs on SQLite (sqlite3) or PostgreSQL (psql, COPY)."""

    def __init__(self, backend, path_or_url):
        self.backend = backend
        if backend == "sqlite":
            self.db = sqlite3.connect(path_or_url)
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=OFF")
            # 10M attribute rows go into several indexes in key order that
            # is not insertion order: with SQLite's default 2 MB page cache
            # nearly every insert reads and writes index pages from disk.
            self.db.execute("PRAGMA cache_size=-2000000")
            self.db.execute("PRAGMA temp_store=MEMORY")
        else:
            self.url = path_or_url

    def scalar(self, q):
        if self.backend == "sqlite":
            return self.db.execute(q).fetchone()[0]
        return subprocess.run(["psql", self.url, "-Atqc", q], capture_output=True, text=True,
                              check=True).stdout.strip()

    def execute(self, q):
        if self.backend == "sqlite":
            self.db.execute(q)
        else:
            subprocess.run(["psql", self.url, "-qc", q], check=True)

    def next_id(self, table):
        return int(self.scalar("SELECT COALESCE(MAX(id), 0) + 1 FROM %s" % table))

    def load(self, table, cols, rows):
        if self.backend == "sqlite":
            marks = ",".join("?" * len(cols))
            self.db.executemany("INSERT INTO %s (%s) VALUES (%s)" % (table, ",".join(cols), marks), rows)
            return
        def cell(v):
            if v is None:
                return "\\N"
            return str(v).replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")
        data = "".join("\t".join(cell(v) for v in r) + "\n" for r in rows)
        subprocess.run(["psql", self.url, "-qc", "COPY %s (%s) FROM STDIN" % (table, ",".join(cols))],
                       input=data, text=True, check=True)

    def commit(self):
        if self.backend == "sqlite":
            self.db.commit()

    def finish(self):
        if self.backend == "sqlite":
            # What Kura writes with each file's values (crates/db/src/tokens.rs):
            # its search-token document, written here once for all files.
            t0 = time.time()
            self.db.execute(sqlite_token_docs())
            print("  search-token documents: %.0f s" % (time.time() - t0), flush=True)
            self.db.execute("ANALYZE")
            self.db.commit()
            self.db.close()
        else:
            # What autovacuum does to an archive that has been sitting: the
            # statistics, and the visibility map that lets index-only scans
            # skip the table.
            subprocess.run(["psql", self.url, "-qc", "VACUUM ANALYZE"], check=True)


def sqlite_token_docs():
    """The statement of migrations/sqlite/0019_attribute_tokens.sql that writes
    every file's search-token document (its last), read from the migration so
    the bench writes exactly what Kura's migration does."""
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "migrations", "sqlite",
                        "0019_attribute_tokens.sql")
    with open(path, encoding="utf-8") as f:
        sql = f.read()
    return sql[sql.rindex("INSERT INTO node_token_docs"):]


def generate(sql, tenant_id, root_id, user_id, n_files, defs, rng, label):
    """A tree of projects / disciplines / months with n_files files."""
    t0 = time.time()
    node_id = sql.next_id("nodes")
    now = int(time.time() * 1000)
    folders = []
    per_folder = 200
    n_folders = max(1, n_files // per_folder)
    folder_ids = []
    projects = max(1, n_folders // 40)
    for p in range(projects):
        pid = node_id; node_id += 1
        name = "案件%05d %s" % (p, rng.choice(CLIENTS))
        folders.append((pid, tenant_id, root_id, "folder", name, key(name), uuid.uuid4().hex, now, now, user_id, fold(name), 0, None, None))
        for d in range(40):
            if len(folder_ids) >= n_folders:
                break
            fid = node_id; node_id += 1
            name = "%02d %s" % (d, rng.choice(WORDS_JA))
            folders.append((fid, tenant_id, pid, "folder", name, key(name), uuid.uuid4().hex, now, now, user_id, fold(name), 0, None, None))
            folder_ids.append(fid)
    cols = ("id", "tenant_id", "parent_id", "kind", "name", "name_key", "etag", "created_at", "modified_at",
            "modified_by", "name_fold", "size", "content_type", "scan_status")
    sql.load("nodes", cols, folders)
    vcols = ("tenant_id", "node_id", "attr_id", "text_value", "fold_value", "num_value")
    by_key = {d["key"]: d for d in defs}
    a = lambda k: by_key[k]["id"]
    # PostgreSQL: each file's search tokens come with its row, as its
    # values' trigger would compute them (migrations/postgres/0019 and 0021:
    # byte order), so that trigger finds them unchanged and leaves the row
    # alone instead of writing every file twice.
    with_tokens = sql.backend == "postgres"
    if with_tokens:
        cols = cols + ("attr_tokens",)
    types = {by_key[d["key"]]["id"]: d["type"] for d in ATTRS}

    def tokens(rows):
        out = set()
        for _, _, attr, text, _, num in rows:
            t = types[attr]
            if t in ("choice", "multi_choice") and text is not None:
                out.add("%d=%s" % (attr, text))
            elif t == "date" and num is not None:
                out.update("%d#%d:%d" % (attr, sh, int(num) >> sh) for sh in (0, 4, 8, 12))
            elif t == "boolean" and num is not None:
                out.add("%d#0:%d" % (attr, int(num)))
        if not out:
            return None
        return "{%s}" % ",".join('"%s"' % x.replace("\\", "\\\\").replace('"', '\\"') for x in sorted(out, key=lambda x: x.encode()))

    def batches(node_id):
        """The files and their values, 50,000 files at a time."""
        files, values = [], []
        for i in range(n_files):
            fid = node_id; node_id += 1
            ext, ct = rng.choice(EXTS)
            word = rng.choice(WORDS_JA) if rng.random() < 0.7 else rng.choice(WORDS_EN)
            # Some names in full-width, as people type them.
            name = "%s_%07d_R%d.%s" % (word, i, rng.randint(0, 9), ext)
            if rng.random() < 0.05:
                name = unicodedata.normalize("NFKC", name).translate(str.maketrans(
                    "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
                    "０１２３４５６７８９ＡＢＣＤＥＦＧＨＩＪＫＬＭＮＯＰＱＲＳＴＵＶＷＸＹＺａｂｃｄｅｆｇｈｉｊｋｌｍｎｏｐｑｒｓｔｕｖｗｘｙｚ"))
            mod = now - rng.randint(0, 5 * 365 * 86_400_000)
            files.append((fid, tenant_id, folder_ids[i % len(folder_ids)], "file", name, key(name), uuid.uuid4().hex,
                          mod, mod, user_id, fold(name), rng.randint(1_000, 50_000_000), ct, "clean"))
            first_value = len(values)
            pno = "K-%05d" % rng.randint(0, 20_000)
            values.append((tenant_id, fid, a("project_no"), pno, fold(pno), None))
            s = rng.choice(ATTRS[1]["choices"]); values.append((tenant_id, fid, a("site"), s, fold(s), None))
            s = rng.choice(ATTRS[2]["choices"]); values.append((tenant_id, fid, a("drawing_type"), s, fold(s), None))
            values.append((tenant_id, fid, a("revision"), None, None, float(rng.randint(0, 20))))
            days = 19000 + rng.randint(0, 2000)
            values.append((tenant_id, fid, a("approved"), time.strftime("%Y-%m-%d", time.gmtime(days * 86400)), None, float(days)))
            if rng.random() < 0.5:
                s = rng.choice(PEOPLE); values.append((tenant_id, fid, a("photographer"), s, fold(s), None))
            for r in rng.sample(ATTRS[6]["choices"], rng.randint(1, 3)):
                values.append((tenant_id, fid, a("rights"), r, fold(r), None))
            values.append((tenant_id, fid, a("final"), None, None, float(rng.random() < 0.3)))
            values.append((tenant_id, fid, a("height_mm"), None, None, float(rng.randint(100, 100_000))))
            s = rng.choice(CLIENTS); values.append((tenant_id, fid, a("client"), s, fold(s), None))
            if with_tokens:
                files[-1] = files[-1] + (tokens(values[first_value:]),)
            if len(files) >= 50_000:
                yield files, values
                files, values = [], []
        yield files, values

    # The rows are made by a forked process on the other core while this
    # one writes the previous batch (a thread would share Python's lock);
    # the random generator's state comes back with the last batch, so the
    # rows are the same as made in line.
    ready = multiprocessing.get_context("fork").Queue(maxsize=2)

    def produce():
        try:
            for files, values in batches(node_id):
                ready.put(("rows", files, values))
            ready.put(("end", rng.getstate()))
        except BaseException as e:
            ready.put(("failed", repr(e)))

    maker = multiprocessing.get_context("fork").Process(target=produce, daemon=True)
    maker.start()
    while True:
        msg = ready.get()
        if msg[0] == "rows":
            sql.load("nodes", cols, msg[1]); sql.load("attribute_values", vcols, msg[2]); sql.commit()
        elif msg[0] == "end":
            rng.setstate(msg[1])
            break
        else:
            raise RuntimeError("making the rows failed: %s" % msg[1])
    maker.join()
    # A tenant's trash: one folder in a hundred deleted with its files. Kura
    # trashes a folder by marking it, not its files (crates/db/src/trash.rs);
    # searches must hide what is in it.
    gone = folder_ids[::100]
    sql.execute("UPDATE nodes SET trashed_at = %d WHERE id IN (%s)" % (now, ",".join(map(str, gone))))
    sql.commit()
    print("  %s: %d files in %d folders, %.0f s" % (label, n_files, len(folder_ids) + projects, time.time() - t0), flush=True)


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))]


def setup(args, work):
    """A new data set: Kura's schema, three tenants, the generated rows."""
    pg_db = None
    if args.backend == "postgres":
        admin = args.pg_admin
        pg_db = "kura_bench_%s" % uuid.uuid4().hex[:8]
        subprocess.run(["psql", admin, "-qc", "CREATE DATABASE %s" % pg_db], check=True)
        db_url = admin.rsplit("/", 1)[0] + "/" + pg_db
    else:
        db_url = None
    k = Kura(args.kura, work, db_url)
    k.cli("migrate")
    for code, n in [("big", args.files), ("noise1", args.noise), ("noise2", args.noise)]:
        k.cli("admin", "tenant", "create", "--code", code, "--name", code, "--capacity", "1000TiB")
        k.cli("admin", "user", "create", "--tenant", code, "--login", "admin", "--role", "admin",
              stdin="a long bench password 12345\n")
    tokens = {c: k.cli("admin", "token", "create", "--tenant", c, "--login", "admin") for c in ["big", "noise1", "noise2"]}
    k.start()
    for c in tokens:
        for a in ATTRS:
            k.call(tokens[c], "POST", "/api/v1/attributes", a)
    k.stop()
    sql = Sql(args.backend, db_url or os.path.join(work, "kura.db"))
    rng = random.Random(42)
    t0 = time.time()
    print("generating (%s)" % args.backend, flush=True)
    for c, n in [("big", args.files), ("noise1", args.noise), ("noise2", args.noise)]:
        tid = int(sql.scalar("SELECT id FROM tenants WHERE code = '%s'" % c))
        root = int(sql.scalar("SELECT root_id FROM tenants WHERE id = %d" % tid))
        uid = int(sql.scalar("SELECT id FROM users WHERE tenant_id = %d" % tid))
        ids = {d["key"]: int(sql.scalar("SELECT id FROM attribute_defs WHERE tenant_id = %d AND key = '%s'" % (tid, d["key"]))) for d in ATTRS}
        generate(sql, tid, root, uid, n, [{"key": kk, "id": v} for kk, v in ids.items()], rng, c)
    sql.finish()
    gen_s = time.time() - t0
    print("generation: %.0f s" % gen_s, flush=True)
    return db_url, tokens, gen_s, k, pg_db


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--backend", choices=["sqlite", "postgres"], default="sqlite")
    ap.add_argument("--files", type=int, default=1_000_000)
    ap.add_argument("--noise", type=int, default=100_000)
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--warmup", type=int, default=32,
                    help="untimed-for-the-target runs of each query first (twice the pool)")
    ap.add_argument("--kura", default=os.environ.get("KURA_BIN") or os.path.join(
        os.environ.get("CARGO_TARGET_DIR", "/work/cargo-target"), "release", "kura"))
    ap.add_argument("--keep", action="store_true", help="leave the data in place")
    ap.add_argument("--reuse", metavar="DIR", help="query the data a --keep run left in DIR")
    args = ap.parse_args()
    work = args.reuse or tempfile.mkdtemp(prefix="kura-search-bench-", dir="/var/tmp")
    keep = args.keep or bool(args.reuse)
    pg_db = None
    k = None
    private_pg = None
    args.pg_admin = os.environ.get("KURA_BENCH_PG")
    # Data a --keep run left on another server is queried there.
    own = not args.reuse or os.path.isdir(os.path.join(work, "pg"))
    if args.backend == "postgres" and not args.pg_admin and own:
        private_pg = PrivatePostgres(work)
        private_pg.start()
        args.pg_admin = private_pg.url
    try:
        if args.reuse:
            with open(os.path.join(work, "bench.json")) as f:
                saved = json.load(f)
            db_url, tokens, gen_s = saved["db_url"], saved["tokens"], saved["generation_s"]
            if private_pg:
                # The same database, on the port the server has this time.
                db_url = private_pg.url.rsplit("/", 1)[0] + "/" + db_url.rsplit("/", 1)[1]
            elif db_url:
                args.pg_admin = db_url
            k = Kura(args.kura, work, db_url)
            t0 = time.time()
            k.cli("migrate")
            print("kura migrate on the existing data: %.1f s" % (time.time() - t0), flush=True)
        else:
            db_url, tokens, gen_s, k, pg_db = setup(args, work)
            with open(os.path.join(work, "bench.json"), "w") as f:
                json.dump({"db_url": db_url, "tokens": tokens, "generation_s": gen_s}, f)
        if db_url:
            print("PostgreSQL shared_buffers: %s" % subprocess.run(
                ["psql", db_url, "-Atc", "SHOW shared_buffers"],
                capture_output=True, text=True, check=True).stdout.strip(), flush=True)
        k.start()
        tok = tokens["big"]
        queries = [
            ("name substring, Japanese", {"name": "断面図_00012"}),
            ("name substring, ASCII", {"name": "elevation_00004"}),
            ("two-attribute filter", {"filters": [{"key": "site", "op": "eq", "value": "osaka"},
                                                  {"key": "drawing_type", "op": "eq", "value": "detail"}], "limit": 50}),
            ("date range + choice", {"filters": [{"key": "approved", "op": "between", "value": ["2022-01-01", "2022-03-31"]},
                                                 {"key": "site", "op": "any", "value": ["tokyo", "kobe"]}], "limit": 50}),
            ("facet count, whole tenant", {"limit": 1, "facets": ["site", "drawing_type", "content_type"]}),
            ("subtree, sorted by attribute", {"folder": "/", "sort": {"key": "revision", "order": "desc"}, "limit": 50}),
        ]
        # The subtree: the first project folder's real name.
        top = k.call(tok, "GET", "/api/v1/folders/?limit=1")["items"][0]["name"]
        queries[5][1]["folder"] = "/" + top
        # Each query first runs --warmup times, timed apart: on SQLite every
        # pooled connection (16 by default) maps the database on its own, so
        # the first runs of a query on each connection also take the page
        # faults of mapping what it reads (up to +30 ms once per connection
        # and process). The measured runs are the steady state; the warm-up's
        # p95 is printed beside them.
        print("%-32s %9s %9s %8s %14s" % ("query", "p50 ms", "p95 ms", "total", "warm-up p95"))
        results = []
        for label, q in queries:
            warm = []
            for _ in range(args.warmup):
                t = time.perf_counter()
                k.call(tok, "POST", "/api/v1/search", q)
                warm.append((time.perf_counter() - t) * 1000)
            times = []
            total = None
            for _ in range(args.runs):
                t = time.perf_counter()
                r = k.call(tok, "POST", "/api/v1/search", q)
                times.append((time.perf_counter() - t) * 1000)
                total = r["total"]
            p50, p95 = pct(times, 50), pct(times, 95)
            results.append((label, p50, p95))
            print("%-32s %9.1f %9.1f %8s %14s" % (label, p50, p95, total,
                                                  "%.1f" % pct(warm, 95) if warm else "-"), flush=True)
        # SQLite reads the database through a memory map: those pages are
        # the OS page cache (RssFile), shared and dropped under pressure; the
        # server's own memory is the anonymous part.
        print("server peak RSS: %d MiB (now: %d MiB anonymous, %d MiB mapped files)" % (
            k.rss_kib() // 1024, k.rss_kib("RssAnon") // 1024, k.rss_kib("RssFile") // 1024))
        print("generation: %.0f s; target: p95 < 100 ms for every query" % gen_s)
        miss = [l for l, _, p in results if p >= 100]
        print("RESULT: %s" % ("PASS" if not miss else "MISS (%s)" % ", ".join(miss)))
        k.stop()
    finally:
        if k:
            k.stop()
        if keep:
            print("data kept in %s (query it again with --reuse %s)" % (work, work))
        elif pg_db and not private_pg:
            subprocess.run(["psql", args.pg_admin, "-qc", "DROP DATABASE IF EXISTS %s WITH (FORCE)" % pg_db])
        if private_pg:
            private_pg.stop()
        if not keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
