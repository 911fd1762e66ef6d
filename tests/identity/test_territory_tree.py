"""The territory tree's cache serves every event loop a process runs (a test module's, a command's):
its reload lock must not carry over from one loop to the next."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from api.identity.reach import forget_territory_trees, territory_tree


async def _reload_twice_at_once(settings: Any, database_url: str) -> int:
    from api.bootstrap import load_territories
    from api.db import Database, create_engine

    db = Database(create_engine(settings, database_url))
    try:
        await load_territories(db, settings)
        forget_territory_trees()
        async with db.session() as one, db.session() as two:
            # Both ask for a territory the cache does not know, so both reload: one waits on the lock.
            unknown = uuid.uuid4()
            trees = await asyncio.gather(
                territory_tree(one, must_know=[unknown]), territory_tree(two, must_know=[unknown])
            )
        return len(trees[0].parent)
    finally:
        await db.dispose()


def test_the_tree_reloads_in_one_event_loop_after_another(settings: Any, database_url: str) -> None:
    first = asyncio.run(_reload_twice_at_once(settings, database_url))
    second = asyncio.run(_reload_twice_at_once(settings, database_url))  # a lock bound to the first loop raised here
    assert first == second and first > 20  # the republic, its regions and cities, their districts
