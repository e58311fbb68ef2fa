"""Deletes a stage's layer bucket for teardown: every object version and delete marker
(the bucket is versioned, so `aws s3 rm --recursive` leaves them), then the bucket.

    .venv/bin/python infra/delete_bucket.py v1registry-dev-layers
"""
import argparse

import boto3

BATCH = 1000          # DeleteObjects takes at most 1,000 keys


def delete_bucket(client, bucket: str) -> int:
    """Delete everything in `bucket` and the bucket; the number of versions deleted."""
    deleted = 0
    for page in client.get_paginator("list_object_versions").paginate(Bucket=bucket):
        versions = [{"Key": v["Key"], "VersionId": v["VersionId"]}
                    for v in page.get("Versions", []) + page.get("DeleteMarkers", [])]
        for start in range(0, len(versions), BATCH):
            client.delete_objects(Bucket=bucket, Delete={"Objects": versions[start:start + BATCH],
                                                         "Quiet": True})
        deleted += len(versions)
    client.delete_bucket(Bucket=bucket)
    return deleted


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("bucket")
    bucket = parser.parse_args().bucket
    print(f"Deleted {delete_bucket(boto3.client('s3'), bucket)} object versions and {bucket}")


if __name__ == "__main__":
    main()
