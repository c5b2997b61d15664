"""Contact CSV import speed and memory.

`python -m bench import [--quick] [--million] [--sqlite-only] [--python-only]`

Generates messy rows deterministically (seeded): four files in four encodings and delimiters (UTF-8 ",",
UTF-8 with BOM ";", UTF-16 tab, Windows-1252 "|"), different header spellings, phones in many formats, mixed-case
emails with spaces, full names to split, websites, ~10% duplicates, ~3% invalid rows. Each import runs in a
child process (so its peak RSS is its own; its normalisation workers are reported apart) on a fresh database: SQLite, and PostgreSQL when reachable
(MKT_BENCH_DATABASE_URL, default postgresql+psycopg://postgres@127.0.0.1:5432/test; a scratch database is
created and dropped). The floor in the same run: the same rows already normalised and de-duplicated, written
with a bare psycopg COPY (PostgreSQL) / sqlite3 executemany (SQLite). Prints rows/s, the ratio to the floor and
peak RSS. --million imports 1,000,000 rows (one UTF-8 file) for memory.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PG_DEFAULT = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
FORMATS = [("utf-8", ",", "a"), ("utf-8-sig", ";", "b"), ("utf-16", "\t", "c"), ("cp1252", "|", "d")]
HEADERS = {
    "a": ["Email", "First Name", "Last Name", "Phone", "Company", "Website", "City", "State", "Country", "Tags", "Notes"],
    "b": ["E-mail Address", "Full Name", "Mobile", "Organization", "URL", "Town", "Region", "Country", "Labels", "Source"],
    "c": ["email", "name", "phone number", "account name", "domain", "city", "province", "country", "tags", "Score"],
    "d": ["Mail", "First", "Last", "Cell", "Company Name", "Homepage", "City", "State", "Country", "Tag", "Comment"],
}
FIRST = ["Jane", "John", "Zoë", "José", "Ana", "Björn", "Chloé", "Li", "Omar", "Priya", "Renée", "Sven", "Ólafur"]
LAST = ["Doe", "Smith", "Müller", "García", "O'Brien", "Nguyen", "Søren", "Dubois", "Kowalski", "Patel"]
CITIES = [("Austin", "TX", "US"), ("Berlin", "", "Germany"), ("Paris", "", "FR"), ("Denver", "Colorado", "USA"),
          ("Toronto", "ON", "Canada"), ("Madrid", "", "España"), ("Seattle", "WA", "US")]


def _phone(rng: random.Random, n: int, country: str) -> str:
    if country in ("Germany",):
        return rng.choice(["+49 151 {}", "0151 {}", "0049151{}"]).format(f"{n % 10**8:08d}")
    body = f"{rng.choice([512, 303, 206, 415, 212])}{rng.randint(200, 999)}{n % 10000:04d}"
    return rng.choice(["({0}) {1}-{2}", "{0}-{1}-{2}", "+1 {0} {1} {2}", "1{0}{1}{2}", "{0}.{1}.{2} x12"]).format(
        body[:3], body[3:6], body[6:])


def rows_for(count: int, seed: int, key: str, offset: int) -> list[list[str]]:
    rng = random.Random(seed)
    rows: list[list[str]] = []
    for i in range(count):
        n = offset + i
        if rows and rng.random() < 0.10:  # a duplicate of an earlier row in the file
            rows.append(list(rng.choice(rows)))
            continue
        first, last = rng.choice(FIRST), rng.choice(LAST)
        city, state, country = rng.choice(CITIES)
        email = rng.choice(["{f}.{l}{n}@{d}", " {F}.{L}{n}@{D} ", "{f}{n}@{d}"]).format(
            f=first.lower(), l=last.lower().replace("'", ""), n=n, d=f"company{n % 5000}.com",
            F=first, L=last.replace("'", ""), D=f"Company{n % 5000}.COM")
        email = email.encode("ascii", "ignore").decode()
        phone = _phone(rng, n, country)
        if rng.random() < 0.03:  # invalid: neither address usable
            email, phone = "not-an-email", "12"
        elif rng.random() < 0.05:
            email = ""
        site = rng.choice(["www.company{n}.com", "https://company{n}.com/", "company{n}.com"]).format(n=n % 5000)
        tags = rng.choice(["", "vip", "lead, newsletter", "customer|vip"])
        extra = rng.choice(["", "met at fair", "=cmd|' /C calc'!A0", "called twice"])
        rows.append(_shape(key, first, last, email, phone, site, city, state, country, tags, extra))
    return rows


def _shape(key: str, first: str, last: str, email: str, phone: str, site: str, city: str, state: str,
           country: str, tags: str, extra: str) -> list[str]:
    company = f"{last} & Co"
    if key == "a":
        return [email, first, last, phone, company, site, city, state, country, tags, extra]
    if key == "b":
        return [email, f"{first} {last}", phone, company, site, city, state, country, tags, extra]
    if key == "c":
        return [email, f"{last}, {first}", phone, company, site.split("/")[-1] or site, city, state, country, tags,
                str(len(extra))]
    return [email, first, last, phone, company, site, city, state, country, tags, extra]


def write_files(total: int, folder: Path, one_file: bool = False) -> list[Path]:
    import csv

    formats = FORMATS[:1] if one_file else FORMATS
    per = total // len(formats)
    paths = []
    for index, (encoding, delimiter, key) in enumerate(formats):
        path = folder / f"contacts_{key}.csv"
        with open(path, "w", encoding=encoding, newline="", errors="replace") as handle:
            writer = csv.writer(handle, delimiter=delimiter)
            writer.writerow(HEADERS[key])
            for start in range(0, per, 50_000):
                writer.writerows(rows_for(min(50_000, per - start), 1000 + index * 7919 + start, key,
                                          index * per + start))
        paths.append(path)
    return paths


def _child(url: str, paths: list[str], mode: str) -> None:
    """Runs in a fresh process: migrate, then either import the files or COPY the normalised rows (the floor)."""
    import resource

    os.environ["MKT_DATABASE_URL"] = url
    sys.path.insert(0, str(ROOT))
    from db import migrate
    from db.session import get_engine

    migrate.upgrade(url)
    engine = get_engine(url)
    start_self = resource.getrusage(resource.RUSAGE_SELF)
    cpu_before = start_self.ru_utime + start_self.ru_stime
    if mode == "import":
        from tools.imports.importer import run_import
        from tools.users import Actor

        started = time.perf_counter()
        rows = 0
        for path in paths:
            rows += run_import(path, actor=Actor.system("bench"), engine=engine).rows
        elapsed = time.perf_counter() - started
    else:
        rows_list = _normalised(paths)
        rows, elapsed = len(rows_list), _floor(engine, rows_list)
    if mode == "import":
        from tools.imports.worker import _close_shared

        _close_shared()  # the kept worker pool: its processes are counted below once they have ended
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    peak_mb, worker_mb = me.ru_maxrss / 1024, kids.ru_maxrss / 1024  # kids: the normalisation workers (waited for)
    cpu = me.ru_utime + me.ru_stime - cpu_before  # this process only (the normalisation workers are not in it)
    print(json.dumps({"rows": rows, "seconds": elapsed, "peak_mb": peak_mb, "worker_mb": worker_mb, "cpu": cpu}))


def _normalised(paths: list[str]) -> list[dict]:
    from domain.imports import build_plan, normalise_row, propose_mapping
    from tools.imports.batch import FileDedup
    from tools.imports.csv_files import detect_format, read_records
    from tools.imports.wire import pack, unpack

    out = []
    dedup = FileDedup()
    for path in paths:
        fmt = detect_format(path)
        records = read_records(path, fmt)
        _, header, _, _ = next(records)
        plan = build_plan(propose_mapping([h.strip() for h in header]))
        outcomes = [(line, normalise_row(cells, plan, "US")) for line, cells, _, _ in records]
        out += [unpack(text) for _, _, _, text in dedup.prepare(pack(outcomes)).rows]
    return out


def _floor(engine, rows: list[dict]) -> float:
    from db.models import utcnow
    from domain.imports import SCALARS

    now = utcnow()
    cols = [*SCALARS, "tags", "attributes", "source", "enrichment_status", "opted_out_sms", "opted_out_email",
            "email_status", "is_sample", "created_at", "updated_at"]
    tuples = [[r.get(c) for c in SCALARS] + [json.dumps(r.get("tags") or []), json.dumps(r.get("attributes") or {}),
              "import", "none", False, False, "ok", False, now, now] for r in rows]
    raw = engine.raw_connection()
    try:
        cur = raw.cursor()
        started = time.perf_counter()
        if engine.dialect.name == "postgresql":
            with cur.copy(f"COPY contacts ({', '.join(cols)}) FROM STDIN") as copy:
                for t in tuples:
                    copy.write_row(t)
        else:
            naive = now.replace(tzinfo=None)
            cur.executemany(f"INSERT INTO contacts ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})",
                            [t[:-2] + [naive, naive] for t in tuples])
        raw.commit()
        return time.perf_counter() - started
    finally:
        raw.close()


def _run(url: str, paths: list[Path], mode: str) -> dict:
    code = f"import sys; sys.path.insert(0, {str(ROOT)!r}); from bench.bench_import import _child; " \
           f"_child({url!r}, {[str(p) for p in paths]!r}, {mode!r})"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=False)
    if out.returncode:
        raise RuntimeError(out.stderr[-3000:])
    return json.loads(out.stdout.strip().splitlines()[-1])


def _pg_database() -> tuple[str, str] | None:
    import sqlalchemy as sa
    from sqlalchemy.engine import make_url

    admin = os.environ.get("MKT_BENCH_DATABASE_URL", PG_DEFAULT)
    name = f"mkt_bench_{uuid.uuid4().hex[:8]}"
    try:
        engine = sa.create_engine(make_url(admin), isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        engine.dispose()
    except Exception as exc:  # noqa: BLE001 - report and go on with SQLite
        print(f"PostgreSQL not reachable at {admin} ({type(exc).__name__}); SQLite only")
        return None
    return admin, make_url(admin).set(database=name).render_as_string(hide_password=False)


def _drop_pg(admin: str, url: str) -> None:
    import sqlalchemy as sa
    from sqlalchemy.engine import make_url

    engine = sa.create_engine(make_url(admin), isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)'))
    engine.dispose()


def _measure(label: str, url_for: callable, paths: list[Path], with_floor: bool = True) -> None:
    got = _run(url_for("import"), paths, "import")
    rate = got["rows"] / got["seconds"]
    line = f"{label:<11} import {got['rows']:>9,} rows in {got['seconds']:6.1f} s = {rate:>8,.0f} rows/s " \
           f"({got['rows'] / got['cpu']:,.0f} rows per CPU-second of the main process), peak RSS {got['peak_mb']:4.0f} MB " \
           f"(workers at most {got['worker_mb']:.0f} MB each)"
    if with_floor:
        floor = _run(url_for("floor"), paths, "floor")
        floor_rate = floor["rows"] / floor["seconds"]
        line += (f" | floor {floor['rows']:,} rows {floor_rate:>7,.0f} rows/s | ratio import/floor "
                 f"{rate / floor_rate:.2f}")
    print(line, flush=True)


def python_only(total: int) -> None:
    """CPU time of the per-row Python work alone (normalise + pack, as a worker does, and the file de-dup of the
    importing process), no database: steadier than wall-clock figures on a busy machine. Best of 3 per file."""
    from domain.imports import build_plan, normalise_records, propose_mapping
    from tools.imports.batch import FileDedup
    from tools.imports.wire import pack

    spent = 0.0
    for n, key in enumerate(HEADERS):
        rows = rows_for(total // len(HEADERS), 7 + n, key, n * total)
        plan, width = build_plan(propose_mapping(HEADERS[key])), len(HEADERS[key])
        records = [(i + 2, r, None) for i, r in enumerate(rows)]
        best = float("inf")
        for _ in range(3):
            start, dedup = time.process_time(), FileDedup()
            for at in range(0, len(records), 5000):
                dedup.prepare(pack(normalise_records(records[at:at + 5000], plan, "US", width)))
            best = min(best, time.process_time() - start)
        spent += best
    print(f"python only: {total / spent:,.0f} rows per CPU-second (normalise + pack + file de-dup, no database)")


def main(flags: list[str]) -> None:
    load = os.getloadavg()[0]
    print(f"load average {load:.1f} on {os.cpu_count()} CPUs (figures are wall-clock; a busy machine lowers them)")
    if "--python-only" in flags:
        python_only(10_000 if "--quick" in flags else 100_000)
        return
    quick, million, sqlite_only = "--quick" in flags, "--million" in flags, "--sqlite-only" in flags
    total = 10_000 if quick else 100_000
    with tempfile.TemporaryDirectory(prefix="mkt-bench-import-") as tmp:
        folder = Path(tmp)
        paths = write_files(total, folder)
        print(f"{total:,} generated rows in {len(paths)} files ({sum(p.stat().st_size for p in paths) / 1e6:.1f} MB): "
              + ", ".join(f"{e}/{d!r}" for e, d, _ in FORMATS), flush=True)
        counter = iter(range(1000))
        _measure("SQLite", lambda mode: f"sqlite:///{folder / f'bench_{next(counter)}.db'}", paths)
        pg = None if sqlite_only else _pg_database()
        if pg:
            admin, _ = pg
            made: list[str] = []

            def pg_url(mode: str) -> str:
                fresh = _pg_database()
                assert fresh is not None
                made.append(fresh[1])
                return fresh[1]

            try:
                _drop_pg(admin, pg[1])
                _measure("PostgreSQL", pg_url, paths)
                if million:
                    big = write_files(1_000_000, folder, one_file=True)
                    _measure("PG 1M rows", pg_url, big, with_floor=False)
            finally:
                for url in made:
                    _drop_pg(admin, url)
        elif million:
            big = write_files(1_000_000, folder, one_file=True)
            _measure("SQLite 1M", lambda mode: f"sqlite:///{folder / 'bench_1m.db'}", big, with_floor=False)


if __name__ == "__main__":
    main(sys.argv[1:])
