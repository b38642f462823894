# dag-orchestrator-api.md, "API Endpoints > Workflow Execution > POST /executions/start" (line 137), copied as written.
curl -X POST http://localhost:3000/executions/start \
  -H "Content-Type: application/json" \
  -d '{
    "workflowId": "order-processing",
    "context": {
      "orderId": "order-123",
      "customerId": "customer-456",
      "amount": 99.99
    }
  }'
