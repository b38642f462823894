# dag-orchestrator-api.md, "Example Workflows > 2. E-commerce Order Flow" (line 405), copied as written.
curl -X POST http://localhost:3000/workflows \
  -H "Content-Type: application/json" \
  -d '{
    "id": "order-flow",
    "name": "E-commerce Order Flow",
    "steps": [
      {
        "id": "validate",
        "name": "Validate Order",
        "type": "task",
        "action": "http.request",
        "params": {
          "url": "http://validation/validate",
          "method": "POST"
        },
        "dependencies": [],
        "retryPolicy": {
          "maxAttempts": 3,
          "backoffMultiplier": 2,
          "initialDelay": 1000,
          "maxDelay": 5000
        }
      },
      {
        "id": "check-inventory",
        "name": "Check Inventory",
        "type": "task",
        "action": "http.request",
        "params": {
          "url": "http://inventory/check",
          "method": "POST"
        },
        "dependencies": ["validate"]
      },
      {
        "id": "charge-payment",
        "name": "Charge Payment",
        "type": "task",
        "action": "http.request",
        "params": {
          "url": "http://payment/charge",
          "method": "POST"
        },
        "dependencies": ["check-inventory"],
        "retryPolicy": {
          "maxAttempts": 5,
          "backoffMultiplier": 2,
          "initialDelay": 2000,
          "maxDelay": 30000
        }
      },
      {
        "id": "ship-order",
        "name": "Ship Order",
        "type": "task",
        "action": "http.request",
        "params": {
          "url": "http://shipping/ship",
          "method": "POST"
        },
        "dependencies": ["charge-payment"]
      },
      {
        "id": "send-confirmation",
        "name": "Send Confirmation",
        "type": "task",
        "action": "webhook",
        "params": {
          "url": "http://notifications/email",
          "payload": {
            "type": "order-confirmation"
          }
        },
        "dependencies": ["ship-order"]
      }
    ],
    "webhooks": {
      "onComplete": "http://analytics/order-complete",
      "onFailure": "http://support/order-failed"
    }
  }'
