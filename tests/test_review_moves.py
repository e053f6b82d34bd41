"""The review's state machine, enforced where the status changes: only a submitted return is approved or sent back,
whatever a crafted request asks (issue 14: a callback approved a return in the `returned` state)."""
from __future__ import annotations

import pytest
from dash_requests import client_login, outputs
from returns import simple_return

from dashboard import ids
from dashboard.app import create_app
from etl.ingest import ingest_path
from etl.read.problems import ShequError
from etl.store import queries
from etl.store.audit import events
from etl.store.load import set_status, set_statuses
from etl.store.users import add_user

PASSWORD = "review-pass-123"


def status_of(engine, submission_id: int) -> str:
    return queries.submissions(engine).set_index("id")["status"][submission_id]


@pytest.fixture
def sent_back(engine, tmp_path) -> int:
    """A return loaded, then sent back by the city."""
    outcome = ingest_path(engine, simple_return(tmp_path / "r.xlsx"), uploaded_by="clerk")
    set_status(engine, outcome.load.submission_id, "returned", "请补充")
    return outcome.load.submission_id


def test_a_returned_return_is_neither_approved_nor_sent_back_again(engine, sent_back):
    with pytest.raises(ShequError, match="is returned: only a submitted return can be approved"):
        set_status(engine, sent_back, "approved")
    assert set_statuses(engine, [sent_back], "approved") == []
    assert set_statuses(engine, [sent_back], "approved", only_from=("submitted", "returned")) == []
    assert set_statuses(engine, [sent_back], "returned", "again") == []
    with pytest.raises(ValueError):
        set_statuses(engine, [sent_back], "superseded")         # only a newer return supersedes
    with pytest.raises(ShequError, match="no submission 999"):
        set_status(engine, 999, "approved")
    assert status_of(engine, sent_back) == "returned"


def test_an_approved_return_is_not_sent_back(engine, tmp_path):
    outcome = ingest_path(engine, simple_return(tmp_path / "r.xlsx"), uploaded_by="clerk")
    set_status(engine, outcome.load.submission_id, "approved")
    assert set_statuses(engine, [outcome.load.submission_id], "returned", "no") == []
    assert status_of(engine, outcome.load.submission_id) == "approved"


def _body(dependencies: list[dict], output: str, values: dict, changed: str) -> dict:
    """A callback request as the renderer builds it, with the values a crafted client chose."""
    spec = next(d for d in dependencies if d["output"] == output)

    def items(deps):
        return [{"id": d["id"], "property": d["property"], "value": values.get(f"{d['id']}.{d['property']}")}
                for d in deps]

    return {"output": output, "outputs": outputs(output), "inputs": items(spec["inputs"]),
            "state": items(spec.get("state", [])), "changedPropIds": [changed]}


def test_a_crafted_callback_confirming_the_approval_of_a_returned_return_is_refused(engine, db_url, sent_back,
                                                                                   tmp_path):
    add_user(engine, "adm", PASSWORD, "admin")
    app = create_app(db_url, secret_key="k", cache_dir=tmp_path / "cache")
    client = app.server.test_client()
    headers = client_login(client, "adm", PASSWORD)
    dependencies = client.get("/_dash-dependencies").get_json()
    output = next(d["output"] for d in dependencies if f"{ids.ADMIN_MESSAGE}.children" in d["output"]
                  and f"{ids.ADMIN_PENDING}.data" in d["output"])
    # The confirmation dialog's OK, with the pending list a crafted client wrote: the returned return.
    body = _body(dependencies, output, {f"{ids.ADMIN_CONFIRM}.submit_n_clicks": 1,
                                        f"{ids.ADMIN_PENDING}.data": {"ids": [sent_back]},
                                        f"{ids.ADMIN_LANG}.data": "en"}, f"{ids.ADMIN_CONFIRM}.submit_n_clicks")
    answer = client.post("/_dash-update-component", json=body, headers=headers)
    assert answer.status_code == 200
    assert "None of the chosen returns awaits review" in answer.get_data(as_text=True)
    assert status_of(engine, sent_back) == "returned"
    assert "approve" not in set(events(engine)["action"])
