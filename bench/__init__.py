"""Benchmarks (`make bench`): end-to-end throughput and latency, each against a baseline
(raw aiokafka on the same broker, a bare FastAPI endpoint on the same database) measured
in the same run, so the ratios hold on a noisy machine. Entry point: `python -m bench.run`.
"""
