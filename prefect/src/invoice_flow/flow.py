"""The invoice flow on Prefect 3: split, one extract per page on a thread pool, aggregate.

The activities stay TypeScript (shared/src/flow/activity-service.ts): each task POSTs to its
service. Retries come from LLM_RETRY_POLICY (via the generated shared/src/llm/retry-policy.json);
results are persisted and cached by inputs, so re-running a crashed flow run re-uses finished tasks.
"""

import json
import os
import time
from pathlib import Path

import httpx
from prefect import flow, task, unmapped
from prefect.cache_policies import INPUTS
from prefect.runtime import task_run
from prefect.task_runners import ThreadPoolTaskRunner

REPO = Path(__file__).resolve().parents[3]
POLICY = json.loads(
    Path(os.environ.get("LLM_RETRY_POLICY_FILE", REPO / "shared/src/llm/retry-policy.json")).read_text()
)
# Delay before retry k (k = 1..maxAttempts-1), the policy's exponential backoff, in seconds.
DELAYS = [
    min(POLICY["maxDelayMs"], POLICY["initialDelayMs"] * POLICY["backoffMultiplier"] ** k) / 1000
    for k in range(POLICY["maxAttempts"] - 1)
]
MAX_IN_FLIGHT = int(os.environ.get("EXTRACT_MAX_CONCURRENT", "100"))


class ActivityError(Exception):
    """A failed service call, with the LLM's verdict when there is one (the service's 502 body)."""

    def __init__(self, message: str, retryable: bool):
        super().__init__(message)
        self.retryable = retryable


def call(activity: str, payload: dict) -> dict:
    url = os.environ[f"{activity.upper()}_URL"]
    try:
        # The per-attempt timeout is the HTTP call's: a task timeout cannot interrupt a worker thread.
        response = httpx.post(f"{url}/{activity}", json=payload, timeout=POLICY["attemptTimeoutMs"] / 1000 + 5)
    except httpx.HTTPError as error:  # the service is down or restarting: worth another attempt
        raise ActivityError(f"{activity} unreachable: {error!r}", retryable=True) from error
    if response.is_success:
        return response.json()
    body = response.json() if response.headers.get("content-type", "").startswith("application/json") else {}
    llm = body.get("llm") or {}
    message = f"{activity} answered {response.status_code}: {body.get('error', {}).get('message', response.text[:300])}"
    # Prefect's retry delays are fixed per attempt; a longer Retry-After is waited out here.
    attempt = task_run.run_count
    wait_s = (llm.get("retryAfterMs") or 0) / 1000 - DELAYS[min(attempt, len(DELAYS)) - 1]
    if llm.get("retryable", True) and wait_s > 0 and attempt < POLICY["maxAttempts"]:
        time.sleep(wait_s)
    raise ActivityError(message, retryable=llm.get("retryable", True))


def retryable(_task, _task_run, state) -> bool:
    error = state.result(raise_on_failure=False)
    return not isinstance(error, ActivityError) or error.retryable


activity_task = task(
    retries=POLICY["maxAttempts"] - 1,
    retry_delay_seconds=DELAYS,
    retry_jitter_factor=POLICY["jitter"],
    retry_condition_fn=retryable,
    persist_result=True,
    cache_policy=INPUTS,
)


@activity_task
def split(invoice_id: str, pdf_key: str) -> dict:
    return call("split", {"invoiceId": invoice_id, "pdfKey": pdf_key})


@activity_task
def extract(invoice_id: str, page: dict) -> dict:
    # attempts = this task run's attempt, the only place that knows it (the service saw one call).
    return {**call("extract", {"invoiceId": invoice_id, "page": page}), "attempts": task_run.run_count}


@activity_task
def aggregate(invoice_id: str, accepted_at: int, split_span: dict, extractions: list) -> dict:
    payload = {"invoiceId": invoice_id, "acceptedAt": accepted_at, "split": split_span, "extractions": extractions}
    return call("aggregate", payload)


@flow(name="invoice", task_runner=ThreadPoolTaskRunner(max_workers=MAX_IN_FLIGHT), persist_result=True)
def invoice(invoice_id: str, pdf_key: str, accepted_at: int, body_sha256: str | None = None) -> dict:
    # body_sha256 (idempotent uploads only) is not used here: it is kept in the flow run's
    # parameters, where the API reads it back to tell a repeat from another body (409).
    del body_sha256
    pages = split(invoice_id, pdf_key)
    extractions = [f.result() for f in extract.map(unmapped(invoice_id), pages["pages"])]
    return aggregate(invoice_id, accepted_at, pages["span"], extractions)
