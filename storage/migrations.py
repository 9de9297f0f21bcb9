"""The schema, as ordered migrations recorded in ``_sqlite_migrations``.

Never edit a migration that has shipped: add the next one below it. The
tables are meant to be read by people too (Datasette, the sqlite3 shell), so
JSON columns hold readable JSON and every timestamp is an ISO string;
docs/storage.md describes each table and column.
"""

from __future__ import annotations

from sqlite_utils import Database, Migrations

migrations = Migrations("nianbao")

_SCHEMA_1 = """
CREATE TABLE sites (
    id TEXT PRIMARY KEY,
    agency TEXT NOT NULL,
    level TEXT NOT NULL CHECK (level IN ('department', 'government', 'township')),
    region TEXT,
    start_urls TEXT NOT NULL DEFAULT '[]',
    allowed_domains TEXT NOT NULL DEFAULT '[]',
    deadline TEXT,
    first_year INTEGER,
    obey_robots INTEGER NOT NULL DEFAULT 1,
    enabled INTEGER NOT NULL DEFAULT 1,
    source TEXT,
    added_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

CREATE TABLE runs (
    id INTEGER PRIMARY KEY,
    site_id TEXT NOT NULL REFERENCES sites(id),
    kind TEXT NOT NULL CHECK (kind IN ('crawl', 'ingest', 'reparse')),
    batch TEXT,
    status TEXT NOT NULL
        CHECK (status IN ('running', 'ok', 'unreachable', 'blocked', 'no_report_column', 'error')),
    started_at TEXT NOT NULL,
    finished_at TEXT,
    counts TEXT NOT NULL DEFAULT '{}',
    errors TEXT NOT NULL DEFAULT '[]',
    findings_opened INTEGER NOT NULL DEFAULT 0,
    findings_reopened INTEGER NOT NULL DEFAULT 0,
    findings_resolved INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX runs_site ON runs(site_id, started_at);

CREATE TABLE blobs (
    sha256 TEXT PRIMARY KEY,
    size INTEGER NOT NULL,
    stored_at TEXT NOT NULL
);

CREATE TABLE documents (
    id INTEGER PRIMARY KEY,
    site_id TEXT NOT NULL REFERENCES sites(id),
    url TEXT,
    name TEXT,
    sha256 TEXT NOT NULL REFERENCES blobs(sha256),
    content_type TEXT,
    size INTEGER NOT NULL,
    etag TEXT,
    last_modified TEXT,
    origin TEXT NOT NULL CHECK (origin IN ('crawl', 'ingest')),
    first_seen TEXT NOT NULL,
    last_seen TEXT NOT NULL,
    first_run_id INTEGER REFERENCES runs(id),
    last_run_id INTEGER REFERENCES runs(id),
    replaces_id INTEGER REFERENCES documents(id)
);
CREATE UNIQUE INDEX documents_version ON documents(site_id, coalesce(url, ''), sha256);
CREATE INDEX documents_url ON documents(url, last_seen);
CREATE INDEX documents_sha256 ON documents(sha256);

CREATE TABLE document_dates (
    id INTEGER PRIMARY KEY,
    document_id INTEGER NOT NULL REFERENCES documents(id),
    source TEXT NOT NULL,
    value TEXT NOT NULL,
    quote TEXT NOT NULL DEFAULT '',
    first_seen TEXT NOT NULL,
    UNIQUE (document_id, source, value, quote)
);

CREATE TABLE reports (
    id INTEGER PRIMARY KEY,
    site_id TEXT NOT NULL REFERENCES sites(id),
    year INTEGER,
    document_id INTEGER NOT NULL REFERENCES documents(id),
    run_id INTEGER REFERENCES runs(id),
    agency TEXT,
    title TEXT,
    published TEXT,
    published_source TEXT,
    parser_version TEXT NOT NULL,
    read_options TEXT NOT NULL DEFAULT '{}',
    report_json TEXT,
    parse_error TEXT,
    recorded_at TEXT NOT NULL,
    parsed_at TEXT NOT NULL,
    checked_at TEXT NOT NULL,
    UNIQUE (site_id, document_id)
);
CREATE INDEX reports_site_year ON reports(site_id, year, checked_at);
-- Covers the search for peers (other sites' current parsed reports of a year) without
-- touching the wide rows that hold the JSON.
CREATE INDEX reports_parsed ON reports(year, site_id, checked_at, id, parsed_at) WHERE report_json IS NOT NULL;

CREATE TABLE findings (
    id INTEGER PRIMARY KEY,
    fingerprint TEXT NOT NULL UNIQUE,
    site_id TEXT NOT NULL REFERENCES sites(id),
    year INTEGER,
    code TEXT NOT NULL,
    subject TEXT NOT NULL DEFAULT '',
    scope TEXT NOT NULL CHECK (scope IN ('report', 'site', 'crawl')),
    severity TEXT NOT NULL CHECK (severity IN ('error', 'warning', 'info')),
    message TEXT NOT NULL,
    evidence TEXT NOT NULL DEFAULT '{}',
    url TEXT,
    report_id INTEGER REFERENCES reports(id),
    run_id INTEGER REFERENCES runs(id),
    first_seen TEXT NOT NULL,
    last_seen TEXT NOT NULL,
    resolved_at TEXT,
    reopened INTEGER NOT NULL DEFAULT 0,
    status TEXT GENERATED ALWAYS AS (CASE WHEN resolved_at IS NULL THEN 'open' ELSE 'resolved' END) VIRTUAL
);
CREATE INDEX findings_scope ON findings(site_id, scope, year);
CREATE INDEX findings_code ON findings(code);

CREATE TABLE finding_events (
    id INTEGER PRIMARY KEY,
    finding_id INTEGER NOT NULL REFERENCES findings(id),
    event TEXT NOT NULL CHECK (event IN ('opened', 'resolved', 'reopened')),
    at TEXT NOT NULL,
    run_id INTEGER REFERENCES runs(id),
    report_id INTEGER REFERENCES reports(id)
);
CREATE INDEX finding_events_finding ON finding_events(finding_id, at);

CREATE TABLE report_findings (
    report_id INTEGER NOT NULL REFERENCES reports(id),
    finding_id INTEGER NOT NULL REFERENCES findings(id),
    message TEXT NOT NULL,
    evidence TEXT NOT NULL DEFAULT '{}',
    PRIMARY KEY (report_id, finding_id)
);
CREATE INDEX report_findings_finding ON report_findings(finding_id);

-- Views for people reading the database in Datasette or the sqlite3 shell.
CREATE VIEW latest_reports AS
SELECT r.*, d.url, d.sha256
FROM reports r JOIN documents d ON d.id = r.document_id
WHERE r.id = (SELECT r2.id FROM reports r2 WHERE r2.site_id = r.site_id AND r2.year IS r.year
              ORDER BY r2.checked_at DESC, r2.id DESC LIMIT 1);

CREATE VIEW latest_runs AS
SELECT r.* FROM runs r
WHERE r.id = (SELECT max(r2.id) FROM runs r2 WHERE r2.site_id = r.site_id);

CREATE VIEW open_findings AS
SELECT f.site_id, s.agency, f.year, f.code, f.severity, f.message, f.url,
       f.first_seen, f.last_seen, f.reopened, f.subject, f.evidence, f.id AS finding_id
FROM findings f JOIN sites s ON s.id = f.site_id
WHERE f.resolved_at IS NULL;
"""


