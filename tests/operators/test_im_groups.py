import json

import pytest

from airflow_provider_zoom._compat import AirflowFailException
from airflow_provider_zoom.exceptions import ZoomTransientError
from airflow_provider_zoom.operators.groups import AddGroupMembersOperator
from airflow_provider_zoom.operators.im_groups import CreateIMGroupOperator

CREATE_ROUTE = "POST /v2/im/groups"


def _create(**kwargs):
    return CreateIMGroupOperator(task_id="create_group", **kwargs)


def test_creates_the_group_and_returns_the_outcome(zoom):
    result = _create(name="Onboarding 2026-W48 Engineering", group_type="restricted",
                     search_by_domain="true", search_by_account="no").execute({})

    (group,) = zoom.state()["groups"]
    assert result == {"status_code": 201, "outcome": "created", "group_id": group["id"],
                      "name": "Onboarding 2026-W48 Engineering", "account_id": zoom.server.account_id, "group_api": "im_groups"}
    assert (group["type"], group["search_by_domain"], group["search_by_account"]) == ("restricted", True, False)
    json.dumps(result)  # XCom-serialisable


def test_existing_group_is_reported_with_its_id(zoom):
    first = _create(name="Cohort X").execute({})
    second = _create(name="  Cohort X ").execute({})
    assert second == {"status_code": 409, "outcome": "exists", "group_id": first["group_id"], "name": "Cohort X",
                      "account_id": zoom.server.account_id, "group_api": "im_groups"}
    assert len(zoom.state()["groups"]) == 1


def test_on_conflict_fail_fails_the_task(zoom):
    _create(name="Cohort Y").execute({})
    with pytest.raises(AirflowFailException, match="already exists"):
        _create(name="Cohort Y", on_conflict="fail").execute({})


@pytest.mark.parametrize(
    "kwargs, fragment",
    [
        ({"name": ""}, "'name' = ''"),
        ({"name": "n" * 129}, "128"),
        ({"name": "ok", "group_type": "secret"}, "'type' = 'secret'"),
        ({"name": "ok", "search_by_domain": "perhaps"}, "'search_by_domain' = 'perhaps'"),
    ],
)
def test_invalid_input_fails_before_anything_is_sent(zoom, kwargs, fragment):
    with pytest.raises(AirflowFailException) as info:
        _create(**kwargs).execute({})
    assert fragment in str(info.value)
    assert zoom.count(CREATE_ROUTE) == 0
    assert zoom.state()["counters"]["tokens_issued"] == 0


def test_unknown_on_conflict_is_rejected_at_parse_time():
    with pytest.raises(ValueError, match="on_conflict"):
        _create(name="x", on_conflict="ignore")


def test_every_group_value_renders_from_a_template(zoom):
    op = _create(
        name="Onboarding {{ params.week }} Sales",
        group_type="{{ params.type }}",
        search_by_domain="{{ params.flag }}",
        search_by_account="{{ params.flag }}",
        search_by_ma_account="{{ params.flag }}",
    )
    op.render_template_fields({"params": {"week": "2026-W48", "type": "shared", "flag": "false"}})

    result = op.execute({})

    (group,) = zoom.state()["groups"]
    assert (result["name"], group["name"], group["type"]) == ("Onboarding 2026-W48 Sales",) * 2 + ("shared",)
    assert group["search_by_domain"] is group["search_by_account"] is group["search_by_ma_account"] is False


def test_other_zoom_errors_fail_with_code_and_message(zoom, monkeypatch):
    conn = json.loads(zoom.server.connection_uri_json())
    conn["extra"].update(max_attempts=2, max_retry_seconds=2)
    monkeypatch.setenv("AIRFLOW_CONN_ZOOM_DEFAULT", json.dumps(conn))
    zoom.configure(faults={"seed": 3, "error_5xx": 1.0})
    with pytest.raises(ZoomTransientError, match=r"HTTP 5\d\d"):
        _create(name="Cohort Z").execute({})


def test_add_members_operator_reconciles(zoom):
    group = _create(name="Cohort M").execute({})
    AddGroupMembersOperator(task_id="add", group_id=group["group_id"], emails=["a@example.com"]).execute({})
    result = AddGroupMembersOperator(
        task_id="reconcile", group_id=group["group_id"], emails=["a@example.com", "b@example.com"], only_missing=True
    ).execute({})
    assert result["added"] == ["b@example.com"]
    assert zoom.groups() == {"Cohort M": ["a@example.com", "b@example.com"]}
