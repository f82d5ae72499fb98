"""Ladder models as data, and the classifier's placement, reasons and next-rung changes."""

from __future__ import annotations

from pathlib import Path

import pytest

from coprod_connectors.errors import ConfigError
from coprod_connectors.ladder import (
    LevelEvidence,
    ShareEvidence,
    builtin_ladder,
    load_ladder,
    place,
)
from coprod_connectors.scoring import classify

LADDERS = Path(__file__).parents[1] / "src" / "coprod_connectors" / "ladders"


def test_five_rung_ids_are_the_contract() -> None:
    model = load_ladder("five-rung")
    assert [r.id for r in model.rungs] == [
        "no-engagement",
        "information",
        "consultation",
        "participation",
        "co-production",
    ]
    assert set(model.instruments) == {"self-reflection", "checklist", "ladder-check"}


def test_seven_rung_ids_are_the_contract() -> None:
    model = load_ladder("seven-rung")
    assert [r.id for r in model.rungs] == [
        "coercion",
        "educating",
        "informing",
        "consultation",
        "engagement",
        "co-design",
        "co-production",
    ]
    for rules in model.instruments.values():
        assert rules.description
        assert all(rule.description for rule in rules.rules)


def test_unknown_ladder_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="five-rung, seven-rung"):
        load_ladder("ten-rung")


def test_ladder_file_loads_and_broken_file_names_the_problem(tmp_path: Path) -> None:
    text = (LADDERS / "five-rung.yaml").read_text(encoding="utf-8")
    good = tmp_path / "mine.yaml"
    good.write_text(text.replace("id: five-rung", "id: mine"), encoding="utf-8")
    assert load_ladder(str(good)).id == "mine"
    bad = tmp_path / "bad.yaml"
    bad.write_text(text.replace("rung: consultation", "rung: talking", 1), encoding="utf-8")
    with pytest.raises(ConfigError, match=r"bad\.yaml: .*one rule per rung"):
        load_ladder(str(bad))
    wrong_kind = tmp_path / "wrong.yaml"
    wrong_kind.write_text(
        text.replace("[{kind: share_above, share: 0}]", "[{kind: lowest, at_least: 1}]"),
        encoding="utf-8",
    )
    with pytest.raises(ConfigError, match="does not fit"):
        load_ladder(str(wrong_kind))
    with pytest.raises(ConfigError, match="cannot read"):
        load_ladder(str(tmp_path / "missing.yaml"))


def stages(assets: int, work: int, recip: int, network: int) -> LevelEvidence:
    return LevelEvidence({"assets": assets, "work": work, "recip": recip, "network": network})


def test_lowest_stage_sets_the_five_rung_result() -> None:
    placement = place(builtin_ladder("five-rung"), "self-reflection", stages(3, 2, 4, 3))
    assert placement.rung_index == 2
    assert placement.next_index == 3
    assert [c.text for c in placement.changes] == ["raise `work` from 2 to 3"]
    assert any(
        r.startswith("not `participation`") and "`work` is at 2" in r for r in placement.reasons
    )


def test_top_rung_has_no_next() -> None:
    placement = classify(stages(4, 4, 4, 4), "self-reflection")
    assert placement.rung_index == 4
    assert placement.next_index is None
    assert placement.changes == []


def test_seven_rung_counts_and_smallest_change_set() -> None:
    model = builtin_ladder("seven-rung")
    assert place(model, "self-reflection", stages(1, 1, 1, 1)).rung_index == 0
    assert place(model, "self-reflection", stages(1, 2, 1, 1)).rung_index == 1
    assert place(model, "self-reflection", stages(1, 2, 2, 2)).rung_index == 2
    assert place(model, "self-reflection", stages(2, 2, 2, 3)).rung_index == 3
    assert place(model, "self-reflection", stages(3, 3, 3, 4)).rung_index == 4
    assert place(model, "self-reflection", stages(3, 4, 3, 4)).rung_index == 5
    # co-design from (2, 3, 3, 3): raising `assets` straight to 4 and one more is 2 changes, not 3
    placement = place(model, "self-reflection", stages(2, 4, 3, 3))
    assert placement.rung_index == 3
    assert [c.text for c in placement.changes] == ["raise `assets` from 2 to 3"]
    changes = place(model, "self-reflection", stages(3, 3, 3, 3)).changes
    assert len(changes) == 2


def test_seven_rung_ladder_check_co_design_needs_idea_and_design() -> None:
    model = builtin_ladder("seven-rung")
    levels = LevelEvidence(
        {"idea": 2, "design": 3, "deliv": 4, "review": 4}, item_noun="phase", value_noun="level"
    )
    placement = place(model, "ladder-check", levels)
    assert model.rungs[placement.rung_index].id == "engagement"
    assert [c.text for c in placement.changes] == ["raise `idea` from 2 to 3"]


def test_share_rules_and_changes() -> None:
    model = builtin_ladder("five-rung")

    def rung(agreed: int, achieved: bool = False) -> str:
        evidence = ShareEvidence(agreed=agreed, total=28, achieved=achieved)
        return model.rungs[place(model, "checklist", evidence).rung_index].id

    assert rung(0) == "no-engagement"
    assert rung(1) == "information"
    assert rung(6) == "information"  # 6/28 < 0.25
    assert rung(7) == "consultation"  # exactly 0.25
    assert rung(14) == "consultation"  # exactly 0.5 is not above half
    assert rung(15) == "participation"
    assert rung(3, achieved=True) == "co-production"
    evidence = ShareEvidence(agreed=12, total=28, achieved=False, closest=("d2", "e4", "k1"))
    placement = place(model, "checklist", evidence)
    assert [c.text for c in placement.changes] == [
        (
            "get 3 more statements agreed by everyone who answered (now 12 of 28; 15 needed), "
            "for example `d2`, `e4` and `k1`"
        )
    ]