@migrations(name="m001_initial")
def m001_initial(db: Database) -> None:
    db.executescript(_SCHEMA_1)


_FINDINGS_2 = """
CREATE TABLE findings (
    id INTEGER PRIMARY KEY,
    fingerprint TEXT NOT NULL UNIQUE,
    site_id TEXT NOT NULL REFERENCES sites(id),
    year INTEGER,
    report_key TEXT,
    code TEXT NOT NULL,
    subject TEXT NOT NULL DEFAULT '',
    scope TEXT NOT NULL CHECK (scope IN ('report', 'publication', 'site', 'crawl')),
    severity TEXT NOT NULL CHECK (severity IN ('error', 'warning', 'info')),
    message TEXT NOT NULL,
    evidence TEXT NOT NULL DEFAULT '{}',
    url TEXT,
    report_id INTEGER REFERENCES reports(id),
    run_id INTEGER REFERENCES runs(id),
    first_seen TEXT NOT NULL,
    last_seen TEXT NOT NULL,
    resolved_at TEXT,
    reopened INTEGER NOT NULL DEFAULT 0,
    status TEXT GENERATED ALWAYS AS (CASE WHEN resolved_at IS NULL THEN 'open' ELSE 'resolved' END) VIRTUAL
);
CREATE INDEX findings_scope ON findings(site_id, scope, year, report_key);
CREATE INDEX findings_code ON findings(code);

-- The one definition of a current report: the version of a (site, year, report key)
-- checked most recently, readable or not (report_json NULL when its parse failed).
CREATE VIEW latest_reports AS
SELECT r.*, d.url, d.sha256
FROM reports r JOIN documents d ON d.id = r.document_id
WHERE r.id = (SELECT r2.id FROM reports r2
              WHERE r2.site_id = r.site_id AND r2.year IS r.year AND r2.report_key IS r.report_key
              ORDER BY r2.checked_at DESC, r2.id DESC LIMIT 1);

CREATE VIEW open_findings AS
SELECT f.site_id, s.agency, f.year, f.code, f.severity, f.message, f.url,
       f.first_seen, f.last_seen, f.reopened, f.subject, f.evidence, f.id AS finding_id, f.report_key
FROM findings f JOIN sites s ON s.id = f.site_id
WHERE f.resolved_at IS NULL;
"""

