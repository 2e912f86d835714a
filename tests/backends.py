"""The two servers the contract tests run against: Prism mocking openapi/fota-v3.yaml, and
thingspace_fota.testing.FakeFota seeded with the spec's examples, every answer checked against the spec.

Prism answers a static example whatever the request; the fake answers from its state. Tests ask the backend
for what differs: the header that forces an error or an example on Prism (the fake is scripted instead), and
how many devices a synchronize answers.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import httpx
from specschema import AsyncCheckingTransport, CheckingTransport, SpecChecker

from thingspace_fota import DEFAULT_BASE_URL, AsyncFotaClient, FotaClient
from thingspace_fota.testing import FakeFota

ACC = "0000123456-00001"
DEVICES = ["990013907835573", "990013907884259"]
ACCESS = "contract-access"
M2M = "contract-session"
# Statuses whose spec response declares a Retry-After header, with the spec's example value.
RETRY_AFTER_EXAMPLE = {429: 2, 503: 2}


class Backend:
    """What a contract test needs from the server it runs against."""

    name: str
    static: bool  # True: the answers are the spec's examples whatever is asked (Prism)

    def client(self, **kwargs: Any) -> FotaClient:
        raise NotImplementedError

    def async_client(self, **kwargs: Any) -> AsyncFotaClient:
        raise NotImplementedError

    def http(self) -> httpx.Client:
        """A plain httpx client whose relative URLs reach the FOTA base."""
        raise NotImplementedError

    def error(self, code: int) -> Mapping[str, str]:
        """Make the next call answer ``code``; the headers to send with it."""
        raise NotImplementedError

    def example(self, name: str) -> Mapping[str, str]:
        """Headers that select the spec's example ``name`` (the fake holds the same data as state)."""
        raise NotImplementedError

    def synchronized_count(self, device_ids: Iterable[str], chunks: int) -> int:
        """How many device entries a synchronize of ``device_ids`` in ``chunks`` chunks answers."""
        raise NotImplementedError


class PrismBackend(Backend):
    name = "prism"
    static = True

    def __init__(self, url: str) -> None:
        self.url = url

    def client(self, **kwargs: Any) -> FotaClient:
        return FotaClient(base_url=self.url, access_token=ACCESS, m2m_token=M2M, **kwargs)

    def async_client(self, **kwargs: Any) -> AsyncFotaClient:
        return AsyncFotaClient(base_url=self.url, access_token=ACCESS, m2m_token=M2M, **kwargs)

    def http(self) -> httpx.Client:
        return httpx.Client(base_url=self.url)

    def error(self, code: int) -> Mapping[str, str]:
        return {"Prefer": f"code={code}"}

    def example(self, name: str) -> Mapping[str, str]:
        return {"Prefer": f"example={name}"}

    def synchronized_count(self, device_ids: Iterable[str], chunks: int) -> int:
        return 2 * chunks  # each chunk answered by the spec's two-device example


class FakeBackend(Backend):
    name = "fake"
    static = False

    def __init__(self) -> None:
        self.checker = SpecChecker()
        self.fake = FakeFota(access_token=ACCESS, m2m_token=M2M)
        seed_spec_examples(self.fake)

    def client(self, **kwargs: Any) -> FotaClient:
        http = httpx.Client(transport=CheckingTransport(self.fake.transport, self.checker))
        return self.fake.client(http_client=http, **kwargs)

    def async_client(self, **kwargs: Any) -> AsyncFotaClient:
        http = httpx.AsyncClient(transport=AsyncCheckingTransport(self.fake.async_transport, self.checker))
        return self.fake.async_client(http_client=http, **kwargs)

    def http(self) -> httpx.Client:
        return httpx.Client(transport=CheckingTransport(self.fake.transport, self.checker), base_url=DEFAULT_BASE_URL)

    def error(self, code: int) -> Mapping[str, str]:
        self.fake.fail_next(code, retry_after=RETRY_AFTER_EXAMPLE.get(code))
        return {}

    def example(self, name: str) -> Mapping[str, str]:
        return {}

    def synchronized_count(self, device_ids: Iterable[str], chunks: int) -> int:
        return len(set(device_ids) & set(DEVICES))


def seed_spec_examples(fake: FakeFota) -> None:
    """The account, packages and devices of the spec's examples, plus an OMA-DM package."""
    fake.add_account(ACC)
    fake.add_firmware(
        ACC,
        firmware_name="VerizonSmartCommunities_LCO-277C4N_BG96MAR04A04M1G_BG96MAR04A04M1G_BETA0130B",
        firmware_from="BG96MAR04A04M1G",
        firmware_to="BG96MAR04A04M1G_BETA0130B",
        launch_date="2012-04-23T18:25:43.511Z",
        make="Verizon Smart Communities",
        model="LCO-277C4N",
        protocol="LWM2M",
    )
    fake.add_firmware(  # the goZeroDate example: launch_date=None is Go's zero time
        ACC,
        firmware_name="FOTA_Verizon_Model-A02_To_Model-B02",
        firmware_from="Model-A02",
        firmware_to="Model-B02",
        make="Verizon",
        model="Model-A",
        protocol="HTTP",
    )
    fake.add_firmware(
        ACC,
        firmware_name="FOTA_Verizon_Model-C01_To_Model-C02",
        firmware_from="Model-C01",
        firmware_to="Model-C02",
        make="Verizon",
        model="Model-C",
        protocol="OMD-DM",
        launch_date="2022-07-15T00:00:00.000Z",
    )
    fake.add_device(
        ACC, DEVICES[0], firmware_version="SR1.2.0.0-10657", reason="", update_time="2016-03-13T12:52:32.123Z"
    )
    fake.add_device(ACC, DEVICES[1], firmware_version="SR1.2.0.0-10657")
