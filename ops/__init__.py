"""Operations: structured logging with request and job ids, Prometheus metrics, `mkt doctor` checks."""