_FINDING_COLUMNS = (
    "id, fingerprint, site_id, year, code, subject, scope, severity, message, evidence, url, report_id,"
    " run_id, first_seen, last_seen, resolved_at, reopened"
)


@migrations(name="m002_report_keys", transactional=False)
def m002_report_keys(db: Database) -> None:
    """Each report of a (site, year) its own scope; publication findings their own scope.

    ``reports.report_key`` names the report a version belongs to (the canonical URL
    of a crawled report, the --url or file name of an ingested one); existing rows
    take their document's URL or name. Findings get ``report_key`` and the scope
    ``publication`` (PUB.LATE, PUB.DATE_UNKNOWN), which widens a CHECK constraint:
    the findings table is rebuilt (SQLite's 12-step procedure, foreign keys off, so
    this migration manages its own transaction) and report findings' fingerprints
    recomputed with their key.
    """
    import hashlib

    conn = db.conn
    if conn.in_transaction:
        conn.execute("COMMIT")
    conn.execute("PRAGMA foreign_keys = OFF")
    try:
        conn.execute("BEGIN IMMEDIATE")
        try:
            if "report_key" in {row[1] for row in conn.execute("PRAGMA table_info(reports)")}:
                conn.execute("ROLLBACK")  # another process migrated it meanwhile
                return
            conn.execute("ALTER TABLE reports ADD COLUMN report_key TEXT")
            conn.execute(
                """UPDATE reports SET report_key =
                   (SELECT coalesce(d.url, d.name, d.sha256) FROM documents d WHERE d.id = reports.document_id)"""
            )
            conn.execute("CREATE INDEX reports_current ON reports(site_id, year, report_key, checked_at)")
            conn.execute("DROP VIEW latest_reports")
            conn.execute("DROP VIEW open_findings")
            conn.execute("DROP INDEX findings_scope")
            conn.execute("DROP INDEX findings_code")
            # Rebuilt under a new name and renamed: renaming the old table instead would
            # rewrite the REFERENCES of finding_events and report_findings to it.
            table, rest = _FINDINGS_2.split(";\n", 1)
            conn.execute(table.replace("CREATE TABLE findings (", "CREATE TABLE findings_m002 (", 1))
            conn.execute(
                f"""INSERT INTO findings_m002 ({_FINDING_COLUMNS}, report_key)
                    SELECT {", ".join("f." + c.strip() for c in _FINDING_COLUMNS.split(","))},
                           CASE WHEN f.scope = 'report' THEN r.report_key END
                    FROM findings f LEFT JOIN reports r ON r.id = f.report_id"""
            )
            conn.execute("DROP TABLE findings")
            conn.execute("ALTER TABLE findings_m002 RENAME TO findings")
            for statement in rest.split(";\n"):
                if statement.strip():
                    conn.execute(statement)
            conn.execute(
                "UPDATE findings SET scope = 'publication'"
                " WHERE scope = 'report' AND code IN ('PUB.LATE', 'PUB.DATE_UNKNOWN')"
            )
            rows = conn.execute(
                "SELECT id, code, site_id, year, subject, report_key FROM findings WHERE report_key IS NOT NULL"
            ).fetchall()
            for finding_id, code, site_id, year, subject, key in rows:
                parts = [code, site_id, "" if year is None else str(year), subject, key]
                fp = hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:24]
                conn.execute("UPDATE findings SET fingerprint = ? WHERE id = ?", [fp, finding_id])
            problems = conn.execute("PRAGMA foreign_key_check").fetchall()
            if problems:
                raise RuntimeError(f"m002_report_keys: foreign key violations {problems[:5]}")
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
    finally:
        conn.execute("PRAGMA foreign_keys = ON")


