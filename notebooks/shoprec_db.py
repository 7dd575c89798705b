"""The notebooks' connection to the shoprec Postgres, and a few lookups they share.

The connection comes from the standard libpq environment variables (PGHOST, PGPORT, PGUSER, PGPASSWORD,
PGDATABASE; PGSSLMODE and the others work too): psycopg2 passes an empty connection string to libpq, which
reads them itself. Nothing here holds a password or prints one.
"""

import os

import pandas as pd
import psycopg2

_conn = None


def connect():
    """The shared connection (opened once, read-only, autocommit: a failed query does not block the next)."""
    global _conn
    if _conn is None or _conn.closed:
        try:
            _conn = psycopg2.connect("", application_name="shoprec-notebook")
        except psycopg2.OperationalError as e:
            raise RuntimeError(
                "cannot connect to Postgres at %s: %s\nSet PGHOST, PGPORT, PGUSER, PGPASSWORD and PGDATABASE "
                "to the database the weekly job writes to." % (where(), str(e).strip())) from None
        _conn.set_session(readonly=True, autocommit=True)
    return _conn


def where():
    """host:port/database as user, from the environment (never the password)."""
    return "%s:%s/%s as %s" % (os.environ.get("PGHOST", "(local socket)"), os.environ.get("PGPORT", "5432"),
                               os.environ.get("PGDATABASE", "(default)"), os.environ.get("PGUSER", "(default)"))


def query(sql, params=None):
    """The rows of a query as a DataFrame (column names from the query)."""
    with connect().cursor() as cur:
        cur.execute(sql, params)
        columns = [d.name for d in cur.description]
        return pd.DataFrame(cur.fetchall(), columns=columns)


def current_run():
    """The current run's row of recommendation_run_history; fails with a clear message when there is none."""
    runs = query("SELECT * FROM recommendation_run_history WHERE is_current")
    if runs.empty:
        raise RuntimeError("no current run in %s: run the weekly job (./run-local.sh --batch-only --input FILE) "
                           "before opening the notebooks" % where())
    return runs.iloc[0]


def product_names():
    """product_id -> name from the current run's catalog (current_product_catalog); empty without one."""
    rows = query("SELECT product_id, name FROM current_product_catalog WHERE name IS NOT NULL")
    return dict(zip(rows.product_id, rows.name))


def labeller(width=32):
    """A function product_id -> 'id name' when the current run had a catalog with names, else the id alone."""
    names = product_names()

    def label(product_id):
        name = names.get(product_id)
        if not name:
            return str(product_id)
        return "%s %s" % (product_id, name if len(name) <= width else name[:width - 1] + "…")

    label.has_names = bool(names)
    return label


def with_names(frame, column="product_id"):
    """The frame with a 'name' column after `column` when the current run had a catalog with names."""
    names = product_names()
    if not names:
        return frame
    named = frame.copy()
    named.insert(named.columns.get_loc(column) + 1, "name", named[column].map(names).fillna(""))
    return named
