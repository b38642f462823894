# dag-orchestrator-api.md, "API Endpoints > Workflow Management > GET /workflows/{workflowId}" (line 128), copied as written.
curl http://localhost:3000/workflows/order-processing
