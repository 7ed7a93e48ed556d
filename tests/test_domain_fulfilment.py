from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from omnigraph.domain.errors import DomainError, ErrorCode
from omnigraph.domain.fulfilment import (
    HandoverProof,
    PickLine,
    PickState,
    ShortReason,
    pack,
    pick_outcome,
    scan,
    short_pick,
    start_pick,
    verify_handover,
)

LIST = [
    PickLine(1, "MUG-RED", 2, barcode="0001112223334", location="A3-B2"),
    PickLine(2, "TEE-M", 1, barcode="5556667778889"),
]


def fresh() -> PickState:
    return start_pick(LIST)


def refused(code: ErrorCode, call, *args, **kwargs) -> DomainError:
    with pytest.raises(DomainError) as caught:
        call(*args, **kwargs)
    assert caught.value.code is code
    return caught.value


def test_scan_accepts_barcode_and_sku_and_keeps_the_bin():
    state = scan(scan(fresh(), "0001112223334"), "MUG-RED")
    assert pick_outcome(state).picked == {1: 2, 2: 0}
    assert state.line(1).location == "A3-B2"


def test_scan_ignores_surrounding_whitespace_from_the_scanner():
    assert pick_outcome(scan(fresh(), " TEE-M\n")).picked[2] == 1


def test_scan_returns_a_new_state_and_leaves_the_old_one_alone():
    before = fresh()
    after = scan(before, "TEE-M")
    assert pick_outcome(before).picked[2] == 0
    assert pick_outcome(after).picked[2] == 1


def test_wrong_item_names_what_was_scanned_and_what_is_expected():
    error = refused(ErrorCode.WRONG_ITEM, scan, fresh(), "SOCK-L")
    assert "SOCK-L" in str(error)
    assert "MUG-RED" in str(error) and "TEE-M" in str(error)


def test_wrong_item_lists_only_lines_still_to_pick():
    state = scan(fresh(), "TEE-M")
    message = str(refused(ErrorCode.WRONG_ITEM, scan, state, "SOCK-L"))
    assert "MUG-RED" in message and "TEE-M" not in message


def test_an_extra_unit_is_over_pick():
    state = scan(fresh(), "TEE-M")
    refused(ErrorCode.OVER_PICK, scan, state, "TEE-M")
    refused(ErrorCode.OVER_PICK, scan, fresh(), "MUG-RED", quantity=3)


def test_a_unit_marked_short_cannot_then_be_scanned():
    state = short_pick(fresh(), 2, 1, ShortReason.DAMAGED)
    refused(ErrorCode.OVER_PICK, scan, state, "TEE-M")


def test_non_positive_scan_quantity_is_refused():
    refused(ErrorCode.INVALID_QUANTITY, scan, fresh(), "TEE-M", quantity=0)


def test_same_sku_on_two_lines_fills_them_in_order():
    state = start_pick([PickLine(1, "A", 1), PickLine(2, "A", 2)])
    assert pick_outcome(scan(state, "A", quantity=2)).picked == {1: 1, 2: 1}


def test_short_pick_records_missing_units_and_completes_the_pick():
    state = scan(fresh(), "MUG-RED")
    state = short_pick(state, 1, 1, ShortReason.MISSING)
    assert not pick_outcome(state).complete
    state = scan(state, "TEE-M")
    outcome = pick_outcome(state)
    assert outcome.complete and outcome.has_shortfall
    assert outcome.picked == {1: 1, 2: 1}
    assert outcome.short == {1: 1, 2: 0}
    assert state.shorts[0].reason is ShortReason.MISSING


def test_short_pick_cannot_exceed_what_is_left_or_name_an_unknown_line():
    state = scan(fresh(), "MUG-RED")
    refused(ErrorCode.INVALID_QUANTITY, short_pick, state, 1, 2, ShortReason.MISSING)
    refused(ErrorCode.INVALID_QUANTITY, short_pick, state, 1, 0, ShortReason.MISSING)
    refused(ErrorCode.NOT_FOUND, short_pick, state, 99, 1, ShortReason.DAMAGED)


