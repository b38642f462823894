# dag-orchestrator-api.md, "Complete Example" (line 564), copied as written.
# 1. Register workflow
curl -X POST http://localhost:3000/workflows \
  -H "Content-Type: application/json" \
  -d @workflow-definition.json

# 2. Start execution
EXEC_ID=$(curl -s -X POST http://localhost:3000/executions/start \
  -H "Content-Type: application/json" \
  -d '{"workflowId":"order-flow","context":{"orderId":"123"}}' \
  | jq -r '.executionId')

# 3. Monitor execution
watch -n 1 "curl -s http://localhost:3000/executions/$EXEC_ID | jq '.status'"

# 4. View visualization
curl http://localhost:3000/executions/$EXEC_ID/visualize | jq

# 5. List all executions
curl http://localhost:3000/executions | jq
