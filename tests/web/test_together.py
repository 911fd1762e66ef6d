"""Several API calls at once, one answer: the first failure in the order given, whichever came
back first (an outsider's organisation page was 403 or 404 depending on which call lost the race)."""

from __future__ import annotations

import asyncio

import pytest

from web.client import ApiError, together


async def _fails(status: int, after: float) -> None:
    await asyncio.sleep(after)
    raise ApiError(status, str(status))


async def _answers(value: str, after: float) -> str:
    await asyncio.sleep(after)
    return value


async def test_the_first_failure_in_order_wins_whatever_finishes_first() -> None:
    for _ in range(20):
        with pytest.raises(ApiError) as raised:
            # The organisation's 404 arrives last, the territory list's 403 first: 404 is the answer.
            await together(_fails(404, 0.02), _fails(403, 0.0))
        assert raised.value.status == 404


async def test_answers_keep_their_order_and_one_failure_is_raised() -> None:
    assert await together(_answers("org", 0.02), _answers("index", 0.0)) == ["org", "index"]
    with pytest.raises(ApiError) as raised:
        await together(_answers("org", 0.0), _fails(403, 0.01))
    assert raised.value.status == 403