_REVIEWS_4 = """
-- A supervisor's word on a finding: confirmed, or dismissed with a reason. Append-only: every review
-- is kept (who, when, why); the latest one of a finding is in force until the finding's report changes
-- (a later version of the report carries it again) or the finding is resolved and comes back.
CREATE TABLE reviews (
    id INTEGER PRIMARY KEY,
    finding_id INTEGER NOT NULL REFERENCES findings(id),
    fingerprint TEXT NOT NULL,
    verdict TEXT NOT NULL CHECK (verdict IN ('confirmed', 'dismissed')),
    note TEXT NOT NULL DEFAULT '',
    reviewer TEXT NOT NULL,
    at TEXT NOT NULL,
    report_id INTEGER REFERENCES reports(id),
    sha256 TEXT
);
CREATE INDEX reviews_finding ON reviews(finding_id, id);
"""


@migrations(name="m004_reviews")
def m004_reviews(db: Database) -> None:
    db.executescript(_REVIEWS_4)


@migrations(name="m005_site_contacts")
def m005_site_contacts(db: Database) -> None:
    """Whom to call at each agency, and the history of every change to a site.

    ``sites.contact`` / ``sites.phone`` hold the 联系人 / 联系电话 of a supervisor's
    list. ``site_events`` records each site's life (added, changed, disabled,
    enabled, renamed, removed) with a JSON detail (what changed, before and
    after); it has no foreign key, so the record of a removed site stays.
    """
    db.execute("ALTER TABLE sites ADD COLUMN contact TEXT")
    db.execute("ALTER TABLE sites ADD COLUMN phone TEXT")
    db.execute(
        """CREATE TABLE site_events (
            id INTEGER PRIMARY KEY,
            site_id TEXT NOT NULL,
            event TEXT NOT NULL
                CHECK (event IN ('added', 'changed', 'disabled', 'enabled', 'renamed', 'removed')),
            detail TEXT NOT NULL DEFAULT '{}',
            at TEXT NOT NULL
        )"""
    )
    db.execute("CREATE INDEX site_events_site ON site_events(site_id, at)")


