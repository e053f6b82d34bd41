"""The web app under load from a second process (20 sessions on loopback) while returns are being loaded."""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

from etl.store import queries
from etl.store.db import make_engine
from etl.store.users import add_user
from test_serve import BIN, free_port, wait_for
from returns import simple_return, standard_rows

HERE = Path(__file__).resolve().parent
COUNTIES = {"450902": "玉州区", "450923": "博白县", "450981": "北流市", "450921": "容县", "450922": "陆川县",
            "450924": "兴业县"}


def test_twenty_sessions_no_error_and_no_lost_upload(sample_db_url, tmp_path):
    db = tmp_path / "load.db"
    shutil.copy(sample_db_url.removeprefix("sqlite:///"), db)
    url = f"sqlite:///{db}"
    engine = make_engine(url)
    for i in range(20):                   # one account each: a burst of logins to one account is throttled
        add_user(engine, f"official{i}", "load-test-password", "admin")
    port = free_port()
    server = subprocess.Popen([str(BIN / "shequ"), "--db", url, "serve", "--port", str(port), "--threads", "8"],
                              stdout=subprocess.DEVNULL, stderr=open(tmp_path / "server.log", "w"),
                              start_new_session=True,
                              env={**os.environ, "SHEQU_SECRET_KEY": "load-test"})
    try:
        base = f"http://127.0.0.1:{port}"
        assert wait_for(f"{base}/health") == 200
        load = subprocess.Popen([sys.executable, str(HERE / "load_client.py"), base, "official",
                                 "load-test-password", "20", "20"], stdout=subprocess.PIPE, text=True)
        # meanwhile, new 2016 returns arrive through the same ETL call the upload page makes
        uploads = [simple_return(tmp_path / f"{code}.xlsx", rows=standard_rows(code, 5, area=700),
                                 title=[[f"填报单位：{name}", "报告期：2016年"]]) for code, name in COUNTIES.items()]
        ingests = [subprocess.run([str(BIN / "shequ"), "--db", url, "ingest", str(p)], capture_output=True,
                                  text=True) for p in uploads]
        out, _ = load.communicate(timeout=180)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(30)
    summary = json.loads(out)
    assert all(int(code) < 400 for code in summary["status"]), (summary, (tmp_path / "server.log").read_text()[-3000:])
    assert sum(summary["status"].values()) > 200, summary             # the load was real
    assert [i.returncode for i in ingests] == [0] * len(uploads), [i.stdout + i.stderr for i in ingests]
    loaded = queries.submissions(engine, period="2016")
    assert sorted(loaded["county_code"]) == sorted(COUNTIES)          # no upload lost
    city = queries.indicator_values(engine, "current", "2016", "city").set_index("indicator")["value"]
    assert city["communities"] == 5 * len(COUNTIES)
