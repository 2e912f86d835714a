from http import HTTPStatus
from typing import Any
from urllib.parse import quote

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.device_firmware_version_update_result import DeviceFirmwareVersionUpdateResult
from ...models.fota_v3_error import FotaV3Error
from ...models.undocumented_error import UndocumentedError
from ...types import Response


def _get_kwargs(
    acc: str,
    device_id: str,
) -> dict[str, Any]:

    _kwargs: dict[str, Any] = {
        "method": "put",
        "url": "/firmware/{acc}/async/{device_id}".format(
            acc=quote(str(acc), safe=""),
            device_id=quote(str(device_id), safe=""),
        ),
    }

    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> DeviceFirmwareVersionUpdateResult | FotaV3Error | UndocumentedError | None:
    if response.status_code == 200:
        response_200 = DeviceFirmwareVersionUpdateResult.from_dict(response.json())

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
) -> Response[DeviceFirmwareVersionUpdateResult | FotaV3Error | UndocumentedError]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    acc: str,
    device_id: str,
    *,
    client: AuthenticatedClient,
) -> Response[DeviceFirmwareVersionUpdateResult | FotaV3Error | UndocumentedError]:
    """Report device firmware

     Asks one device to report its firmware version asynchronously. The firmware is not in the answer,
    which only carries the request id; read the result later from the device information (contract §7).
    The request has no body.

    Args:
        acc (str):
        device_id (str):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[DeviceFirmwareVersionUpdateResult | FotaV3Error | UndocumentedError]
    """

    kwargs = _get_kwargs(
        acc=acc,
        device_id=device_id,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    acc: str,
    device_id: str,
    *,
    client: AuthenticatedClient,
) -> DeviceFirmwareVersionUpdateResult | FotaV3Error | UndocumentedError | None:
    """Report device firmware

     Asks one device to report its firmware version asynchronously. The firmware is not in the answer,
    which only carries the request id; read the result later from the device information (contract §7).
    The request has no body.

    Args:
        acc (str):
        device_id (str):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        DeviceFirmwareVersionUpdateResult | FotaV3Error | UndocumentedError
    """

    return sync_detailed(
        acc=acc,
        device_id=device_id,
        client=client,
    ).parsed


async def asyncio_detailed(
    acc: str,
    device_id: str,
    *,
    client: AuthenticatedClient,
) -> Response[DeviceFirmwareVersionUpdateResult | FotaV3Error | UndocumentedError]:
    """Report device firmware

     Asks one device to report its firmware version asynchronously. The firmware is not in the answer,
    which only carries the request id; read the result later from the device information (contract §7).
    The request has no body.

    Args:
        acc (str):
        device_id (str):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[DeviceFirmwareVersionUpdateResult | FotaV3Error | UndocumentedError]
    """

    kwargs = _get_kwargs(
        acc=acc,
        device_id=device_id,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    acc: str,
    device_id: str,
    *,
    client: AuthenticatedClient,
) -> DeviceFirmwareVersionUpdateResult | FotaV3Error | UndocumentedError | None:
    """Report device firmware

     Asks one device to report its firmware version asynchronously. The firmware is not in the answer,
    which only carries the request id; read the result later from the device information (contract §7).
    The request has no body.

    Args:
        acc (str):
        device_id (str):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        DeviceFirmwareVersionUpdateResult | FotaV3Error | UndocumentedError
    """

    return (
        await asyncio_detailed(
            acc=acc,
            device_id=device_id,
            client=client,
        )
    ).parsed