_REPORTS_3 = """
CREATE TABLE reports (
    id INTEGER PRIMARY KEY,
    site_id TEXT NOT NULL REFERENCES sites(id),
    year INTEGER,
    report_key TEXT,
    document_id INTEGER NOT NULL REFERENCES documents(id),
    run_id INTEGER REFERENCES runs(id),
    agency TEXT,
    title TEXT,
    published TEXT,
    published_source TEXT,
    parser_version TEXT NOT NULL,
    read_options TEXT NOT NULL DEFAULT '{}',
    parsed INTEGER NOT NULL CHECK (parsed IN (0, 1)),
    parse_error TEXT,
    recorded_at TEXT NOT NULL,
    parsed_at TEXT NOT NULL,
    checked_at TEXT NOT NULL,
    UNIQUE (site_id, document_id)
)"""

_REPORT_FINDINGS_3 = """
CREATE TABLE report_findings (
    report_id INTEGER NOT NULL REFERENCES reports(id),
    finding_id INTEGER NOT NULL REFERENCES findings(id),
    message TEXT,
    evidence TEXT,
    PRIMARY KEY (report_id, finding_id)
)"""

# The parsed report, zlib-compressed UTF-8 JSON (Report.to_json()): read whole, never searched.
_REPORT_BODIES_3 = """
CREATE TABLE report_bodies (
    report_id INTEGER PRIMARY KEY REFERENCES reports(id),
    compressed_json BLOB NOT NULL
)"""

_SCALE_3 = """
CREATE INDEX reports_current ON reports(site_id, year, report_key, checked_at);

-- The current report of each (site, year, report key): maintained by storage.reports.write_report.
CREATE TABLE current_reports (
    report_id INTEGER PRIMARY KEY REFERENCES reports(id),
    site_id TEXT NOT NULL,
    year INTEGER,
    report_key TEXT,
    parsed INTEGER NOT NULL,
    checked_at TEXT NOT NULL
);
CREATE INDEX current_reports_slot ON current_reports(site_id, year, report_key);
CREATE INDEX current_reports_year ON current_reports(year, parsed, site_id);

CREATE VIEW latest_reports AS
SELECT r.*, d.url, d.sha256
FROM current_reports c JOIN reports r ON r.id = c.report_id JOIN documents d ON d.id = r.document_id;

-- The similarity index for XREF.COPIED (monitor/similarity.py): a sketch per report version,
-- band keys of the current reports only.
CREATE TABLE report_sketches (
    report_id INTEGER PRIMARY KEY REFERENCES reports(id),
    year INTEGER NOT NULL,
    shingles INTEGER NOT NULL,
    signature BLOB NOT NULL,
    bands BLOB
);
CREATE TABLE report_bands (
    year INTEGER NOT NULL,
    key INTEGER NOT NULL,
    report_id INTEGER NOT NULL,
    PRIMARY KEY (year, key, report_id)
) WITHOUT ROWID;

CREATE INDEX report_findings_finding ON report_findings(finding_id);

-- Listing findings most severe first needs no sort; changes of a week need no scan.
ALTER TABLE findings ADD COLUMN severity_rank INTEGER
    GENERATED ALWAYS AS (CASE severity WHEN 'error' THEN 0 WHEN 'warning' THEN 1 ELSE 2 END) VIRTUAL;
CREATE INDEX findings_listing ON findings(status, severity_rank, site_id, year, code, first_seen);
CREATE INDEX finding_events_at ON finding_events(event, at);

-- The latest run of a site (of a kind) and the runs of a batch, without scanning every run.
CREATE INDEX runs_kind ON runs(site_id, kind, id);
CREATE INDEX runs_batch ON runs(batch, site_id);
DROP VIEW latest_runs;
CREATE VIEW latest_runs AS
SELECT r.* FROM sites s JOIN runs r ON r.id = (SELECT max(r2.id) FROM runs r2 WHERE r2.site_id = s.id);
"""

_REPORT_COLUMNS_3 = (
    "id, site_id, year, report_key, document_id, run_id, agency, title, published, published_source,"
    " parser_version, read_options, parse_error, recorded_at, parsed_at, checked_at"
)


