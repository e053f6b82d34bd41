"""What a background job (a process forked from the web server by Dash's DiskcacheManager) must do first."""
from __future__ import annotations

from sqlalchemy.engine import Engine



def in_forked_job(engine: Engine) -> None:
    """Forget the parent's database connections (SQLAlchemy's pool, dropped without closing them).

    The ETL itself starts a fresh forkserver for untrusted workbooks in a forked process (etl/workbook.py).
    """
    engine.dispose(close=False)
