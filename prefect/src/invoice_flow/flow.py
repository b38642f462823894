"""The invoice flow on Prefect 3: split, one extract per page on a thread pool, aggregate.

Each task POSTs to its TypeScript service (shared/src/flow/activity-service.ts), retried per the
policies shared/ generates. Results persist, cached by inputs: a re-run re-uses finished tasks.
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
POLICY = json.loads((REPO / "shared/src/llm/retry-policy.json").read_text())
SPLIT_POLICY = json.loads((REPO / "shared/src/flow/split-policy.json").read_text())


def delays(p: dict) -> list[float]:  # before retry k = 1..maxAttempts-1: exponential backoff, in s
    return [
        min(p["maxDelayMs"], p["initialDelayMs"] * p["backoffMultiplier"] ** k) / 1000
        for k in range(p["maxAttempts"] - 1)
    ]


DELAYS = delays(POLICY)
MAX_IN_FLIGHT = int(os.environ.get("EXTRACT_MAX_CONCURRENT", "100"))
# Per-attempt timeouts, as temporal/src/workflows.ts sets them: rendering may take minutes.
TIMEOUT_S = {"split": 600, "extract": POLICY["attemptTimeoutMs"] / 1000 + 5, "aggregate": 120}


class ActivityError(Exception):  # a failed service call, with the service's verdict (its 502 or 422 body)
    def __init__(self, message: str, retryable: bool):
        super().__init__(message)
        self.retryable = retryable


def call(activity: str, payload: dict) -> dict:
    url = os.environ[f"{activity.upper()}_URL"]
    try:
        # The per-attempt timeout is the HTTP call's: a task timeout cannot interrupt a worker thread.
        response = httpx.post(f"{url}/{activity}", json=payload, timeout=TIMEOUT_S[activity])
    except httpx.HTTPError as error:
        # Refused or reset: the service died mid-call (a poison pill?) or is restarting. Retried.
        lost = "" if isinstance(error, httpx.TimeoutException) else "worker_lost: "
        raise ActivityError(f"{lost}{activity} unreachable: {error!r}", retryable=True) from error
    if response.is_success:
        return response.json()
    body = response.json() if response.headers.get("content-type", "").startswith("application/json") else {}
    llm = body.get("llm") or {}
    error = body.get("error") or {}
    message = f"{activity} answered {response.status_code} {error.get('code')}: {error.get('message', response.text)}"
    # The service's verdict (false: over the work budget), else the LLM's (a 400 is not worth it).
    again = body.get("retryable", llm.get("retryable", True))
    # Prefect's retry delays are fixed per attempt; a longer Retry-After is waited out here.
    attempt = task_run.run_count
    wait_s = (llm.get("retryAfterMs") or 0) / 1000 - DELAYS[min(attempt, len(DELAYS)) - 1]
    if again and wait_s > 0 and attempt < POLICY["maxAttempts"]:
        time.sleep(wait_s)
    raise ActivityError(message, retryable=again)


def retryable(_task, _task_run, state) -> bool:
    error = state.result(raise_on_failure=False)
    return not isinstance(error, ActivityError) or error.retryable


def activity_task(p: dict):
    retry = {"retries": p["maxAttempts"] - 1, "retry_delay_seconds": delays(p), "retry_jitter_factor": p["jitter"]}
    return task(**retry, retry_condition_fn=retryable, persist_result=True, cache_policy=INPUTS)


@activity_task(SPLIT_POLICY)
def split(invoice_id: str, pdf_key: str) -> dict:
    return call("split", {"invoiceId": invoice_id, "pdfKey": pdf_key})


@activity_task(POLICY)
def extract(invoice_id: str, page: dict) -> dict:
    # attempts = this task run's attempt, the only place that knows it (the service saw one call).
    return {**call("extract", {"invoiceId": invoice_id, "page": page}), "attempts": task_run.run_count}


@activity_task(POLICY)
def aggregate(invoice_id: str, accepted_at: int, split_span: dict, extractions: list) -> dict:
    payload = {"invoiceId": invoice_id, "acceptedAt": accepted_at, "split": split_span, "extractions": extractions}
    return call("aggregate", payload)


@flow(name="invoice", task_runner=ThreadPoolTaskRunner(max_workers=MAX_IN_FLIGHT), persist_result=True)
def invoice(invoice_id: str, pdf_key: str, accepted_at: int, body_sha256: str | None = None) -> dict:
    del body_sha256  # kept only in the run's parameters: the API tells a repeat from another body (409)
    pages = split(invoice_id, pdf_key)
    extractions = [f.result() for f in extract.map(unmapped(invoice_id), pages["pages"])]
    return aggregate(invoice_id, accepted_at, pages["span"], extractions)
