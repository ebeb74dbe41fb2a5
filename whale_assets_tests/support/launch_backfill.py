"""Launch a job backfill with run config, as the UI does: the GraphQL `launchPartitionBackfill`
mutation, executed against a workspace.yaml and the instance of $DAGSTER_HOME (no webserver).

`dagster job backfill` takes no run config; this is the same call the UI's launchpad makes.
`python -m whale_assets_tests.support.launch_backfill --workspace W --job J --partitions a,b --run-config '{}'`
prints the backfill id.
"""

from __future__ import annotations

import argparse
import json
import sys

LAUNCH = """
mutation($params: LaunchBackfillParams!) {
  launchPartitionBackfill(backfillParams: $params) {
    __typename
    ... on LaunchBackfillSuccess { backfillId }
    ... on PythonError { message stack }
    ... on InvalidSubsetError { message }
    ... on UnauthorizedError { message }
  }
}"""
REPOSITORY = "__repository__"  # the repository a Definitions object becomes


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--workspace", required=True)
    parser.add_argument("--job", required=True)
    parser.add_argument("--partitions", required=True, help="comma-separated partition keys")
    parser.add_argument("--run-config", default="{}")
    parser.add_argument("--location", default="whale_assets")
    args = parser.parse_args(argv)

    from dagster import DagsterInstance
    from dagster._core.workspace.context import WorkspaceProcessContext
    from dagster._core.workspace.load_target import WorkspaceFileTarget
    from dagster_graphql.test.utils import execute_dagster_graphql

    params = {
        "selector": {
            "partitionSetName": f"{args.job}_partition_set",
            "repositorySelector": {"repositoryName": REPOSITORY, "repositoryLocationName": args.location},
        },
        "partitionNames": args.partitions.split(","),
        "runConfigData": json.loads(args.run_config),
        "title": f"{args.job} {args.partitions}",
    }
    with (
        DagsterInstance.get() as instance,
        WorkspaceProcessContext(instance, WorkspaceFileTarget(paths=[args.workspace])) as process_context,
    ):
        result = execute_dagster_graphql(process_context.create_request_context(), LAUNCH, {"params": params})
    answer = (result.data or {}).get("launchPartitionBackfill") or {}
    if answer.get("__typename") != "LaunchBackfillSuccess":
        print(f"backfill not launched: {result.errors or answer}", file=sys.stderr)
        return 1
    print(answer["backfillId"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
