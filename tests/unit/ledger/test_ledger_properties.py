"""Property test: random sequences of reserve / post / void / reverse / transfer against the pure
rules. Whatever happens, all legs sum to zero, no account that must stay non-negative goes below zero,
the program budget is never overspent, and clearing holds exactly what open holds still reserve."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from suanli.domain.errors import SuanliError
from suanli.domain.ledger import (
    AccountState,
    Hold,
    Leg,
    TransferStatus,
    apply_legs,
    check_legs,
    post_legs,
    reserve_legs,
    reversal_legs,
    status_after,
    void_legs,
)

# Accounts: 0 budget, 1-3 wallets (liabilities, non-negative), 4 payable (non-negative), 5 clearing,
# 6 receivable (may go negative).
RULES = {0: (-1, True), 1: (-1, True), 2: (-1, True), 3: (-1, True), 4: (-1, True), 5: (-1, True), 6: (1, False)}
BUDGET = 10_000


class Book:
    def __init__(self) -> None:
        self.balances = dict.fromkeys(RULES, 0)
        self.balances[0] = -BUDGET  # the budget holds ¥100.00 (credit-normal); its funding is outside the book
        self.funded = BUDGET
        self.legs: list[Leg] = [Leg(0, -BUDGET)]
        self.posted: list[tuple[Leg, ...]] = []
        self.holds: list[Hold] = []

    def states(self) -> dict[int, AccountState]:
        return {a: AccountState(a, f"a{a}", RULES[a][0], RULES[a][1], b) for a, b in self.balances.items()}

    def write(self, legs: tuple[Leg, ...] | list[Leg]) -> None:
        self.balances.update(apply_legs(self.states(), check_legs(list(legs))))
        self.legs.extend(legs)


ops = st.lists(st.tuples(st.sampled_from(["grant", "spend", "reserve", "post", "void", "reverse"]),
                         st.integers(1, 4), st.integers(1, 4), st.integers(0, 6_000), st.booleans()), max_size=60)


@settings(max_examples=150, deadline=None)
@given(ops)
def test_random_operations_never_break_the_books(sequence: list[tuple[str, int, int, int, bool]]) -> None:
    book = Book()
    for op, a, b, amount, flag in sequence:
        try:
            apply(book, op, a, b, amount, flag)
        except SuanliError:
            pass  # refused: nothing may have changed, which the invariants below also prove
        # Every posted transfer sums to zero: all legs add up to the one external funding leg only.
        assert sum(x.amount_fen for x in book.legs) == -BUDGET == sum(book.balances.values())
        assert -book.balances[0] <= BUDGET  # the budget never pays out more than was funded
        assert all(book.balances[x] * RULES[x][0] >= 0 for x in RULES if RULES[x][1])
        held = sum(h.remaining_fen for h in book.holds if h.status == TransferStatus.PENDING)
        assert -book.balances[5] == held


def apply(book: Book, op: str, a: int, b: int, amount: int, flag: bool) -> None:
    wallet = min(a, 3)
    if op == "grant":
        book.write([Leg(0, amount), Leg(wallet, -amount)])
    elif op == "spend":
        legs = (Leg(wallet, amount), Leg(4, -amount))
        book.write(legs)
        book.posted.append(legs)
    elif op == "reserve":
        book.write(reserve_legs(debit_account_id=wallet if flag else 6, clearing_account_id=5, amount_fen=amount))
        book.holds.append(Hold(len(book.holds), wallet if flag else 6, 4, 5, amount, 0, 0, TransferStatus.PENDING))
    elif op in ("post", "void") and book.holds:
        index = b % len(book.holds)
        hold = book.holds[index]
        if op == "post":
            part = min(amount, hold.remaining_fen)
            legs, released = post_legs(hold, part, final=flag)
            posted = part
        else:
            legs, released, posted = void_legs(hold), hold.remaining_fen, 0
        book.write(legs)
        book.holds[index] = Hold(hold.transfer_id, hold.debit_account_id, hold.credit_account_id, 5, hold.amount_fen,
                                 hold.posted_fen + posted, hold.released_fen + released,
                                 status_after(hold, posted_fen=posted, released_fen=released))
    elif op == "reverse" and book.posted:
        legs = book.posted.pop(b % len(book.posted))
        book.write(reversal_legs(legs))
