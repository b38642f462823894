# dag-orchestrator-api.md, "API Endpoints > Workflow Execution > GET /executions/{executionId}/visualize" (line 213), copied as written.
curl http://localhost:3000/executions/exec-abc-123/visualize
