# dag-orchestrator-api.md, "Example Workflows > 1. Data Processing Pipeline" (line 343), copied as written.
curl -X POST http://localhost:3000/workflows \
  -H "Content-Type: application/json" \
  -d '{
    "id": "etl-pipeline",
    "name": "ETL Pipeline",
    "steps": [
      {
        "id": "extract",
        "name": "Extract Data",
        "type": "task",
        "action": "http.request",
        "params": {
          "url": "http://source-system/data",
          "method": "GET"
        },
        "dependencies": []
      },
      {
        "id": "transform-users",
        "name": "Transform Users",
        "type": "task",
        "action": "transform",
        "params": {
          "inputKey": "extract",
          "code": "return input.users.map(u => ({ id: u.id, name: u.name }))"
        },
        "dependencies": ["extract"]
      },
      {
        "id": "transform-orders",
        "name": "Transform Orders",
        "type": "task",
        "action": "transform",
        "params": {
          "inputKey": "extract",
          "code": "return input.orders.filter(o => o.status === '\''active'\'')"
        },
        "dependencies": ["extract"]
      },
      {
        "id": "load",
        "name": "Load to Database",
        "type": "task",
        "action": "http.request",
        "params": {
          "url": "http://target-system/load",
          "method": "POST"
        },
        "dependencies": ["transform-users", "transform-orders"]
      }
    ]
  }'

# Start execution
curl -X POST http://localhost:3000/executions/start \
  -H "Content-Type: application/json" \
  -d '{"workflowId":"etl-pipeline","context":{}}'
