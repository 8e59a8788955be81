"""Throughput of iamd nodes over one PostgreSQL database: GetSecretValue and AssumeRole through one
node, and through two nodes at once (one wrk per node, figures summed).

usage: python bench/nodes.py --node URL [--node URL] [--duration 10] [--connections 16]
"""

import argparse
import concurrent.futures
import json
import os
import sys
import time
from urllib.parse import quote

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--node", action="append", required=True)
    ap.add_argument("--duration", type=int, default=10)
    ap.add_argument("--connections", type=int, default=16)
    ap.add_argument("--label", default="postgres")
    a = ap.parse_args()
    first = a.node[0]
    key, secret = bench.prepare_reader(first)
    akey, asecret, role = bench.prepare_assumer(first)
    time.sleep(1)  # let the other node see the new users (it refreshes every 250 ms)
    scenarios = {
        "GetSecretValue": ("secretsmanager", json.dumps({"SecretId": "cml/bench/db"}),
                           "secretsmanager.GetSecretValue", key, secret),
        "AssumeRole": ("sts", f"Action=AssumeRole&Version=2011-06-15&RoleArn={quote(role, safe='')}"
                              "&RoleSessionName=bench", None, akey, asecret),
    }
    print("| scenario | store | nodes | req/s (sum) | p50 (node 1) | p99 (node 1) |")
    print("|---|---|---|---|---|---|")
    for name, (svc, body, target, k, s) in scenarios.items():
        for n in range(1, len(a.node) + 1):
            conns = max(1, a.connections // n)
            with concurrent.futures.ThreadPoolExecutor(n) as ex:
                results = list(ex.map(lambda url: bench.wrk(url, svc, body, target, k, s, a.duration, conns),
                                      a.node[:n]))
            total = sum(r[0] for r in results)
            print(f"| {name} | {a.label} | {n} | {total:,.0f} | {results[0][1]} | {results[0][2]} |")


if __name__ == "__main__":
    main()
