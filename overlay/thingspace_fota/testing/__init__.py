"""A testing kit for code built on thingspace_fota: an in-process fake of ThingSpace FOTA v3.

    from thingspace_fota.testing import FakeFota

    fake = FakeFota()
    fake.add_account("0000123456-00001")
    fake.add_device("0000123456-00001", "990013907835573", firmware_version="SR1.2.0.0-10657")
    fake.fail_next(429, retry_after=0)  # the client retries and gets the device
    with fake.client() as fota:
        fota.synchronize_device_firmware("0000123456-00001", ["990013907835573"])

With pytest, the fixtures ``fota_fake``, ``fota_client`` and ``async_fota_client`` load by themselves once the
package is installed (the plugin module is :mod:`thingspace_fota.testing.pytest_plugin`). Nothing here needs
anything beyond the library's own dependencies; ``import thingspace_fota`` does not import this package.
"""

from ._fake import FakeFota
from ._records import RecordedHeaders, RecordedRequest

__all__ = ["FakeFota", "RecordedHeaders", "RecordedRequest"]
