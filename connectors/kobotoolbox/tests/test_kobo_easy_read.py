"""The easy-read form on a real KPI: pushed, kept, and switched by a redeploy.

Replayed from cassettes by default; ``-m live`` runs the same against
``KOBO_URL``; ``--record-mode=once`` records a missing cassette (see conftest.py).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from coprod_connectors.instruments import builtin_instrument
from coprod_kobotoolbox import KoboToolboxConnector

if TYPE_CHECKING:
    from conftest import KpiTarget


def _diversity(connector: KoboToolboxConnector, kpi: KpiTarget, uid: str) -> Any:
    """The deployed form's row ``diversity``: a group of statements, or a note (easy read)."""
    with connector.client(kpi.profile) as client:
        asset = client.get(f"/api/v2/assets/{uid}/", what=f"form {uid}")
    rows = asset["content"]["survey"]
    return next(row["type"] for row in rows if row.get("name") == "diversity")


def test_easy_read_push_then_the_standard_form_on_the_same_asset(kpi: KpiTarget) -> None:
    checklist = builtin_instrument("checklist")
    connector = KoboToolboxConnector()
    easy = connector.push(checklist, kpi.profile, round="easy-read", easy_read=True).deployment
    uid = easy.remote_id
    assert easy.easy_read
    assert _diversity(connector, kpi, uid) == "note"
    # the same presentation again: reused as it is
    again = connector.push(
        checklist, kpi.profile, round="easy-read", existing=easy, easy_read=True
    ).deployment
    assert again.details["deployed_version_id"] == easy.details["deployed_version_id"]
    # the standard form for the same round: the same asset, redeployed
    standard = connector.push(checklist, kpi.profile, round="easy-read", existing=easy).deployment
    assert standard.remote_id == uid
    assert not standard.easy_read
    assert standard.details["deployed_version_id"] != easy.details["deployed_version_id"]
    assert _diversity(connector, kpi, uid) == "begin_group"
    assert connector.status(standard, kpi.profile).live
