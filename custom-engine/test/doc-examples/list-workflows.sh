# dag-orchestrator-api.md, "API Endpoints > Workflow Management > GET /workflows" (line 121), copied as written.
curl http://localhost:3000/workflows
