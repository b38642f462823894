"""The invoice flow on Prefect 3: split, one extract per page on a thread pool, aggregate, then
(discrepancies) a suspended wait for a person's decision, recorded by the aggregate service.

Each task POSTs to its TypeScript service (shared/src/flow/activity-service.ts), retried per the
policies shared/ generates. Results persist, cached by inputs: a re-run re-uses finished tasks.
"""

import json
import math
import os
import time
from datetime import datetime, timezone
from pathlib import Path

import httpx
from prefect import flow, get_client, suspend_flow_run, task, unmapped
from prefect.cache_policies import INPUTS
from prefect.input import RunInput
from prefect.runtime import flow_run, task_run
from prefect.task_runners import ThreadPoolTaskRunner
from prefect.utilities.timeout import timeout

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
TIMEOUT_S = {"split": 600, "extract": POLICY["attemptTimeoutMs"] / 1000 + 5, "aggregate": 120, "recordDecision": 120}
APPROVAL = "approval"  # APPROVAL_EVENT (shared/src/flow/approval.ts): the suspend's pause key
WAITED_TAG = "invoice:approval-wait"  # prefect/src/orchestrator.ts re-runs such a run once its suspend expired


class ActivityError(Exception):  # a failed service call, with the service's verdict (its 502 or 422 body)
    def __init__(self, message: str, retryable: bool):
        super().__init__(message)
        self.retryable = retryable


def call(activity: str, payload: dict) -> dict:
    url = os.environ["AGGREGATE_URL" if activity == "recordDecision" else f"{activity.upper()}_URL"]
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


@activity_task(POLICY)
def record_decision(invoice_id: str, invoice_key: str, approval: dict) -> dict:
    return call("recordDecision", {"invoiceId": invoice_id, "invoiceKey": invoice_key, "approval": approval})


class Decision(RunInput):  # what POST /flow_runs/{id}/resume carries as run_input; None: no decision came
    approved: bool | None = None
    note: str | None = None


def approval_of(decision: Decision) -> dict:  # approvalOf of shared/src/flow/approval.ts
    if decision.approved is None:
        return {"approved": False, "note": None, "decidedBy": "timeout"}
    return {"approved": decision.approved, "note": decision.note, "decidedBy": "approver"}


class DeadlineExceeded(TimeoutError):  # a TimeoutError: the engine ends the run Failed, named TimedOut
    pass


def deadline_left_s(deadline_ms: int | None) -> float | None:
    """What is left of the deadline, counted from the run's first start as the server recorded it."""
    if not deadline_ms:
        return None
    with get_client(sync_client=True) as client:
        run = client.read_flow_run(flow_run.get_id())
    if APPROVAL in (run.empirical_policy.pause_keys or set()):
        return None  # a re-run after the wait: split..aggregate are done (cached), the wait is not timed
    left = deadline_ms / 1000 - (datetime.now(timezone.utc) - run.start_time).total_seconds()
    if left <= 0:
        raise DeadlineExceeded(f"{deadline_ms} ms passed before this attempt began")
    return left


def await_decision(timeout_ms: int) -> Decision:
    """Suspends: the process exits, the server holds the run Paused (Suspended) until a resume or the timeout.

    Resumed, the run starts over (cached tasks), this suspend is refused as already fired and
    returns the stored input; expired, the server fails it, the API re-runs it and no input is stored.
    """
    if WAITED_TAG not in flow_run.get_tags():
        with get_client(sync_client=True) as client:
            client.update_flow_run(flow_run.get_id(), tags=[*flow_run.get_tags(), WAITED_TAG])
    return suspend_flow_run(wait_for_input=Decision, timeout=math.ceil(timeout_ms / 1000), key=APPROVAL)


@flow(name="invoice", task_runner=ThreadPoolTaskRunner(max_workers=MAX_IN_FLIGHT), persist_result=True)
def invoice(
    invoice_id: str,
    pdf_key: str,
    accepted_at: int,
    body_sha256: str | None = None,
    deadline_ms: int | None = None,
    approval_timeout_ms: int | None = None,
) -> dict:
    del body_sha256  # kept only in the run's parameters: the API tells a repeat from another body (409)
    # Prefect's own flow timeout is fixed at decoration; the run's deadline is the same alarm scope.
    with timeout(seconds=deadline_left_s(deadline_ms), timeout_exc_type=DeadlineExceeded):
        pages = split(invoice_id, pdf_key)
        extractions = [f.result() for f in extract.map(unmapped(invoice_id), pages["pages"])]
        result = aggregate(invoice_id, accepted_at, pages["span"], extractions)
    if result["discrepancyCount"] == 0 or not approval_timeout_ms:  # needsApproval (approval.ts)
        return result
    decision = await_decision(approval_timeout_ms)
    return record_decision(invoice_id, result["invoiceKey"], approval_of(decision))
