"""What an APK tells us about itself."""

from __future__ import annotations

import msgspec


class ApkInfo(msgspec.Struct, frozen=True, kw_only=True):
    package: str
    version_code: int
    version_name: str
    label: str
    min_sdk: int
    target_sdk: int
    permissions: tuple[str, ...]
    abis: tuple[str, ...]
    signer_sha1: str | None  # None: not signed
    signer_sha256: str | None
    signing_schemes: tuple[str, ...]
    icon_png: bytes | None
    md5: str
    sha256: str
    size: int
    # What else the manifest says (see inspect.manifest_details): permissions with
    # their maxSdkVersion, uses-permission-sdk-23, uses-feature, localized labels.
    details: dict = msgspec.field(default_factory=dict)


class ApkRejected(Exception):
    """The APK cannot be published; ``reason`` names the catalogue entry."""

    def __init__(self, reason: str, detail: str = "") -> None:
        self.reason = reason
        self.detail = detail
        super().__init__(f"{reason}: {detail}" if detail else reason)
