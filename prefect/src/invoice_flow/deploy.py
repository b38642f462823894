"""Registers the process work pool and the `invoice/invoice` deployment with the Prefect server.

Run once before the worker starts (prefect/topology.ts does, in the worker's process). Both
steps are idempotent, so a restarted worker re-runs them harmlessly.
"""

import asyncio
import os
from pathlib import Path

from prefect import flow
from prefect.client.orchestration import get_client
from prefect.client.schemas.actions import WorkPoolCreate
from prefect.exceptions import ObjectAlreadyExists

POOL = os.environ.get("PREFECT_POOL", "invoice")
SOURCE = Path(__file__).resolve().parents[1]


async def ensure_pool() -> None:
    async with get_client() as client:
        try:
            await client.create_work_pool(WorkPoolCreate(name=POOL, type="process"))
        except ObjectAlreadyExists:
            pass


if __name__ == "__main__":
    asyncio.run(ensure_pool())
    # The flow's code stays where it is (local source): the worker's flow processes load it from here.
    deployment_id = flow.from_source(source=str(SOURCE), entrypoint="invoice_flow/flow.py:invoice").deploy(
        name="invoice", work_pool_name=POOL, print_next_steps=False
    )
    print(f"deployment invoice/invoice ready: {deployment_id}", flush=True)
