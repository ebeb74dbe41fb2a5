"""One S3 connection config for boto3 and fsspec: dagster-aws's `S3Resource` mapped onto s3fs.

`S3Resource` holds what an S3 connection needs (endpoint, region, profile, retries, SSL, and,
only if someone insists, explicit keys). Left at its defaults it adds nothing, and both boto3
and s3fs resolve the standard AWS chain themselves: `AWS_ENDPOINT_URL_S3` / `AWS_ENDPOINT_URL`,
`AWS_PROFILE`, `AWS_REGION`, instance and task roles. Credentials never leave this mapping:
nothing here logs them or returns them as metadata.
"""

from typing import Any

from dagster_aws.s3 import S3Resource
from fsspec import AbstractFileSystem
from fsspec.core import url_to_fs
from upath import UPath

from whale_assets.io_rules.network import bounded_s3fs, network_timeouts_from_env, s3fs_options


def fsspec_options(s3: S3Resource | None) -> dict[str, Any]:
    """s3fs keyword arguments equivalent to the resource's boto3 session and client settings."""
    if s3 is None:
        return {}
    options: dict[str, Any] = {}
    client_kwargs: dict[str, Any] = {}
    if s3.use_unsigned_session:
        options["anon"] = True
    if s3.endpoint_url:
        options["endpoint_url"] = s3.endpoint_url
    if s3.region_name:
        client_kwargs["region_name"] = s3.region_name
    if s3.verify is not None:
        client_kwargs["verify"] = s3.verify
    if s3.profile_name:
        options["profile"] = s3.profile_name
    if not s3.use_ssl:
        options["use_ssl"] = False
    if s3.aws_access_key_id:
        options["key"] = s3.aws_access_key_id
    if s3.aws_secret_access_key:
        options["secret"] = s3.aws_secret_access_key
    if s3.aws_session_token:
        options["token"] = s3.aws_session_token
    options["config_kwargs"] = {"retries": {"max_attempts": s3.max_attempts, "mode": "standard"}}
    if client_kwargs:
        options["client_kwargs"] = client_kwargs
    return options


def filesystem(url: str, s3: S3Resource | None = None) -> tuple[AbstractFileSystem, str]:
    """The filesystem for `url` (a local path or s3://...) and the path inside it.

    Remote filesystems are built fresh (no fsspec instance cache), so a long-lived process picks
    up a changed endpoint or credentials instead of reusing a client made for the old ones.
    """
    if url.startswith("s3://"):
        fs, path = url_to_fs(url, skip_instance_cache=True, **bounded_options(fsspec_options(s3)))
        return bounded_s3fs(fs), path
    if "://" in url and not url.startswith("file://"):
        raise ValueError(f"unsupported storage location {url!r}: use a local directory or s3://bucket/prefix")
    return url_to_fs(url)


def bounded_options(options: dict[str, Any]) -> dict[str, Any]:
    """`options` plus connect/read timeouts (`io_rules/network.py`), keeping a resource's retry config."""
    config = dict(options.get("config_kwargs", {}))
    bounded = s3fs_options(network_timeouts_from_env(), retries=config.pop("retries", None))["config_kwargs"]
    return {**options, "config_kwargs": {**bounded, **config}}


def storage_path(url: str) -> UPath:
    """`UPath(url)`, with S3 requests bounded in time like every other client here."""
    if not url.startswith("s3://"):
        return UPath(url)
    path = UPath(url, **bounded_options({}))
    bounded_s3fs(path.fs)
    return path
