# dag-orchestrator-api.md, "API Endpoints > Workflow Management > POST /workflows" (line 57), copied as written.
curl -X POST http://localhost:3000/workflows \
  -H "Content-Type: application/json" \
  -d '{
    "id": "order-processing",
    "name": "Order Processing Workflow",
    "description": "Process customer orders end-to-end",
    "steps": [
      {
        "id": "validate-order",
        "name": "Validate Order",
        "type": "task",
        "action": "http.request",
        "params": {
          "url": "http://validation-service/validate",
          "method": "POST"
        },
        "dependencies": [],
        "retryPolicy": {
          "maxAttempts": 3,
          "backoffMultiplier": 2,
          "initialDelay": 1000,
          "maxDelay": 10000
        }
      },
      {
        "id": "charge-payment",
        "name": "Charge Payment",
        "type": "task",
        "action": "http.request",
        "params": {
          "url": "http://payment-service/charge",
          "method": "POST"
        },
        "dependencies": ["validate-order"],
        "retryPolicy": {
          "maxAttempts": 5,
          "backoffMultiplier": 2,
          "initialDelay": 2000,
          "maxDelay": 30000
        }
      },
      {
        "id": "fulfill-order",
        "name": "Fulfill Order",
        "type": "task",
        "action": "http.request",
        "params": {
          "url": "http://fulfillment-service/fulfill",
          "method": "POST"
        },
        "dependencies": ["charge-payment"]
      }
    ],
    "webhooks": {
      "onComplete": "http://notifications/order-complete",
      "onFailure": "http://notifications/order-failed"
    }
  }'
