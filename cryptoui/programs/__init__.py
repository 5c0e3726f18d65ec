"""What programs and operators use: JSON, SSE and WebSocket streams, /health and /metrics."""
