# dag-orchestrator-api.md, "API Endpoints > Workflow Execution > GET /executions" (line 160), copied as written.
# All executions
curl http://localhost:3000/executions

# Filter by workflow
curl "http://localhost:3000/executions?workflowId=order-processing"
