from http import HTTPStatus
from typing import Any
from urllib.parse import quote

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.device_firmware_list import DeviceFirmwareList
from ...models.firmware_imei import FirmwareIMEI
from ...models.fota_v3_error import FotaV3Error
from ...models.undocumented_error import UndocumentedError
from ...types import Response


def _get_kwargs(
    acc: str,
    *,
    body: FirmwareIMEI,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}

    _kwargs: dict[str, Any] = {
        "method": "put",
        "url": "/firmware/{acc}/devices".format(
            acc=quote(str(acc), safe=""),
        ),
    }

    _kwargs["json"] = body.to_dict()

    headers["Content-Type"] = "application/json"

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> DeviceFirmwareList | FotaV3Error | UndocumentedError | None:
    if response.status_code == 200:
        response_200 = DeviceFirmwareList.from_dict(response.json())

        return response_200

    if response.status_code == 400:
        response_400 = FotaV3Error.from_dict(response.json())

        return response_400

    if response.status_code == 401:
        response_401 = UndocumentedError.from_dict(response.json())

        return response_401

    if response.status_code == 403:
        response_403 = UndocumentedError.from_dict(response.json())

        return response_403

    if response.status_code == 404:
        response_404 = UndocumentedError.from_dict(response.json())

        return response_404

    if response.status_code == 429:
        response_429 = UndocumentedError.from_dict(response.json())

        return response_429

    if response.status_code == 500:
        response_500 = UndocumentedError.from_dict(response.json())

        return response_500

    if response.status_code == 502:
        response_502 = UndocumentedError.from_dict(response.json())

        return response_502

    if response.status_code == 503:
        response_503 = UndocumentedError.from_dict(response.json())

        return response_503

    if response.status_code == 504:
        response_504 = UndocumentedError.from_dict(response.json())

        return response_504

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Response[DeviceFirmwareList | FotaV3Error | UndocumentedError]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    acc: str,
    *,
    client: AuthenticatedClient,
    body: FirmwareIMEI,
) -> Response[DeviceFirmwareList | FotaV3Error | UndocumentedError]:
    """Synchronize device firmware

     Synchronizes ThingSpace with the FOTA server for up to 100 devices and returns the firmware each one
    reported. The call is synchronous and idempotent.

    Args:
        acc (str):
        body (FirmwareIMEI): Devices to synchronize.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[DeviceFirmwareList | FotaV3Error | UndocumentedError]
    """

    kwargs = _get_kwargs(
        acc=acc,
        body=body,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    acc: str,
    *,
    client: AuthenticatedClient,
    body: FirmwareIMEI,
) -> DeviceFirmwareList | FotaV3Error | UndocumentedError | None:
    """Synchronize device firmware

     Synchronizes ThingSpace with the FOTA server for up to 100 devices and returns the firmware each one
    reported. The call is synchronous and idempotent.

    Args:
        acc (str):
        body (FirmwareIMEI): Devices to synchronize.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        DeviceFirmwareList | FotaV3Error | UndocumentedError
    """

    return sync_detailed(
        acc=acc,
        client=client,
        body=body,
    ).parsed


async def asyncio_detailed(
    acc: str,
    *,
    client: AuthenticatedClient,
    body: FirmwareIMEI,
) -> Response[DeviceFirmwareList | FotaV3Error | UndocumentedError]:
    """Synchronize device firmware

     Synchronizes ThingSpace with the FOTA server for up to 100 devices and returns the firmware each one
    reported. The call is synchronous and idempotent.

    Args:
        acc (str):
        body (FirmwareIMEI): Devices to synchronize.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[DeviceFirmwareList | FotaV3Error | UndocumentedError]
    """

    kwargs = _get_kwargs(
        acc=acc,
        body=body,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    acc: str,
    *,
    client: AuthenticatedClient,
    body: FirmwareIMEI,
) -> DeviceFirmwareList | FotaV3Error | UndocumentedError | None:
    """Synchronize device firmware

     Synchronizes ThingSpace with the FOTA server for up to 100 devices and returns the firmware each one
    reported. The call is synchronous and idempotent.

    Args:
        acc (str):
        body (FirmwareIMEI): Devices to synchronize.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        DeviceFirmwareList | FotaV3Error | UndocumentedError
    """

    return (
        await asyncio_detailed(
            acc=acc,
            client=client,
            body=body,
        )
    ).parsed
