"""Helpers for tests/integration/test_testpmd.py (python3 standard library only).

pcapfile: pcap writer/reader; traffic: test frames and their verification;
proc: child processes with log files, killed on every exit path;
testpmd: a dpdk-testpmd driven over stdin; backends: the vhost-user backends
under test (vhacc, or a testpmd with net_vhost as a reference).
"""