@migrations(name="m003_archive_scale", transactional=False)
def m003_archive_scale(db: Database) -> None:
    """An archive whose cost per report does not grow with its size.

    ``reports`` is rebuilt narrow: the parsed report moves, compressed, to
    ``report_bodies`` (a scan of reports no longer walks 15 KB rows and their
    overflow pages). ``current_reports`` holds the current version of each
    (site, year, report key), written with each report, and ``latest_reports``
    reads it instead of a subquery per row. ``report_sketches`` and
    ``report_bands`` hold the similarity index (filled by the application, which
    computes the signatures; reports archived before are indexed when it first
    opens the archive). ``report_findings`` keeps a message and evidence only when
    they differ from the finding's own. New indexes serve the listing of findings,
    the week's changes, the latest run of a site and the runs of a batch.
    """
    import zlib

    conn = db.conn
    if conn.in_transaction:
        conn.execute("COMMIT")
    conn.execute("PRAGMA foreign_keys = OFF")
    try:
        conn.execute("BEGIN IMMEDIATE")
        try:
            if conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'report_bodies'").fetchone():
                conn.execute("ROLLBACK")  # another process migrated it meanwhile
                return
            conn.execute(
                "CREATE TEMP TABLE m003_current AS SELECT id, site_id, year, report_key,"
                " report_json IS NOT NULL AS parsed, checked_at FROM latest_reports"
            )
            conn.execute("DROP VIEW latest_reports")
            # Rebuilt under a new name and renamed (as in m002): the references to reports stay valid.
            conn.execute(_REPORTS_3.replace("CREATE TABLE reports (", "CREATE TABLE reports_m003 (", 1))
            conn.execute(
                f"INSERT INTO reports_m003 ({_REPORT_COLUMNS_3}, parsed)"
                f" SELECT {_REPORT_COLUMNS_3}, report_json IS NOT NULL FROM reports"
            )
            conn.execute(_REPORT_BODIES_3)
            for report_id, text in conn.execute(
                "SELECT id, report_json FROM reports WHERE report_json IS NOT NULL"
            ).fetchall():
                conn.execute(
                    "INSERT INTO report_bodies (report_id, compressed_json) VALUES (?, ?)",
                    [report_id, zlib.compress(text.encode("utf-8"), 6)],
                )
            conn.execute("DROP TABLE reports")
            conn.execute("ALTER TABLE reports_m003 RENAME TO reports")
            conn.execute(
                _REPORT_FINDINGS_3.replace("CREATE TABLE report_findings (", "CREATE TABLE rf_m003 (", 1)
            )
            # A version's message and evidence are kept only where they differ from the finding's.
            conn.execute(
                """INSERT INTO rf_m003 (report_id, finding_id, message, evidence)
                   SELECT rf.report_id, rf.finding_id,
                          CASE WHEN rf.message = f.message THEN NULL ELSE rf.message END,
                          CASE WHEN rf.evidence = f.evidence THEN NULL ELSE rf.evidence END
                   FROM report_findings rf JOIN findings f ON f.id = rf.finding_id"""
            )
            conn.execute("DROP TABLE report_findings")
            conn.execute("ALTER TABLE rf_m003 RENAME TO report_findings")
            for statement in _SCALE_3.split(";\n"):
                if statement.strip():
                    conn.execute(statement)
            conn.execute(
                "INSERT INTO current_reports (report_id, site_id, year, report_key, parsed, checked_at)"
                " SELECT id, site_id, year, report_key, parsed, checked_at FROM temp.m003_current"
            )
            conn.execute("DROP TABLE temp.m003_current")
            problems = conn.execute("PRAGMA foreign_key_check").fetchall()
            if problems:
                raise RuntimeError(f"m003_archive_scale: foreign key violations {problems[:5]}")
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
    finally:
        conn.execute("PRAGMA foreign_keys = ON")


def migrate(db: Database) -> None:
    """Apply every pending migration, each in its own transaction."""
    migrations.apply(db)


def schema_version(db: Database) -> str | None:
    """Name of the last migration applied, or None for an empty database."""
    applied = migrations.applied(db)
    return applied[-1].name if applied else None