def test_a_fresh_pick_is_not_complete_and_outstanding_is_everything():
    outcome = pick_outcome(fresh())
    assert not outcome.complete and not outcome.has_shortfall
    assert outcome.outstanding == {1: 2, 2: 1}


def test_start_pick_refuses_bad_lists():
    refused(ErrorCode.REQUIRED, start_pick, [])
    refused(ErrorCode.DUPLICATE_LINE, start_pick, [PickLine(1, "A", 1), PickLine(1, "B", 1)])
    refused(ErrorCode.INVALID_QUANTITY, start_pick, [PickLine(1, "A", 0)])


@given(st.lists(st.sampled_from(["MUG-RED", "0001112223334", "TEE-M", "NOPE"]), max_size=8))
def test_picked_never_exceeds_the_line_quantity(codes):
    state = fresh()
    for code in codes:
        try:
            state = scan(state, code)
        except DomainError as error:
            assert error.code in (ErrorCode.OVER_PICK, ErrorCode.WRONG_ITEM)
    outcome = pick_outcome(state)
    for line in LIST:
        assert outcome.picked[line.line_id] + outcome.outstanding[line.line_id] == line.quantity


def test_pack_accepts_exactly_the_picked_units_across_packages():
    assert pack({1: 2, 2: 1, 3: 0}, [{1: 1}, {1: 1, 2: 1}]) == ({1: 1}, {1: 1, 2: 1})


@pytest.mark.parametrize(
    "packages, fragment",
    [
        ([], "no package"),
        ([{1: 2, 2: 1}, {}], "empty"),
        ([{1: 1, 2: 1}], "picked 2, packed 1"),
        ([{1: 3, 2: 1}], "picked 2, packed 3"),
        ([{1: 2, 2: 1, 3: 1}], "line 3 was not picked"),
        ([{1: 2, 2: 1}, {2: 0}], "whole units"),
    ],
)
def test_pack_refuses_any_mismatch(packages, fragment):
    error = refused(ErrorCode.PACKING_MISMATCH, pack, {1: 2, 2: 1}, packages)
    assert fragment in str(error)


def test_pack_reports_every_problem_at_once():
    error = refused(ErrorCode.PACKING_MISMATCH, pack, {1: 2, 2: 1}, [{1: 1}, {}])
    assert len(error.problems) == 3  # empty package, line 1 short, line 2 missing


def handover(**presented):
    return verify_handover("OG100042", "Ada Lovelace", "K7Q-93X", **presented)


def test_handover_on_pickup_code_ignoring_case_and_spaces():
    assert handover(presented_code=" k7q-93x ") is HandoverProof.PICKUP_CODE


def test_handover_on_order_number_and_name_ignoring_case_and_whitespace():
    proof = handover(presented_order_number="og100042 ", presented_name="  ADA   lovelace ")
    assert proof is HandoverProof.ORDER_AND_NAME


@pytest.mark.parametrize(
    "presented",
    [
        {"presented_code": "K7Q-93Y"},
        {
            "presented_code": "K7Q-93Y",
            "presented_order_number": "OG100042",
            "presented_name": "Ada Lovelace",
        },
        {"presented_order_number": "OG100043", "presented_name": "Ada Lovelace"},
        {"presented_order_number": "OG100042", "presented_name": "Ada Byron"},
        {"presented_order_number": "OG100042"},
        {"presented_name": "Ada Lovelace"},
        {},
    ],
)
def test_handover_refused(presented):
    error = refused(ErrorCode.HANDOVER_REFUSED, handover, **presented)
    assert "Lovelace" not in str(error) and "K7Q" not in str(error)


def test_handover_by_code_refused_when_the_order_has_no_code():
    refused(
        ErrorCode.HANDOVER_REFUSED,
        verify_handover,
        "OG100042",
        "Ada Lovelace",
        None,
        presented_code="ANY",
    )


def test_handover_code_is_compared_in_constant_time(monkeypatch):
    import hmac

    calls = []
    real = hmac.compare_digest

    def spy(a, b):
        calls.append((a, b))
        return real(a, b)

    monkeypatch.setattr(hmac, "compare_digest", spy)
    handover(presented_code="k7q-93x")
    assert calls == [(b"K7Q-93X", b"K7Q-93X")]
